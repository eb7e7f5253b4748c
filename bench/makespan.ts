/**
 * Figure 7 (makespan in podman) and the image part of figure 4 (image size), with the local
 * runner (src/local: `podman kube play`, per-pod lock, clean-up).
 *
 *   npx ts-node -P bench/tsconfig.json bench/makespan.ts OUT.json --bin=DIR [--reps=N] [--big=STEPS]
 *
 * The images: the step image by test/e2e/step-image/build.sh (the script the e2e suite runs too);
 * the entrypoint image `localhost/cdk8s-steps-entrypoint:bench` from DIR/entrypoint-linux-<arch>,
 * the binary the other figures measure (run.sh builds it), with entrypoint-image/Dockerfile.
 *
 * 7a. The same workload — 8 steps that sleep known times — is run three ways:
 *   - as the DAG, in a StepPod;
 *   - as a strict chain (the same steps in topological order, each waiting for the previous), in a StepPod;
 *   - as a chain of initContainers (a plain cdk8s-plus Pod, no wrapper): what Kubernetes offers natively.
 * Every step stamps its start and end (nanoseconds, wall clock, the step image's `stamp` helper).
 * Makespan = last end - first start. Overhead = makespan - critical path (nominal sleeps, and the
 * critical path recomputed from each step's measured start->end), divided by the edges on it.
 * The wall time from `kube play` to the last exit (container creation included) is reported too.
 *
 * 7b. A big pod (--big, default 1 000 steps): a random DAG (seed 42, average in-degree 3) whose
 * steps only `stamp` their name, behind a gate step that holds every root until `kube play` has
 * started all containers (podman creates them one after another, which is not ours to measure):
 * makespan = last stamp - the gate's end, over the longest path in edges (gate edge included).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { median, randomDag } from './lib';
import { MakespanPart, RunFigures, StepDef, VariantRow } from './parts';
import { Entrypoint, Step, StepPod } from '../src';
import { PodResult, podman, podmanEnv, podmanStatus, REPO_ROOT, run, RunningPod, runPod } from '../src/local';
import { WORKSPACE_PATH } from '../src/wire/layout';
import { K8sObject } from '../src/wire/workload';

const STEP_IMAGE = 'localhost/cdk8s-steps-e2e-step:dev';
const ENTRYPOINT_IMAGE = 'localhost/cdk8s-steps-entrypoint:bench';

/** podman hands an emptyDir to the uid of the container that mounts it: every container of a pod shares this uid. */
const UID = 1000;
const NEVER = kplus.ImagePullPolicy.NEVER;

/** checkLimits: false only for the big pod: podman never stores it in etcd, which a 1 000-step pod's status would not fit. */
function stepPod(id: string, checkLimits = true): { chart: Chart; pod: StepPod } {
  const chart = new Chart(new App(), id);
  const entrypoint = Entrypoint.fromImage(ENTRYPOINT_IMAGE, { imagePullPolicy: NEVER });
  return { chart, pod: new StepPod(chart, id, { entrypoint, securityContext: { user: UID, group: UID }, checkLimits }) };
}

/** A shell script that stamps `<name>.start`, runs body, stamps `<name>.end`. */
const stamped = (name: string, body: string) => `stamp ${name}.start\n${body}\nstamp ${name}.end\n`;

/** The workload: a → {b, c, d, h}; b, c → e; d → f; e, f, h → g. */
const WORKLOAD: StepDef[] = [
  { name: 'a', ms: 1000, deps: [] },
  { name: 'b', ms: 1500, deps: ['a'] },
  { name: 'c', ms: 500, deps: ['a'] },
  { name: 'd', ms: 2000, deps: ['a'] },
  { name: 'h', ms: 800, deps: ['a'] },
  { name: 'e', ms: 500, deps: ['b', 'c'] },
  { name: 'f', ms: 1000, deps: ['d'] },
  { name: 'g', ms: 500, deps: ['e', 'f', 'h'] },
];

const sleepBody = (ms: number) => `sleep ${(ms / 1000).toFixed(3)}`;
const shStep = (pod: StepPod, d: StepDef, dependsOn: Step[]) =>
  pod.addStep(d.name, { image: STEP_IMAGE, imagePullPolicy: NEVER, command: ['sh', '-ec', stamped(d.name, sleepBody(d.ms))], dependsOn });

