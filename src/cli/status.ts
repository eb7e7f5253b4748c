/**
 * `cdk8s-steps status <pod.json | workflow.json | ->`: a live Pod as `kubectl get pod NAME -o json`
 * prints it, or a live Argo Workflow as `kubectl get wf NAME -o json` prints it (or a List of
 * either), each step's state and outcome in topological order, and the run's outcome by the
 * contract's rule.
 *
 * A Pod's steps come from the container statuses and their termination messages (the wrapper's
 * reports). An Argo Workflow's pods carry no wrapper, so its steps come from the task nodes of
 * `status.nodes` and the graph annotation: `Omitted` is decided as docs/contract.md's precedence
 * table decides a step whose dependency ended without succeeding (`workflowSteps`).
 */
import * as fs from 'fs';
import { CliError } from './errors';
import { describeDocuments, inputName, parseDocuments, readInput } from './manifest';
import { attemptOf, coarseTimes, ContainerFacts, outcome, Outcome, stepViews, StepView, topologicalOrder } from './model';
import { renderTimeline } from './render/timeline';
import { stepTable } from './table';
import { toMermaid } from './text-graph';
import { describe, WireError } from '../wire/errors';
import { readGraphAnnotation, StepGraphData } from '../wire/graph';
import { GRAPH_ANNOTATION, INIT_CONTAINER_NAME } from '../wire/layout';
import { LiveContainerStatus, LivePod, readLivePod } from '../wire/live-pod';
import { attemptNodes, LiveWorkflow, readLiveWorkflow, stepNodes, WorkflowNode } from '../wire/live-workflow';
import { parseReport, StepReport } from '../wire/report';
import { HostTraits, podTraits, workflowTraits } from '../wire/step-traits';
import { K8sObject } from '../wire/workload';

/** The steps of one live host: a Pod (a StepPod, or a StepJob's pod) or an Argo Workflow (a StepWorkflow). */
export interface HostSteps {
  readonly kind: 'Pod' | 'Workflow';
  readonly name: string;
  readonly namespace?: string;
  readonly phase?: string;
  readonly graph: StepGraphData;
  readonly traits: HostTraits;
  readonly views: StepView[];
  readonly outcome: Outcome;
  /** Why the host can no longer run the steps that have not ended (a Failed pod, a finished Workflow). */
  readonly over?: string;
}

/** One Pod or Workflow of the input, and where it is (for messages until its name is read). */
export interface FoundHost {
  readonly object: K8sObject;
  readonly kind: 'Pod' | 'Workflow';
  readonly where: string;
}

const GIVE = 'give the output of kubectl get pod NAME -o json (or kubectl get wf NAME -o json for a StepWorkflow)';

/** The Pods and Workflows in the input: one object, or the items of a List / PodList / WorkflowList. */
export function hostsOf(docs: K8sObject[], file: string): FoundHost[] {
  const hosts: FoundHost[] = [];
  const kindOf = (o: K8sObject, listKind?: string): FoundHost['kind'] | undefined => {
    if (o.kind === 'Pod' || (listKind === 'PodList' && o.kind === undefined)) return 'Pod';
    if (o.kind === 'Workflow' || (listKind === 'WorkflowList' && o.kind === undefined)) return 'Workflow';
    return undefined;
  };
  docs.forEach((d, i) => {
    const doc = docs.length > 1 ? `document ${i + 1} of ${file}` : file;
    const kind = kindOf(d);
    if (kind) {
      hosts.push({ object: d, kind, where: `the ${kind} in ${doc}` });
    } else if (d.kind === 'List' || d.kind === 'PodList' || d.kind === 'WorkflowList' || d.items !== undefined) {
      if (!Array.isArray(d.items)) throw new WireError(`${doc}: items is ${describe(d.items)}, not a list; ${GIVE}`);
      d.items.forEach((item: unknown, j: number) => {
        const where = `items[${j}] of ${doc}`;
        if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new WireError(`${where} is ${describe(item)}, not an object; ${GIVE}`);
        const k = kindOf(item as K8sObject, d.kind);
        if (k) hosts.push({ object: item, kind: k, where });
      });
    }
  });
  if (hosts.length === 0) {
    throw new CliError(`${file} holds no Pod or Workflow (found: ${describeDocuments(docs)}); ${GIVE}`);
  }
  return hosts;
}

