/**
 * `run` on what users write, end to end in podman (issue 17 items 3 and 4, issue 18 items 1, 5, 6
 * and 16):
 *  - native sidecars: the step graph and sidecar placement of the README's first example and of
 *    examples/job-with-db.ts, with their own images mapped (`--image`'s substitutes) to the local
 *    busybox step image, each sidecar a busybox httpd with an httpGet startupProbe; the order by
 *    witnesses (stamps in one file): sidecar ready → steps → sidecar stopped, sidecars stopped in
 *    reverse order, an init container between two sidecars in its place, startup probes of each
 *    kind (httpGet, tcpSocket on the container's port, exec); a sidecar whose probe fails, one that
 *    exits before the steps start and one that exits while they run fail the run and name the
 *    sidecar (the httpGet rules themselves: test/local-probe.test.ts);
 *  - `$` in a result condition: the kubelet's `$$` → `$`;
 *  - images that cannot be had, and a contract mismatch: one error naming what to do, nothing created;
 *  - Ctrl-C during `podman kube play` and while steps run, and a closed stdout: the pod and its
 *    volumes removed (named), nothing more printed, no unhandled EPIPE.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import * as YAML from 'yaml';
import { e2eJob, e2ePod, newChart, podsNamed, shStep, stamped, synth, volumesOf } from './fixtures';
import { ENTRYPOINT_IMAGE, ensureImages, STEP_IMAGE } from './images';
import { JobWithDb } from '../../examples/job-with-db';
import { IStepHost, RunIf, StepPod } from '../../src';
import { isCI, PodResult, podman, podmanStatus, runPod } from '../../src/local';
import { readGraphAnnotation } from '../../src/wire/graph';
import { GRAPH_ANNOTATION, INIT_CONTAINER_NAME } from '../../src/wire/layout';
import { K8sObject, stepHostOf } from '../../src/wire/workload';
import { runBin, scratch, writeManifest } from '../cli-helpers';
import { readmeBlocks } from '../readme-blocks';

const ROOT = path.resolve(__dirname, '..', '..');
const available = podmanStatus().available;
const e2e = available || isCI() ? describe : describe.skip;
const dir = scratch('cdk8s-steps-e2e-run-');
const POD_TIMEOUT_MS = 120_000;

/** The steps (with their dependencies and images) and the init containers (in order) of a synthesised StepPod/StepJob. */
function shape(manifest: K8sObject[]) {
  const host = manifest.map(stepHostOf).find((h) => h?.pod)!;
  const graph = readGraphAnnotation(host.annotations[GRAPH_ANNOTATION], host.name);
  const containers: K8sObject[] = host.pod!.spec.containers;
  return {
    kind: host.kind,
    steps: graph.steps.map((s) => ({ name: s, dependsOn: graph.dependsOn.get(s)!, image: String(containers.find((c) => c.name === s)!.image) })),
    inits: (host.pod!.spec.initContainers as K8sObject[]).filter((c) => c.name !== INIT_CONTAINER_NAME)
      .map((c) => ({ name: String(c.name), sidecar: c.restartPolicy === 'Always', image: String(c.image) })),
  };
}

/** A busybox httpd that is ready (serves /ready) only a second after it started, stamps ready and its stop. */
function httpdSidecar(host: IStepHost, name: string, image: string, port: number, extra: Partial<kplus.ContainerProps> = {}): void {
  const www = `/workspace/www-${name}`;
  host.addSidecar(name, {
    ...extra,
    image,
    command: ['sh', '-c', `stamp ${name}.start; sleep 1; mkdir -p ${www}; echo ok > ${www}/ready; stamp ${name}.ready; `
      + `trap "stamp ${name}.stop; exit 0" TERM; httpd -f -p ${port} -h ${www} & wait`],
    portNumber: port,
    startup: kplus.Probe.fromHttpGet('/ready', { port, periodSeconds: Duration.seconds(1), failureThreshold: 30 }),
  });
}

/**
 * The same graph and init containers as `manifest`, each step a stamped busybox script that first
 * fetches every sidecar's page, each sidecar an httpd (httpdSidecar); images as the original names
 * them, so the run maps them (`substitutes`, what --image sets).
 */
