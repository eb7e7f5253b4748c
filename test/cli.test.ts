/**
 * The `cdk8s-steps` command without podman: reading manifests and pods back, the wire forms it
 * must parse, the outputs, and the one-line errors (exit 2) for bad input, through the bin.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { Pod } from 'kubernetes-models/v1';
import { containerResult, newStepPod, runBin, scratch, writeManifest } from './cli-helpers';
import { OnError, RunIf } from '../src';
import { parseDocuments, pickWorkload } from '../src/cli/manifest';
import { outcome, stepViews, topologicalOrder } from '../src/cli/model';
import { Progress } from '../src/cli/progress';
import { podSteps } from '../src/cli/status';
import { stepTable } from '../src/cli/table';
import { toDot, toMermaid } from '../src/cli/text-graph';
import { containersConf, cutToBytes, hardLimits, kubePod, parseK8sFileLog, Manifest } from '../src/local';
import { kubeletMessageLimit } from '../src/wire/budget';
import { readGraphAnnotation } from '../src/wire/graph';
import { parseReport } from '../src/wire/report';

const dir = scratch();

/** A diamond a -> {b, c} -> d synthesised through the public API. */
function diamond() {
  const { chart, pod } = newStepPod('diamond');
  const img = { image: 'localhost/step:dev', command: ['true'] };
  const a = pod.addStep('a', img);
  const b = pod.addStep('b', { ...img, dependsOn: [a] });
  const c = pod.addStep('c', { ...img, dependsOn: [a] });
  pod.addStep('d', { ...img, dependsOn: [b, c] });
  return chart;
}

describe('the graph annotation', () => {
  test('version 2: names and indexes', () => {
    const g = readGraphAnnotation('{"version":2,"steps":["a","b","c"],"dependsOn":[[],[0],[0,1]]}', 'p');
    expect(g.steps).toEqual(['a', 'b', 'c']);
    expect(g.dependsOn.get('c')).toEqual(['a', 'b']);
  });

  test('version 1: step -> dependencies', () => {
    const g = readGraphAnnotation('{"a":[],"b":["a"]}', 'p');
    expect(g.steps).toEqual(['a', 'b']);
    expect(g.dependsOn.get('b')).toEqual(['a']);
  });

  test('an unknown version or a malformed value is a named error', () => {
    expect(() => readGraphAnnotation('{"version":3,"steps":[],"dependsOn":[]}', 'pod x')).toThrow(/pod x: graph annotation version 3 .* upgrade cdk8s-steps/);
    expect(() => readGraphAnnotation('{"version":2,"steps":["a"],"dependsOn":[[1]]}', 'pod x')).toThrow(/malformed/);
    expect(() => readGraphAnnotation('{"b":["nope"]}', 'pod x')).toThrow(/at step "b"/);
    expect(() => readGraphAnnotation('not json', 'pod x')).toThrow(/not JSON/);
  });

  test('the synthesised annotation reads back as declared', () => {
    const w = pickWorkload(parseDocuments(fs.readFileSync(writeManifest(dir, diamond()), 'utf8'), 'm'), 'm', undefined);
    expect(w.graph.steps).toEqual(['a', 'b', 'c', 'd']);
    expect(w.graph.dependsOn.get('d')).toEqual(['b', 'c']);
  });

  test('topological order keeps declaration order among ready steps', () => {
    const g = readGraphAnnotation('{"version":2,"steps":["z","y","x","w"],"dependsOn":[[3],[],[1],[]]}', 'p');
    expect(topologicalOrder(g)).toEqual(['y', 'x', 'w', 'z']);
  });
});

