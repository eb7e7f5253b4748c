/**
 * Figures 5 (synth time) and 6 (reserved resources) of issue 5, in-process.
 *
 *   npx ts-node -P bench/tsconfig.json bench/synth.ts OUT.json [--quick]
 *
 * 5. For random DAGs (fixed seed, average in-degree 3) of 10, 100, 1 000, 2 000 and 5 000 steps
 *    (--quick: up to 2 000): the time to construct a StepPod and synthesise it to YAML
 *    (app.synthYaml()), next to a plain cdk8s-plus Pod with the same containers (same images
 *    and commands, no wrapper, no order), and the size of the StepPod's YAML and JSON. A pod
 *    the library refuses (over a Kubernetes limit) is reported so and timed with checkLimits off.
 *    Also the floor: the StepPod's finished manifest written by cdk8s alone (a plain `ApiObject`,
 *    the same YAML byte for byte), what any construct that emits this object pays; and the kplus
 *    floor: the StepPod's finished PodSpec in a plain cdk8s-plus Pod (bench/floors.ts, the same
 *    YAML), what any cdk8s-plus Pod that emits this spec pays.
 *    Median over repetitions, after warm-up, with a GC between repetitions. Public API only, but
 *    for the kplus floor, which takes the StepPod's PodSpec from its internal `_toPodSpec()`.
 * 6. For generated chains, diamonds, wide fan-out/fan-in graphs, a random DAG and the shapes of
 *    the examples: what the scheduler reserves (the pod's effective cpu and memory request,
 *    computed from the synthesised YAML with Kubernetes' rules) under PEAK vs SUM.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { kplusFloorOf } from './floors';
import { effectiveRequest, fmtCpu, fmtMem, median, randomDag, Dag } from './lib';
import { ResourceRow, SynthCell, SynthGrowth, SynthPart, SynthRow } from './parts';
import { ResourceStrategy, Step, StepJob, StepPod } from '../src';
import { K8sObject, podSpecOf } from '../src/wire/workload';

/** `global.gc` when node runs with --expose-gc (run.sh does), else nothing. */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const now = () => Number(process.hrtime.bigint()) / 1e6;

const IMAGE = 'busybox:1.36';
const cmd = (i: number) => ['sh', '-c', `echo step ${i}`];
const stepName = (i: number) => `s${String(i).padStart(4, '0')}`;

function buildStepPod(dag: Dag, strategy?: ResourceStrategy, checkLimits = true): { app: App; pod: StepPod } {
  const app = new App();
  const chart = new Chart(app, 'bench');
  const pod = new StepPod(chart, 'pod', { resourceStrategy: strategy, checkLimits });
  const steps: Step[] = [];
  for (let j = 0; j < dag.n; j++) {
    steps.push(pod.addStep(stepName(j), { image: IMAGE, command: cmd(j), dependsOn: dag.deps[j].map((i) => steps[i]) }));
  }
  return { app, pod };
}

function buildPlainPod(dag: Dag): App {
  const app = new App();
  const chart = new Chart(app, 'bench');
  const pod = new kplus.Pod(chart, 'pod', { restartPolicy: kplus.RestartPolicy.NEVER });
  for (let j = 0; j < dag.n; j++) pod.addContainer({ name: stepName(j), image: IMAGE, command: cmd(j) });
  return app;
}

/** CPU time of this process so far (user + system, every thread), in ms. */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Times the functions round-robin so that load from other processes on the machine hits all
 * alike, each round starting one function later (f0, f1, f2, then f1, f2, f0, ...) so that none
 * always runs right after the same other; stops after `reps` rounds or `budgetMs` (at least one
 * round). Wall time, and the process's CPU time beside it (what other processes disturb least).
 */
function timeRounds(fns: Array<() => string>, reps: number, budgetMs: number): Array<SynthCell & { cpu_median_ms: number }> {
  const xs: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  const bytes: number[] = fns.map(() => 0);
  const t0 = now();
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (r + k) % fns.length;
      gc();
      const c = cpuNow();
      const t = now();
      bytes[i] = fns[i]().length;
      xs[i].push(now() - t);
      cpu[i].push(cpuNow() - c);
    }
    if (now() - t0 > budgetMs) break;
  }
  return xs.map((x, i) => ({ median_ms: median(x), min_ms: Math.min(...x), cpu_median_ms: median(cpu[i]), reps: x.length, yaml_bytes: bytes[i] }));
}