function rebuild(manifest: K8sObject[], id: string) {
  const s = shape(manifest);
  const chart = newChart();
  const host = s.kind === 'Job' ? e2eJob(chart, id) : e2ePod(chart, id);
  const ports = new Map<string, number>();
  s.inits.forEach((c, i) => {
    if (!c.sidecar) throw new Error(`rebuild: ${c.name} is a plain init container`);
    ports.set(c.name, 8080 + i);
    httpdSidecar(host, c.name, c.image, 8080 + i);
  });
  const fetch = [...ports.values()].map((p) => `wget -qO- http://127.0.0.1:${p}/ready >/dev/null`).join(' && ') || 'true';
  const made = new Map<string, ReturnType<IStepHost['addStep']>>();
  for (const st of s.steps) {
    made.set(st.name, host.addStep(st.name, { image: st.image, command: ['sh', '-c', stamped(st.name, fetch)], dependsOn: st.dependsOn.map((d) => made.get(d)!) }));
  }
  const images = new Set([...s.steps.map((x) => x.image), ...s.inits.map((x) => x.image)]);
  return { chart, shape: s, substitutes: new Map([...images].map((i) => [i, STEP_IMAGE])) };
}

/** ns stamp of `label`; throws when absent or repeated. */
function at(r: PodResult, label: string): bigint {
  const s = r.stampsOf(label);
  if (s.length !== 1) throw new Error(`stamp ${label}: ${s.length} found (have ${r.stamps.map((x) => x.label).join(' ')})`);
  return s[0];
}

function expectOrder(r: PodResult, sidecars: string[], steps: Array<{ name: string; dependsOn: string[] }>): void {
  expect(r.phase).toBe('Succeeded');
  for (const st of steps) {
    expect(r.report(st.name).reason).toBe('Succeeded');
    for (const d of st.dependsOn) expect(at(r, `${st.name}.start`) > at(r, `${d}.end`)).toBe(true);
  }
  const firstStart = steps.map((st) => at(r, `${st.name}.start`)).reduce((a, b) => (a < b ? a : b));
  const lastEnd = steps.map((st) => at(r, `${st.name}.end`)).reduce((a, b) => (a > b ? a : b));
  for (const sc of sidecars) {
    expect({ sc, readyBeforeSteps: at(r, `${sc}.ready`) < firstStart }).toEqual({ sc, readyBeforeSteps: true });
    expect({ sc, stoppedAfterSteps: at(r, `${sc}.stop`) > lastEnd }).toEqual({ sc, stoppedAfterSteps: true });
  }
}

/** The README's first program, synthesised as its own `app.synth()` writes it (cdk8s-steps from this checkout). */
async function readmeFirstExample(): Promise<K8sObject[]> {
  const block = readmeBlocks().find((b) => b.lang === 'ts')!;
  expect(block.section).toBe(''); // the one before any heading
  const work = fs.mkdtempSync(path.join(dir, 'readme-'));
  fs.writeFileSync(path.join(work, 'first.ts'), block.text.replace(/from 'cdk8s-steps'/g, `from ${JSON.stringify(path.join(ROOT, 'src'))}`));
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'first.ts'], {
      cwd: work,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json'), NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stderr }));
  });
  expect(r).toEqual({ code: 0, stderr: expect.any(String) });
  const out = fs.readdirSync(path.join(work, 'dist')).filter((f) => f.endsWith('.k8s.yaml'));
  expect(out).toHaveLength(1);
  return YAML.parseAllDocuments(fs.readFileSync(path.join(work, 'dist', out[0]), 'utf8')).map((d) => d.toJSON());
}

/** The `cdk8s-steps` bin as a child this test can signal; `merge` puts stderr into stdout's pipe, in write order. */
function startBin(args: string[], merge = false): { child: ChildProcess; out: () => string; err: () => string; done: Promise<number | null> } {
  const bin = [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args];
  const env = { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json') };
  const child = merge
    ? spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...bin], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin[0], bin.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const done = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, out: () => out, err: () => err, done };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

