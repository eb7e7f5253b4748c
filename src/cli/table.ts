/** The final table: STEP REASON EXIT DURATION ATTEMPTS RESULTS MESSAGE, one row per step. */
import { attemptOf, coarseTimes, formatDuration, stateText, stepDuration, StepView } from './model';

const MESSAGE_WIDTH = 80;

/** Aligned columns; the last column is not padded. */
export function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function oneLine(s: string | undefined, width: number): string {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > width ? `${t.slice(0, width - 1)}…` : t;
}

/** The exit code shown: the report's (the command's), else the container's. */
export function exitShown(v: StepView): string {
  return String(v.report?.exitCode ?? v.containerExit ?? '-');
}

/** The attempts: `2/3` when the step may retry (attempts so far, or in all, of at most), else the report's count. */
export function attemptsShown(v: StepView): string {
  const a = attemptOf(v);
  if (a) return `${a.n}/${a.of}`;
  return String(v.report?.attempts ?? '-');
}

export function stepTable(views: readonly StepView[], now = Date.now()): string {
  const rows = [['STEP', 'REASON', 'EXIT', 'DURATION', 'ATTEMPTS', 'RESULTS', 'MESSAGE']];
  for (const v of views) {
    const results = Object.entries(v.report?.results ?? {}).map(([k, x]) => `${k}=${oneLine(x, 24)}`).join(',');
    rows.push([
      v.name,
      stateText(v),
      exitShown(v),
      formatDuration(stepDuration(v, now), coarseTimes(v)),
      attemptsShown(v),
      results || '-',
      oneLine(v.report?.message ?? v.over?.message, MESSAGE_WIDTH),
    ]);
  }
  return alignColumns(rows);
}
