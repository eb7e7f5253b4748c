/**
 * The `cdk8s-steps` command end to end, as a user runs it (through the bin), on pods run in podman:
 * exit codes, logs in the order written, the final table, clean-up, --keep, --timeout, --timeline;
 * and `status` on Pod JSON made from real podman runs (converted to the kubelet's status fields and
 * validated against the Kubernetes schema), finished and still running.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Pod } from 'kubernetes-models/v1';
import { e2ePod, newChart, podsNamed, shStep, synth } from './fixtures';
import { ensureImages } from './images';
import { buildApp } from '../../examples/main';
import { RunIf } from '../../src';
import { isCI, kubePod, podman, podmanStatus, runPod, sleep } from '../../src/local';
import { runBin, scratch, writeManifest } from '../cli-helpers';

const available = podmanStatus().available;
const e2e = available || isCI() ? describe : describe.skip;
const dir = scratch('cdk8s-steps-e2e-cli-');

/** The table rows (after the header) as [step, reason, exit, duration, attempts, results] (columns are two spaces apart). */
function cells(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^STEP\s+REASON\s+EXIT\s+DURATION\s+ATTEMPTS\s+RESULTS\s+MESSAGE$/.test(l));
  expect(header).toBeGreaterThanOrEqual(0);
  const out: string[][] = [];
  for (const l of lines.slice(header + 1)) {
    if (!l.trim()) break;
    out.push(l.split(/ {2,}/));
  }
  return out;
}

/** The table rows (after the header) as [step, reason, exit]. */
function rows(stdout: string): string[][] {
  return cells(stdout).map((c) => c.slice(0, 3));
}

/**
 * The same pod, but `alt` ends only once the gate file `alt` exists in `gates` (a hostPath volume):
 * the test holds it running, with `bad` waiting for it, for as long as it needs.
 */
function gatedFailingPod(gates: string) {
  const chart = newChart();
  const pod = e2ePod(chart, 'cligated');
  const gate = kplus.Volume.fromHostPath(chart, 'gates', 'gates', { path: gates, type: kplus.HostPathVolumeType.DIRECTORY });
  const alt = shStep(pod, 'alt', 'echo out-1; echo err-1 >&2; until [ -e /gates/alt ]; do sleep 0.05; done',
    { volumeMounts: [{ path: '/gates', volume: gate, readOnly: true }] });
  const bad = shStep(pod, 'bad', 'echo breaking >&2; exit 4', { dependsOn: [alt] });
  shStep(pod, 'after', 'true', { dependsOn: [bad] });
  return chart;
}

/** A pod whose `alt` step writes to stdout and stderr alternately, then `bad` fails and `after` is skipped. */
function failingPod() {
  const chart = newChart();
  const pod = e2ePod(chart, 'clifail');
  const alt = shStep(pod, 'alt', 'echo out-1; sleep 0.3; echo err-1 >&2; sleep 0.3; echo out-2; sleep 0.3; echo err-2 >&2');
  const bad = shStep(pod, 'bad', 'echo breaking >&2; exit 4', { dependsOn: [alt] });
  shStep(pod, 'after', 'true', { dependsOn: [bad] });
  return chart;
}

