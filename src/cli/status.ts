/**
 * `cdk8s-steps status <pod.json | ->`: a live Pod as `kubectl get pod NAME -o json` prints it (or a
 * List of them), each step's state from the container statuses and its report from the
 * termination message, in topological order.
 */
import * as fs from 'fs';
import { CliError } from './errors';
import { GRAPH_ANNOTATION, parseGraphAnnotation, StepGraphData } from './graph-annotation';
import { K8sObject, parseDocuments, readInput } from './manifest';
import { ContainerFacts, outcome, Outcome, stepViews, StepView } from './model';
import { renderTimeline } from './render/timeline';
import { stepTable } from './table';
import { toMermaid } from './text-graph';
import { parseReport } from '../local/report';

export interface PodSteps {
  readonly name: string;
  readonly namespace?: string;
  readonly phase?: string;
  readonly graph: StepGraphData;
  readonly views: StepView[];
  readonly outcome: Outcome;
}

/** The Pods in the input: one Pod, or the items of a List / PodList. */
export function podsOf(docs: K8sObject[], file: string): K8sObject[] {
  const pods: K8sObject[] = [];
  for (const d of docs) {
    if (d.kind === 'Pod') pods.push(d);
    else if (Array.isArray(d.items)) pods.push(...d.items.filter((i: K8sObject) => i?.kind === 'Pod' || (d.kind === 'PodList' && i)));
  }
  if (pods.length === 0) {
    throw new CliError(`${file} holds no Pod (kinds: ${docs.map((d) => d.kind ?? '?').join(', ')}); give the output of kubectl get pod NAME -o json`);
  }
  return pods;
}

function timeMs(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** What a kubelet's container status says about one step container. */
export function factsFromStatus(status: K8sObject | undefined): ContainerFacts | undefined {
  if (!status?.state) return undefined;
  const t = status.state.terminated;
  if (t) {
    const report = parseReport(t.message);
    return { started: true, exitCode: t.exitCode, report, startedAtMs: timeMs(t.startedAt), finishedAtMs: timeMs(t.finishedAt) };
  }
  if (status.state.running) return { started: true, startedAtMs: timeMs(status.state.running.startedAt) };
  const waiting = status.state.waiting?.reason;
  return { started: false, waitingReason: typeof waiting === 'string' && waiting !== '' ? waiting : undefined };
}

/** The steps of one Pod, or undefined when cdk8s-steps did not make it. */
export function podSteps(pod: K8sObject): PodSteps | undefined {
  const name = String(pod.metadata?.name ?? '?');
  const annotation = pod.metadata?.annotations?.[GRAPH_ANNOTATION];
  if (annotation === undefined) return undefined;
  const graph = parseGraphAnnotation(String(annotation), `pod ${name}`);
  const statuses = new Map<string, K8sObject>((pod.status?.containerStatuses ?? []).map((s: K8sObject) => [s.name, s]));
  const views = stepViews(graph, (step) => factsFromStatus(statuses.get(step)));
  return { name, namespace: pod.metadata?.namespace, phase: pod.status?.phase, graph, views, outcome: outcome(views) };
}

/** Exit code over several pods: 1 when any failed, else 3 while any is pending or running, else 0. */
export function statusExitCode(outcomes: readonly Outcome[]): number {
  if (outcomes.includes('failed')) return 1;
  if (outcomes.includes('pending')) return 3;
  return 0;
}

export function viewsAsJson(p: PodSteps): object {
  const iso = (t?: number) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    pod: p.name,
    namespace: p.namespace,
    phase: p.phase,
    outcome: p.outcome,
    steps: p.views.map((v) => ({
      step: v.name,
      dependsOn: v.dependsOn,
      state: v.state,
      reason: v.report?.reason,
      exitCode: v.report?.exitCode,
      containerExitCode: v.containerExit,
      startedAt: iso(v.startedAtMs),
      finishedAt: iso(v.finishedAtMs),
      timesFrom: v.timesFrom,
      attempts: v.report?.attempts,
      results: v.report?.results,
      message: v.report?.message,
    })),
  };
}

export interface StatusOptions {
  readonly output: 'table' | 'json' | 'mermaid';
  readonly timeline?: string;
}

/** The status of every step pod in `file`; returns the exit code. */
export function statusCommand(file: string, options: StatusOptions, out: (s: string) => void): number {
  const docs = parseDocuments(readInput(file, 'a Pod as kubectl get pod NAME -o json prints it, or - for standard input'), file === '-' ? 'standard input' : file);
  const pods = podsOf(docs, file);
  const ours = pods.map(podSteps).filter((p): p is PodSteps => p !== undefined);
  if (ours.length === 0) {
    const names = pods.map((p) => p.metadata?.name ?? '?').join(', ');
    throw new CliError(`${names}: not made by cdk8s-steps (no ${GRAPH_ANNOTATION} annotation); give a pod synthesised with a StepPod or StepJob`);
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
      const coarse = p.views.some((v) => v.timesFrom === 'container');
      if (i > 0) out('\n');
      out(`pod ${p.namespace ? `${p.namespace}/` : ''}${p.name}: ${p.phase ?? 'unknown phase'}, ${describeOutcome(p.outcome)}\n`);
      out(stepTable(p.views, now) + '\n');
      if (coarse) out('\n(durations to the second: from the container statuses, the reports carry no timestamps)\n');
    });
  }
  if (options.timeline) {
    for (const p of ours) {
      const file2 = ours.length === 1 ? options.timeline : options.timeline.replace(/(\.svg)?$/, `-${p.name}.svg`);
      fs.writeFileSync(file2, renderTimeline(p.views, { now, title: `pod ${p.name}` }).svg);
    }
  }
  return statusExitCode(ours.map((p) => p.outcome));
}

export function describeOutcome(o: Outcome): string {
  return o === 'failed' ? 'the run failed' : o === 'pending' ? 'steps still pending or running' : 'the run succeeded';
}