function timeMs(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** What a kubelet's container status says about one step container. */
export function factsFromStatus(status: LiveContainerStatus | undefined): ContainerFacts | undefined {
  const state = status?.state;
  if (!state) return undefined;
  const t = state.terminated;
  if (t) {
    const report = parseReport(t.message);
    return { started: true, exitCode: t.exitCode, report, startedAtMs: timeMs(t.startedAt), finishedAtMs: timeMs(t.finishedAt) };
  }
  if (state.running) return { started: true, startedAtMs: timeMs(state.running.startedAt) };
  const waiting = state.waiting?.reason;
  return { started: false, waitingReason: waiting !== undefined && waiting !== '' ? waiting : undefined };
}

/**
 * Why a pod can no longer run its steps, or undefined while it can. A pod in phase Failed or
 * Succeeded is over for good: the kubelet restarts no container of it (`getPhase` in the kubelet's
 * `pkg/kubelet/kubelet_pods.go`: Failed once an init container failed under restartPolicy Never;
 * an eviction sets Failed with reason `Evicted`), and a container still waiting then never starts.
 */
export function podOver(live: LivePod): string | undefined {
  if (live.phase !== 'Failed' && live.phase !== 'Succeeded') return undefined;
  if (live.reason) return `${live.reason}${live.message ? `: ${live.message.trim()}` : ''}`;
  const init = live.initContainerStatuses.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  if (init) {
    const t = init.state!.terminated!;
    const what = init.name === INIT_CONTAINER_NAME ? ' (it copies the entrypoint: check the image given to Entrypoint.fromImage and its binaryPath)' : '';
    return `init container ${init.name} failed with exit code ${t.exitCode}${t.reason ? ` (${t.reason}${t.message ? `: ${t.message.trim()}` : ''})` : ''}${what}`;
  }
  return `the pod is ${live.phase}`;
}

/**
 * The steps of one Pod, or undefined when cdk8s-steps did not make it. Throws a `WireError` naming
 * the field for a Pod whose fields have the wrong type, or whose graph annotation is malformed.
 * @param where names the pod in messages until its name is read
 */
export function podSteps(pod: K8sObject, where = 'the Pod'): HostSteps | undefined {
  const live = readLivePod(pod, where);
  if (live.graphAnnotation === undefined) return undefined;
  const graph = readGraphAnnotation(live.graphAnnotation, `pod ${live.name}`);
  const traits = podTraits(graph, pod.spec);
  const statuses = new Map(live.containerStatuses.map((s) => [s.name, s]));
  const over = podOver(live);
  const views = stepViews(graph, (step) => {
    const f = factsFromStatus(statuses.get(step));
    if (over === undefined || f?.exitCode !== undefined || f?.report !== undefined) return f;
    // A terminal pod: this step will never end on its own.
    const started = f?.started ?? false;
    return { ...f, started, over: started ? { reason: 'Lost', message: `its pod stopped before it ended: ${over}` } : { reason: 'NotRun', message: `its pod can no longer run: ${over}` } };
  }, traits);
  return { kind: 'Pod', name: live.name, namespace: live.namespace, phase: live.phase, graph, traits, views, outcome: outcome(views), over };
}

/** Argo writes a Workflow's phase as one of these once it has finished (`WorkflowPhase` in workflow_types.go). */
const WORKFLOW_DONE = new Set(['Succeeded', 'Failed', 'Error']);

/** The kubelet's message for a pod killed at its `activeDeadlineSeconds` (a step's timeout in a StepWorkflow). */
const DEADLINE = /active on the node longer than the specified deadline|deadline exceeded/i;

/** The classes of docs/contract.md's precedence table that decide an Omitted task. */
function failedClass(f: ContainerFacts | undefined): boolean {
  if (!f) return false;
  if (f.over) return true;
  const r = f.report;
  if (!r) return false;
  if (r.reason === 'Skipped') return r.exitCode !== 0;
  // A failure under onError: CONTINUE counts as succeeded: its container exits 0.
  return r.reason !== 'Succeeded' && f.exitCode !== 0;
}

function conditionSkipped(f: ContainerFacts | undefined): boolean {
  return f?.report?.reason === 'Skipped' && f.report.exitCode === 0;
}

/**
 * What one task node says of its step, as the facts of a container. Omitted (Argo's `depends`
 * was false, `dag.go`) and a task that never got a node in a finished Workflow (its nested DAG
 * was Omitted) are decided from the dependencies' outcomes, as the precedence table decides: a
 * dependency that failed → Skipped, exit 120 (row 1); otherwise → Skipped, exit 0 (row 3, or row
 * 5 for an `anyFailed` step whose dependencies all succeeded).
 */
function nodeFacts(
  wf: LiveWorkflow, node: WorkflowNode | undefined, deps: ReadonlyArray<[string, ContainerFacts | undefined]>, continueOnError: boolean,
): ContainerFacts {
  const done = wf.phase !== undefined && WORKFLOW_DONE.has(wf.phase);
  const times = { startedAtMs: timeMs(node?.startedAt), finishedAtMs: timeMs(node?.finishedAt), timesFrom: 'node' as const };
  // The times stay the node's (to the second), not a report's.
  const report = (reason: string, exitCode: number, message?: string, attempts?: number): StepReport => ({
    reason,
    exitCode,
    ...attempts ? { attempts } : {},
    ...message ? { message } : {},
    form: 'argo',
  });
  if (node === undefined || node.phase === 'Omitted') {
    if (node === undefined && !done) return { started: false };
    const failed = deps.find(([, f]) => failedClass(f));
    const skipped = deps.find(([, f]) => conditionSkipped(f));
    if (node === undefined && !failed && !skipped) {
      return { started: false, over: { reason: 'NotRun', message: `Argo did not start it before the Workflow ended (${wf.phase}${wf.message ? `: ${wf.message}` : ''})` } };
    }
    const message = failed ? `dependency \`${failed[0]}\` did not succeed (Argo: Omitted)`
      : skipped ? `dependency \`${skipped[0]}\` was skipped by its condition (Argo: Omitted)` : 'condition false: no dependency failed (Argo: Omitted)';
    const code = failed ? 120 : 0;
    return { started: true, exitCode: code, report: report('Skipped', code, message), ...times };
  }
  const attempts = attemptNodes(wf, node);
  switch (node.phase) {
    case undefined:
    case 'Pending':
      return { started: false, waitingReason: node.message || undefined };
    case 'Running':
      return { started: true, attemptsStarted: attempts.length || undefined, ...times };
    case 'Succeeded':
      return { started: true, exitCode: 0, report: report('Succeeded', node.exitCode ?? 0, node.message, attempts.length), ...times };
    case 'Skipped':
      return { started: true, exitCode: 0, report: report('Skipped', 0, node.message), ...times };
    default: {
      // Failed or Error: the exit code of the task (or of its last attempt), when Argo has one.
      const code = node.exitCode ?? attempts[attempts.length - 1]?.exitCode;
      const message = node.message ?? attempts[attempts.length - 1]?.message ?? '';
      const reason = DEADLINE.test(message) ? 'TimedOut' : 'Failed';
      if (code === undefined) return { started: true, over: { reason: node.phase === 'Error' ? 'Error' : reason, message: message || `Argo: ${node.phase}` }, ...times };
      // Under onError: CONTINUE the failure is in the outcome while the step counts as succeeded, as a pod's container exits 0.
      return { started: true, exitCode: continueOnError ? 0 : code, report: report(reason, code, message, attempts.length), ...times };
    }
  }
}

/**
 * The steps of one Argo Workflow (a StepWorkflow as the cluster runs it), or undefined when
 * cdk8s-steps did not make it. Every step is a task of the entry DAG, of a nested `Part-<n>` DAG or
 * of the exit handler (finally steps), named after the step.
 */
export function workflowSteps(wf: K8sObject, where = 'the Workflow'): HostSteps | undefined {
  const live = readLiveWorkflow(wf, where);
  if (live.graphAnnotation === undefined) return undefined;
  const graph = readGraphAnnotation(live.graphAnnotation, `workflow ${live.name}`);
  const traits = workflowTraits(graph, wf);
  const nodes = stepNodes(live, graph.steps);
  const decided = new Map<string, ContainerFacts>();
  for (const step of topologicalOrder(graph)) {
    const deps = (graph.dependsOn.get(step) ?? []).map((d): [string, ContainerFacts | undefined] => [d, decided.get(d)]);
    decided.set(step, nodeFacts(live, nodes.get(step), deps, traits.steps.get(step)?.continueOnError ?? false));
  }
  const views = stepViews(graph, (s) => decided.get(s), traits);
  const done = live.phase !== undefined && WORKFLOW_DONE.has(live.phase);
  return {
    kind: 'Workflow',
    name: live.name,
    namespace: live.namespace,
    phase: live.phase,
    graph,
    traits,
    views,
    outcome: outcome(views),
    over: done && views.some((v) => v.over?.reason === 'NotRun') ? `the Workflow ended ${live.phase}${live.message ? ` (${live.message})` : ''}` : undefined,
  };
}

/** Exit code over several hosts: 1 when any failed, else 3 while any is pending or running, else 0. */
export function statusExitCode(outcomes: readonly Outcome[]): number {
  if (outcomes.includes('failed')) return 1;
  if (outcomes.includes('pending')) return 3;
  return 0;
}

export function viewsAsJson(p: HostSteps): object {
  const iso = (t?: number) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    ...p.kind === 'Pod' ? { pod: p.name } : { workflow: p.name },
    namespace: p.namespace,
    phase: p.phase,
    outcome: p.outcome,
    over: p.over,
    steps: p.views.map((v) => ({
      step: v.name,
      dependsOn: v.dependsOn,
      state: v.state,
      reason: v.report?.reason ?? v.over?.reason,
      exitCode: v.report?.exitCode,
      containerExitCode: v.containerExit,
      startedAt: iso(v.startedAtMs),
      finishedAt: iso(v.finishedAtMs),
      timesFrom: v.timesFrom,
      attempts: v.report?.attempts,
      attempt: attemptOf(v),
      results: v.report?.results,
      message: v.report?.message ?? v.over?.message,
    })),
  };
}

