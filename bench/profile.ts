/**
 * Where figure 5's synthesis time goes: the same workload as bench/synth.ts (a random DAG, seed 42,
 * average in-degree 3, `app.synthYaml()`), profiled with node's own sampling profiler, and the
 * profile summed by whose code was running.
 *
 *   TS_NODE_PROJECT=bench/tsconfig.json TS_NODE_TRANSPILE_ONLY=1 \
 *     node --expose-gc --cpu-prof --cpu-prof-dir=bench/out/prof -r ts-node/register \
 *     bench/profile.ts run 1000 [REPS] [steps|plain|floor|kplus]
 *   TS_NODE_PROJECT=bench/tsconfig.json node -r ts-node/register bench/profile.ts summarise bench/out/prof/FILE.cpuprofile [REPS]
 *
 * `run` warms up (3 rounds on the same graph), then synthesises REPS times (default 5) inside
 * `timedRound`, with a GC before each: the StepPod (`steps`), the plain cdk8s-plus Pod (`plain`) or
 * synth.ts' floor (`floor`: the StepPod's finished manifest as a plain ApiObject) or the kplus
 * floor (`kplus`: the StepPod's finished PodSpec in a plain cdk8s-plus Pod, bench/floors.ts). Like synth.ts, a
 * StepPod that breaks a Kubernetes limit (from about 500 steps) is timed with `checkLimits: false`,
 * any other with the check. `summarise` (REPS: the rounds `run` timed, to give figures per round)
 * counts only the samples taken inside `timedRound` (module loading, ts-node's compilation and the
 * warm-up are left out) and garbage-collector samples taken while a timed round ran, and sums them
 * per bucket: the innermost frame of the stack that belongs to a known place decides (so
 * cdk8s-plus code our transformation calls counts as cdk8s-plus, and our code that cdk8s calls
 * back, such as `_toPodSpec`, counts as ours).
 */
import * as fs from 'fs';
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { kplusFloorOf } from './floors';
import { randomDag, Dag } from './lib';
import { Step, StepPod } from '../src';

/** A bucket: a name and how to recognise one of its frames (by script path and function). */
interface Bucket { readonly name: string; readonly match: (url: string, fn: string) => boolean }