/**
 * The floor: `doc`, a finished manifest, written by cdk8s alone as a plain `ApiObject` (cdk8s'
 * resolve, sanitize and YAML serialisation, no construct work). Throws unless its YAML is `yaml`
 * byte for byte, so the floor is the same object as the StepPod's.
 */
function floorOf(doc: K8sObject, yaml: string): () => string {
  const synth = () => {
    const app = new App();
    const { apiVersion, kind, metadata, ...rest } = doc;
    new ApiObject(new Chart(app, 'bench'), 'floor', { apiVersion, kind, metadata, ...rest });
    return app.synthYaml();
  };
  if (synth() !== yaml) throw new Error('the floor\'s YAML differs from the StepPod\'s: it would not measure the same object');
  return synth;
}

/** Construct + chart.toJson() only: everything but the YAML serialisation. */
function toJsonOnly(app: App): string {
  return JSON.stringify(app.charts.map((c) => c.toJson()));
}

function synthFigure(quick: boolean) {
  const sizes = quick ? [10, 100, 1000, 2000] : [10, 100, 1000, 2000, 5000];
  const reps: Record<number, number> = quick ? { 10: 5, 100: 3, 1000: 1, 2000: 1 } : { 10: 30, 100: 15, 1000: 7, 2000: 5, 5000: 3 };
  const budget = quick ? 5_000 : 25_000;
  // warm-up (JIT) on a mid-size graph, both kinds
  const warm = randomDag(200, 3, 7);
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    buildStepPod(warm).app.synthYaml();
    buildPlainPod(warm).synthYaml();
  }
  const rows: SynthRow[] = [];
  for (const n of sizes) {
    const dag = randomDag(n, 3, 42);
    // a pod over Kubernetes' limits is refused at synthesis: say so, and time it without the check
    let limits = 'within';
    try {
      buildStepPod(dag).app.synthYaml();
    } catch (e) {
      limits = (e as Error).message.slice(0, 600);
    }
    const check = limits === 'within';
    const reference = buildStepPod(dag, undefined, check).app;
    const floor = floorOf(reference.charts[0].toJson()[0], reference.synthYaml());
    const kplusFloor = kplusFloorOf(() => buildStepPod(dag, undefined, check).app);
    const [plain, steps, plainJson, stepsJson, floorCell, kplusFloorCell] = timeRounds([
      () => buildPlainPod(dag).synthYaml(),
      () => buildStepPod(dag, undefined, check).app.synthYaml(),
      () => toJsonOnly(buildPlainPod(dag)),
      () => toJsonOnly(buildStepPod(dag, undefined, check).app),
      floor,
      kplusFloor,
    ], reps[n], budget);
    // the peak computation alone (diagnostic), on an already built graph
    const { app, pod } = buildStepPod(dag, undefined, false);
    const jsonBytes = JSON.stringify(app.charts.map((c) => c.toJson())).length;
    const graph = pod.graph;
    const [pk] = timeRounds([() => JSON.stringify(graph.peakRequests())], Math.max(1, Math.floor(reps[n] / 2)), budget / 2);
    const row: SynthRow = {
      steps: n,
      edges: dag.edges,
      stepPod: steps,
      plainPod: plain,
      ratio: steps.median_ms / plain.median_ms,
      ratio_of_minimums: steps.min_ms / plain.min_ms,
      cpu_ratio: steps.cpu_median_ms / plain.cpu_median_ms,
      withoutYaml: { stepPod: stepsJson, plainPod: plainJson, ratio: stepsJson.median_ms / plainJson.median_ms },
      cdk8sFloor: floorCell,
      floor_ratio: floorCell.median_ms / plain.median_ms,
      kplusFloor: kplusFloorCell,
      kplus_floor_ratio: kplusFloorCell.median_ms / plain.median_ms,
      peakRequests_ms: pk.median_ms,
      stepPod_json_bytes: jsonBytes,
      kubernetes_limits: limits,
      timed_with_limit_check: check,
    };
    console.error(`synth n=${n} e=${dag.edges}: StepPod ${steps.median_ms.toFixed(1)} ms, plain ${plain.median_ms.toFixed(1)} ms, ratio ${row.ratio.toFixed(2)} (CPU ${(steps.cpu_median_ms / plain.cpu_median_ms).toFixed(2)}), floor ${floorCell.median_ms.toFixed(1)} ms (${(floorCell.median_ms / plain.median_ms).toFixed(2)}x), kplus floor ${kplusFloorCell.median_ms.toFixed(1)} ms (${(kplusFloorCell.median_ms / plain.median_ms).toFixed(2)}x), YAML ${steps.yaml_bytes} B, JSON ${jsonBytes} B, peak ${pk.median_ms.toFixed(1)} ms; limits: ${limits.slice(0, 200)}`);
    rows.push(row);
  }
  const growth: SynthGrowth[] = [];
  for (let k = 1; k < rows.length; k++) {
    const a = rows[k - 1];
    const b = rows[k];
    const sizeRatio = (b.steps + b.edges) / (a.steps + a.edges);
    const t = b.stepPod.median_ms / a.stepPod.median_ms;
    const tp = b.plainPod.median_ms / a.plainPod.median_ms;
    growth.push({
      from: a.steps,
      to: b.steps,
      size_ratio: sizeRatio,
      stepPod_time_ratio: t,
      stepPod_exponent: Math.log(t) / Math.log(sizeRatio),
      plainPod_time_ratio: tp,
      plainPod_exponent: Math.log(tp) / Math.log((b.steps) / (a.steps)),
    });
  }
  return { dag: 'random, seed 42, average in-degree 3 (3n distinct edges j<-i, i<j uniform)', rows, growth };
}