describe('reports read back (docs/contract.md)', () => {
  test('full, budgeted and compact forms', () => {
    expect(parseReport('{"step":"b","reason":"Succeeded","exitCode":0,"startedAt":"2026-11-27T01:02:03.004Z","finishedAt":"2026-11-27T01:02:03.104Z","attempts":1,"results":{"v":"1.2"},"message":"ok"}'))
      .toMatchObject({ form: 'full', reason: 'Succeeded', attempts: 1, results: { v: '1.2' }, message: 'ok' });
    expect(parseReport('{"step":"b","reason":"Failed","exitCode":3,"attempts":2}')).toEqual({ form: 'budgeted', step: 'b', reason: 'Failed', exitCode: 3, attempts: 2 });
    expect(parseReport('{"reason":"Skipped","exitCode":120}')).toEqual({ form: 'budgeted', reason: 'Skipped', exitCode: 120 });
    expect(parseReport('["K",120]')).toEqual({ form: 'compact', reason: 'Skipped', exitCode: 120 });
    expect(parseReport('["L",121]')).toEqual({ form: 'compact', reason: 'DependencyLost', exitCode: 121 });
  });

  test('a message the kubelet cut, or no report, is undefined', () => {
    expect(parseReport('{"step":"b","reason":"Succ')).toBeUndefined();
    expect(parseReport('["Q",1]')).toBeUndefined();
    expect(parseReport('')).toBeUndefined();
    expect(parseReport('{"exitCode":0}')).toBeUndefined();
  });

  test('the kubelet budget and cut', () => {
    expect(kubeletMessageLimit(1)).toBe(4096);
    expect(kubeletMessageLimit(301)).toBe(40);
    expect(cutToBytes('héllo', 2)).toBe('h\ufffd');
    expect(cutToBytes('abc', 9)).toBe('abc');
  });
});

describe('podman set-up from the machine', () => {
  const limits = (nproc: string, nofile: string) => [
    'Limit                     Soft Limit           Hard Limit           Units',
    `Max processes             1000                 ${nproc}                processes`,
    `Max open files            1024                 ${nofile}                files`,
  ].join('\n');

  test('the containers get the hard limits (nproc at most podman\'s 32768)', () => {
    expect(hardLimits(limits('4096', '8192'))).toEqual({ nproc: 4096, nofile: 8192 });
    expect(containersConf({ nproc: 4096, nofile: 8192 })).toContain('default_ulimits = ["nofile=8192:8192", "nproc=4096:4096"]');
    expect(containersConf(hardLimits(limits('unlimited', '1048576')))).toContain('"nproc=32768:32768"');
    expect(containersConf({ nproc: 96364, nofile: 20000 })).toContain('"nproc=32768:32768"');
  });

  test('an unreadable limit is an error naming it', () => {
    expect(() => hardLimits('Max processes x y z')).toThrow(/Max processes/);
  });
});

describe('logs in the order written (k8s-file log)', () => {
  test('stdout and stderr interleave by time; partial lines are joined', () => {
    const text = [
      '2026-11-27T10:00:00.100000000+00:00 stdout F one',
      '2026-11-27T10:00:00.200000000+00:00 stderr P tw',
      '2026-11-27T10:00:00.250000000+00:00 stdout F three',
      '2026-11-27T10:00:00.300000000+00:00 stderr F o',
      '',
    ].join('\n');
    const { lines } = parseK8sFileLog(text);
    expect(lines.map((l) => `${l.stream}:${l.text}`)).toEqual(['stdout:one', 'stderr:two', 'stdout:three']);
  });

  test('an unended line waits for the next read unless the container ended', () => {
    const first = parseK8sFileLog('2026-11-27T10:00:00.1+00:00 stdout P half\n2026-11-27T10:00:00.2+00:00 stdout F x', false);
    expect(first.lines).toEqual([]);
    expect(first.rest).toBe('2026-11-27T10:00:00.2+00:00 stdout F x');
    const second = parseK8sFileLog(`${first.rest}\n`, false, first.pending);
    expect(second.lines.map((l) => l.text)).toEqual(['halfx']);
    expect(parseK8sFileLog('2026-11-27T10:00:00.1+00:00 stdout P tail\n', true).lines.map((l) => l.text)).toEqual(['tail']);
  });
});

const ctr = containerResult;

function report(step: string, reason: string, exitCode: number, t0: number, t1: number): string {
  return JSON.stringify({ step, reason, exitCode, startedAt: new Date(t0).toISOString(), finishedAt: new Date(t1).toISOString(), attempts: 1 });
}

