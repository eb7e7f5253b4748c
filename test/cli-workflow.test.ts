/**
 * `cdk8s-steps status` and `graph` on a StepWorkflow: the Workflow synthesised through the public
 * API, and live Workflows as `kubectl get wf NAME -o json` prints them, with `status.nodes` written
 * by hand in the shape of Argo's `NodeStatus` (pkg/apis/workflow/v1alpha1/workflow_types.go,
 * v4.1.2): task nodes named `<DAG node>.<task>` with the DAG node's id as `boundaryID`, retried
 * tasks as a `Retry` node with a `Pod` child per attempt named `<task>(<n>)`, `Skipped` for a `when`
 * that was false, `Omitted` (type `Skipped`) for a `depends` that was false, the exit handler under
 * `<workflow>.onExit`, exit codes as strings in `outputs.exitCode`. No Argo controller ran here.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Chart, Testing } from 'cdk8s';
import { runBin, scratch } from './cli-helpers';
import { OnError, RunIf, StepWorkflow } from '../src';
import { statusCommand, workflowSteps } from '../src/cli/status';
import { stepTable } from '../src/cli/table';
import { readGraphAnnotation } from '../src/wire/graph';
import { workflowTraits } from '../src/wire/step-traits';

const dir = scratch('cdk8s-steps-cli-wf-');
const image = 'busybox:1.36';

/**
 *   checkout (results: channel)
 *     -> unit (retries 2) -> package -> publish (resultIn checkout.channel [stable])
 *     -> lint (onError CONTINUE) -> package
 *     -> notify (anyFailed on unit)
 *     -> gate (resultIn checkout.channel [canary]) -> after-gate
 *   cleanup (finally)
 */