/** Longest path by weight w over deps; returns its weight and its steps. */
function criticalPath(defs: StepDef[], w: (d: StepDef) => number): { weight: number; path: string[] } {
  const best = new Map<string, { weight: number; path: string[] }>();
  for (const d of defs) { // defs are in topological order
    let prev = { weight: 0, path: [] as string[] };
    for (const dep of d.deps) if (best.get(dep)!.weight > prev.weight) prev = best.get(dep)!;
    best.set(d.name, { weight: prev.weight + w(d), path: [...prev.path, d.name] });
  }
  return [...best.values()].reduce((a, b) => (b.weight > a.weight ? b : a));
}

function dagPod(): K8sObject[] {
  const { chart, pod } = stepPod('makespan-dag');
  const steps = new Map<string, Step>();
  for (const d of WORKLOAD) steps.set(d.name, shStep(pod, d, d.deps.map((x) => steps.get(x)!)));
  return Testing.synth(chart);
}

function chainPod(): K8sObject[] {
  const { chart, pod } = stepPod('makespan-chain');
  let prev: Step | undefined;
  for (const d of WORKLOAD) prev = shStep(pod, d, prev ? [prev] : []);
  return Testing.synth(chart);
}

function initChainPod(): K8sObject[] {
  const chart = new Chart(new App(), 'makespan-init');
  const ws = kplus.Volume.fromEmptyDir(chart, 'ws', 'workspace');
  const pod = new kplus.Pod(chart, 'makespan-init', {
    restartPolicy: kplus.RestartPolicy.NEVER,
    securityContext: { user: UID, group: UID },
  });
  const common = { image: STEP_IMAGE, imagePullPolicy: NEVER, volumeMounts: [{ path: WORKSPACE_PATH, volume: ws }] };
  for (const d of WORKLOAD) pod.addInitContainer({ ...common, name: d.name, command: ['sh', '-ec', stamped(d.name, sleepBody(d.ms))] });
  pod.addContainer({ ...common, name: 'done', command: ['true'] });
  return Testing.synth(chart);
}

const GATE = 'gate';

/** The big pod: a random DAG of n steps that only stamp, every root behind the gate (see 7b). */
function bigDag(n: number): { defs: StepDef[]; manifest: () => K8sObject[] } {
  const dag = randomDag(n, 3, 42);
  const name = (i: number) => `s${String(i).padStart(4, '0')}`;
  const defs: StepDef[] = dag.deps.map((deps, j) => ({ name: name(j), ms: 0, deps: deps.map(name) }));
  const manifest = () => {
    const { chart, pod } = stepPod('makespan-big', false);
    const gate = pod.addStep(GATE, {
      image: STEP_IMAGE,
      imagePullPolicy: NEVER,
      command: ['sh', '-ec', stamped(GATE, 'while [ ! -e /workspace/go ]; do sleep 0.05; done')],
    });
    const steps: Step[] = [];
    for (const d of defs) {
      const dependsOn = d.deps.length ? d.deps.map((x) => steps[Number(x.slice(1))]) : [gate];
      steps.push(pod.addStep(d.name, { image: STEP_IMAGE, imagePullPolicy: NEVER, command: ['stamp', `${d.name}.start`, `${d.name}.end`], dependsOn }));
    }
    return Testing.synth(chart);
  };
  return { defs, manifest };
}

/** Opens the gate: `kube play` has returned (every container started); 2 s more for the wrappers to block. */
async function openGate(pod: RunningPod): Promise<void> {
  const vol = pod.volumes.find((v) => v.endsWith('-workspace'));
  if (!vol) throw new Error(`no workspace volume among ${pod.volumes.join(', ')}`);
  const mp = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', vol])).stdout.trim();
  await new Promise((res) => setTimeout(res, 2000));
  fs.writeFileSync(path.join(mp, 'go'), '');
}