e2e('cdk8s-steps end to end in podman', () => {
  beforeAll(async () => {
    await ensureImages();
  }, 900_000);

  test('run: an example succeeds (exit 0), --timeline draws it, --keep leaves the pod', async () => {
    const out = path.join(dir, 'examples');
    buildApp(new App({ outdir: out })).synth();
    const timeline = path.join(dir, 'diamond.svg');
    const r = await runBin(['run', path.join(out, 'local-diamond.k8s.yaml'), '--timeline', timeline, '--keep']);
    try {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain('join    | left=42 right=22\n');
      expect(rows(r.stdout)).toEqual([['prepare', 'Succeeded', '0'], ['left', 'Succeeded', '0'], ['right', 'Succeeded', '0'], ['join', 'Succeeded', '0']]);
      expect(r.stdout).toMatch(/the run succeeded in [\d.]+ s \(kept: podman pod rm -f local-diamond-/);
      const svg = fs.readFileSync(timeline, 'utf8');
      expect(svg.match(/<rect [^>]*fill="#2e7d32" rx="2"\/>/g)).toHaveLength(4); // a bar per step (the legend's swatch has no rx)
      expect(await podsNamed('local-diamond-')).toHaveLength(1);
    } finally {
      for (const p of await podsNamed('local-diamond-')) await podman(['pod', 'rm', '-f', '-t', '0', p]);
    }
  }, 600_000);

  test('run: a failing step (exit 1), logs in the order written, the table, nothing left', async () => {
    const file = writeManifest(dir, failingPod(), 'failing.k8s.yaml');
    const r = await runBin(['run', file, '--timeout', '300']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
    const alt = r.stdout.split('\n').filter((l) => l.startsWith('alt   |'));
    expect(alt).toEqual(['alt   | out-1', 'alt   | err-1', 'alt   | out-2', 'alt   | err-2']);
    expect(r.stdout).toContain('bad   | breaking\n');
    expect(rows(r.stdout)).toEqual([['alt', 'Succeeded', '0'], ['bad', 'Failed', '4'], ['after', 'Skipped', '120']]);
    expect(r.stdout).toMatch(/the run failed in [\d.]+ s \(removed, with its volumes\)/);
    expect(await podsNamed('e2e-clifail')).toEqual([]);
  }, 600_000);

  test('run: the conditions example fails (exit 1); results in the table; a condition skip is exit 0', async () => {
    const out = path.join(dir, 'examples-report');
    buildApp(new App({ outdir: out })).synth();
    const r = await runBin(['run', path.join(out, 'test-report.k8s.yaml'), '--timeout', '400']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
    const table = new Map(cells(r.stdout).map((c) => [c[0], c]));
    expect(table.get('build')?.slice(1, 3)).toEqual(['Succeeded', '0']);
    expect(table.get('build')?.[5]).toBe('version=1.2.3,channel=stable');
    expect(table.get('test')?.slice(1, 3)).toEqual(['Failed', '1']);
    expect(table.get('publish')?.slice(1, 3)).toEqual(['Skipped', '120']);
    expect(table.get('deploy-canary')?.slice(1, 3)).toEqual(['Skipped', '0']);
    for (const s of ['upload-reports', 'notify', 'deploy', 'teardown']) expect(table.get(s)?.slice(1, 3)).toEqual(['Succeeded', '0']);
    expect(r.stdout).toMatch(/the run failed in [\d.]+ s/);

    // A gate not taken does not fail a run: exit 0.
    const chart = newChart();
    const pod = e2ePod(chart, 'cligate');
    const build = shStep(pod, 'build', 'echo dev > "$CDK8S_STEPS_RESULTS/channel"', { results: ['channel'] });
    shStep(pod, 'release', 'echo released', { dependsOn: [build], runIf: RunIf.resultIn(build.result('channel'), ['stable']) });
    const gate = await runBin(['run', writeManifest(dir, chart, 'gate.k8s.yaml'), '--timeout', '300']);
    expect({ code: gate.code, stderr: gate.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rows(gate.stdout)).toEqual([['build', 'Succeeded', '0'], ['release', 'Skipped', '0']]);
    expect(gate.stdout).toMatch(/the run succeeded in [\d.]+ s/);
  }, 600_000);

  test('run --timeout: the message is in the flag\'s unit, the pod is removed, exit 1', async () => {
    const chart = newChart();
    shStep(e2ePod(chart, 'clislow'), 'slow', 'sleep 300');
    const file = writeManifest(dir, chart, 'slow.k8s.yaml');
    const r = await runBin(['run', file, '--timeout', '25']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/did not finish within 25 s \(--timeout 25\)/);
    expect(await podsNamed('e2e-clislow')).toEqual([]);
  }, 600_000);

  test('status on Pod JSON from real runs: running (exit 3), failed (exit 1), succeeded (exit 0)', async () => {
    // `alt` cannot end before the test opens its gate, and the gate opens only once the snapshot of
    // `alt` running while `bad` and `after` wait was taken: it cannot be missed, however slow the machine.
    const gates = fs.mkdtempSync(path.join(dir, 'gates-'));
    fs.chmodSync(gates, 0o755);
    const manifest = synth(gatedFailingPod(gates));
    let running: object | undefined;
    const r = await runPod(manifest, {
      timeoutMs: 300_000,
      whileRunning: async (pod) => {
        try {
          for (;;) {
            const snap = await pod.snapshot();
            const alt = snap.find((c) => c.name === 'alt');
            // Every step container up: alt held by its gate, bad waiting for alt, after for bad.
            if (['alt', 'bad', 'after'].every((n) => snap.find((c) => c.name === n)?.state === 'running')) {
              running = kubePod(manifest, snap);
              return;
            }
            if (alt?.state === 'exited') throw new Error(`alt exited before its gate opened: ${alt.stderr}`);
            await sleep(50);
          }
        } finally {
          fs.writeFileSync(path.join(gates, 'alt'), '');
        }
      },
    });
    expect(running).toBeDefined();
    const final = kubePod(manifest, r.containers);
    for (const p of [running, final]) expect(() => new Pod(p as any).validate()).not.toThrow();

    const runningFile = path.join(dir, 'running.json');
    fs.writeFileSync(runningFile, JSON.stringify(running));
    const s1 = await runBin(['status', runningFile]);
    expect(s1.code).toBe(3);
    const since = / since \d\d:\d\d:\d\dZ$/;
    const live = cells(s1.stdout);
    for (const c of live) expect(c[1]).toMatch(since); // every container has started: since when
    expect(live.map((c) => [c[0], c[1].replace(since, ''), c[2]])).toEqual([['alt', 'running', '-'], ['bad', 'waiting', '-'], ['after', 'waiting', '-']]);
    // A running step has no report yet: its time comes from the container status, to the second.
    expect(s1.stdout).toContain('(durations to the second: from the container statuses');

    const finalFile = path.join(dir, 'final.json');
    fs.writeFileSync(finalFile, JSON.stringify(final));
    const timeline = path.join(dir, 'status.svg');
    const s2 = await runBin(['status', finalFile, '--output', 'json', '--timeline', timeline]);
    expect(s2.code).toBe(1);
    const json = JSON.parse(s2.stdout);
    expect(json.steps.map((s: any) => [s.step, s.reason, s.containerExitCode])).toEqual([['alt', 'Succeeded', 0], ['bad', 'Failed', 4], ['after', 'Skipped', 120]]);
    expect(fs.readFileSync(timeline, 'utf8')).toContain('fill="#c62828"');

    const ok = synth((() => {
      const c = newChart();
      const p = e2ePod(c, 'cliok');
      shStep(p, 'second', 'true', { dependsOn: [shStep(p, 'first', 'echo hi')] });
      return c;
    })());
    const okRun = await runPod(ok, { timeoutMs: 300_000 });
    const s3 = await runBin(['status', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [kubePod(ok, okRun.containers)] }) });
    expect(s3.code).toBe(0);
    expect(rows(s3.stdout)).toEqual([['first', 'Succeeded', '0'], ['second', 'Succeeded', '0']]);
  }, 900_000);
});
