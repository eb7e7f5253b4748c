/**
 * The library's synthesised arguments, run through the real entrypoint binary: if a flag name, a
 * path convention or an exit code drifts on either side, this fails. The pod's containers are
 * played as host processes that share one directory tree standing in for the volumes.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OnError, StepPod } from '../src';
import { container, synthPod } from './synth';

const REPO = path.resolve(__dirname, '..');
const haveGo = (() => {
  try { execFileSync('go', ['version']); return true; } catch { return false; }
})();
if (!haveGo) {
  const message = 'SKIPPED test/contract.test.ts: no Go toolchain (apt-get install golang-go) to build the entrypoint';
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${message}; under CI this is a failure`);
  console.warn(message);
}
const describeWithGo = haveGo ? describe : describe.skip;

describeWithGo('synthesised flags against the real entrypoint', () => {
  let work: string;
  let binary: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-contract-'));
    binary = path.join(work, 'entrypoint');
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: path.join(REPO, 'entrypoint-image'), env: { ...process.env, CGO_ENABLED: '0' } });
  }, 180_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** Runs every step container of `manifest` at once, as the kubelet would, with /cdk8s-steps mapped into `root`. */
  async function play(manifest: any, root: string): Promise<Record<string, { code: number; report: any }>> {
    fs.mkdirSync(path.join(root, 'abort'), { recursive: true });
    const names: string[] = manifest.spec.containers.map((c: any) => c.name);
    for (const name of names) fs.mkdirSync(path.join(root, 'steps', name), { recursive: true });
    const results = await Promise.all(names.map(name => new Promise<[string, number]>(resolve => {
      const c = container(manifest, name);
      expect(c.command).toEqual(['/cdk8s-steps/bin/entrypoint']);
      expect(c.args[0]).toBe('-contract=2');
      // the binary derives every path from the step names and one root (-root, docs/contract.md)
      const args = [c.args[0], `-root=${root}`, ...c.args.slice(1)];
      const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, LOG: path.join(root, 'log') } });
      child.on('exit', code => resolve([name, code ?? -1]));
    })));
    return Object.fromEntries(results.map(([name, code]) => {
      const report = JSON.parse(fs.readFileSync(path.join(root, 'steps', name, 'report'), 'utf8'));
      return [name, { code, report }];
    }));
  }

  const step = (pod: StepPod, name: string, script: string, deps: any[] = [], onError?: OnError) =>
    pod.addStep(name, { image: 'unused', command: ['sh', '-c', `${script}; echo ${name} >> "$LOG"`], dependsOn: deps, onError });

  test('a diamond runs in order and every step reports Succeeded', async () => {
    const manifest = synthPod(pod => {
      const a = step(pod, 'a', 'sleep 0.2');
      const b = step(pod, 'b', 'true', [a]);
      const c = step(pod, 'c', 'true', [a]);
      step(pod, 'd', 'true', [b, c]);
    });
    const root = path.join(work, 'diamond');
    const results = await play(manifest, root);
    const order = fs.readFileSync(path.join(root, 'log'), 'utf8').trim().split('\n');
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('d');
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(results[name].code).toBe(0);
      expect(results[name].report).toMatchObject({ step: name, reason: 'Succeeded', exitCode: 0, attempts: 1 });
      expect(fs.existsSync(path.join(root, 'steps', name, 'done'))).toBe(true);
    }
  }, 60_000);

  test('a failure skips its dependents only; onError CONTINUE lets them run', async () => {
    const manifest = synthPod(pod => {
      const a = step(pod, 'a', 'exit 3');
      step(pod, 'b', 'true', [a]);
      const c = step(pod, 'c', 'exit 4', [], OnError.CONTINUE);
      step(pod, 'd', 'true', [c]);
      step(pod, 'e', 'true');
    });
    const results = await play(manifest, path.join(work, 'failure'));
    expect(results.a).toMatchObject({ code: 3, report: { reason: 'Failed', exitCode: 3 } });
    expect(results.b).toMatchObject({ code: 120, report: { reason: 'Skipped' } });
    expect(results.c).toMatchObject({ code: 0, report: { reason: 'Failed', exitCode: 4 } });
    expect(results.d).toMatchObject({ code: 0, report: { reason: 'Succeeded' } });
    expect(results.e).toMatchObject({ code: 0, report: { reason: 'Succeeded' } });
  }, 60_000);

  test('failFast aborts steps that had not started', async () => {
    const manifest = synthPod(pod => {
      // a fails only once slow's command is running, so slow is never aborted by a race
      const a = step(pod, 'a', 'until [ -e "$LOG.slow" ]; do sleep 0.01; done; exit 1');
      const slow = step(pod, 'slow', 'touch "$LOG.slow"; sleep 0.5');
      step(pod, 'after', 'true', [slow]);
      void a;
    }, { failFast: true });
    const results = await play(manifest, path.join(work, 'failfast'));
    expect(results.a.report.reason).toBe('Failed');
    expect(results.slow.report.reason).toBe('Succeeded'); // already running: not killed
    expect(results.after).toMatchObject({ code: 122, report: { reason: 'Aborted' } });
  }, 60_000);

  test('every report fits the termination-message budget the library synthesised', async () => {
    const manifest = synthPod(pod => {
      const a = step(pod, 'a', 'exit 3');
      step(pod, 'b', 'true', [a]);
      step(pod, 'c', 'true');
      // plain initContainers only count: 300 of them + the copy container + 3 steps = 304 containers
      for (let i = 0; i < 300; i++) pod.addInitContainer({ name: `i${i}`, image: 'unused' });
    });
    const budget = Number(container(manifest, 'a').args.find((x: string) => x.startsWith('-budget=')).slice('-budget='.length));
    expect(budget).toBe(Math.floor(12288 / 304));
    const root = path.join(work, 'budget');
    const results = await play(manifest, root);
    for (const name of ['a', 'b', 'c']) {
      expect(fs.statSync(path.join(root, 'steps', name, 'report')).size).toBeLessThanOrEqual(budget);
    }
    expect(results.a).toMatchObject({ code: 3, report: { reason: 'Failed', exitCode: 3 } });
    expect(results.b).toMatchObject({ code: 120, report: { reason: 'Skipped', exitCode: 120 } });
    expect(results.c).toMatchObject({ code: 0, report: { reason: 'Succeeded', exitCode: 0 } });
  }, 60_000);
});