/** With `gate`, time starts at the gate's end and the steps without dependencies hand off from it. */
function analyse(r: PodResult, defs: StepDef[], gate?: string): RunFigures {
  const start = (n: string) => Number(r.stampsOf(`${n}.start`)[0]) / 1e6;
  const end = (n: string) => Number(r.stampsOf(`${n}.end`)[0]) / 1e6;
  for (const d of defs) {
    if (!r.has(`${d.name}.start`) || !r.has(`${d.name}.end`)) throw new Error(`step ${d.name} left no start/end stamp (phase ${r.phase})`);
  }
  const t0 = gate ? end(gate) : Math.min(...defs.map((d) => start(d.name)));
  const t1 = Math.max(...defs.map((d) => end(d.name)));
  const stepMs: Record<string, number> = {};
  for (const d of defs) stepMs[d.name] = end(d.name) - start(d.name);
  const handoffs: number[] = [];
  for (const d of defs) {
    if (d.deps.length > 0) handoffs.push(start(d.name) - Math.max(...d.deps.map(end)));
    else if (gate) handoffs.push(start(d.name) - t0);
  }
  return {
    makespan_ms: t1 - t0,
    wall_ms: r.elapsedMs,
    measured_critical_path_ms: criticalPath(defs, (d) => stepMs[d.name]).weight,
    binding_handoffs_ms: handoffs,
    step_ms: gate ? {} : stepMs,
  };
}

async function imageSize(image: string): Promise<number | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Size}}', image], { allowFailure: true });
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

/** The step image (test/e2e/step-image/build.sh) and the entrypoint image from the measured binary in `bin`. */
async function buildImages(bin: string): Promise<string[]> {
  const built: string[] = [];
  const step = await run('bash', [path.join(REPO_ROOT, 'test', 'e2e', 'step-image', 'build.sh'), STEP_IMAGE], { env: podmanEnv(), timeoutMs: 1_800_000 });
  if (step.stderr.includes(`built ${STEP_IMAGE}`)) built.push(STEP_IMAGE);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const binary = path.join(bin, `entrypoint-linux-${arch}`);
  if (!fs.existsSync(binary)) throw new Error(`${binary} does not exist: bench/run.sh builds it`);
  // entrypoint-image/Dockerfile copies out/entrypoint-linux-<arch>: a context with just that
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-bench-image-'));
  try {
    fs.mkdirSync(path.join(context, 'out'));
    fs.copyFileSync(binary, path.join(context, 'out', path.basename(binary)));
    fs.copyFileSync(path.join(REPO_ROOT, 'entrypoint-image', 'Dockerfile'), path.join(context, 'Dockerfile'));
    await podman(['build', '--build-arg', `TARGETARCH=${arch}`, '-t', ENTRYPOINT_IMAGE, context], { timeoutMs: 600_000 });
    built.push(ENTRYPOINT_IMAGE);
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  return built;
}

async function main() {
  const out = process.argv[2];
  const option = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const arg = (k: string, d: number) => Number(option(k) ?? d);
  const reps = arg('reps', 3);
  const big = arg('big', 1000);
  const bin = option('bin');
  if (!out || !bin) throw new Error('usage: makespan.ts OUT.json --bin=DIR [--reps=N] [--big=STEPS]');
  const doc: MakespanPart = {};
  const write = () => {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(doc, null, 2));
  };
  const st = podmanStatus();
  doc.podman = st;
  if (!st.available) {
    doc.error = `podman unavailable: ${st.reason}`;
    write();
    console.error(`makespan: ${doc.error}`);
    return;
  }
  doc.images = { step: STEP_IMAGE, entrypoint: ENTRYPOINT_IMAGE, built: await buildImages(bin) };
  doc.entrypointImageBytes = await imageSize(ENTRYPOINT_IMAGE);
  console.error(`makespan: entrypoint image ${ENTRYPOINT_IMAGE} ${doc.entrypointImageBytes} bytes`);

  const chainDefs: StepDef[] = WORKLOAD.map((d, i) => ({ ...d, deps: i === 0 ? [] : [WORKLOAD[i - 1].name] }));
  const variants: Variant[] = [
    { key: 'dag', label: 'StepPod, DAG', defs: WORKLOAD, manifest: dagPod },
    { key: 'chain', label: 'StepPod, strict chain', defs: chainDefs, manifest: chainPod },
    { key: 'initChain', label: 'initContainers-only chain (plain Pod, no wrapper)', defs: chainDefs, manifest: initChainPod },
  ];
  for (let rep = 0; rep < reps; rep++) {
    for (const v of variants) await runVariant(v, rep, 120_000); // interleaved: drift hits all three alike
  }
  if (big > 0) {
    const b = bigDag(big);
    const v: Variant = { key: 'big', label: `StepPod, random DAG of ${big} steps (in-degree 3) behind a gate`, ...b, gate: GATE };
    variants.push(v);
    await runVariant(v, 0, 1_200_000); // within run.sh's timeout, so the runner cleans up
  }
  doc.workload = WORKLOAD;
  doc.variants = variants.map(summarise);
  write();
}

