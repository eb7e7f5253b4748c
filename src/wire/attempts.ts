/**
 * The wrapper's retry line (docs/contract.md, "Attempts while a step runs"): the one thing a step
 * shows of its attempts before its report exists. After a failed attempt that it retries, the
 * wrapper prints on stderr
 *
 *     entrypoint: step <step>: attempt <k> of <m> failed (exit code <c>), retrying in <Go duration>
 *
 * and waits that long before attempt k + 1. Read back by the CLI for `attempt n/m` and the
 * timeline's attempt marks. Pure. Internal.
 */

/** One failed attempt that the wrapper retries. */
export interface FailedAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Attempts at most (`-retries` + 1). */
  readonly of: number;
  readonly exitCode: number;
  /** The pause before the next attempt, in milliseconds. */
  readonly backoffMs: number;
  /** When the line was written (ms since the epoch), when the log says. */
  readonly atMs?: number;
}

const LINE = /^entrypoint: step ([a-z0-9-]+): attempt (\d+) of (\d+) failed \(exit code (-?\d+)\), retrying in (\S+)$/;

/** Go's `time.Duration.String()` as milliseconds ("500ms", "1s", "1m0s", "1.5s"); undefined if it is not one. */
export function parseGoDuration(s: string): number | undefined {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]], 0);
}

/** The failed attempt a log line reports, if it is the wrapper's retry line for `step`. */
export function parseRetryLine(text: string, step: string, atMs?: number): FailedAttempt | undefined {
  const m = LINE.exec(text.trimEnd());
  if (!m || m[1] !== step) return undefined;
  const backoffMs = parseGoDuration(m[5]);
  if (backoffMs === undefined) return undefined;
  return { attempt: Number(m[2]), of: Number(m[3]), exitCode: Number(m[4]), backoffMs, ...atMs !== undefined ? { atMs } : {} };
}

/**
 * The failed attempts a step's log shows, in order (lines with an RFC 3339 `time`, as the local
 * runner reads podman's log, or without).
 */
export function failedAttempts(step: string, lines: ReadonlyArray<{ readonly text: string; readonly time?: string }>): FailedAttempt[] {
  const out: FailedAttempt[] = [];
  for (const l of lines) {
    const t = l.time === undefined ? undefined : Date.parse(l.time);
    const a = parseRetryLine(l.text, step, t === undefined || Number.isNaN(t) ? undefined : t);
    if (a) out.push(a);
  }
  return out;
}