e2e('run on what users write, in podman', () => {
  beforeAll(async () => {
    await ensureImages();
  }, 900_000);

  test('the README\'s first example: its graph and its sidecar, mapped to busybox: sidecar ready → steps → sidecar stopped', async () => {
    const { chart, shape: s, substitutes } = rebuild(await readmeFirstExample(), 'readme-first');
    expect(s.inits.map((c) => [c.name, c.sidecar])).toEqual([['db', true]]);
    expect(s.steps.map((x) => x.name)).toEqual(['checkout', 'unit', 'lint', 'publish']);
    const events: string[] = [];
    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS, substitutes, onEvent: (l) => events.push(l) });
    expectOrder(r, ['db'], s.steps);
    expect(events).toContainEqual(expect.stringMatching(/^sidecar db started: its startup probe \(httpGet http:\/\/<pod IP>:8080\/ready\) passed on attempt \d+$/));
    expect(r.container('db')).toMatchObject({ sidecar: true, exitCode: 0 });
    expect(r.container('db').logs).toBe(''); // httpd -f logs nothing; the stamps are the witnesses
  }, POD_TIMEOUT_MS + 60_000);

  test('examples/job-with-db.ts: its graph and its sidecar (a StepJob), mapped to busybox', async () => {
    const { chart, shape: s, substitutes } = rebuild(synth(new JobWithDb(Testing.app(), 'job-with-db') as unknown as Chart), 'job-db');
    expect(s.kind).toBe('Job');
    expect(s.inits.map((c) => c.name)).toEqual(['db']);
    expect(s.steps.map((x) => [x.name, x.dependsOn])).toEqual([['wait-for-db', []], ['migrate', ['wait-for-db']], ['seed', ['migrate']], ['check', ['seed']]]);
    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS, substitutes });
    expectOrder(r, ['db'], s.steps);
  }, POD_TIMEOUT_MS + 60_000);

  test('four sidecars (httpGet, httpGet, tcpSocket, exec probes) with an init container between: each in its place, ready before the steps; stopped in reverse order', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'two-sidecars');
    // An init container gets no /workspace: every container stamps into a volume of this test's.
    const witness = kplus.Volume.fromEmptyDir(chart, 'witness', 'witness');
    const stamps = { volumeMounts: [{ path: '/witness', volume: witness }], envVariables: { STAMP_FILE: kplus.EnvValue.fromValue('/witness/stamps') } };
    httpdSidecar(pod, 'first', STEP_IMAGE, 8081, stamps);
    pod.addInitContainer({
      ...stamps,
      name: 'between',
      image: STEP_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.NEVER,
      command: ['sh', '-c', stamped('between', 'wget -qO- http://127.0.0.1:8081/ready')],
    });
    httpdSidecar(pod, 'second', STEP_IMAGE, 8082, stamps);
    // tcpSocket on the container's own port (portNumber only): it listens a second after it started.
    pod.addSidecar('tcp', {
      ...stamps,
      image: STEP_IMAGE,
      command: ['sh', '-c', 'stamp tcp.start; sleep 1; stamp tcp.ready; trap "stamp tcp.stop; exit 0" TERM; httpd -f -p 8083 -h /witness & wait'],
      portNumber: 8083,
      startup: kplus.Probe.fromTcpSocket({ periodSeconds: Duration.seconds(1), failureThreshold: 30 }),
    });
    // exec: a file it writes a second after it started (in its own volume: the root filesystem is read-only).
    pod.addSidecar('exec', {
      ...stamps,
      image: STEP_IMAGE,
      command: ['sh', '-c', 'stamp exec.start; sleep 1; stamp exec.ready; touch /witness/exec-ready; trap "stamp exec.stop; exit 0" TERM; sleep 300 & wait'],
      startup: kplus.Probe.fromCommand(['test', '-f', '/witness/exec-ready'], { periodSeconds: Duration.seconds(1), failureThreshold: 30 }),
    });
    shStep(pod, 'a', 'wget -qO- http://127.0.0.1:8081/ready && wget -qO- http://127.0.0.1:8082/ready && test -f /witness/exec-ready', stamps);
    const manifest = synth(chart);
    const inits = manifest.map(stepHostOf).find((h) => h?.pod)!.pod!.spec.initContainers as K8sObject[];
    expect(inits.find((c) => c.name === 'tcp')!.startupProbe).toMatchObject({ tcpSocket: { port: 8083 } });
    expect(inits.find((c) => c.name === 'exec')!.startupProbe).toMatchObject({ exec: { command: ['test', '-f', '/witness/exec-ready'] } });
    const events: string[] = [];
    const r = await runPod(manifest, { timeoutMs: POD_TIMEOUT_MS, stampsPath: '/witness/stamps', onEvent: (l) => events.push(l) });
    expectOrder(r, ['first', 'second', 'tcp', 'exec'], [{ name: 'a', dependsOn: [] }]);
    expect(at(r, 'first.ready') < at(r, 'between.start')).toBe(true);
    expect(at(r, 'between.end') < at(r, 'second.start')).toBe(true);
    // Each in its place: the next one starts only once the one before has started (its probe passed).
    expect(at(r, 'second.ready') < at(r, 'tcp.start')).toBe(true);
    expect(at(r, 'tcp.ready') < at(r, 'exec.start')).toBe(true);
    // Stopped in reverse order.
    expect([at(r, 'exec.stop') < at(r, 'tcp.stop'), at(r, 'tcp.stop') < at(r, 'second.stop'), at(r, 'second.stop') < at(r, 'first.stop')]).toEqual([true, true, true]);
    expect(events).toContainEqual(expect.stringMatching(/^sidecar tcp started: its startup probe \(tcpSocket <pod IP>:8083\) passed on attempt \d+$/));
    expect(events).toContainEqual(expect.stringMatching(/^sidecar exec started: its startup probe \(exec \["test","-f","\/witness\/exec-ready"\]\) passed on attempt \d+$/));
    expect(events.filter((e) => /^sidecar \w+ stopped after the steps ended/.test(e)).map((e) => e.split(' ')[1])).toEqual(['exec', 'tcp', 'second', 'first']);
    expect(r.container('between')).toMatchObject({ init: true, sidecar: false, exitCode: 0 });
  }, POD_TIMEOUT_MS + 60_000);

  test('a sidecar whose startup probe fails, and one that exits while the steps run: the run fails (exit 1), naming it; nothing left', async () => {
    const probeFails = newChart();
    const p1 = e2ePod(probeFails, 'probe-fails');
    p1.addSidecar('web', {
      image: STEP_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.NEVER,
      command: ['sleep', '300'],
      portNumber: 8080,
      startup: kplus.Probe.fromHttpGet('/ready', { port: 8080, periodSeconds: Duration.seconds(1), failureThreshold: 2 }),
    });
    shStep(p1, 'a');
    const r1 = await runBin(['run', writeManifest(dir, probeFails, 'probe-fails.k8s.yaml'), '--timeout', '120']);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toMatch(/the run failed in [\d.]+ s \(sidecar web: its startup probe failed 2 times in a row \(failureThreshold 2, every 1 s\); the last one: GET http:\/\/[\d.]+:8080\/ready: connect ECONNREFUSED [^;]*; a kubelet would restart it, a local run fails \(the steps did not start\)\) \(removed, with its volumes\)/);
    expect(r1.stdout).toMatch(/^a +pending/m); // never started
    expect(await podsNamed('probe-fails-')).toEqual([]);

    const exits = newChart();
    const p2 = e2ePod(exits, 'sidecar-exits');
    p2.addSidecar('web', { image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER, command: ['sh', '-c', 'sleep 2; echo giving up; exit 3'] });
    shStep(p2, 'long', 'sleep 100');
    const r2 = await runBin(['run', writeManifest(dir, exits, 'sidecar-exits.k8s.yaml'), '--timeout', '120']);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain('web  | giving up\n'); // a sidecar's log, prefixed like a step's
    expect(r2.stdout).toMatch(/the run failed in [\d.]+ s \(sidecar web exited with code 3 while the steps ran: a kubelet would restart it, a local run stops the steps and fails\)/);
    expect(r2.stderr).toMatch(/sidecar web started \(no startup probe\)/);
    expect(await podsNamed('sidecar-exits-')).toEqual([]);
  }, 300_000);

  test('a sidecar that exits after it started but before the steps: the run fails, saying so; the init container after it stopped, the steps never started', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'sidecar-exits-early');
    pod.addSidecar('web', { image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER, command: ['sh', '-c', 'sleep 1; echo giving up; exit 3'] });
    pod.addInitContainer({ name: 'slow', image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER, command: ['sleep', '90'] });
    shStep(pod, 'a');
    const r = await runBin(['run', writeManifest(dir, chart, 'sidecar-exits-early.k8s.yaml'), '--timeout', '120']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sidecar web started \(no startup probe\)/);
    expect(r.stdout).toMatch(/the run failed in [\d.]+ s \(sidecar web exited with code 3 before the steps started: a kubelet would restart it, a local run fails \(the steps did not start\)\)/);
    expect(r.stdout).not.toMatch(/while the steps ran/);
    expect(r.stdout).toMatch(/^a +pending/m);
    expect(await podsNamed('sidecar-exits-early-')).toEqual([]);
  }, 300_000);

  test('issue 18 item 1: a result "x$" meets RunIf.resultIn([\'x$\']): the dependent runs, as on a kubelet', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'dollar');
    const a = shStep(pod, 'a', 'printf "x$" > "$CDK8S_STEPS_RESULTS/v"; echo "pid $$"', { results: ['v'] });
    shStep(pod, 'b', 'true', { dependsOn: [a], runIf: RunIf.resultIn(a.result('v'), ['x$']) });
    const r = await runPod(synth(chart), { timeoutMs: POD_TIMEOUT_MS });
    expect(r.report('a').results).toEqual({ v: 'x$' });
    expect(r.report('b').reason).toBe('Succeeded');
    expect(r.has('b.start')).toBe(true);
    // `$$` in a command is one `$` for the shell, as the kubelet gives it: no PID is printed.
    expect(r.container('a').stdout).toBe('pid $\n');
  }, POD_TIMEOUT_MS + 60_000);

  test('images that cannot be had, and a contract mismatch: one line each, naming the fix; nothing created', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'noimage');
    shStep(pod, 'a', 'true', { image: 'localhost/cdk8s-steps-e2e-absent:1' });
    const b = pod.addStep('b', { image: 'localhost/cdk8s-steps-e2e-absent:2', imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT, command: ['true'] });
    pod.addStep('c', { image: 'localhost/cdk8s-steps-e2e-absent:2', imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT, command: ['true'], dependsOn: [b] });
    const r = await runBin(['run', writeManifest(dir, chart, 'noimage.k8s.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cdk8s-steps: Pod e2e-noimage-');
    expect(r.stderr).toContain('step a: image localhost/cdk8s-steps-e2e-absent:1 (imagePullPolicy Never): podman does not have it and imagePullPolicy Never forbids pulling it. '
      + 'Fix: `podman pull localhost/cdk8s-steps-e2e-absent:1` or build it (`podman build -t localhost/cdk8s-steps-e2e-absent:1 …`), map it to an image podman has for this run '
      + '(--image localhost/cdk8s-steps-e2e-absent:1=LOCAL-IMAGE), or give the container imagePullPolicy IfNotPresent');
    expect(r.stderr).toMatch(/step b, step c: image localhost\/cdk8s-steps-e2e-absent:2 \(imagePullPolicy IfNotPresent\): podman does not have it and it could not be pulled \(.+\)\. Fix: `podman pull/);
    expect(r.stdout).toBe('');
    expect(await podsNamed('e2e-noimage-')).toEqual([]);

    // Steps of another contract, and an entrypoint image podman cannot have: both versions named.
    const other = newChart();
    shStep(new StepPod(other, 'contract', { securityContext: { user: 1000, group: 1000 } }), 'a');
    const manifest = synth(other).map((o) => (o.kind === 'Pod'
      ? { ...o, spec: { ...o.spec, containers: o.spec.containers.map((c: K8sObject) => ({ ...c, args: c.args.map((a: string) => (a.startsWith('-contract=') ? '-contract=99' : a)) })) } }
      : o));
    const file = path.join(dir, 'contract.k8s.yaml');
    fs.writeFileSync(file, manifest.map((o) => YAML.stringify(o)).join('---\n'));
    const mismatch = await runBin(['run', file]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/the entrypoint copy container cdk8s-steps-init: image ghcr.io\/cdk8s-steps\/entrypoint:0.0.0 .*the manifest was synthesised for contract 99 \(its steps pass -contract=99\), but the entrypoint binary this cdk8s-steps carries speaks contract 2/);

    // --entrypoint-image: another image instead of the manifest's (here Entrypoint.DEFAULT's); one podman cannot have is an error.
    const plain = newChart();
    shStep(new StepPod(plain, 'entrypoint-image', { securityContext: { user: 1000, group: 1000 } }), 'a', 'echo ran');
    const plainFile = writeManifest(dir, plain, 'entrypoint-image.k8s.yaml');
    const absent = await runBin(['run', plainFile, '--entrypoint-image', 'localhost/cdk8s-steps-e2e-absent:ep']);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/--entrypoint-image localhost\/cdk8s-steps-e2e-absent:ep: podman does not have it and it could not be pulled \(.+\); build or pull it first/);
    const given = await runBin(['run', plainFile, '--entrypoint-image', ENTRYPOINT_IMAGE]);
    expect({ code: given.code, stderr: given.stderr }).toEqual({ code: 0, stderr: '' }); // no stand-in made, nothing to say
    expect(given.stdout).toContain('a | ran\n');
  }, 300_000);

  test('Ctrl-C during podman kube play: the pod and its volumes removed, named; exit 130', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'sigplay');
    for (let i = 0; i < 60; i++) shStep(pod, `s${i}`);
    const run = startBin(['run', writeManifest(dir, chart, 'sigplay.k8s.yaml')]);
    let name = '';
    await until('the pod to exist', async () => {
      [name = ''] = await podsNamed('e2e-sigplay-');
      return name !== '' || run.child.exitCode !== null;
    });
    expect(name).not.toBe('');
    // kube play is still creating containers: far fewer than 61 exist
    const created = (await podman(['ps', '-a', '--filter', `pod=${name}`, '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
    run.child.kill('SIGINT');
    const code = await run.done;
    expect(created.length).toBeLessThan(61);
    expect({ code, stderr: run.err() }).toEqual({ code: 130, stderr: expect.stringContaining(`interrupted: while podman kube play: removed pod ${name} and its volumes`) });
    expect(run.err()).toContain(`SIGINT: stopping the run and removing pod ${name} and its volumes`);
    expect(await podsNamed('e2e-sigplay-')).toEqual([]);
    expect(await volumesOf(name.slice(name.lastIndexOf('-') + 1))).toEqual([]);
  }, 300_000);

  test('Ctrl-C while the steps and a sidecar run: removed, and nothing more is printed after the signal (exit 130)', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'sigrun');
    httpdSidecar(pod, 'web', STEP_IMAGE, 8080);
    const tick = shStep(pod, 'tick', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done');
    shStep(pod, 'after', 'true', { dependsOn: [tick] });
    const run = startBin(['run', writeManifest(dir, chart, 'sigrun.k8s.yaml'), '--image', `${STEP_IMAGE}=${STEP_IMAGE}`], true);
    await until('ten ticks', () => /tick 10\n/.test(run.out()) || run.child.exitCode !== null);
    run.child.kill('SIGINT');
    const code = await run.done;
    const out = run.out();
    const [name] = /e2e-sigrun-[0-9a-f]+-e2e[0-9a-f]{8}/.exec(out) ?? [''];
    expect({ code, name: name !== '' }).toEqual({ code: 130, name: true });
    const lines = out.split('\n');
    const stop = lines.findIndex((l) => l.startsWith('cdk8s-steps: SIGINT: stopping the run and removing pod'));
    expect(stop).toBeGreaterThan(0);
    // After the signal: only the line that says what was removed.
    expect(lines.slice(stop + 1).filter(Boolean)).toEqual([`cdk8s-steps: interrupted: while running the steps: removed pod ${name} and its volumes`]);
    expect(await podsNamed('e2e-sigrun-')).toEqual([]);
    expect(await volumesOf(name.slice(name.lastIndexOf('-') + 1))).toEqual([]);
  }, 300_000);

  test('a closed stdout (run … | head -1): ends quietly (no EPIPE), exit 141, the pod and its volumes removed', async () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'sigpipe');
    shStep(pod, 'tick', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done');
    const run = startBin(['run', writeManifest(dir, chart, 'sigpipe.k8s.yaml')]);
    await until('a tick', () => /tick \d+\n/.test(run.out()) || run.child.exitCode !== null);
    const [name = ''] = await podsNamed('e2e-sigpipe-');
    run.child.stdout!.destroy(); // what head does after its line
    const code = await run.done;
    expect({ code, stderr: run.err() }).toEqual({ code: 141, stderr: '' });
    expect(name).not.toBe('');
    expect(await podsNamed('e2e-sigpipe-')).toEqual([]);
    expect(await volumesOf(name.slice(name.lastIndexOf('-') + 1))).toEqual([]);
  }, 300_000);
});
