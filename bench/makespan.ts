/**
 * Figure 7 (makespan in podman) and the image part of figure 4 (image size), with the real-pod
 * local runner (src/local/runner.ts: `podman kube play`, per-pod lock, clean-up).
 *
 *   npx ts-node -P bench/tsconfig.json bench/makespan.ts OUT.json [--reps=N]
 *
 * The same workload — 8 steps that sleep known times — is run three ways:
 *   - as the DAG, in a StepPod;
 *   - as a strict chain (the same steps in topological order, each waiting for the previous), in a StepPod;
 *   - as a chain of initContainers (a plain cdk8s-plus Pod, no wrapper): what Kubernetes offers natively.
 * Every step stamps its start and end (nanoseconds, wall clock, the step image's `stamp` helper).
 * Makespan = last end - first start. Overhead = makespan - critical path (nominal sleeps, and the
 * critical path recomputed from each step's measured start->end), divided by the edges on it.
 * The wall time from `kube play` to the last exit (container creation included) is reported too.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-33';
import { Step } from '../src';
import { E2E_UID, e2ePod, newChart, shStep, stamped, synth } from '../test/e2e/fixtures';
import { ensureImages, ENTRYPOINT_IMAGE, PodResult, podman, podmanStatus, runPod, STEP_IMAGE } from '../src/local';

interface StepDef { name: string; ms: number; deps: string[] }

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

function dagPod(): any[] {
  const chart = newChart('makespan-dag');
  const pod = e2ePod(chart, 'makespan-dag');
  const steps = new Map<string, Step>();
  for (const d of WORKLOAD) steps.set(d.name, shStep(pod, d.name, sleepBody(d.ms), { dependsOn: d.deps.map((x) => steps.get(x)!) }));
  return synth(chart);
}

function chainPod(): any[] {
  const chart = newChart('makespan-chain');
  const pod = e2ePod(chart, 'makespan-chain');
  let prev: Step | undefined;
  for (const d of WORKLOAD) prev = shStep(pod, d.name, sleepBody(d.ms), { dependsOn: prev ? [prev] : [] });
  return synth(chart);
}

function initChainPod(): any[] {
  const chart = newChart('makespan-init');
  const ws = kplus.Volume.fromEmptyDir(chart, 'ws', 'workspace');
  const pod = new kplus.Pod(chart, 'makespan-init', {
    restartPolicy: kplus.RestartPolicy.NEVER,
    securityContext: { user: E2E_UID, group: E2E_UID },
  });
  const common = { image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER, volumeMounts: [{ path: '/workspace', volume: ws }] };
  for (const d of WORKLOAD) pod.addInitContainer({ ...common, name: d.name, command: ['sh', '-c', stamped(d.name, sleepBody(d.ms))] });
  pod.addContainer({ ...common, name: 'done', command: ['true'] });
  return synth(chart);
}

interface RunFigures {
  makespan_ms: number;
  wall_ms: number;
  measured_critical_path_ms: number;
  /** dependent start - its last dependency's end, for every step with dependencies */
  binding_handoffs_ms: number[];
  step_ms: Record<string, number>;
}

function analyse(r: PodResult, defs: StepDef[]): RunFigures {
  const start = (n: string) => Number(r.stampsOf(`${n}.start`)[0]) / 1e6;
  const end = (n: string) => Number(r.stampsOf(`${n}.end`)[0]) / 1e6;
  for (const d of defs) {
    if (!r.has(`${d.name}.start`) || !r.has(`${d.name}.end`)) throw new Error(`step ${d.name} left no start/end stamp (phase ${r.phase})`);
  }
  const t0 = Math.min(...defs.map((d) => start(d.name)));
  const t1 = Math.max(...defs.map((d) => end(d.name)));
  const stepMs: Record<string, number> = {};
  for (const d of defs) stepMs[d.name] = end(d.name) - start(d.name);
  const handoffs: number[] = [];
  for (const d of defs) {
    if (d.deps.length === 0) continue;
    handoffs.push(start(d.name) - Math.max(...d.deps.map(end)));
  }
  return {
    makespan_ms: t1 - t0,
    wall_ms: r.elapsedMs,
    measured_critical_path_ms: criticalPath(defs, (d) => stepMs[d.name]).weight,
    binding_handoffs_ms: handoffs,
    step_ms: stepMs,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

async function imageSize(image: string): Promise<number | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Size}}', image], { allowFailure: true });
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