// ------------------------------------------------------------------ 6. reserved resources

type Builder = (pod: StepPod | StepJob) => void;

interface Shape { name: string; kind?: 'pod' | 'job'; build: Builder; note?: string }

const DEFAULT = {}; // cdk8s-plus default: 1 cpu / 512Mi request, 1500m / 2Gi limit

function chain(n: number, res: kplus.ContainerResources | typeof DEFAULT = DEFAULT): Builder {
  return (pod) => {
    let prev: Step | undefined;
    for (let i = 0; i < n; i++) {
      prev = pod.addStep(`c${i}`, { image: IMAGE, command: cmd(i), dependsOn: prev ? [prev] : [], ...(res === DEFAULT ? {} : { resources: res as kplus.ContainerResources }) });
    }
  };
}

function wide(width: number): Builder {
  return (pod) => {
    const a = pod.addStep('fan-out', { image: IMAGE, command: cmd(0) });
    const mids = Array.from({ length: width }, (_, i) => pod.addStep(`w${i}`, { image: IMAGE, command: cmd(i), dependsOn: [a] }));
    pod.addStep('fan-in', { image: IMAGE, command: cmd(0), dependsOn: mids });
  };
}

function dagShape(n: number, seed: number): Builder {
  return (pod) => {
    const dag = randomDag(n, 3, seed);
    const steps: Step[] = [];
    for (let j = 0; j < n; j++) steps.push(pod.addStep(stepName(j), { image: IMAGE, command: cmd(j), dependsOn: dag.deps[j].map((i) => steps[i]) }));
  };
}

const res = (cpu: string, mem: number): kplus.ContainerResources => ({
  cpu: { request: kplus.Cpu.millis(Math.round(parseFloat(cpu) * 1000)) },
  memory: { request: Size.mebibytes(mem) },
});