export interface StatusOptions {
  readonly output: 'table' | 'json' | 'mermaid';
  readonly timeline?: string;
}

/** The steps of one Pod or Workflow of the input, or undefined when cdk8s-steps did not make it. */
export function hostSteps(host: FoundHost): HostSteps | undefined {
  return host.kind === 'Pod' ? podSteps(host.object, host.where) : workflowSteps(host.object, host.where);
}

/** The status of every step pod and StepWorkflow in `file`; returns the exit code. */
export function statusCommand(file: string, options: StatusOptions, out: (s: string) => void): number {
  const input = inputName(file);
  const docs = parseDocuments(readInput(file, 'a Pod as kubectl get pod NAME -o json prints it (or a Workflow: kubectl get wf NAME -o json), or - for standard input'), input);
  const hosts = hostsOf(docs, input);
  const read = hosts.map((host) => ({ host, steps: hostSteps(host) }));
  const ours = read.map((r) => r.steps).filter((p): p is HostSteps => p !== undefined);
  if (ours.length === 0) {
    const names = read.map((r) => r.host.object.metadata.name).join(', ');
    throw new CliError(`${names}: not made by cdk8s-steps (no ${GRAPH_ANNOTATION} annotation); give a pod synthesised with a StepPod or StepJob, or a Workflow with a StepWorkflow`);
  }
  const now = Date.now();
  if (options.output === 'json') {
    out(JSON.stringify(ours.length === 1 ? viewsAsJson(ours[0]) : ours.map(viewsAsJson), null, 2) + '\n');
  } else {
    ours.forEach((p, i) => {
      if (options.output === 'mermaid') {
        out(toMermaid(p.graph, p.views));
        return;
      }
      if (i > 0) out('\n');
      out(`${p.kind === 'Pod' ? 'pod' : 'workflow'} ${p.namespace ? `${p.namespace}/` : ''}${p.name}: ${p.phase ?? 'unknown phase'}, ${describeOutcome(p.outcome, p.over)}\n`);
      out(stepTable(p.views, now) + '\n');
      if (p.views.some(coarseTimes)) {
        out(p.kind === 'Pod' ? '\n(durations to the second: from the container statuses, the reports carry no timestamps)\n'
          : '\n(durations to the second: from the Workflow\'s nodes; Argo pods carry no step reports)\n');
      }
    });
  }
  if (options.timeline) {
    for (const p of ours) {
      const file2 = ours.length === 1 ? options.timeline : options.timeline.replace(/(\.svg)?$/, `-${p.name}.svg`);
      fs.writeFileSync(file2, renderTimeline(p.views, { now, title: `${p.kind === 'Pod' ? 'pod' : 'workflow'} ${p.name}` }).svg);
    }
  }
  return statusExitCode(ours.map((p) => p.outcome));
}

export function describeOutcome(o: Outcome, over?: string): string {
  if (o === 'failed') return over ? `the run failed: ${over.startsWith('the Workflow') ? over : `the pod can no longer run (${over})`}` : 'the run failed';
  return o === 'pending' ? 'steps still pending or running' : 'the run succeeded';
}
