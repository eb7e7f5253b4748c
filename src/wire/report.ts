/**
 * The step report read back (docs/contract.md, "Report JSON and the termination-message budget"):
 * the full report of a completion record, a budgeted one (fields dropped), or the compact form
 * `["K",120]`. The entrypoint writes it; the local runner and `cdk8s-steps status` (a kubelet's
 * termination message) read it here. Pure. Internal.
 */

/** The reasons a report can carry. */
export const REASONS = ['Succeeded', 'Failed', 'Skipped', 'TimedOut', 'DependencyLost', 'Aborted'] as const;

/** The compact form's reason codes. */
const COMPACT: Record<string, string> = { S: 'Succeeded', F: 'Failed', K: 'Skipped', T: 'TimedOut', L: 'DependencyLost', A: 'Aborted' };

/** A report as read back: only `reason` and `exitCode` are always there. */
export interface StepReport {
  readonly reason: string;
  readonly exitCode: number;
  readonly step?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly attempts?: number;
  readonly waited?: string;
  readonly results?: Record<string, string>;
  readonly message?: string;
  /**
   * `full` when it has the timestamps, `budgeted` when fields were dropped, `compact` for
   * `["K",120]`; `argo` for the outcome of an Argo Workflow's task, read from its node (phase,
   * exit code, message), where no wrapper writes a report.
   */
  readonly form: 'full' | 'budgeted' | 'compact' | 'argo';
}

/**
 * Parses a termination message or a completion record. Returns undefined when there is no text
 * or it is not a report (e.g. cut by the kubelet below the synthesised budget).
 */
export function parseReport(text: string | undefined): StepReport | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(v)) {
    if (v.length !== 2 || typeof v[0] !== 'string' || !COMPACT[v[0]] || !Number.isInteger(v[1])) return undefined;
    return { reason: COMPACT[v[0]], exitCode: v[1], form: 'compact' };
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.reason !== 'string' || !Number.isInteger(o.exitCode)) return undefined;
  const str = (k: string) => (typeof o[k] === 'string' ? o[k] as string : undefined);
  const results = o.results && typeof o.results === 'object' && !Array.isArray(o.results)
    ? Object.fromEntries(Object.entries(o.results as Record<string, unknown>).map(([k, x]) => [k, String(x)]))
    : undefined;
  const report: StepReport = {
    reason: o.reason,
    exitCode: o.exitCode as number,
    step: str('step'),
    startedAt: str('startedAt'),
    finishedAt: str('finishedAt'),
    attempts: Number.isInteger(o.attempts) ? o.attempts as number : undefined,
    waited: str('waited'),
    results,
    message: str('message'),
    form: str('startedAt') && str('finishedAt') && str('step') ? 'full' : 'budgeted',
  };
  return Object.fromEntries(Object.entries(report).filter(([, x]) => x !== undefined)) as unknown as StepReport;
}