const ours = (file: RegExp) => (url: string) => /\/src\//.test(url) && file.test(url);
/** Innermost first wins, but the list order breaks ties within one frame. */
const BUCKETS: Bucket[] = [
  { name: 'YAML serialisation (the yaml package, through cdk8s Yaml.stringify)', match: (url) => /\/yaml\/dist\//.test(url) || /cdk8s\/lib\/yaml\.js$/.test(url) },
  { name: 'cdk8s resolve (Lazy values, tokens) and sanitize', match: (url) => /cdk8s\/lib\/(resolve|_util|lazy|tokens?)[^/]*\.js$/.test(url) || /cdk8s\/lib\/_tokens\//.test(url) },
  { name: 'cdk8s-plus k8s.js toJson_* (props -> API JSON)', match: (url) => /cdk8s-plus-33\/lib\/imports\/k8s\.js$/.test(url) },
  { name: 'cdk8s ApiObject/Chart/App (toJson, validate, synth)', match: (url) => /\/cdk8s\/lib\//.test(url) },
  { name: 'cdk8s-plus building the pod and its containers', match: (url) => /cdk8s-plus-33\/lib\//.test(url) },
  { name: 'constructs (tree, validations)', match: (url) => /\/constructs\/lib\//.test(url) },
  { name: 'ours: pod transformation (src/pod/transform.ts, src/wire/)', match: ours(/src\/(pod\/transform|wire\/)/) },
  { name: 'ours: PEAK requests and the graph (src/graph/, src/pod/resources.ts, pod-level.ts)', match: ours(/src\/(graph\/|pod\/resources|pod\/pod-level)/) },
  { name: 'ours: limit check (src/pod/limits.ts)', match: ours(/src\/pod\/limits/) },
  { name: 'ours: validation (src/rules/, src/pod/volumes.ts, users.ts)', match: ours(/src\/(rules\/|pod\/volumes|pod\/users)/) },
  { name: 'ours: constructs (src/step-host.ts, step.ts, step-pod.ts, plan.ts, ...)', match: ours(/./) },
  { name: 'the benchmark itself (building the DAG\'s steps)', match: (url) => /\/bench\//.test(url) },
];
const GC = 'garbage collector (while a timed round ran)';
const OTHER = 'other (node internals, frames without a script)';

const stepName = (i: number) => `s${String(i).padStart(4, '0')}`;

function buildSteps(dag: Dag, checkLimits: boolean): App {
  const app = new App();
  const pod = new StepPod(new Chart(app, 'bench'), 'pod', { checkLimits });
  const steps: Step[] = [];
  for (let j = 0; j < dag.n; j++) {
    steps.push(pod.addStep(stepName(j), { image: 'busybox:1.36', command: ['sh', '-c', `echo step ${j}`], dependsOn: dag.deps[j].map((i) => steps[i]) }));
  }
  return app;
}

function buildPlain(dag: Dag): App {
  const app = new App();
  const pod = new kplus.Pod(new Chart(app, 'bench'), 'pod', { restartPolicy: kplus.RestartPolicy.NEVER });
  for (let j = 0; j < dag.n; j++) pod.addContainer({ name: stepName(j), image: 'busybox:1.36', command: ['sh', '-c', `echo step ${j}`] });
  return app;
}

/** The StepPod's finished manifest as a plain ApiObject: what cdk8s alone pays to write it (synth.ts' floor). */
function buildFloor(dag: Dag, checkLimits: boolean): () => App {
  const doc = buildSteps(dag, checkLimits).charts[0].toJson()[0];
  const { apiVersion, kind, metadata, ...rest } = doc;
  return () => {
    const app = new App();
    new ApiObject(new Chart(app, 'bench'), 'floor', { apiVersion, kind, metadata, ...rest });
    return app;
  };
}

/** The function whose frames mark a timed round in the profile (`summarise` looks for its name). */
function timedRound(synth: () => string): number {
  return synth().length;
}

/**
 * Spins for 5 ms between a forced GC and the next round, so that samples of this function separate
 * the GC from the round (`summarise` counts a GC sample only between two samples of one round).
 */
function pause(): void {
  const end = process.hrtime.bigint() + 5_000_000n;
  while (process.hrtime.bigint() < end);
}

function run(n: number, reps: number, kind: string): void {
  process.env.CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING = '1';
  const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const dag = randomDag(n, 3, 42);
  // as synth.ts: with the limit check, unless the pod breaks a limit (then timed without it)
  let check = true;
  try {
    buildSteps(dag, true).synthYaml();
  } catch {
    check = false;
  }
  const build = kind === 'plain' ? () => buildPlain(dag) : kind === 'floor' ? buildFloor(dag, check) : () => buildSteps(dag, check);
  const synth = kind === 'kplus' ? kplusFloorOf(() => buildSteps(dag, check)) : () => build().synthYaml();
  for (let i = 0; i < 3; i++) synth();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    gc();
    pause();
    const t = process.hrtime.bigint();
    timedRound(synth);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.error(`${kind} n=${n}${kind === 'steps' ? `, checkLimits: ${check}` : ''}: ${ms.map((x) => x.toFixed(0)).join(' ')} ms`);
}

/** The parts of a .cpuprofile (Chrome DevTools' Profiler.Profile) that the summary reads. */
interface CpuProfile {
  readonly nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

function summarise(file: string, rounds: number): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  // each node's bucket (innermost known frame) and whether it is inside a timed round
  const bucketOf = new Map<number, string>();
  const timed = new Map<number, boolean>();
  const classify = (id: number): [string, boolean] => {
    if (bucketOf.has(id)) return [bucketOf.get(id)!, timed.get(id)!];
    const node = byId.get(id)!;
    const up = parent.get(id);
    const [outer, inRound] = up === undefined ? [OTHER, false] : classify(up);
    const { url, functionName } = node.callFrame;
    const own = node.callFrame.functionName === '(garbage collector)' ? GC
      : url ? BUCKETS.find((b) => b.match(url, functionName))?.name : undefined;
    const result: [string, boolean] = [own ?? outer, inRound || functionName === 'timedRound'];
    bucketOf.set(id, result[0]);
    timed.set(id, result[1]);
    return result;
  };
  // a GC sample counts when it falls between a timed round's first and last sample
  const totals = new Map<string, number>();
  let t = 0;
  let inRound = false;
  let gcPending = 0;
  let roundMs = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    const [bucket, isTimed] = classify(id);
    if (bucket === GC) {
      if (inRound) gcPending += dt;
      return;
    }
    if (isTimed) {
      totals.set(bucket, (totals.get(bucket) ?? 0) + dt);
      totals.set(GC, (totals.get(GC) ?? 0) + gcPending);
      roundMs += dt + gcPending;
    }
    gcPending = 0;
    inRound = isTimed;
  });
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  console.log(`${file}: ${(roundMs / rounds).toFixed(1)} ms of samples per timed round (${rounds} rounds)`);
  for (const [bucket, ms] of rows) {
    console.log(`${(ms / rounds).toFixed(1).padStart(8)} ms ${(100 * ms / roundMs).toFixed(1).padStart(5)} %  ${bucket}`);
  }
}

function main(): void {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === 'run') run(Number(a ?? 1000), Number(b ?? 5), c ?? 'steps');
  else if (mode === 'summarise' && a) summarise(a, Number(b ?? 5));
  else throw new Error('usage: profile.ts run N [REPS] [steps|plain|floor] | profile.ts summarise FILE.cpuprofile [REPS]');
}

main();