describe('status of a Pod (kubelet fields)', () => {
  const T = Date.parse('2026-11-27T10:00:00.000Z');
  const manifest = (): Manifest => parseDocuments(fs.readFileSync(writeManifest(dir, diamond(), 'status.k8s.yaml'), 'utf8'), 'm');

  test('a failed run: exit 1, Skipped dependents, reports from the termination messages', () => {
    const pod = kubePod(manifest(), [
      ctr('a', { exitCode: 0, startedAtMs: T, finishedAtMs: T + 1200, terminationMessage: report('a', 'Succeeded', 0, T + 100, T + 1100) }),
      ctr('b', { exitCode: 3, startedAtMs: T, finishedAtMs: T + 2000, terminationMessage: report('b', 'Failed', 3, T + 1150, T + 1900) }),
      ctr('c', { exitCode: 0, startedAtMs: T, finishedAtMs: T + 1500, terminationMessage: report('c', 'Succeeded', 0, T + 1150, T + 1400) }),
      ctr('d', { exitCode: 120, startedAtMs: T, finishedAtMs: T + 2000, terminationMessage: '["K",120]' }),
    ]);
    expect(() => new Pod(pod as any).validate()).not.toThrow();
    expect(pod.status.phase).toBe('Failed');
    const p = podSteps(pod)!;
    expect(p.outcome).toBe('failed');
    expect(p.views.map((v) => [v.name, v.report?.reason, v.containerExit])).toEqual([['a', 'Succeeded', 0], ['b', 'Failed', 3], ['c', 'Succeeded', 0], ['d', 'Skipped', 120]]);
    // d's compact report has no times: the container's, to the second.
    expect(p.views[3].timesFrom).toBe('container');
    expect(p.views[1].finishedAtMs! - p.views[1].startedAtMs!).toBe(750);
  });

  test('a running pod: waiting and running from the graph, exit 3', () => {
    const pod = kubePod(manifest(), [
      ctr('a', { state: 'running', exitCode: undefined, startedAtMs: T }),
      ctr('b', { state: 'running', exitCode: undefined, startedAtMs: T }),
      ctr('c', { state: 'created', exitCode: undefined }),
    ]);
    expect(() => new Pod(pod as any).validate()).not.toThrow();
    expect(pod.status.phase).toBe('Running');
    const p = podSteps(pod)!;
    expect(p.views.map((v) => `${v.name}:${v.state}`)).toEqual(['a:running', 'b:waiting', 'c:pending', 'd:pending']);
    expect(outcome(p.views)).toBe('pending');
    // The table says since when a step runs, and why a container has not started.
    const table = stepTable(p.views, T + 5000);
    expect(table).toMatch(/^a +running since 10:00:00Z /m);
    expect(table).toMatch(/^b +waiting since 10:00:00Z /m);
    expect(table).toMatch(/^c +pending \(PodInitializing\) /m);
    const pulling = {
      ...pod,
      status: {
        ...pod.status,
        containerStatuses: pod.status.containerStatuses.map((s: any) =>
          (s.name === 'c' ? { ...s, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } } : s)),
      },
    };
    expect(stepTable(podSteps(pulling)!.views, T)).toMatch(/^c +pending \(ImagePullBackOff\) /m);
  });

  test('the kubelet cuts the termination message to its budget', () => {
    const long = report('a', 'Succeeded', 0, T, T + 1) + ' '.repeat(5000);
    const pod = kubePod(manifest(), [ctr('a', { terminationMessage: long })]);
    const budget = kubeletMessageLimit(pod.spec.initContainers.length + pod.spec.containers.length);
    expect(Buffer.byteLength(pod.status.containerStatuses[0].state.terminated.message)).toBe(budget);
  });
});

describe('outputs', () => {
  const g = readGraphAnnotation('{"version":2,"steps":["a","b-x"],"dependsOn":[[],[0]]}', 'p');

  test('mermaid and dot name every step and edge', () => {
    expect(toMermaid(g)).toBe('graph LR\n  s0["a"]\n  s1["b-x"]\n  s0 --> s1\n');
    expect(toDot(g)).toContain('"a" -> "b-x";');
  });

  test('the table has the contract\'s columns and a row per step', () => {
    const views = stepViews(g, (s) => (s === 'a'
      ? { started: true, exitCode: 0, report: parseReport('{"step":"a","reason":"Succeeded","exitCode":0,"startedAt":"2026-11-27T10:00:00.000Z","finishedAt":"2026-11-27T10:00:01.500Z","attempts":2,"results":{"v":"7"},"message":"fine"}') }
      : { started: true, exitCode: 120, report: parseReport('["K",120]'), startedAtMs: 0, finishedAtMs: 2000 }));
    const lines = stepTable(views).split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['STEP', 'REASON', 'EXIT', 'DURATION', 'ATTEMPTS', 'RESULTS', 'MESSAGE']);
    expect(lines[1].split(/\s+/)).toEqual(['a', 'Succeeded', '0', '1.50s', '2', 'v=7', 'fine']);
    expect(lines[2].split(/\s+/)).toEqual(['b-x', 'Skipped', '120', '2s', '-', '-']);
  });

  test('plain progress: one line per change of a step', () => {
    const out: string[] = [];
    const p = new Progress({ write: (s) => out.push(s) }, false, 0);
    const at = (state: 'pending' | 'running') => stepViews(g, (s) => (s === 'a' && state === 'running' ? { started: true, startedAtMs: 0 } : { started: false }));
    p.update(at('pending'), 0);
    p.update(at('running'), 1000);
    p.update(at('running'), 2000);
    expect(out).toEqual(['[+1.0s] a: running\n']);
  });
});

