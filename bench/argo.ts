/**
 * Figure 9 (issue 19): the Argo target at 200, 1 000 and 2 000 steps, in-process, public API only.
 *
 *   node --expose-gc -r ts-node/register bench/argo.ts [OUT.json] [--quick]
 *   (TS_NODE_PROJECT=bench/tsconfig.json; bench/run.sh writes bench/argo-results.json)
 *
 * For three shapes — a fan-out/fan-in (`setup -> n-2 tests -> report`), a chain, and a random DAG
 * (fixed seed, average in-degree 3, bench/lib.ts) — of 200, 1 000 and 2 000 steps, each step
 * `busybox:1.36` running `sh -c "echo step <i>"`, names of 10 characters (`step-00042`):
 * - the time to construct a StepWorkflow and synthesise it to YAML (`app.synthYaml()`), median of
 *   several repetitions after a warm-up, with a GC between them;
 * - the Workflow's size (JSON as written, YAML) and what the limit check adds for the node
 *   status of one run (`statusModel`, compressed as the controller stores it);
 * - its templates (all, container templates), the tasks of the entry DAG, the largest DAG, the
 *   nested DAGs;
 * - the limits it breaks (`limitProblems()`): a refused Workflow is timed with checkLimits: false;
 * - (not with --quick) the largest fan-out/fan-in and chain that break no limit, to 100 steps.
 * Nothing here runs on an Argo controller: the sizes are those of the object we write.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { median, randomDag } from './lib';
import { Step, StepWorkflow } from '../src';
import { statusModel } from '../src/argo/limits';

/** `global.gc` when node runs with --expose-gc (run.sh does), else nothing. */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const now = () => Number(process.hrtime.bigint()) / 1e6;

type Shape = 'fan-out/fan-in' | 'chain' | 'random (in-degree 3)';
const SHAPES: Shape[] = ['fan-out/fan-in', 'chain', 'random (in-degree 3)'];

/** Dependencies (indexes of earlier steps) of each step of a shape. */
function depsOf(shape: Shape, n: number): number[][] {
  if (shape === 'chain') return Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]));
  if (shape === 'fan-out/fan-in') {
    return Array.from({ length: n }, (_, i) => (i === 0 ? [] : i < n - 1 ? [0] : Array.from({ length: n - 2 }, (__, k) => k + 1)));
  }
  return randomDag(n, 3, 42).deps;
}

const stepName = (i: number) => `step-${String(i).padStart(5, '0')}`;

function build(deps: number[][]): { app: App; wf: StepWorkflow } {
  const app = new App();
  const chart = new Chart(app, 'bench');
  const wf = new StepWorkflow(chart, 'wf', { checkLimits: false });
  const steps: Step[] = [];
  deps.forEach((d, i) => steps.push(wf.addStep(stepName(i), { image: 'busybox:1.36', command: ['sh', '-c', `echo step ${i}`], dependsOn: d.map(j => steps[j]) })));
  return { app, wf };
}

function measure(shape: Shape, n: number, reps: number) {
  const deps = depsOf(shape, n);
  const times: number[] = [];
  let yaml = '';
  for (let r = 0; r < reps; r++) {
    gc();
    const t = now();
    const { app } = build(deps);
    yaml = app.synthYaml();
    times.push(now() - t);
  }
  const { app, wf } = build(deps);
  const [w] = app.charts[0].toJson();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Workflow as cdk8s writes it: plain JSON, only name/dag read here
  const templates: any[] = w.spec.templates;
  const dags = templates.filter(t => t.dag);
  const entry = dags.find(t => t.name === w.spec.entrypoint);
  const written = Buffer.byteLength(JSON.stringify(w));
  const status = statusModel(w);
  const problems = wf.limitProblems();
  return {
    shape,
    steps: n,
    edges: deps.reduce((s, d) => s + d.length, 0),
    synth_ms: { median: median(times), min: Math.min(...times), reps: times.length },
    json_bytes: written,
    yaml_bytes: Buffer.byteLength(yaml),
    status: { nodes: status.nodes, json_bytes: status.nodesJson, compressed_bytes: status.nodesCompressed, other_bytes: status.fixed },
    /** What the MAX_WORKFLOW_SIZE check measures: written + status (compressed once the plain one exceeds 1 MiB). */
    workflow_with_status_bytes: written + status.fixed
      + (written + status.fixed + status.nodesJson <= 1024 * 1024 ? status.nodesJson : status.nodesCompressed),
    templates: templates.length,
    container_templates: templates.filter(t => t.container).length,
    entry_dag_tasks: entry.dag.tasks.length,
    largest_dag_tasks: Math.max(...dags.map(t => t.dag.tasks.length)),
    nested_dags: dags.length - 1,
    limits: problems.length === 0 ? 'within' : problems.map(p => `${p.limit}: ${p.size} > ${p.maximum}`).join('; '),
  };
}