function synthesised(): any {
  const chart = new Chart(Testing.app(), 'cli');
  const wf = new StepWorkflow(chart, 'wf');
  const checkout = wf.addStep('checkout', { image, command: ['true'], results: ['channel'] });
  const unit = wf.addStep('unit', { image, command: ['true'], dependsOn: [checkout], retries: 2 });
  const lint = wf.addStep('lint', { image, command: ['true'], dependsOn: [checkout], onError: OnError.CONTINUE });
  const pkg = wf.addStep('package', { image, command: ['true'], dependsOn: [unit, lint] });
  wf.addStep('publish', { image, command: ['true'], dependsOn: [pkg], runIf: RunIf.resultIn(checkout.result('channel'), ['stable']) });
  wf.addStep('notify', { image, command: ['true'], dependsOn: [unit], runIf: RunIf.anyFailed() });
  const gate = wf.addStep('gate', { image, command: ['true'], dependsOn: [checkout], runIf: RunIf.resultIn(checkout.result('channel'), ['canary']) });
  wf.addStep('after-gate', { image, command: ['true'], dependsOn: [gate] });
  wf.addFinally('cleanup', { image, command: ['true'] });
  const [w] = Testing.synth(chart);
  return { ...w, metadata: { ...w.metadata, name: 'cli-wf-x7k2p', namespace: 'ci' } };
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

/** Builds `status.nodes` as the controller writes them. */
class Nodes {
  readonly nodes: Record<string, any> = {};
  private n = 0;
  readonly root: string;

  constructor(private readonly wf: string, phase: Phase) {
    this.root = this.add({ name: wf, displayName: wf, type: 'DAG', phase, templateName: 'Cdk8sSteps' });
  }

  add(fields: Record<string, unknown>): string {
    const id = `${this.wf}-${1000 + this.n++}`;
    this.nodes[id] = { id, children: [], startedAt: '2026-11-27T10:00:00Z', ...fields };
    if (fields.phase !== 'Running' && fields.phase !== 'Pending' && fields.finishedAt === undefined) this.nodes[id].finishedAt = '2026-11-27T10:00:05Z';
    return id;
  }

  /** A task of the DAG whose node is `parent`; `exit` becomes `outputs.exitCode`. */
  task(parent: string, task: string, type: string, phase: Phase, more: Record<string, unknown> = {}): string {
    const p = this.nodes[parent];
    const { exit, ...rest } = more as { exit?: string };
    const id = this.add({
      name: `${p.name}.${task}`,
      displayName: task,
      type,
      phase,
      boundaryID: parent,
      templateName: task,
      ...exit !== undefined ? { outputs: { exitCode: exit } } : {},
      ...type === 'Skipped' ? { message: phase === 'Omitted' ? 'omitted: depends condition not met' : "when 'false' evaluated false" } : {},
      ...rest,
    });
    p.children.push(id);
    return id;
  }

  /** A retried task: a Retry node with one Pod child per attempt. */
  retried(parent: string, task: string, phase: Phase, attempts: Array<[Phase, string | undefined]>): string {
    const id = this.task(parent, task, 'Retry', phase, phase === 'Failed' ? { message: 'No more retries left' } : {});
    attempts.forEach(([p, exit], k) => {
      const child = this.add({
        name: `${this.nodes[id].name}(${k})`,
        displayName: `${task}(${k})`,
        type: 'Pod',
        phase: p,
        boundaryID: parent,
        templateName: task,
        ...exit !== undefined ? { outputs: { exitCode: exit } } : {},
        ...p === 'Failed' ? { message: `Error (exit code ${exit})` } : {},
      });
      this.nodes[id].children.push(child);
    });
    return id;
  }
}

function live(w: any, phase: string, nodes: Nodes, message?: string): any {
  return { ...w, status: { phase, ...message ? { message } : {}, startedAt: '2026-11-27T10:00:00Z', nodes: nodes.nodes } };
}

/** A failed run: unit fails after 3 attempts, lint fails under CONTINUE, the gate is not taken. */
function failedRun(w: any): any {
  const n = new Nodes(w.metadata.name, 'Failed');
  n.task(n.root, 'checkout', 'Pod', 'Succeeded', { exit: '0' });
  n.retried(n.root, 'unit', 'Failed', [['Failed', '1'], ['Failed', '1'], ['Failed', '3']]);
  n.task(n.root, 'lint', 'Pod', 'Failed', { exit: '2', message: 'Error (exit code 2)' });
  n.task(n.root, 'package', 'Skipped', 'Omitted');
  n.task(n.root, 'publish', 'Skipped', 'Omitted');
  n.task(n.root, 'notify', 'Pod', 'Succeeded', { exit: '0' });
  n.task(n.root, 'gate', 'Skipped', 'Skipped');
  n.task(n.root, 'after-gate', 'Skipped', 'Omitted');
  const exit = n.add({ name: `${w.metadata.name}.onExit`, displayName: `${w.metadata.name}.onExit`, type: 'DAG', phase: 'Succeeded', boundaryID: n.root, templateName: 'Cdk8sSteps-finally' });
  n.task(exit, 'cleanup', 'Pod', 'Succeeded', { exit: '0' });
  return live(w, 'Failed', n, 'child \'cli-wf-x7k2p-1002\' failed');
}

const rowsOf = (table: string) => table.split('\n').slice(1).map((l) => l.split(/ {2,}/).slice(0, 5));

describe('status of a live StepWorkflow', () => {
  test('a failed run: the same table and exit code as a pod; Omitted decided from the graph', () => {
    const p = workflowSteps(failedRun(synthesised()))!;
    expect(p.kind).toBe('Workflow');
    expect(p.outcome).toBe('failed');
    expect(rowsOf(stepTable(p.views))).toEqual([
      ['checkout', 'Succeeded', '0', '5s', '1'],
      ['unit', 'Failed', '3', '5s', '3/3'],
      ['lint', 'Failed', '2', '5s', '1'],
      ['package', 'Skipped', '120', '5s', '-'],
      ['publish', 'Skipped', '120', '5s', '-'],
      ['notify', 'Succeeded', '0', '5s', '1'],
      ['gate', 'Skipped', '0', '5s', '-'],
      ['after-gate', 'Skipped', '0', '5s', '-'],
      ['cleanup', 'Succeeded', '0', '5s', '1'],
    ]);
    const v = new Map(p.views.map((x) => [x.name, x]));
    // lint failed under onError: CONTINUE: its outcome says so, but it does not fail the run (its container would exit 0).
    expect(v.get('lint')!.containerExit).toBe(0);
    expect(v.get('package')!.report!.message).toBe('dependency `unit` did not succeed (Argo: Omitted)');
    expect(v.get('after-gate')!.report!.message).toBe('dependency `gate` was skipped by its condition (Argo: Omitted)');
    expect(v.get('unit')!.timesFrom).toBe('node');
  });

  test('the exit codes of `status`: 1 failed, 3 running, 0 succeeded', () => {
    const w = synthesised();
    const file = (name: string, o: unknown) => { const f = path.join(dir, name); fs.writeFileSync(f, JSON.stringify(o)); return f; };
    let out = '';
    expect(statusCommand(file('failed.json', failedRun(w)), { output: 'table' }, (s) => { out += s; })).toBe(1);
    expect(out).toMatch(/^workflow ci\/cli-wf-x7k2p: Failed, the run failed\n/);
    expect(out).toContain('(durations to the second: from the Workflow\'s nodes; Argo pods carry no step reports)');

    const running = new Nodes('cli-wf-x7k2p', 'Running');
    running.task(running.root, 'checkout', 'Pod', 'Succeeded', { exit: '0' });
    running.retried(running.root, 'unit', 'Running', [['Failed', '1'], ['Running', undefined]]);
    running.task(running.root, 'lint', 'Pod', 'Pending', { message: 'ContainerCreating' });
    out = '';
    expect(statusCommand(file('running.json', live(w, 'Running', running)), { output: 'table' }, (s) => { out += s; })).toBe(3);
    const rows = rowsOf(out.split('\n\n')[0].split('\n').slice(1).join('\n'));
    expect(rows.slice(0, 3).map((r) => [r[0], r[1].replace(/ since .*/, ''), r[4]])).toEqual([['checkout', 'Succeeded', '1'], ['unit', 'running', '2/3'], ['lint', 'pending (ContainerCreating)', '-']]);
    expect(rows.slice(3).every((r) => r[1] === 'pending')).toBe(true);

    const ok = new Nodes('cli-wf-x7k2p', 'Succeeded');
    for (const s of ['checkout', 'lint', 'package', 'publish']) ok.task(ok.root, s, 'Pod', 'Succeeded', { exit: '0' });
    ok.retried(ok.root, 'unit', 'Succeeded', [['Failed', '1'], ['Succeeded', '0']]);
    ok.task(ok.root, 'notify', 'Skipped', 'Omitted');
    ok.task(ok.root, 'gate', 'Skipped', 'Skipped');
    ok.task(ok.root, 'after-gate', 'Skipped', 'Omitted');
    const exit = ok.add({ name: 'cli-wf-x7k2p.onExit', type: 'DAG', phase: 'Succeeded', boundaryID: ok.root });
    ok.task(exit, 'cleanup', 'Pod', 'Succeeded', { exit: '0' });
    out = '';
    expect(statusCommand(file('ok.json', live(w, 'Succeeded', ok)), { output: 'json' }, (s) => { out += s; })).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ workflow: 'cli-wf-x7k2p', namespace: 'ci', outcome: 'succeeded' });
    const step = (name: string) => json.steps.find((s: any) => s.step === name);
    // anyFailed with every dependency succeeded: Omitted by Argo, Skipped 0 by the precedence table (row 5).
    expect([step('notify').reason, step('notify').exitCode]).toEqual(['Skipped', 0]);
    expect(step('unit').attempt).toEqual({ n: 2, of: 3 });
  });

  test('Omitted after a CONTINUE failure and a condition skip is Skipped 0, as in a pod (the CONTINUE step counts as succeeded)', () => {
    const chart = new Chart(Testing.app(), 'cli');
    const wf = new StepWorkflow(chart, 'wf');
    const a = wf.addStep('a', { image, command: ['true'], results: ['v'] });
    const soft = wf.addStep('soft', { image, command: ['false'], dependsOn: [a], onError: OnError.CONTINUE });
    const cond = wf.addStep('cond', { image, command: ['true'], dependsOn: [a], runIf: RunIf.resultIn(a.result('v'), ['x']) });
    wf.addStep('join', { image, command: ['true'], dependsOn: [soft, cond] });
    const w = { ...Testing.synth(chart)[0], metadata: { ...Testing.synth(chart)[0].metadata, name: 'c-1' } };
    const n = new Nodes('c-1', 'Succeeded');
    n.task(n.root, 'a', 'Pod', 'Succeeded', { exit: '0' });
    n.task(n.root, 'soft', 'Pod', 'Failed', { exit: '1' });
    n.task(n.root, 'cond', 'Skipped', 'Skipped');
    n.task(n.root, 'join', 'Skipped', 'Omitted');
    const p = workflowSteps(live(w, 'Succeeded', n))!;
    expect(p.views.map((v) => [v.name, v.report?.reason, v.report?.exitCode, v.containerExit])).toEqual([
      ['a', 'Succeeded', 0, 0], ['soft', 'Failed', 1, 0], ['cond', 'Skipped', 0, 0], ['join', 'Skipped', 0, 0],
    ]);
    expect(p.outcome).toBe('succeeded');
  });

  test('above 200 tasks: steps in nested Part DAGs map back by their task names; an Omitted part leaves its steps Skipped', () => {
    const chart = new Chart(Testing.app(), 'cli');
    const wf = new StepWorkflow(chart, 'wf');
    const setup = wf.addStep('setup', { image, command: ['true'] });
    const tests = Array.from({ length: 250 }, (_, i) => wf.addStep(`t${i}`, { image, command: ['true'], dependsOn: [setup] }));
    wf.addStep('report', { image, command: ['true'], dependsOn: tests });
    const [synth] = Testing.synth(chart);
    const w = { ...synth, metadata: { ...synth.metadata, name: 'big-1' } };
    const parts = w.spec.templates.filter((t: any) => /^Cdk8sSteps-part-/.test(t.name));
    expect(parts.length).toBeGreaterThanOrEqual(2);
    // setup fails: every part is Omitted and gets no child nodes; report is Omitted.
    const n = new Nodes('big-1', 'Failed');
    n.task(n.root, 'setup', 'Pod', 'Failed', { exit: '7' });
    parts.forEach((_: unknown, i: number) => n.task(n.root, `Part-${i + 1}`, 'Skipped', 'Omitted'));
    n.task(n.root, 'report', 'Skipped', 'Omitted');
    const failed = workflowSteps(live(w, 'Failed', n))!;
    expect(failed.outcome).toBe('failed');
    const byReason = new Map<string, number>();
    for (const v of failed.views) byReason.set(`${v.report?.reason}/${v.containerExit}`, (byReason.get(`${v.report?.reason}/${v.containerExit}`) ?? 0) + 1);
    expect(Object.fromEntries(byReason)).toEqual({ 'Failed/7': 1, 'Skipped/120': 251 });

    // A run that succeeded: every step's node is a task of its part's DAG.
    const ok = new Nodes('big-1', 'Succeeded');
    ok.task(ok.root, 'setup', 'Pod', 'Succeeded', { exit: '0' });
    parts.forEach((t: any, i: number) => {
      const part = ok.task(ok.root, `Part-${i + 1}`, 'DAG', 'Succeeded', { templateName: t.name });
      for (const task of t.dag.tasks) ok.task(part, task.name, 'Pod', 'Succeeded', { exit: '0' });
    });
    ok.task(ok.root, 'report', 'Pod', 'Succeeded', { exit: '0' });
    const p = workflowSteps(live(w, 'Succeeded', ok))!;
    expect(p.outcome).toBe('succeeded');
    expect(p.views.filter((v) => v.report?.reason === 'Succeeded')).toHaveLength(252);
  });

  test('compressed node status (status.compressedNodes: base64 of gzip or brotli) reads as the plain one', () => {
    const w = failedRun(synthesised());
    const plain = workflowSteps(w)!;
    const nodes = Buffer.from(JSON.stringify(w.status.nodes));
    for (const packed of [zlib.gzipSync(nodes), zlib.brotliCompressSync(nodes)]) {
      const compressed = { ...w, status: { ...w.status, nodes: undefined, compressedNodes: packed.toString('base64') } };
      expect(workflowSteps(compressed)!.views).toEqual(plain.views);
    }
    const offloaded = { ...w, status: { ...w.status, nodes: undefined, offloadNodeStatusVersion: 'fnv:123' } };
    expect(() => workflowSteps(offloaded)).toThrow(/offloaded to the controller's database .* argo get cli-wf-x7k2p -o json/);
  });

  test.each([
    ['status.nodes', (w: any) => { w.status.nodes = []; }, /workflow cli-wf-x7k2p: status.nodes is a list, not an object \(node id → node\)/],
    ['a node', (w: any) => { w.status.nodes.x = 3; }, /status.nodes\["x"\] is a number 3, not a node/],
    ['its phase', (w: any) => { Object.values<any>(w.status.nodes)[1].phase = 1; }, /status.nodes\["cli-wf-x7k2p-1001"\].phase is a number 1, not a string/],
    ['its exit code', (w: any) => { Object.values<any>(w.status.nodes)[1].outputs = { exitCode: 0 }; }, /outputs.exitCode is a number 0, not an exit code/],
    ['its children', (w: any) => { Object.values<any>(w.status.nodes)[0].children = 'x'; }, /children is the string "x", not a list of node ids/],
    ['metadata.name', (w: any) => { delete w.metadata.name; }, /the Workflow in .*: metadata.name is missing, not a string/],
  ])('malformed %s: one line naming the field, exit 2', async (_what, mutate, message) => {
    const w = JSON.parse(JSON.stringify(failedRun(synthesised())));
    mutate(w);
    const r = await runBin(['status', '-'], { input: JSON.stringify(w) });
    expect({ code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ code: 2, lines: 1 });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/kubectl get wf NAME -o json/);
  });

  test('a List of Workflows (kubectl get wf -o json) is read item by item', async () => {
    const w = synthesised();
    const r = await runBin(['status', '-', '-o', 'json'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [failedRun(w)] }) });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).outcome).toBe('failed');
  });
});