async function main() {
  const out = process.argv[2];
  const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
  if (!out) throw new Error('usage: makespan.ts OUT.json [--reps=N]');
  const doc: any = {};
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
  const images = await ensureImages();
  doc.images = { step: STEP_IMAGE, entrypoint: ENTRYPOINT_IMAGE, rebuilt: images.built };
  doc.entrypointImageBytes = await imageSize(ENTRYPOINT_IMAGE);
  console.error(`makespan: entrypoint image ${ENTRYPOINT_IMAGE} ${doc.entrypointImageBytes} bytes`);

  const dagDefs = WORKLOAD;
  const chainDefs: StepDef[] = WORKLOAD.map((d, i) => ({ ...d, deps: i === 0 ? [] : [WORKLOAD[i - 1].name] }));
  const variants = [
    { key: 'dag', label: 'StepPod, DAG', defs: dagDefs, manifest: dagPod },
    { key: 'chain', label: 'StepPod, strict chain', defs: chainDefs, manifest: chainPod },
    { key: 'initChain', label: 'initContainers-only chain (plain Pod, no wrapper)', defs: chainDefs, manifest: initChainPod },
  ];
  const runs: Record<string, RunFigures[]> = { dag: [], chain: [], initChain: [] };
  const errors: Record<string, string[]> = { dag: [], chain: [], initChain: [] };
  for (let rep = 0; rep < reps; rep++) {
    for (const v of variants) { // interleaved, so drift on the machine hits all three alike
      try {
        const r = await runPod(v.manifest(), { timeoutMs: 120_000 });
        if (r.phase !== 'Succeeded') throw new Error(`pod ${r.podName} ended ${r.phase}`);
        const f = analyse(r, v.defs);
        runs[v.key].push(f);
        console.error(`makespan ${v.key} rep ${rep}: ${f.makespan_ms.toFixed(0)} ms (wall ${f.wall_ms} ms), hand-offs ${f.binding_handoffs_ms.map((x) => x.toFixed(0)).join(' ')}`);
      } catch (e) {
        errors[v.key].push((e as Error).message.slice(0, 800));
        console.error(`makespan ${v.key} rep ${rep}: FAILED ${(e as Error).message.slice(0, 400)}`);
      }
    }
  }
  doc.workload = WORKLOAD;
  doc.variants = variants.map((v) => {
    const cp = criticalPath(v.defs, (d) => d.ms);
    const edges = cp.path.length - 1;
    const rs = runs[v.key];
    const ms = rs.map((r) => r.makespan_ms);
    const mcp = rs.map((r) => r.measured_critical_path_ms);
    const row: any = {
      key: v.key,
      label: v.label,
      reps: rs.length,
      errors: errors[v.key],
      nominal_critical_path_ms: cp.weight,
      critical_path: cp.path,
      edges_on_critical_path: edges,
      runs: rs,
    };
    if (rs.length > 0) {
      row.makespan_ms = median(ms);
      row.wall_ms = median(rs.map((r) => r.wall_ms));
      row.overhead_ms = row.makespan_ms - cp.weight;
      row.overhead_per_edge_ms = row.overhead_ms / edges;
      row.overhead_vs_measured_path_per_edge_ms = median(rs.map((r) => (r.makespan_ms - r.measured_critical_path_ms) / edges));
      const hs = rs.flatMap((r) => r.binding_handoffs_ms);
      row.binding_handoff_ms = { median: median(hs), max: Math.max(...hs), n: hs.length };
      void mcp;
    }
    return row;
  });
  write();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
