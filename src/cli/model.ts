/**
 * What the commands show for each step, from a live Pod's container statuses or from a local run:
 * its state, its report, its times; and the run's outcome by the contract's rule ("the run
 * succeeded when every step container exited 0").
 */
import { StepGraph } from '../graph/step-graph';
import { FailedAttempt } from '../wire/attempts';
import { StepGraphData } from '../wire/graph';
import { StepReport } from '../wire/report';
import { HostTraits, StepTraits } from '../wire/step-traits';

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
  /**
   * Where the times come from; `container` times (a kubelet's container status) and `node` times
   * (an Argo Workflow's node) are to the second.
   */
  readonly timesFrom?: 'report' | 'container' | 'node';
  /** Why its container has not started yet, as the kubelet says (e.g. `ImagePullBackOff`). */
  readonly waitingReason?: string;
  /** What the manifest says of the step (condition, retries, timeout, onError, finally), when known. */
  readonly traits?: StepTraits;
  /** The failed attempts the wrapper retried, as its log says (a local run). */
  readonly failedAttempts?: readonly FailedAttempt[];
  /** The attempts started so far, when the host shows them while the step runs (an Argo Retry node). */
  readonly attemptsStarted?: number;
  /**
   * The step is over without an exit code of its own: its pod can no longer run (`NotRun`), or Argo
   * ended its node without one (`Error`, `TimedOut`). Such a step fails the run.
   */
  readonly over?: { readonly reason: string; readonly message: string };
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
  readonly timesFrom?: 'container' | 'node';
  readonly failedAttempts?: readonly FailedAttempt[];
  readonly attemptsStarted?: number;
  readonly over?: { readonly reason: string; readonly message: string };
}

/**
 * The steps in a topological order that keeps declaration order among steps that are ready at the
 * same time: the library's own `StepGraph` order. A cycle (a hand-edited annotation) is an error
 * that names it.
 */
export function topologicalOrder(g: StepGraphData): string[] {
  return StepGraph.fromNodes(g.steps.map((name) => ({ name, dependsOn: g.dependsOn.get(name) ?? [] }))).topologicalOrder();
}

/**
 * The views of every step, in topological order. A step without a container is pending.
 * @param traits what the manifest says of each step, when it is at hand
 */
export function stepViews(graph: StepGraphData, facts: (step: string) => ContainerFacts | undefined, traits?: HostTraits): StepView[] {
  // A step has ended once its container exited, or (seen locally, a moment earlier) once its
  // completion record holds its report, or when its host says it is over.
  const ended = (s: string) => facts(s)?.exitCode !== undefined || facts(s)?.report !== undefined || facts(s)?.over !== undefined;
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
    const view: StepView = {
      name,
      dependsOn,
      state,
      containerExit: f?.exitCode,
      report: r,
      startedAtMs,
      finishedAtMs,
      timesFrom: fromReport ? 'report' : startedAtMs !== undefined ? f?.timesFrom ?? 'container' : undefined,
      waitingReason: state === 'pending' ? f?.waitingReason : undefined,
      traits: traits?.steps.get(name),
      failedAttempts: f?.failedAttempts?.length ? f.failedAttempts : undefined,
      attemptsStarted: f?.attemptsStarted,
      over: f?.exitCode === undefined && r === undefined ? f?.over : undefined,
    };
    return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined)) as unknown as StepView;
  });
}

/** Whether the step's times are to the second (a kubelet's container status, an Argo node). */
export function coarseTimes(v: StepView): boolean {
  return v.timesFrom === 'container' || v.timesFrom === 'node';
}

/**
 * Which attempt a step is on, and of how many, when it may retry: `{ n: 2, of: 3 }` while its
 * second attempt runs (or once it ended after two). Undefined for a step that does not retry, or
 * when nothing tells.
 */
export function attemptOf(v: StepView): { readonly n: number; readonly of: number } | undefined {
  const failed = v.failedAttempts ?? [];
  const of = v.traits ? v.traits.retries + 1 : failed[0]?.of;
  if (of === undefined || of < 2) return undefined;
  if (v.state === 'ended') return v.report?.attempts !== undefined ? { n: v.report.attempts, of } : undefined;
  if (v.state !== 'running') return undefined;
  return { n: Math.max(failed.length + 1, v.attemptsStarted ?? 1), of };
}

/** The reason shown for a step: its report's, or why it is over, or its state. */
export function displayReason(v: StepView): string {
  if (v.report) return v.report.reason;
  if (v.over) return v.over.reason;
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
 * The contract's rule: failed as soon as a step container exited non-zero (or a step is over
 * without running to an exit code: its pod can no longer run, Argo errored its node); otherwise
 * pending while one has not ended; otherwise succeeded.
 */
export function outcome(views: readonly StepView[]): Outcome {
  if (views.some((v) => (v.containerExit !== undefined && v.containerExit !== 0) || v.over !== undefined)) return 'failed';
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
