/**
 * `cdk8s-steps status <pod.json | ->`: a live Pod as `kubectl get pod NAME -o json` prints it (or a
 * List of them), each step's state from the container statuses and its report from the
 * termination message, in topological order.
 */
import * as fs from 'fs';
import { CliError } from './errors';
import { parseDocuments, readInput } from './manifest';
import { ContainerFacts, outcome, Outcome, stepViews, StepView } from './model';
import { renderTimeline } from './render/timeline';
import { stepTable } from './table';
import { toMermaid } from './text-graph';
import { describe, WireError } from '../wire/errors';
import { readGraphAnnotation, StepGraphData } from '../wire/graph';
import { GRAPH_ANNOTATION } from '../wire/layout';
import { LiveContainerStatus, readLivePod } from '../wire/live-pod';
import { parseReport } from '../wire/report';
import { K8sObject } from '../wire/workload';

export interface PodSteps {
  readonly name: string;
  readonly namespace?: string;
  readonly phase?: string;
  readonly graph: StepGraphData;
  readonly views: StepView[];
  readonly outcome: Outcome;
}

/** One Pod of the input, and where it is (for messages until its name is read). */
export interface FoundPod {
  readonly pod: K8sObject;
  readonly where: string;
}

/** The Pods in the input: one Pod, or the items of a List / PodList. */
export function podsOf(docs: K8sObject[], file: string): FoundPod[] {
  const pods: FoundPod[] = [];
  docs.forEach((d, i) => {
    const doc = docs.length > 1 ? `document ${i + 1} of ${file}` : file;
    if (d.kind === 'Pod') {
      pods.push({ pod: d, where: `the Pod in ${doc}` });
    } else if (d.kind === 'List' || d.kind === 'PodList' || d.items !== undefined) {
      if (!Array.isArray(d.items)) throw new WireError(`${doc}: items is ${describe(d.items)}, not a list; give the output of kubectl get pods -o json`);
      d.items.forEach((item: unknown, j: number) => {
        const where = `items[${j}] of ${doc}`;
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          throw new WireError(`${where} is ${describe(item)}, not an object; give the output of kubectl get pods -o json`);
        }
        const kind = (item as K8sObject).kind;
        if (kind === 'Pod' || (d.kind === 'PodList' && kind === undefined)) pods.push({ pod: item, where });
      });
    }
  });
  if (pods.length === 0) {
    throw new CliError(`${file} holds no Pod (kinds: ${docs.map((d) => d.kind ?? '?').join(', ')}); give the output of kubectl get pod NAME -o json`);
  }
  return pods;
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
 * The steps of one Pod, or undefined when cdk8s-steps did not make it. Throws a `WireError` naming
 * the field for a Pod whose fields have the wrong type, or whose graph annotation is malformed.
 * @param where names the pod in messages until its name is read
 */
export function podSteps(pod: K8sObject, where = 'the Pod'): PodSteps | undefined {
  const live = readLivePod(pod, where);
  if (live.graphAnnotation === undefined) return undefined;
  const graph = readGraphAnnotation(live.graphAnnotation, `pod ${live.name}`);
  const statuses = new Map(live.containerStatuses.map((s) => [s.name, s]));
  const views = stepViews(graph, (step) => factsFromStatus(statuses.get(step)));
  return { name: live.name, namespace: live.namespace, phase: live.phase, graph, views, outcome: outcome(views) };
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
  const pods = podsOf(docs, file === '-' ? 'standard input' : file);
  const read = pods.map(({ pod, where }) => ({ pod, steps: podSteps(pod, where) }));
  const ours = read.map((r) => r.steps).filter((p): p is PodSteps => p !== undefined);
  if (ours.length === 0) {
    const names = read.map((r) => r.pod.metadata.name).join(', ');
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