describe('the package bin, as `npx cdk8s-steps` runs it', () => {
  // package.json's bin is the compiled lib/cli/main.js (jsii compile writes it; .ci/run compiles
  // before the tests). Without lib/ outside CI there is nothing to run yet.
  const bin = path.join(__dirname, '..', JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).bin['cdk8s-steps']);
  (fs.existsSync(bin) || process.env.CI ? test : test.skip)('help and graph run from lib/ with node alone', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: '' } });
    const help = run(['help']);
    expect({ code: help.status, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: cdk8s-steps <command>/);
    const graph = run(['graph', writeManifest(dir, diamond(), 'packaged.k8s.yaml'), '--format', 'dot']);
    expect({ code: graph.status, stderr: graph.stderr }).toEqual({ code: 0, stderr: '' });
    expect(graph.stdout).toMatch(/"a" -> "b"/);
  });
});

describe('the bin: bad input is one line on stderr, exit 2', () => {
  const manifestFile = () => writeManifest(dir, diamond(), 'bin.k8s.yaml');

  test('graph of a synthesised manifest (mermaid by default)', async () => {
    const r = await runBin(['graph', manifestFile()]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('s0 --> s1');
  });

  test('graph of a live Pod (or a List of them) colours the nodes by reason', async () => {
    const T = Date.parse('2026-11-27T10:00:00.000Z');
    const m = parseDocuments(fs.readFileSync(manifestFile(), 'utf8'), 'm');
    const pod = kubePod(m, [
      ctr('a', { exitCode: 0, startedAtMs: T, finishedAtMs: T + 1000, terminationMessage: report('a', 'Succeeded', 0, T, T + 900) }),
      ctr('b', { exitCode: 3, startedAtMs: T, finishedAtMs: T + 2000, terminationMessage: report('b', 'Failed', 3, T + 900, T + 1900) }),
    ]);
    const svg = await runBin(['graph', '-', '--format', 'svg'], { input: JSON.stringify({ kind: 'List', items: [pod] }) });
    expect(svg).toMatchObject({ code: 0, stderr: '' });
    const fillOf = (step: string) => new RegExp(`<title>${step}: [^<]*</title><rect[^>]*fill="([^"]+)"`).exec(svg.stdout)?.[1];
    expect([fillOf('a'), fillOf('b')]).toEqual(['#2e7d32', '#c62828']);
    const mermaid = await runBin(['graph', '-'], { input: JSON.stringify(pod) });
    expect(mermaid.stdout).toContain('s1["b<br/>Failed"]');
    // A manifest has no run: plain nodes.
    expect((await runBin(['graph', manifestFile(), '--format', 'svg'])).stdout).not.toContain('#c62828');
  });

  test.each([
    ['not YAML', '{ a: [1, 2', /is not YAML or JSON .*give a manifest synthesised by cdk8s/, /is not YAML or JSON .*give a manifest synthesised by cdk8s/],
    ['no StepPod', 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n',
      /has no StepPod, StepJob or StepWorkflow \(found: a Service s\)/, /has no StepPod or StepJob \(found: a Service s\)/],
    ['a cdk8s.yaml', 'language: typescript\napp: npx ts-node main.ts\nimports:\n  - k8s\n',
      /\(found: a cdk8s.yaml project file \(cdk8s synth writes the manifests: give one of dist\/\*.k8s.yaml\)\)/, /\(found: a cdk8s.yaml project file/],
  ])('%s', async (_what, text, graphMessage, runMessage) => {
    const f = path.join(dir, `bad-${_what.replace(/\W/g, '')}.yaml`);
    fs.writeFileSync(f, text);
    for (const [cmd, message] of [['graph', graphMessage], ['run', runMessage]] as const) {
      const r = await runBin([cmd, f]);
      expect({ cmd, code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ cmd, code: 2, lines: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\?/);
    }
  });

  test('--pod naming nothing lists what there is', async () => {
    const r = await runBin(['graph', manifestFile(), '--pod', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pod nope names no StepPod, StepJob or StepWorkflow in .*; it has: cli-diamond-c8\w+/);
  });

  test('a Pod without our annotation', async () => {
    const r = await runBin(['status', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx' }, spec: { containers: [] } }) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^cdk8s-steps: nginx: not made by cdk8s-steps \(no cdk8s-steps\/graph annotation\)/);
  });

  test('podman missing: says how to install it, nothing started', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'path-'));
    const r = await runBin(['run', manifestFile()], { env: { PATH: empty } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/podman is not installed .*apt-get install -y podman runc/);
  });

  test('status --watch without @kubernetes/client-node says how to install it', async () => {
    const r = await runBin(['status', '--watch', 'my-pod']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^cdk8s-steps: --watch needs @kubernetes\/client-node 1.x, which is not installed .*; npm install @kubernetes\/client-node$/);
  });

  test('usage errors', async () => {
    expect((await runBin(['graph', manifestFile(), '--format', 'png'])).stderr).toMatch(/--format must be one of mermaid, dot, svg/);
    expect((await runBin(['run', manifestFile(), '--timeout', 'soon'])).code).toBe(2);
    expect((await runBin(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/);
  });

  test('status exit codes: 1 failed, 3 running, 0 succeeded', async () => {
    const T = Date.parse('2026-11-27T10:00:00.000Z');
    const m = parseDocuments(fs.readFileSync(manifestFile(), 'utf8'), 'm');
    const all = (exit: number) => ['a', 'b', 'c', 'd'].map((s) => ctr(s, { exitCode: exit, startedAtMs: T, finishedAtMs: T + 1000, terminationMessage: report(s, exit ? 'Failed' : 'Succeeded', exit, T, T + 900) }));
    const ok = await runBin(['status', '-'], { input: JSON.stringify(kubePod(m, all(0))) });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/the run succeeded/);
    const failed = await runBin(['status', '-', '-o', 'json'], { input: JSON.stringify({ kind: 'List', items: [kubePod(m, all(0)), kubePod(m, all(2))] }) });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).map((p: any) => p.outcome)).toEqual(['succeeded', 'failed']);
    const running = await runBin(['status', '-', '-o', 'mermaid'], { input: JSON.stringify(kubePod(m, [ctr('a', { state: 'running', exitCode: undefined, startedAtMs: T })])) });
    expect(running.code).toBe(3);
    expect(running.stdout).toContain('s0["a<br/>running"]');
  });
});

describe('what a pod says of its steps, read back from the wrapper arguments', () => {
  test('condition, retries, timeout, onError, finally and sidecars, as declared', () => {
    const { chart, pod } = newStepPod('traits');
    const img = { image: 'localhost/step:dev', command: ['true'] };
    const build = pod.addStep('build', { ...img, results: ['channel'], retries: 2, timeout: Duration.seconds(90) });
    const lint = pod.addStep('lint', { ...img, dependsOn: [build], onError: OnError.CONTINUE });
    pod.addStep('notify', { ...img, dependsOn: [lint], runIf: RunIf.anyFailed() });
    pod.addStep('deploy', { ...img, dependsOn: [build], runIf: RunIf.resultIn(build.result('channel'), ['stable', 'v$1']) });
    pod.addStep('tidy', { ...img, dependsOn: [build], runIf: RunIf.always() });
    pod.addFinally('teardown', img);
    pod.addFinally('report', img);
    pod.addSidecar('db', { image: 'localhost/postgres:dev' });
    const w = pickWorkload(parseDocuments(fs.readFileSync(writeManifest(dir, chart, 'traits.k8s.yaml'), 'utf8'), 'm'), 'm', undefined);
    const t = (s: string) => w.traits.steps.get(s);
    expect(t('build')).toEqual({ runIf: 'all_succeeded', retries: 2, timeout: '90s', continueOnError: false, isFinally: false });
    expect(t('lint')).toMatchObject({ continueOnError: true, retries: 0 });
    expect(t('notify')).toMatchObject({ runIf: 'any_failed', isFinally: false });
    // The library doubles every $ for the kubelet: read back as written in the chart.
    expect(t('deploy')).toMatchObject({ runIf: 'result_in', condition: 'build.channel in [stable, v$1]' });
    // An always step that does not wait for every other step is not a finally step; both finally steps are.
    expect([t('tidy')?.isFinally, t('teardown')?.isFinally, t('report')?.isFinally]).toEqual([false, true, true]);
    expect(w.traits.sidecars).toEqual(['db']);
  });
});
