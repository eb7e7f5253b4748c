/**
 * Figure 5's workload, before and after: the library at git revision REV (its `src/` exported into
 * $TMPDIR/cdk8s-steps-synth-ab/REV/, outside what the tests lint and type-check, with this
 * checkout's node_modules linked in) against the working tree's, a plain cdk8s-plus Pod and the two
 * floors of the working tree's StepPod (its finished manifest as a plain ApiObject, cdk8s alone;
 * its finished PodSpec in a cdk8s-plus Pod, bench/floors.ts), interleaved in one
 * process in a new random order every round, each timed by the process's CPU time (other processes
 * on a shared machine disturb it less than wall time). Run with one GC thread, so that the CPU
 * time counts this synthesis and not the parallel helpers' spinning:
 *
 *   TS_NODE_PROJECT=bench/tsconfig.json TS_NODE_TRANSPILE_ONLY=1 \
 *     node --single-threaded --expose-gc -r ts-node/register bench/synth-ab.ts REV [10,100,1000,5000] [SCALE]
 *
 * SCALE multiplies the repetitions (60, 30, 9, 5 by size). Prints, per size, the medians and their
 * ratio to the plain Pod, and the YAML sizes. Nothing is written but the export.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { kplusFloorOf } from './floors';
import { median, randomDag, Dag } from './lib';
import * as current from '../src';

/** The part of the package both trees export that the workload uses. */
type Library = Pick<typeof current, 'StepPod'>;

const ROOT = path.join(__dirname, '..');
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const stepName = (i: number) => `s${String(i).padStart(4, '0')}`;

/** `src/` (and the package.json it reads its version from) of REV, exported once. */
function exportRevision(rev: string): Library {
  const commit = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = path.join(os.tmpdir(), 'cdk8s-steps-synth-ab', commit);
  if (!fs.existsSync(path.join(dir, 'src', 'index.ts'))) {
    fs.mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', commit, 'src', 'package.json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a tree known only at run time
  return require(path.join(dir, 'src'));
}

function stepPod(lib: Library, dag: Dag, checkLimits: boolean): () => string {
  return () => stepPodApp(lib, dag, checkLimits).synthYaml();
}

function stepPodApp(lib: Library, dag: Dag, checkLimits: boolean): App {
  const app = new App();
  const pod = new lib.StepPod(new Chart(app, 'bench'), 'pod', { checkLimits });
  const steps: current.Step[] = [];
  for (let j = 0; j < dag.n; j++) {
    steps.push(pod.addStep(stepName(j), { image: 'busybox:1.36', command: ['sh', '-c', `echo step ${j}`], dependsOn: dag.deps[j].map((i) => steps[i]) }));
  }
  return app;
}

/** The StepPod's finished manifest written by cdk8s alone, as a plain ApiObject (synth.ts' floor). */
function cdk8sFloor(dag: Dag, checkLimits: boolean): () => string {
  const { apiVersion, kind, metadata, ...rest } = stepPodApp(current, dag, checkLimits).charts[0].toJson()[0];
  return () => {
    const app = new App();
    new ApiObject(new Chart(app, 'bench'), 'floor', { apiVersion, kind, metadata, ...rest });
    return app.synthYaml();
  };
}

function plainPod(dag: Dag): () => string {
  return () => {
    const app = new App();
    const pod = new kplus.Pod(new Chart(app, 'bench'), 'pod', { restartPolicy: kplus.RestartPolicy.NEVER });
    for (let j = 0; j < dag.n; j++) pod.addContainer({ name: stepName(j), image: 'busybox:1.36', command: ['sh', '-c', `echo step ${j}`] });
    return app.synthYaml();
  };
}

function main(): void {
  const [rev, sizeList = '10,100,1000,5000', scaleArg = '1'] = process.argv.slice(2);
  if (!rev) throw new Error('usage: synth-ab.ts REV [SIZES] [SCALE]');
  process.env.CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING = '1';
  const before = exportRevision(rev);
  for (const n of sizeList.split(',').map(Number)) {
    const dag = randomDag(n, 3, 42);
    let checkLimits = true; // as synth.ts: a pod over a limit is timed without the check
    try {
      stepPod(current, dag, true)();
    } catch {
      checkLimits = false;
    }
    const fns: Record<string, () => string> = {
      plain: plainPod(dag),
      [rev]: stepPod(before, dag, checkLimits),
      now: stepPod(current, dag, checkLimits),
      floor: cdk8sFloor(dag, checkLimits),
      kplusFloor: kplusFloorOf(() => stepPodApp(current, dag, checkLimits)),
    };
    for (let w = 0; w < 2; w++) for (const f of Object.values(fns)) f();
    const reps = Math.max(3, Math.round(Number(scaleArg) * (n <= 10 ? 60 : n <= 100 ? 30 : n <= 1000 ? 9 : 5)));
    const cpu: Record<string, number[]> = {};
    const bytes: Record<string, number> = {};
    for (let r = 0; r < reps; r++) {
      const order = Object.keys(fns).map((k) => ({ k, key: Math.random() })).sort((a, b) => a.key - b.key).map((o) => o.k);
      for (const k of order) {
        gc();
        const t = cpuNow();
        bytes[k] = fns[k]().length;
        (cpu[k] ??= []).push(cpuNow() - t);
      }
    }
    const plain = median(cpu.plain);
    console.log(`${n} steps (checkLimits ${checkLimits}, ${reps} rounds): `
      + Object.keys(fns).map((k) => `${k} ${median(cpu[k]).toFixed(1)} ms CPU = ${(median(cpu[k]) / plain).toFixed(2)}x, YAML ${bytes[k]} B`).join('; ')
      + `; now / ${rev} = ${(median(cpu.now) / median(cpu[rev])).toFixed(2)}`);
  }
}

main();