function shapes(): Shape[] {
  return [
    { name: 'chain of 10 (default 1 cpu / 512Mi steps)', build: chain(10) },
    { name: 'chain of 10 (2 cpu / 4Gi steps)', build: chain(10, res('2', 4096)) },
    {
      name: 'diamond a -> {b, c} -> d',
      build: (pod) => {
        const a = pod.addStep('a', { image: IMAGE, command: cmd(0) });
        const b = pod.addStep('b', { image: IMAGE, command: cmd(1), dependsOn: [a] });
        const c = pod.addStep('c', { image: IMAGE, command: cmd(2), dependsOn: [a] });
        pod.addStep('d', { image: IMAGE, command: cmd(3), dependsOn: [b, c] });
      },
    },
    { name: 'wide: 1 -> 8 -> 1', build: wide(8) },
    { name: 'wide: 1 -> 50 -> 1', build: wide(50) },
    {
      name: 'mixed: build (4 cpu / 8Gi) -> 6 tests (500m / 1Gi) -> deploy (250m / 256Mi)',
      build: (pod) => {
        const b = pod.addStep('build', { image: IMAGE, command: cmd(0), resources: res('4', 8192) });
        const ts = Array.from({ length: 6 }, (_, i) => pod.addStep(`test${i}`, { image: IMAGE, command: cmd(i), dependsOn: [b], resources: res('0.5', 1024) }));
        pod.addStep('deploy', { image: IMAGE, command: cmd(9), dependsOn: ts, resources: res('0.25', 256) });
      },
    },
    { name: 'random DAG, 100 steps, in-degree 3', build: dagShape(100, 42) },
    { name: 'random DAG, 1000 steps, in-degree 3', build: dagShape(1000, 42) },
  ];
}

function synthShape(shape: Shape, strategy: ResourceStrategy): { spec: K8sObject; peak?: Record<string, string>; steps: Step[] } {
  const app = new App();
  const chart = new Chart(app, 'r');
  const props = { resourceStrategy: strategy, checkLimits: false }; // requests only: figure 5 reports the limits
  const w = shape.kind === 'job' ? new StepJob(chart, 'w', props) : new StepPod(chart, 'w', props);
  shape.build(w);
  const obj = chart.toJson().find((o: K8sObject) => o.kind === 'Pod' || o.kind === 'Job');
  return { spec: podSpecOf(obj), peak: strategy === ResourceStrategy.PEAK ? w.graph.peakRequests() : undefined, steps: w.steps };
}

/** A step container's requests as declared (what SUM would keep), as YAML quantities. */
function declaredRequests(c: kplus.Container): Record<string, string> {
  const r = c.resources;
  const out: Record<string, string> = {};
  const cpu = r?.cpu?.request ?? r?.cpu?.limit;
  if (cpu) out.cpu = cpu.amount;
  const mem = r?.memory?.request ?? r?.memory?.limit;
  if (mem) out.memory = `${mem.toMebibytes()}Mi`;
  return out;
}

/** The pod spec with every step container's requests put back to what was declared (= SUM). */
function withDeclaredRequests(spec: K8sObject, steps: Step[]): K8sObject {
  const copy = JSON.parse(JSON.stringify(spec));
  const byName = new Map(steps.map((st) => [st.name, st]));
  for (const c of copy.containers ?? []) {
    const st = byName.get(c.name);
    if (!st) continue;
    c.resources = { ...(c.resources ?? {}), requests: declaredRequests(st.container) };
  }
  return copy;
}

/**
 * The examples in examples/, exactly as they ship (PEAK, the default): PEAK is read from their
 * synthesised YAML; SUM is the same spec with each step's declared requests put back (the
 * examples take no resourceStrategy prop). The method is cross-checked on the generated shapes.
 */
/** An example chart: it exposes its step host as `pod` or `job`. */
type ExampleChart = new (app: App, id: string) => Chart & { readonly pod?: StepPod; readonly job?: StepJob };