interface Variant {
  readonly key: string;
  readonly label: string;
  readonly defs: StepDef[];
  readonly manifest: () => K8sObject[];
  readonly gate?: string;
  runs?: RunFigures[];
  errors?: string[];
}

async function runVariant(v: Variant, rep: number, timeoutMs: number): Promise<void> {
  v.runs ??= [];
  v.errors ??= [];
  try {
    const r = await runPod(v.manifest(), { timeoutMs, whileRunning: v.gate ? openGate : undefined });
    if (r.phase !== 'Succeeded') {
      const bad = r.containers.filter((c) => c.exitCode !== 0 && !(c.init && c.state === 'missing'));
      const why = bad.slice(0, 5).map((c) => `${c.name}: exit ${c.exitCode} ${JSON.stringify(c.report ?? c.logs.slice(-300))}`);
      throw new Error(`pod ${r.podName} ended ${r.phase}; ${bad.length} containers did not exit 0: ${why.join('; ')}`);
    }
    const f = analyse(r, v.defs, v.gate);
    v.runs.push(f);
    const hs = f.binding_handoffs_ms;
    console.error(`makespan ${v.key} rep ${rep}: ${f.makespan_ms.toFixed(0)} ms (wall ${f.wall_ms} ms), hand-offs ${hs.length > 10 ? `median ${median(hs).toFixed(1)} max ${Math.max(...hs).toFixed(1)}` : hs.map((x) => x.toFixed(0)).join(' ')}`);
  } catch (e) {
    v.errors.push((e as Error).message.slice(0, 800));
    console.error(`makespan ${v.key} rep ${rep}: FAILED ${(e as Error).message.slice(0, 400)}`);
  }
}

/** Medians over the runs of a variant. With a gate, the steps do nothing: every ms on the path is overhead. */
function summarise(v: Variant): VariantRow {
  const cp = criticalPath(v.defs, (d) => d.ms);
  const longest = criticalPath(v.defs, () => 1).path; // in steps; with a gate, +1 edge from it
  const edges = v.gate ? longest.length : cp.path.length - 1;
  const rs = v.runs ?? [];
  const row: VariantRow = {
    key: v.key,
    label: v.label,
    steps: v.defs.length,
    reps: rs.length,
    errors: v.errors ?? [],
    nominal_critical_path_ms: cp.weight,
    critical_path: v.gate ? [v.gate, ...longest] : cp.path,
    edges_on_critical_path: edges,
    // a big pod's hand-offs are summarised below, not listed
    runs: v.gate ? rs.map(({ binding_handoffs_ms: _, ...r }) => r) : rs,
  };
  if (rs.length === 0) return row;
  const makespan = median(rs.map((r) => r.makespan_ms));
  const hs = rs.flatMap((r) => r.binding_handoffs_ms).sort((a, b) => a - b);
  return {
    ...row,
    makespan_ms: makespan,
    wall_ms: median(rs.map((r) => r.wall_ms)),
    overhead_ms: makespan - cp.weight,
    overhead_per_edge_ms: (makespan - cp.weight) / edges,
    overhead_vs_measured_path_per_edge_ms: median(rs.map((r) => (r.makespan_ms - r.measured_critical_path_ms) / edges)),
    binding_handoff_ms: { median: median(hs), p90: hs[Math.ceil(0.9 * hs.length) - 1], max: hs[hs.length - 1], n: hs.length },
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
