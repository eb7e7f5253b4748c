/**
 * End-to-end: pods synthesised with the public API run for real in podman (`podman kube play`),
 * with the real entrypoint image. See issue "Run the synthesised pods for real" and
 * docs/contract.md for the paths, reasons and exit codes asserted here.
 *
 * All scenarios live in this one file so that jest runs them one after another (the harness also
 * serialises pods machine-wide with a lock). Steps stamp their start and end in nanoseconds into
 * /workspace/stamps (test/e2e/step-image/stamp.go); order assertions use those stamps.
 *
 * Without podman the suite is skipped with a loud warning, except under CI=true|1 where a missing
 * podman fails the run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Testing } from 'cdk8s';
import { ImagePullPolicy } from 'cdk8s-plus-33';
import * as YAML from 'yaml';
import { e2eJob, e2ePod, newChart, shStep, synth } from './fixtures';
import { ensureImages, STEP_IMAGE } from './images';
import { buildApp } from '../../examples/main';
import { TestReport } from '../../examples/test-report';
import { OnError, Step } from '../../src';
import { describeContainers, isCI, PodResult, podmanStatus, runPod, sweepLeftovers, WORK_DIR } from '../../src/local';

const podmanState = podmanStatus();

if (!podmanState.available) {
  const banner = [
    '',
    '############################################################################',
    `# e2e SKIPPED: ${podmanState.reason}`,
    '# The podman end-to-end suite (test/e2e/scenarios.test.ts) did NOT run.',
    '# Install it: apt-get install -y podman runc busybox-static golang-go',
    '# Under CI=true a missing podman is a failure, not a skip.',
    '############################################################################',
    '',
  ].join('\n');
  if (isCI()) {
    describe('e2e in podman', () => {
      test('podman is available (required under CI)', () => {
        throw new Error(`podman is required under CI: ${podmanState.reason}`);
      });
    });
  } else {
    console.warn(banner);
  }
}

const e2e = podmanState.available ? describe : describe.skip;

/** Generous bound for one pod (kube play to last exit); a hang fails the test with every container's state. */
const POD_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;

/** Runs assertions; on failure adds every container's state and logs to the message. */
function check(r: PodResult, assertions: () => void): void {
  try {
    assertions();
  } catch (e) {
    const err = e as Error;
    err.message += `\n\npod ${r.podName} (${r.phase}, ${r.elapsedMs} ms):\n${describeContainers(r.containers)}\nstamps: ${r.stamps.map((s) => s.label).join(' ')}`;
    throw err;
  }
}

/** The step's container exit code and its report's reason and exit code. */
function outcome(r: PodResult, step: string) {
  const c = r.container(step);
  return { step, containerExit: c.exitCode, reason: c.report?.reason, reportExit: c.report?.exitCode };
}

/** `later` started after `earlier` ended (nanosecond stamps). */
function expectAfter(r: PodResult, earlier: string, later: string): void {
  const end = r.stampsOf(`${earlier}.end`);
  const start = r.stampsOf(`${later}.start`);
  expect({ [`${earlier}.end`]: end.length, [`${later}.start`]: start.length }).toEqual({ [`${earlier}.end`]: 1, [`${later}.start`]: 1 });
  if (start[0] < end[0]) {
    throw new Error(`${later} started ${Number(end[0] - start[0]) / 1e6} ms before ${earlier} ended`);
  }
}

/** Every interval [x.start, x.end] of `steps` overlaps every other: they ran at the same time. */
function expectAllOverlap(r: PodResult, steps: string[]): void {
  const latestStart = Math.max(...steps.map((s) => r.at(`${s}.start`)));
  const earliestEnd = Math.min(...steps.map((s) => r.at(`${s}.end`)));
  if (!(latestStart < earliestEnd)) {
    throw new Error(`${steps.join(', ')} did not all run at the same time: last start at ${latestStart.toFixed(1)} ms, first end at ${earliestEnd.toFixed(1)} ms`);
  }
}

/** The step's command never ran (no start stamp). */
function expectNeverRan(r: PodResult, step: string): void {
  expect({ step, started: r.has(`${step}.start`) }).toEqual({ step, started: false });
}

function stateFileNames(r: PodResult, step: string): string[] {
  return Object.keys(r.container(step).stateFiles).filter((f) => f === 'done' || f === 'done.err');
}

function nsToEpochMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

e2e('e2e in podman', () => {
  beforeAll(async () => {
    await sweepLeftovers();
    await ensureImages();
  }, 900_000);

  test('1. the seed\'s 3-step chain prints the seed\'s output in order (StepPod)', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'seed');
    const one = shStep(pod, 'one', 'echo step one\necho hello world');
    const two = shStep(pod, 'two', 'echo step two\necho fizz buzz', { dependsOn: [one] });
    shStep(pod, 'three', 'echo step three\necho lorem ipsum', { dependsOn: [two] });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      expect(r.container('one').stdout).toBe('step one\nhello world\n');
      expect(r.container('two').stdout).toBe('step two\nfizz buzz\n');
      expect(r.container('three').stdout).toBe('step three\nlorem ipsum\n');
      for (const s of ['one', 'two', 'three']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
        expect(r.report(s)).toMatchObject({ step: s, attempts: 1 });
        expect(stateFileNames(r, s)).toEqual(['done']);
        expect(JSON.parse(r.container(s).stateFiles.done)).toMatchObject({ step: s, reason: 'Succeeded' });
      }
      expectAfter(r, 'one', 'two');
      expectAfter(r, 'two', 'three');
    });
  }, TEST_TIMEOUT_MS);

  test('1b. the same chain as a StepJob (run as its pod template)', async () => {
    const chart = newChart();
    const job = e2eJob(chart, 'seed-job');
    const one = shStep(job, 'one', 'echo step one');
    const two = shStep(job, 'two', 'echo step two', { dependsOn: [one] });
    shStep(job, 'three', 'echo step three', { dependsOn: [two] });

    const manifest = synth(chart);
    expect(manifest.map((o) => o.kind)).toContain('Job');
    const r = await runPod(manifest, { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      for (const s of ['one', 'two', 'three']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
        expect(r.container(s).stdout).toBe(`step ${s}\n`);
      }
      expectAfter(r, 'one', 'two');
      expectAfter(r, 'two', 'three');
    });
  }, TEST_TIMEOUT_MS);

  test('2a. a diamond: d starts after both b and c ended; b and c overlap', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'diamond');
    // The root sleeps until every container is up (podman starts them one by one), so that b and c
    // start on a's hand-off, not on their container's start-up.
    const a = shStep(pod, 'a', 'sleep 1');
    const b = shStep(pod, 'b', 'sleep 1', { dependsOn: [a] });
    const c = shStep(pod, 'c', 'sleep 1', { dependsOn: [a] });
    shStep(pod, 'd', 'true', { dependsOn: [b, c] });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      for (const s of ['a', 'b', 'c', 'd']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      }
      expectAfter(r, 'a', 'b');
      expectAfter(r, 'a', 'c');
      expectAfter(r, 'b', 'd');
      expectAfter(r, 'c', 'd');
      expectAllOverlap(r, ['b', 'c']);
    });
  }, TEST_TIMEOUT_MS);

  test('2b. fan-out/fan-in of 6: all six run at the same time, the sink waits for all', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'fan');
    const src = shStep(pod, 'src', 'sleep 1.5'); // until every container is up, as in 2a
    const mids = [1, 2, 3, 4, 5, 6].map((i) => shStep(pod, `m${i}`, 'sleep 1.5', { dependsOn: [src] }));
    shStep(pod, 'sink', 'true', { dependsOn: mids });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    const names = mids.map((m) => m.name);
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      for (const s of ['src', ...names, 'sink']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      }
      for (const m of names) {
        expectAfter(r, 'src', m);
        expectAfter(r, m, 'sink');
      }
      expectAllOverlap(r, names);
    });
  }, TEST_TIMEOUT_MS);

  test('3a. a failing step: its transitive dependents are Skipped with .err, an independent branch still runs', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'failing');
    const a = shStep(pod, 'a');
    const bad = shStep(pod, 'bad', 'echo breaking >&2; exit 3', { dependsOn: [a] });
    const c = shStep(pod, 'c', 'true', { dependsOn: [bad] });
    shStep(pod, 'd', 'true', { dependsOn: [c] });
    shStep(pod, 'side', 'sleep 0.5', { dependsOn: [a] });
    shStep(pod, 'lone', 'true');

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Failed');
      expect(outcome(r, 'bad')).toEqual({ step: 'bad', containerExit: 3, reason: 'Failed', reportExit: 3 });
      expect(r.container('bad').logs).toContain('breaking');
      expect(stateFileNames(r, 'bad')).toEqual(['done.err']);
      for (const s of ['c', 'd']) {
        expect(outcome(r, s)).toMatchObject({ step: s, containerExit: 120, reason: 'Skipped' });
        expect(stateFileNames(r, s)).toEqual(['done.err']);
        expectNeverRan(r, s);
      }
      for (const s of ['a', 'side', 'lone']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
        expect(stateFileNames(r, s)).toEqual(['done']);
      }
      expectAfter(r, 'a', 'side');
    });
  }, TEST_TIMEOUT_MS);

  test('3b. failFast: after a failure, no step that had not started starts (Aborted); a started one finishes', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'failfast', { failFast: true });
    // `bad` fails only once `slow` has started, so that `slow` is deterministically "already running".
    const bad = shStep(pod, 'bad', 'until grep -q "^slow.start " /workspace/stamps 2>/dev/null; do sleep 0.05; done\nexit 1');
    const slow = shStep(pod, 'slow', 'sleep 2');
    shStep(pod, 'after', 'true', { dependsOn: [slow] });
    shStep(pod, 'dep', 'true', { dependsOn: [bad] });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Failed');
      expect(outcome(r, 'bad')).toEqual({ step: 'bad', containerExit: 1, reason: 'Failed', reportExit: 1 });
      expect(outcome(r, 'slow')).toEqual({ step: 'slow', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      expect(outcome(r, 'after')).toMatchObject({ step: 'after', containerExit: 122, reason: 'Aborted' });
      expect(stateFileNames(r, 'after')).toEqual(['done.err']);
      expectNeverRan(r, 'after');
      // A dependent of the failed step is Skipped, never Aborted, whichever it saw first (docs/contract.md).
      expect(outcome(r, 'dep')).toEqual({ step: 'dep', containerExit: 120, reason: 'Skipped', reportExit: 120 });
      expectNeverRan(r, 'dep');
    });
  }, TEST_TIMEOUT_MS);

  test('3c. one outcome per run: extract -> {clean (fails), validate} -> load -> report with failFast, five runs, identical reports', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'oneoutcome', { failFast: true });
    const extract = shStep(pod, 'extract');
    // `clean` fails once `validate` has started, so that `validate` is "already running" in every run:
    // the only thing failFast leaves to timing (docs/contract.md) is fixed, everything else must follow.
    const clean = shStep(pod, 'clean', 'until grep -q "^validate.start " /workspace/stamps 2>/dev/null; do sleep 0.05; done\nexit 1', { dependsOn: [extract] });
    const validate = shStep(pod, 'validate', 'sleep 0.5', { dependsOn: [extract] });
    const load = shStep(pod, 'load', 'true', { dependsOn: [clean, validate] });
    shStep(pod, 'report', 'true', { dependsOn: [load] });
    const manifest = synth(chart);

    const runs: Array<Record<string, [string | undefined, number | undefined]>> = [];
    for (let i = 0; i < 5; i++) {
      const r = await runPod(manifest, { timeoutMs: POD_TIMEOUT_MS });
      runs.push(Object.fromEntries(['extract', 'clean', 'validate', 'load', 'report']
        .map(s => [s, [r.report(s)?.reason, r.container(s).exitCode]])));
    }
    expect(runs[0]).toEqual({
      extract: ['Succeeded', 0], clean: ['Failed', 1], validate: ['Succeeded', 0], load: ['Skipped', 120], report: ['Skipped', 120],
    });
    for (const run of runs) expect(run).toEqual(runs[0]);
  }, 5 * TEST_TIMEOUT_MS);

  test('4. onError CONTINUE: the failure is reported, dependents run', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'continue');
    const a = shStep(pod, 'a');
    const lenient = shStep(pod, 'lenient', 'exit 7', { dependsOn: [a], onError: OnError.CONTINUE });
    shStep(pod, 'c', 'true', { dependsOn: [lenient] });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      // The container exits 0 (the failure does not fail the pod) but the report keeps the real code.
      expect(outcome(r, 'lenient')).toEqual({ step: 'lenient', containerExit: 0, reason: 'Failed', reportExit: 7 });
      expect(stateFileNames(r, 'lenient')).toEqual(['done']);
      expect(outcome(r, 'c')).toEqual({ step: 'c', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      expectAfter(r, 'lenient', 'c');
    });
  }, TEST_TIMEOUT_MS);

  test('5. a running step SIGKILLed from outside: its dependents end DependencyLost on the kill, no hang', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'killed');
    const a = shStep(pod, 'a');
    // A witness that runs next to the victim: the loss must be recorded before it ends. An ordering,
    // not a speed target (how fast a loss is noticed is bench figure 3).
    shStep(pod, 'witness', 'sleep 12', { dependsOn: [a] });
    const victim = shStep(pod, 'victim', 'sleep 120', { dependsOn: [a] });
    const dep = shStep(pod, 'dep', 'true', { dependsOn: [victim] });
    shStep(pod, 'dep2', 'true', { dependsOn: [dep] });
    shStep(pod, 'bystander', 'sleep 0.5', { dependsOn: [a] });

    let killedAt = 0;
    const r = await runPod(synth(chart), {
      timeoutMs: 45_000, // far below victim's 120 s: a hang until a deadline fails the test
      whileRunning: async (p) => {
        await p.waitFor('victim to start', async () => (await p.stamps()).some((s) => s.label === 'victim.start'));
        killedAt = await p.kill('victim');
      },
    });
    check(r, () => {
      expect(r.container('victim').exitCode).toBe(137);
      expect(r.container('victim').report).toBeUndefined();
      // It started (start marker) and left no completion record.
      expect(Object.keys(r.container('victim').stateFiles)).toContain('done.started');
      expect(stateFileNames(r, 'victim')).toEqual([]);

      expect(outcome(r, 'dep')).toMatchObject({ step: 'dep', containerExit: 121, reason: 'DependencyLost' });
      expect(stateFileNames(r, 'dep')).toEqual(['done.err']);
      expectNeverRan(r, 'dep');
      // Noticed on the kill, not at a deadline: before the witness, which started with the victim, ended.
      expect(Date.parse(r.report('dep').finishedAt!)).toBeGreaterThanOrEqual(killedAt);
      expect(Date.parse(r.report('dep').finishedAt!)).toBeLessThan(nsToEpochMs(r.stampsOf('witness.end')[0]));

      // The loss cascades through dep's .err.
      expect(['Skipped', 'DependencyLost']).toContain(r.report('dep2').reason);
      expect([120, 121]).toContain(r.container('dep2').exitCode);
      expectNeverRan(r, 'dep2');

      expect(outcome(r, 'bystander')).toEqual({ step: 'bystander', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
    });
  }, TEST_TIMEOUT_MS);

  test('5b. a step SIGKILLed while still waiting for its own dependency is detected too', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'killed-waiting');
    const gate = shStep(pod, 'gate', 'sleep 10');
    const waiter = shStep(pod, 'waiter', 'true', { dependsOn: [gate] });
    shStep(pod, 'next', 'true', { dependsOn: [waiter] });

    let killedAt = 0;
    const r = await runPod(synth(chart), {
      timeoutMs: 45_000,
      whileRunning: async (p) => {
        // The wrapper writes its start marker before it waits (docs/contract.md).
        await p.waitFor('waiter\'s start marker', async () => (await p.readFile('/cdk8s-steps/steps/waiter/done.started')) !== undefined);
        killedAt = await p.kill('waiter');
      },
    });
    check(r, () => {
      expect(r.has('gate.end')).toBe(true);
      const gateEndMs = nsToEpochMs(r.stampsOf('gate.end')[0]);
      expect(r.container('waiter').exitCode).toBe(137);
      expectNeverRan(r, 'waiter');
      expect(outcome(r, 'next')).toMatchObject({ step: 'next', containerExit: 121, reason: 'DependencyLost' });
      const lostAt = Date.parse(r.report('next').finishedAt!);
      // Detected on the kill, not after the gate (10 s) let the dead waiter's turn come. An ordering,
      // not a speed target (bench figure 3 measures how fast).
      expect(lostAt).toBeGreaterThanOrEqual(killedAt);
      expect(lostAt).toBeLessThan(gateEndMs);
      expect(outcome(r, 'gate')).toEqual({ step: 'gate', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
    });
  }, TEST_TIMEOUT_MS);

  test('6. timeout kills a sleeping step (TimedOut); retries make a flaky step succeed on its 2nd attempt', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'limits');
    const sleeper = shStep(pod, 'sleeper', 'sleep 60', { timeout: Duration.seconds(2) });
    shStep(pod, 'after', 'true', { dependsOn: [sleeper] });
    shStep(pod, 'flaky', 'if [ -e /workspace/flaky.tried ]; then exit 0; fi\ntouch /workspace/flaky.tried\nexit 5', { retries: 2 });
    shStep(pod, 'hopeless', 'exit 4', { retries: 1 });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(outcome(r, 'sleeper')).toMatchObject({ step: 'sleeper', containerExit: 124, reason: 'TimedOut' });
      const ran = Date.parse(r.report('sleeper').finishedAt!) - Date.parse(r.report('sleeper').startedAt!);
      expect(ran).toBeGreaterThanOrEqual(1_900);
      expect(ran).toBeLessThan(30_000); // killed, not slept out its 60 s
      expect(r.has('sleeper.end')).toBe(false);
      expect(outcome(r, 'after')).toMatchObject({ step: 'after', containerExit: 120, reason: 'Skipped' });

      expect(outcome(r, 'flaky')).toEqual({ step: 'flaky', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      expect(r.report('flaky').attempts).toBe(2);
      expect(r.stampsOf('flaky.start')).toHaveLength(2);

      expect(outcome(r, 'hopeless')).toEqual({ step: 'hopeless', containerExit: 4, reason: 'Failed', reportExit: 4 });
      expect(r.report('hopeless').attempts).toBe(2);
      expect(r.stampsOf('hopeless.start')).toHaveLength(2);
    });
  }, TEST_TIMEOUT_MS);

  test('7. non-root steps on a read-only root filesystem; a step cannot forge another step\'s completion record', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'secure');
    const owner = shStep(pod, 'owner', 'id -u\necho data > /workspace/data');
    shStep(pod, 'intruder', [
      'id -u',
      'if echo forged > /cdk8s-steps/steps/owner/done; then echo FORGED-DONE; exit 1; fi',
      'if touch /cdk8s-steps/steps/owner/done.err; then echo FORGED-ERR; exit 1; fi',
      'if touch /forged-in-rootfs; then echo ROOTFS-WRITABLE; exit 1; fi',
      'cat /workspace/data',
    ].join('\n'), { dependsOn: [owner] });
    shStep(pod, 'stranger', 'if [ -e /cdk8s-steps/steps/owner ]; then echo SEES-OWNER-STATE; exit 1; fi');

    const manifest = synth(chart);
    const spec = manifest.find((o) => o.kind === 'Pod')!.spec;
    for (const c of spec.containers) {
      // What this scenario claims to run: non-root, read-only root filesystem.
      expect({ name: c.name, ro: c.securityContext?.readOnlyRootFilesystem, nonRoot: c.securityContext?.runAsNonRoot })
        .toEqual({ name: c.name, ro: true, nonRoot: true });
    }
    const r = await runPod(manifest, { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      expect(r.container('owner').stdout).toBe('1000\n');
      expect(r.container('intruder').stdout).toBe('1000\ndata\n');
      const err = r.container('intruder').stderr;
      expect(err).toMatch(/\/cdk8s-steps\/steps\/owner\/done: Read-only file system/);
      expect(err).toMatch(/\/cdk8s-steps\/steps\/owner\/done\.err: Read-only file system/);
      expect(err).toMatch(/\/forged-in-rootfs: Read-only file system/);
      // The owner's record is intact.
      expect(stateFileNames(r, 'owner')).toEqual(['done']);
      expect(JSON.parse(r.container('owner').stateFiles.done)).toMatchObject({ step: 'owner', reason: 'Succeeded' });
      expect(outcome(r, 'stranger')).toEqual({ step: 'stranger', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
    });
  }, TEST_TIMEOUT_MS);

  test('8. a 10-step chain of no-ops: each step starts after the previous one ended (hand-offs logged; their speed is a bench figure)', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'chain');
    // s1 sleeps so that every container (podman starts them one by one, ~80 ms each) is up and
    // waiting when it ends: the hand-offs then measure the entrypoint, not container start-up.
    let prev = shStep(pod, 's1', 'sleep 4');
    for (let i = 2; i <= 10; i++) prev = shStep(pod, `s${i}`, 'true', { dependsOn: [prev] });

    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    const handoffs: number[] = [];
    check(r, () => {
      expect(r.phase).toBe('Succeeded');
      const s1End = nsToEpochMs(r.stampsOf('s1.end')[0]);
      for (let i = 2; i <= 10; i++) {
        const startedAt = r.container(`s${i}`).startedAtMs!;
        if (!(startedAt <= s1End)) {
          throw new Error(`precondition: container s${i} started ${startedAt - s1End} ms after s1 ended; the hand-offs would measure container start-up`);
        }
      }
      for (let i = 2; i <= 10; i++) {
        expectAfter(r, `s${i - 1}`, `s${i}`);
        handoffs.push(r.at(`s${i}.start`) - r.at(`s${i - 1}.end`));
      }
    });
    const sorted = [...handoffs].sort((x, y) => x - y);
    console.log(`e2e hand-offs over a 10-step chain (ms): median ${sorted[4].toFixed(2)}, max ${sorted[8].toFixed(2)}; all: ${handoffs.map((h) => h.toFixed(2)).join(' ')}`);
  }, TEST_TIMEOUT_MS);

  test('11. a 300-step random DAG with one failing step: exactly its transitive dependents end Skipped', async () => {
    const N = 300;
    const FAILING = 'r040';
    // Deterministic pseudo-random DAG (Park-Miller): each step depends on up to 4 distinct earlier steps.
    let seed = 20261127;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const name = (i: number) => `r${String(i).padStart(3, '0')}`;
    const deps = new Map<string, string[]>();
    for (let i = 0; i < N; i++) {
      const want = i === 0 ? 0 : Math.min(i, 1 + Math.floor(rand() * 4));
      const picked = new Set<string>();
      while (picked.size < want) picked.add(name(Math.floor(rand() * i)));
      deps.set(name(i), [...picked]);
    }
    const chart = newChart();
    const pod = e2ePod(chart, 'dag300');
    const steps = new Map<string, Step>();
    for (const [s, ds] of deps) {
      steps.set(s, pod.addStep(s, {
        image: STEP_IMAGE,
        imagePullPolicy: ImagePullPolicy.NEVER,
        command: ['sh', '-c', s === FAILING ? 'echo failing on purpose >&2; exit 9' : 'exit 0'],
        dependsOn: ds.map((d) => steps.get(d)!),
      }));
    }
    // Expected: the transitive dependents of FAILING are Skipped; everything else succeeds.
    const dependents = new Map<string, string[]>();
    for (const [s, ds] of deps) for (const d of ds) dependents.set(d, [...(dependents.get(d) ?? []), s]);
    const skipped = new Set<string>();
    const todo = [...(dependents.get(FAILING) ?? [])];
    while (todo.length) {
      const s = todo.pop()!;
      if (!skipped.has(s)) {
        skipped.add(s);
        todo.push(...(dependents.get(s) ?? []));
      }
    }
    expect(skipped.size).toBeGreaterThan(10);
    expect(skipped.size).toBeLessThan(N - 50);

    const t0 = Date.now();
    const r = await runPod(synth(chart), { timeoutMs: 1_800_000 });
    const wallMs = Date.now() - t0;
    check(r, () => {
      expect(r.phase).toBe('Failed');
      const got = (s: string) => ({ step: s, reason: r.container(s).report?.reason, exit: r.container(s).exitCode });
      for (const s of deps.keys()) {
        if (s === FAILING) expect(got(s)).toEqual({ step: s, reason: 'Failed', exit: 9 });
        else if (skipped.has(s)) expect(got(s)).toEqual({ step: s, reason: 'Skipped', exit: 120 });
        else expect(got(s)).toEqual({ step: s, reason: 'Succeeded', exit: 0 });
      }
    });
    console.log(`e2e 300-step DAG: ${skipped.size} skipped, ${N - 1 - skipped.size} succeeded; kube play to last exit ${(r.elapsedMs / 1000).toFixed(1)} s, with collection and clean-up ${(wallMs / 1000).toFixed(1)} s`);
  }, 2_400_000);

  /** Examples that fail on purpose: each has its own scenario below. */
  const OWN_SCENARIO = new Set(['test-report.k8s.yaml']);

  test('9. the examples that use only local images run green', async () => {
    // Synthesised the way users run it (an App writing one YAML file per chart), into scratch space.
    const outdir = path.join(WORK_DIR, `examples-dist-${process.pid}`); // per process: jest runs may overlap
    fs.rmSync(outdir, { recursive: true, force: true });
    buildApp(new App({ outdir })).synth();
    const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml')).sort();
    const manifests = files.map((f) => ({ file: f, yaml: fs.readFileSync(path.join(outdir, f), 'utf8') }));
    fs.rmSync(outdir, { recursive: true, force: true });
    expect(files.length).toBeGreaterThan(0);

    const ran: string[] = [];
    const notLocal: string[] = [];
    for (const { file, yaml } of manifests) {
      const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJSON());
      const workload = docs.find((d) => d?.kind === 'Pod' || d?.kind === 'Job');
      if (!workload || OWN_SCENARIO.has(file)) continue;
      const spec = workload.kind === 'Job' ? workload.spec.template.spec : workload.spec;
      const images: string[] = [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.image);
      const remote = images.filter((i) => !i.startsWith('localhost/'));
      if (remote.length > 0) {
        notLocal.push(`${file} (${[...new Set(remote)].join(', ')})`);
        continue;
      }
      const r = await runPod(docs, { timeoutMs: POD_TIMEOUT_MS });
      check(r, () => {
        expect({ file, phase: r.phase }).toEqual({ file, phase: 'Succeeded' });
        for (const c of r.containers.filter((x) => !x.init)) {
          expect(outcome(r, c.name)).toEqual({ step: c.name, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
        }
      });
      ran.push(file);
    }
    console.log(`e2e examples: ran ${ran.join(', ') || 'none'}; not run, they need registry images: ${notLocal.join('; ') || 'none'}`);
    // Scenario 9 must not pass vacuously: at least one example is meant to run locally.
    expect(ran.length).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);

  test('10. conditions, finally, results (examples/test-report.ts): every reason and every value seen', async () => {
    const r = await runPod(synth(new TestReport(Testing.app(), 'test-report')), { timeoutMs: POD_TIMEOUT_MS });
    check(r, () => {
      // the failing test fails the pod, although later always/anyFailed/finally steps succeed
      expect(r.phase).toBe('Failed');
      expect(outcome(r, 'build')).toEqual({ step: 'build', containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      expect(r.report('build').results).toEqual({ version: '1.2.3', channel: 'stable' });
      expect(outcome(r, 'test')).toEqual({ step: 'test', containerExit: 1, reason: 'Failed', reportExit: 1 });
      // allSucceeded after a failure: skipped, and it keeps exit 120
      expect(outcome(r, 'publish')).toEqual({ step: 'publish', containerExit: 120, reason: 'Skipped', reportExit: 120 });
      for (const s of ['upload-reports', 'notify', 'deploy', 'teardown']) {
        expect(outcome(r, s)).toEqual({ step: s, containerExit: 0, reason: 'Succeeded', reportExit: 0 });
      }
      // the gate not taken: skipped by its condition, exit 0, the message names the result and its value
      expect(outcome(r, 'deploy-canary')).toEqual({ step: 'deploy-canary', containerExit: 0, reason: 'Skipped', reportExit: 0 });
      expect(r.report('deploy-canary').message).toMatch(/channel[^]*stable/);
      // what the consumers saw, as the finally step lists it after every other step ended
      const seen = r.container('teardown').stdout;
      expect(seen).toContain('/workspace/uploaded.txt: 2 passed, 1 failed');
      expect(seen).toContain('/workspace/notified: tests of 1.2.3 failed');
      expect(seen).toContain('/workspace/deployed: deployed 1.2.3 to stable');
      expect(seen).not.toContain('/workspace/published');
      expect(seen).not.toContain('/workspace/canary');
    });
  }, TEST_TIMEOUT_MS);
});
