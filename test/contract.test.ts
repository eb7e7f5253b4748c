/**
 * The library's synthesised arguments, run through the real entrypoint binary: if a flag name, a
 * path convention or an exit code drifts on either side, this fails. The pod's containers are
 * played as host processes that share one directory tree standing in for the volumes.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OnError, RunIf, StepPod } from '../src';
import { container, kubeletExpand, synthPod } from './synth';
import { failedAttempts } from '../src/wire/attempts';

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
      // and as the kubelet does, $(VAR) in args is expanded from the container's env ($$ is $)
      const env = Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
      const args = [c.args[0], `-root=${root}`, ...c.args.slice(1).map((a: string) => kubeletExpand(a, env))];
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

  test('a retried step: its retry lines read back as its failed attempts (src/wire/attempts.ts, "Attempts while a step runs")', () => {
    const manifest = synthPod(pod => {
      pod.addStep('flaky', { image: 'unused', command: ['sh', '-c', 'exit 3'], retries: 2 });
    });
    const c = container(manifest, 'flaky');
    const root = path.join(work, 'retries');
    fs.mkdirSync(path.join(root, 'steps', 'flaky'), { recursive: true });
    const r = spawnSync(binary, [c.args[0], `-root=${root}`, ...c.args.slice(1)], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.status).toBe(3);
    const attempts = failedAttempts('flaky', r.stderr.split('\n').map(text => ({ text })));
    expect(attempts).toEqual([
      { attempt: 1, of: 3, exitCode: 3, backoffMs: 500 },
      { attempt: 2, of: 3, exitCode: 3, backoffMs: 1000 },
    ]);
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

  test('conditions, finally and results: every reason, exit code and value of the issue\'s pipeline', async () => {
    const sh = (name: string, script: string) => ['sh', '-c', `${script}; echo ${name} >> "$LOG"`];
    const manifest = synthPod(pod => {
      const build = pod.addStep('build', {
        image: 'unused',
        results: ['version', 'channel'],
        command: sh('build', 'echo 1.2.3 > "$CDK8S_STEPS_RESULTS/version"; printf stable > "$CDK8S_STEPS_RESULTS/channel"'),
      });
      const unit = pod.addStep('unit', { image: 'unused', command: sh('unit', 'exit 1'), dependsOn: [build] });
      pod.addStep('publish', { image: 'unused', command: sh('publish', 'true'), dependsOn: [unit], resultEnv: { VERSION: build.result('version') } });
      pod.addStep('upload', { image: 'unused', command: sh('upload', 'true'), dependsOn: [unit], runIf: RunIf.always() });
      // build is a transitive dependency only: read through -after
      pod.addStep('notify', {
        image: 'unused',
        command: sh('notify', 'echo "notify $VERSION" >> "$LOG"'),
        dependsOn: [unit],
        runIf: RunIf.anyFailed(),
        resultEnv: { VERSION: build.result('version') },
      });
      pod.addStep('deploy', {
        image: 'unused',
        command: sh('deploy', 'echo "deploy $CHANNEL" >> "$LOG"'),
        dependsOn: [build],
        runIf: RunIf.resultIn(build.result('channel'), ['stable', 'beta']),
        resultEnv: { CHANNEL: build.result('channel') },
      });
      const canary = pod.addStep('canary', { image: 'unused', command: sh('canary', 'true'), dependsOn: [build], runIf: RunIf.resultIn(build.result('channel'), ['canary']) });
      // a value with $ and $(VAR) reaches the wrapper verbatim through the kubelet's expansion
      const odd = pod.addStep('odd', { image: 'unused', results: ['v'], command: sh('odd', 'printf \'\\044(HOME)\\044\\044x\' > "$CDK8S_STEPS_RESULTS/v"') }); // \044 is $
      pod.addStep('dollar', {
        image: 'unused',
        command: sh('dollar', 'true'),
        dependsOn: [odd],
        envVariables: { HOME: { value: '/home' } },
        runIf: RunIf.resultIn(odd.result('v'), ['$(HOME)$$x']),
      });
      pod.addStep('after-canary', { image: 'unused', command: sh('after-canary', 'true'), dependsOn: [canary] });
      pod.addFinally('teardown', { image: 'unused', command: sh('teardown', 'true') });
    });
    const root = path.join(work, 'conditions');
    const results = await play(manifest, root);
    const log = fs.readFileSync(path.join(root, 'log'), 'utf8').trim().split('\n');
    expect(results.build).toMatchObject({ code: 0, report: { reason: 'Succeeded', results: { version: '1.2.3', channel: 'stable' } } });
    expect(results.unit).toMatchObject({ code: 1, report: { reason: 'Failed', exitCode: 1 } });
    expect(results.publish).toMatchObject({ code: 120, report: { reason: 'Skipped', exitCode: 120 } });
    for (const name of ['upload', 'notify', 'deploy', 'teardown', 'odd', 'dollar']) {
      expect({ name, ...results[name] }).toMatchObject({ name, code: 0, report: { reason: 'Succeeded' } });
    }
    // skipped by its condition, and only because of such a skip upstream: exit 0
    expect(results.canary).toMatchObject({ code: 0, report: { reason: 'Skipped', exitCode: 0 } });
    expect(results.canary.report.message).toMatch(/channel[^]*stable/);
    expect(results['after-canary']).toMatchObject({ code: 0, report: { reason: 'Skipped', exitCode: 0 } });
    expect(results.odd.report.results).toEqual({ v: '$(HOME)$$x' });
    expect(log).toContain('notify 1.2.3');
    expect(log).toContain('deploy stable');
    expect(log).not.toContain('publish');
    expect(log).not.toContain('canary');
    expect(log[log.length - 1]).toBe('teardown');
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
