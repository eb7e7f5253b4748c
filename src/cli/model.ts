/**
 * What the commands show for each step, from a live Pod's container statuses or from a local run:
 * its state, its report, its times; and the run's outcome by the contract's rule ("the run
 * succeeded when every step container exited 0").
 */
import { StepGraph } from '../graph/step-graph';
import { StepGraphData } from '../wire/graph';
import { StepReport } from '../wire/report';

/** pending: its container has not started; waiting: started, a dependency has not ended. */
export type StepState = 'pending' | 'waiting' | 'running' | 'ended';

export interface StepView {
  readonly name: string;
  readonly dependsOn: string[];
  readonly state: StepState;
  /** The container's exit code once it ended. */
  readonly containerExit?: number;
  /** The step report (termination message or completion record), when there is one. */
  readonly report?: StepReport;
  /** Start and end (ms since the epoch): from the report when it has them, else the container's. */
  readonly startedAtMs?: number;
  readonly finishedAtMs?: number;
  /** Where the times come from; `container` times from a kubelet are to the second. */
  readonly timesFrom?: 'report' | 'container';
  /** Why its container has not started yet, as the kubelet says (e.g. `ImagePullBackOff`). */
  readonly waitingReason?: string;
}

/** The input of a view: one container as either source sees it. */
export interface ContainerFacts {
  readonly started: boolean;
  readonly exitCode?: number;
  readonly report?: StepReport;
  readonly startedAtMs?: number;
  readonly finishedAtMs?: number;
  /** Why the container is waiting (kubelet `state.waiting.reason`). */
  readonly waitingReason?: string;
}

/**
 * The steps in a topological order that keeps declaration order among steps that are ready at the
 * same time: the library's own `StepGraph` order. A cycle (a hand-edited annotation) is an error
 * that names it.
 */
export function topologicalOrder(g: StepGraphData): string[] {
  return StepGraph.fromNodes(g.steps.map((name) => ({ name, dependsOn: g.dependsOn.get(name) ?? [] }))).topologicalOrder();
}

/** The views of every step, in topological order. A step without a container is pending. */
export function stepViews(graph: StepGraphData, facts: (step: string) => ContainerFacts | undefined): StepView[] {
  // A step has ended once its container exited, or (seen locally, a moment earlier) once its
  // completion record holds its report.
  const ended = (s: string) => facts(s)?.exitCode !== undefined || facts(s)?.report !== undefined;
  return topologicalOrder(graph).map((name) => {
    const f = facts(name);
    const dependsOn = graph.dependsOn.get(name) ?? [];
    let state: StepState = 'pending';
    if (ended(name)) state = 'ended';
    else if (f?.started) state = dependsOn.every(ended) ? 'running' : 'waiting';
    const r = f?.report;
    const fromReport = r?.startedAt && r?.finishedAt;
    const startedAtMs = fromReport ? Date.parse(r.startedAt!) : f?.startedAtMs;
    const finishedAtMs = fromReport ? Date.parse(r.finishedAt!) : state === 'ended' ? f?.finishedAtMs : undefined;
    return {
      name,
      dependsOn,
      state,
      containerExit: f?.exitCode,
      report: r,
      startedAtMs,
      finishedAtMs,
      timesFrom: fromReport ? 'report' : startedAtMs !== undefined ? 'container' : undefined,
      waitingReason: state === 'pending' ? f?.waitingReason : undefined,
    };
  });
}

/** The reason shown for a step: its report's, or its state. */
export function displayReason(v: StepView): string {
  if (v.report) return v.report.reason;
  if (v.state !== 'ended') return v.state;
  if (v.containerExit === 137) return 'Killed (no report)';
  return 'no report';
}

/**
 * The reason with what a live step is doing: `running since 10:00:05Z` (also `waiting`: started,
 * a dependency has not ended), `pending (ImagePullBackOff)`.
 */
export function stateText(v: StepView): string {
  const reason = displayReason(v);
  if ((v.state === 'running' || v.state === 'waiting') && v.startedAtMs !== undefined) {
    return `${reason} since ${new Date(v.startedAtMs).toISOString().slice(11, 19)}Z`;
  }
  if (v.state === 'pending' && v.waitingReason) return `${reason} (${v.waitingReason})`;
  return reason;
}

export type Outcome = 'failed' | 'pending' | 'succeeded';

/**
 * The contract's rule: failed as soon as a step container exited non-zero; otherwise pending while
 * one has not ended; otherwise succeeded.
 */
export function outcome(views: readonly StepView[]): Outcome {
  if (views.some((v) => v.containerExit !== undefined && v.containerExit !== 0)) return 'failed';
  if (views.some((v) => v.containerExit === undefined)) return 'pending';
  return 'succeeded';
}

/** A duration for people: 850ms, 2.35s, 1m02s; `coarse` (to the second) drops the fraction. */
export function formatDuration(ms: number | undefined, coarse = false): string {
  if (ms === undefined || Number.isNaN(ms)) return '-';
  if (coarse) return ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** The step's duration so far (running) or in total (ended). */
export function stepDuration(v: StepView, now = Date.now()): number | undefined {
  if (v.startedAtMs === undefined) return undefined;
  const end = v.finishedAtMs ?? (v.state === 'ended' ? undefined : now);
  return end === undefined ? undefined : end - v.startedAtMs;
}
