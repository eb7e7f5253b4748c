/**
 * Reading a step report back (docs/contract.md, "Report JSON and the termination-message budget"):
 * the full report, a budgeted one (fields dropped), or the compact form `["K",120]`.
 * Pure: used by the local runner and by `cdk8s-steps status` on a kubelet's Pod.
 */

/** The reasons a report can carry. */
export const REASONS = ['Succeeded', 'Failed', 'Skipped', 'TimedOut', 'DependencyLost', 'Aborted'] as const;

/** The compact form's reason codes. */
const COMPACT: Record<string, string> = { S: 'Succeeded', F: 'Failed', K: 'Skipped', T: 'TimedOut', L: 'DependencyLost', A: 'Aborted' };

/** A report as read back: only `reason` and `exitCode` are always there. */
export interface ParsedReport {
  readonly reason: string;
  readonly exitCode: number;
  readonly step?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly attempts?: number;
  readonly waited?: string;
  readonly results?: Record<string, string>;
  readonly message?: string;
  /** `full` when it has the timestamps, `budgeted` when fields were dropped, `compact` for `["K",120]`. */
  readonly form: 'full' | 'budgeted' | 'compact';
}

/**
 * Parses a termination message or a completion record. Returns undefined when the text is empty
 * or is not a report (e.g. cut by the kubelet below the synthesised budget).
 */
export function parseReport(text: string | undefined): ParsedReport | undefined {
  if (!text || !text.trim()) return undefined;
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
  const report: ParsedReport = {
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
  return Object.fromEntries(Object.entries(report).filter(([, x]) => x !== undefined)) as unknown as ParsedReport;
}

/** The kubelet's cut of a termination message: at most min(4096, 12288 / containers) bytes. */
export function kubeletMessageBudget(containers: number): number {
  return Math.min(4096, Math.floor(12288 / Math.max(1, containers)));
}

/** Cuts `text` to `bytes` UTF-8 bytes, as the kubelet does (a prefix; it may end mid-character). */
export function cutToBytes(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= bytes ? text : buf.subarray(0, bytes).toString('utf8');
}