describe('graph of a StepWorkflow', () => {
  test('the traits read back from the Workflow are the ones declared', () => {
    const w = synthesised();
    const t = workflowTraits(readGraphAnnotation(w.metadata.annotations['cdk8s-steps/graph'], 'wf'), w);
    const get = (s: string) => t.steps.get(s)!;
    expect(get('unit')).toMatchObject({ retries: 2, runIf: 'all_succeeded', continueOnError: false, isFinally: false });
    expect(get('lint')).toMatchObject({ continueOnError: true });
    expect(get('notify')).toMatchObject({ runIf: 'any_failed' });
    expect(get('publish')).toMatchObject({ runIf: 'result_in', condition: 'checkout.channel in [stable]' });
    expect(get('cleanup')).toMatchObject({ isFinally: true, runIf: 'always' });
  });

  test('through the bin: the synthesised Workflow is drawn, with its marks and the finally bundle', async () => {
    const file = path.join(dir, 'wf.k8s.yaml');
    fs.writeFileSync(file, JSON.stringify(synthesised()));
    const svg = await runBin(['graph', file, '--format', 'svg']);
    expect({ code: svg.code, stderr: svg.stderr }).toEqual({ code: 0, stderr: '' });
    for (const s of ['checkout', 'unit', 'lint', 'package', 'publish', 'notify', 'gate', 'after-gate', 'cleanup']) expect(svg.stdout).toContain(`>${s}</text>`);
    expect(svg.stdout).toContain('↻2');
    expect(svg.stdout).toContain('↪ continue');
    expect(svg.stdout).toContain('◇ anyFailed');
    expect(svg.stdout).toContain('⚑ finally');
    const mermaid = await runBin(['graph', file]);
    expect(mermaid.stdout).toMatch(/^graph LR\n/);
    // A live Workflow colours its nodes by outcome.
    fs.writeFileSync(file, JSON.stringify(failedRun(synthesised())));
    const run = await runBin(['graph', file, '--format', 'svg']);
    const fillOf = (step: string) => new RegExp(`<title>${step}: [^<]*</title><rect[^>]*fill="([^"]+)"`).exec(run.stdout)?.[1];
    expect([fillOf('checkout'), fillOf('unit'), fillOf('package')]).toEqual(['#2e7d32', '#c62828', '#9e9e9e']);
  });

  test('`run` on a StepWorkflow says what it is and where it runs', async () => {
    const file = path.join(dir, 'wf-run.k8s.yaml');
    fs.writeFileSync(file, JSON.stringify(synthesised()));
    const r = await runBin(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/has no StepPod or StepJob, only a Workflow cli-wf-x7k2p made by cdk8s-steps: a StepWorkflow runs on a cluster with Argo Workflows, not in podman/);
  });
});