function exampleRows(): ResourceRow[] {
  const rows: ResourceRow[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (file: string, cls: string): ExampleChart | undefined => require(path.join(__dirname, '..', 'examples', file))[cls];
  const examples: Array<{ file: string; cls: string }> = [
    { file: 'seed-chain', cls: 'SeedChain' },
    { file: 'ci-pipeline', cls: 'CiPipeline' },
    { file: 'job-with-db', cls: 'JobWithDb' },
    { file: 'local-diamond', cls: 'LocalDiamond' },
  ];
  for (const ex of examples) {
    const name = `example ${ex.file} (examples/${ex.file}.ts)`;
    try {
      const Cls = load(ex.file, ex.cls);
      if (!Cls) throw new Error(`examples/${ex.file}.ts exports no ${ex.cls}`);
      const app = new App();
      const chart = new Cls(app, ex.file);
      const w = chart.pod ?? chart.job;
      if (!w) throw new Error(`examples/${ex.file}.ts: ${ex.cls} has neither pod nor job`);
      const obj = chart.toJson().find((o: K8sObject) => o.kind === 'Pod' || o.kind === 'Job');
      const spec = podSpecOf(obj);
      const sumSpec = withDeclaredRequests(spec, w.steps);
      rows.push(resourceRow(name, spec, sumSpec, w.graph.peakRequests()));
    } catch (e) {
      rows.push({ graph: name, error: (e as Error).message.slice(0, 500) });
    }
  }
  return rows;
}

function resourceRow(name: string, peakSpec: K8sObject, sumSpec: K8sObject, graphPeak?: Record<string, string>,
  check?: { sumByDeclaredRequestsAgrees: boolean }): ResourceRow {
  const peak = { cpu: effectiveRequest(peakSpec, 'cpu'), memory: effectiveRequest(peakSpec, 'memory') };
  const sum = { cpu: effectiveRequest(sumSpec, 'cpu'), memory: effectiveRequest(sumSpec, 'memory') };
  const part = (k: 'cpu' | 'memory', f: (x: number) => string) =>
    sum[k] > 0 ? `${k} ${f(peak[k])} vs ${f(sum[k])} (x${(peak[k] / sum[k]).toFixed(2)})` : `${k}: none requested`;
  const measured = `${part('cpu', fmtCpu)}, ${part('memory', fmtMem)}`;
  console.error(`resources ${name}: ${measured}`);
  return {
    graph: name,
    steps: peakSpec.containers.length,
    peak,
    sum,
    graphPeakRequests: graphPeak,
    ...check,
    ratio_cpu: sum.cpu ? peak.cpu / sum.cpu : null,
    ratio_memory: sum.memory ? peak.memory / sum.memory : null,
    measured,
  };
}

function resourcesFigure(): NonNullable<SynthPart['resources']> {
  const rows: ResourceRow[] = exampleRows();
  for (const shape of shapes()) {
    try {
      const peak = synthShape(shape, ResourceStrategy.PEAK);
      const sum = synthShape(shape, ResourceStrategy.SUM);
      // cross-check of the method used for the examples: declared requests put back = SUM
      const rebuilt = withDeclaredRequests(peak.spec, peak.steps);
      const check = {
        sumByDeclaredRequestsAgrees: effectiveRequest(rebuilt, 'cpu') === effectiveRequest(sum.spec, 'cpu')
          && effectiveRequest(rebuilt, 'memory') === effectiveRequest(sum.spec, 'memory'),
      };
      rows.push(resourceRow(shape.name, peak.spec, sum.spec, peak.peak, check));
    } catch (e) {
      console.error(`resources ${shape.name}: FAILED ${(e as Error).message}`);
      rows.push({ graph: shape.name, error: (e as Error).message.slice(0, 500) });
    }
  }
  return {
    how: 'pod effective request (Kubernetes rules: max(sum of containers + sidecars, largest init + earlier sidecars)) computed from the synthesised YAML, PEAK vs SUM',
    rows,
  };
}

/** `git ARGS` in the repository, or undefined without git. */
function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function main() {
  const out = process.argv[2];
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'synth,resources';
  if (!out) throw new Error('usage: synth.ts OUT.json [--quick] [--only=synth,resources]');
  const loadavgAtStart = os.loadavg().map((x) => +x.toFixed(2));
  const resources = only.includes('resources') ? resourcesFigure() : undefined;
  const synth = only.includes('synth') ? synthFigure(quick) : undefined;
  const doc: SynthPart = {
    node: process.version,
    gcExposed: !!(globalThis as { gc?: unknown }).gc,
    machine: {
      date: new Date().toISOString(),
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadavgAtStart,
      loadavgAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
      gitCommit: git('rev-parse', '--short', 'HEAD'),
      uncommittedChangesInSrcOrBench: (git('status', '--porcelain', '--', '../src', '.') ?? '').split('\n')
        .some((l) => l.trim() && !l.includes('synth-results.json')),
      quick,
    },
    ...resources ? { resources } : {},
    ...synth ? { synth } : {},
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(doc, null, 2));
}

main();