/**
 * The largest number of steps (to the nearest 100) of a shape whose Workflow breaks no limit:
 * where the scale-out ends without a larger MAX_WORKFLOW_SIZE or node status offloading.
 */
function largestFitting(shape: Shape, from: number): { steps: number; limit: string } {
  const fits = (n: number) => build(depsOf(shape, n)).wf.limitProblems();
  let lo = from;
  let hi = from * 2;
  while (fits(hi).length === 0) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 100) {
    const mid = Math.round((lo + hi) / 200) * 100;
    if (fits(mid).length === 0) lo = mid;
    else hi = mid;
  }
  return { steps: lo, limit: fits(hi).map(p => p.limit).join(', ') };
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const out = args.find(a => !a.startsWith('--')) ?? path.join(__dirname, 'argo-results.json');
  const sizes = [200, 1000, 2000];
  const reps: Record<number, number> = quick ? { 200: 2, 1000: 1, 2000: 1 } : { 200: 9, 1000: 5, 2000: 3 };
  // warm-up (JIT), every shape
  for (const shape of SHAPES) measure(shape, 200, 3);
  const loadStart = os.loadavg();
  const rows = SHAPES.flatMap(shape => sizes.map(n => measure(shape, n, reps[n])));
  // where the two shapes that nest stop fitting (not in the smoke run: it builds Workflows of several thousand steps)
  const largest = quick ? undefined : Object.fromEntries((['fan-out/fan-in', 'chain'] as Shape[]).map(shape => [shape, largestFitting(shape, 2000)]));
  const doc = {
    about: 'Figure 9 (issue 19): StepWorkflow synthesis at 200/1 000/2 000 steps. Regenerate: bash bench/run.sh, or '
      + 'TS_NODE_PROJECT=bench/tsconfig.json TS_NODE_TRANSPILE_ONLY=1 node --expose-gc -r ts-node/register bench/argo.ts. No Argo controller involved.',
    machine: {
      date: new Date().toISOString(),
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      loadavgAtStart: loadStart.map(x => +x.toFixed(2)),
      loadavgAtEnd: os.loadavg().map(x => +x.toFixed(2)),
      gitCommit: git('rev-parse', '--short', 'HEAD'),
      uncommittedChangesInSrcOrBench: (git('status', '--porcelain', '--', 'src', 'bench') ?? '').split('\n').some(l => l.trim() && !l.includes('argo-results')),
      quick,
    },
    rows,
    largest_fitting: largest,
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  console.log('shape                  steps  synth (median)  JSON      +status   templates  entry/largest DAG  nested  limits');
  for (const r of rows) {
    console.log(`${r.shape.padEnd(22)} ${String(r.steps).padStart(5)}  ${r.synth_ms.median.toFixed(0).padStart(8)} ms     ${kib(r.json_bytes).padStart(8)}  `
      + `${kib(r.workflow_with_status_bytes).padStart(8)}  ${String(r.templates).padStart(5)} (${r.container_templates})  `
      + `${String(r.entry_dag_tasks).padStart(6)}/${String(r.largest_dag_tasks).padEnd(6)}     ${String(r.nested_dags).padStart(5)}   ${r.limits}`);
  }
  for (const [shape, l] of Object.entries(largest ?? {})) console.log(`${shape}: fits up to ${l.steps} steps; ${l.steps + 100} break ${l.limit}`);
  console.log(`written: ${path.relative(process.cwd(), out)}`);
}

main();
