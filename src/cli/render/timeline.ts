/**
 * The timeline: a Gantt chart, one row per step, its bar from its start to its end coloured by
 * outcome, on a time axis. A bar is never narrower than MIN_BAR, and its duration (with the
 * outcome when it is not a success) is written beside it. Steps that did not run (skipped,
 * aborted) are hatched outlines with their reason; a failed step's row is tinted and its label
 * bold; the end of each failed attempt of a retried step is a notch in its bar (the pause before
 * the next attempt is hatched). Dependencies are drawn only where they explain a wait: one thin
 * connector from the dependency that ended last to the step it released, always forward in time.
 */
import { attemptOf, coarseTimes, displayReason, formatDuration, stepDuration, StepView } from '../model';
import { arrowMarker, colorOf, esc, FONT, FONT_FAMILY, legend, REASON_COLORS, SMALL_FONT, textWidth } from './svg';

const LABEL_FONT = `font-family="${FONT_FAMILY}" font-size="11"`;

export interface Bar {
  readonly step: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: string;
  /** Outlined and hatched: the step did not run its command (skipped, aborted, lost). */
  readonly hatched: boolean;
  /** The text beside the bar, and where it starts. */
  readonly label: { readonly text: string; readonly x: number; readonly anchor: 'start' | 'end' };
  /** Where each failed attempt ended (x), when the log says. */
  readonly attemptEnds: number[];
}

export interface TimelineLayout {
  readonly width: number;
  readonly height: number;
  /** One per step that has a start time, in the views' order. */
  readonly bars: Bar[];
  /** The connectors drawn: the dependency that released each step. */
  readonly waits: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  readonly svg: string;
}

const ROW = 24;
const BAR = 14;
const PLOT_WIDTH = 720;
/** The narrowest bar: a step of a few milliseconds in a run of minutes is still a visible mark. */
export const MIN_BAR = 6;
const TOP = 44;
const MARGIN = 10;
const EDGE = '#78909c';
/** Outcomes that mean the step's command did not run. */
const DID_NOT_RUN = new Set(['Skipped', 'Aborted', 'DependencyLost', 'NotRun', 'Lost']);
/** ...because of what happened upstream: not the cause of a failed run. */
const DID_NOT_RUN_BY_CHOICE = new Set(['Skipped', 'Aborted']);

/** A tick step of 1, 2 or 5 times a power of ten giving about 8 ticks over `span` ms. */
function tickStep(span: number): number {
  const raw = Math.max(span, 1) / 8;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
}

function tickLabel(ms: number, step: number): string {
  if (step >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (step >= 1000) return `${(ms / 1000).toFixed(step % 1000 === 0 ? 0 : 1)}s`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(step >= 100 ? 1 : 2)}s` : `${ms}ms`;
}

function short(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The words beside a step's bar. */
function labelOf(v: StepView, now: number): string {
  const reason = displayReason(v);
  const d = formatDuration(stepDuration(v, now), coarseTimes(v));
  const exit = v.report?.exitCode ?? v.containerExit;
  const a = attemptOf(v);
  const attempts = a ? (v.state === 'ended' ? `${a.n} of ${a.of} attempts` : `attempt ${a.n}/${a.of}`) : v.report?.attempts && v.report.attempts > 1 ? `${v.report.attempts} attempts` : '';
  if (DID_NOT_RUN.has(reason)) {
    const why = v.report?.message ?? v.over?.message;
    return `${reason}${exit !== undefined ? ` (exit ${exit})` : ''}${why ? `: ${short(why, 60)}` : ''}`;
  }
  const parts = [reason === 'Succeeded' ? d : `${reason}${exit !== undefined && reason !== 'running' ? ` (exit ${exit})` : ''} ${d}`];
  if (attempts) parts.push(attempts);
  return parts.join(' · ');
}

/**
 * Lays out and draws the timeline. `now` closes the bars of steps still running.
 */
export function renderTimeline(views: readonly StepView[], options: { now?: number; title?: string } = {}): TimelineLayout {
  const now = options.now ?? Date.now();
  const timed = views.filter((v) => v.startedAtMs !== undefined);
  const origin = Math.min(...timed.map((v) => v.startedAtMs!), now);
  const end = Math.max(...timed.map((v) => v.finishedAtMs ?? now), origin + 1);
  const span = end - origin;
  const nameWidth = Math.max(60, ...views.map((v) => textWidth(v.name))) + 16;
  const scale = PLOT_WIDTH / span;
  const xOf = (t: number) => nameWidth + (t - origin) * scale;
  const rowOf = new Map(views.map((v, i) => [v.name, i]));
  const coarse = timed.some(coarseTimes);
  const plotBottom = TOP + views.length * ROW;

  const bars: Bar[] = timed.map((v) => {
    const x = xOf(v.startedAtMs!);
    const width = Math.max(MIN_BAR, ((v.finishedAtMs ?? now) - v.startedAtMs!) * scale);
    const y = TOP + rowOf.get(v.name)! * ROW + (ROW - BAR) / 2;
    const text = labelOf(v, now);
    const w = textWidth(text, 11);
    // Beside the bar on the right; left of it when the right would leave the plot by far.
    const right = x + width + 5;
    const label = right + w <= nameWidth + PLOT_WIDTH + 200 || x - 5 - w < nameWidth
      ? { text, x: right, anchor: 'start' as const }
      : { text, x: x - 5, anchor: 'end' as const };
    const attemptEnds = (v.failedAttempts ?? []).filter((a) => a.atMs !== undefined).map((a) => xOf(a.atMs!));
    return { step: v.name, x, y, width, height: BAR, color: colorOf(v), hatched: DID_NOT_RUN.has(displayReason(v)), label, attemptEnds };
  });
  const barOf = new Map(bars.map((b) => [b.step, b]));

  // The dependency that released each step: the one that ended last, if it ended before the step started.
  const waits: Array<{ from: string; to: string }> = [];
  const viewOf = new Map(views.map((v) => [v.name, v]));
  for (const v of views) {
    if (v.startedAtMs === undefined || v.dependsOn.length === 0) continue;
    const ends = v.dependsOn.map((d) => viewOf.get(d)).filter((d): d is StepView => d?.finishedAtMs !== undefined);
    if (ends.length !== v.dependsOn.length) continue;
    const last = ends.reduce((a, b) => (b.finishedAtMs! > a.finishedAtMs! ? b : a));
    const from = barOf.get(last.name);
    const to = barOf.get(v.name);
    // It explains the wait only when the step started right after it ended (a container that
    // started late, as podman starts them one by one, was not waiting for it).
    const gap = v.startedAtMs - last.finishedAtMs!;
    const explains = gap >= 0 && gap <= (coarse ? 1000 : Math.max(250, span * 0.02));
    // Drawn only forward: a bar widened to MIN_BAR may reach past the start it explains.
    if (from && to && explains && from.x + from.width <= to.x + 0.5) waits.push({ from: last.name, to: v.name });
  }

  const labelRight = Math.max(nameWidth + PLOT_WIDTH, ...bars.map((b) => (b.label.anchor === 'start' ? b.label.x + textWidth(b.label.text, 11) : b.x + b.width)));
  // What failed the run, not what it skipped: a step that failed, timed out, was lost or could not run.
  const failedRun = (v: StepView) => (v.containerExit !== undefined && v.containerExit !== 0) || v.over !== undefined;
  const failed = views.filter((v) => failedRun(v) && !DID_NOT_RUN_BY_CHOICE.has(displayReason(v)));
  const title = options.title ?? 'cdk8s-steps timeline';
  const cause = (v: StepView) => `${v.name} (${displayReason(v)}${v.report?.exitCode !== undefined ? `, exit ${v.report.exitCode}` : ''})`;
  const summary = failed.length > 0 ? `failed: ${failed.slice(0, 3).map(cause).join(', ')}${failed.length > 3 ? ` and ${failed.length - 3} more` : ''}` : '';

  const body: string[] = [];
  // Axis and grid.
  const step = tickStep(span);
  let axisRight = nameWidth + PLOT_WIDTH;
  for (let t = 0; t <= span + 1e-9; t += step) {
    const x = nameWidth + t * scale;
    const text = tickLabel(Math.round(t), step);
    body.push(`<line x1="${x.toFixed(1)}" y1="${TOP - 4}" x2="${x.toFixed(1)}" y2="${plotBottom}" stroke="#eceff1"/>`);
    body.push(`<text x="${x.toFixed(1)}" y="${plotBottom + 16}" ${FONT} text-anchor="middle">${text}</text>`);
    axisRight = Math.max(axisRight, x + textWidth(text) / 2);
  }
  body.push(`<line x1="${nameWidth}" y1="${plotBottom}" x2="${nameWidth + PLOT_WIDTH}" y2="${plotBottom}" stroke="#455a64"/>`);
  // Rows: a failed step's row is tinted; names; steps that never started say so.
  views.forEach((v, i) => {
    const y = TOP + i * ROW;
    if (failed.includes(v)) body.push(`<rect x="0" y="${y}" width="${Math.ceil(labelRight + MARGIN)}" height="${ROW}" fill="#ffebee"/>`);
    const isFailed = failed.includes(v);
    body.push(`<text x="${nameWidth - 8}" y="${y + ROW / 2 + 4}" ${FONT} text-anchor="end"${isFailed ? ' font-weight="bold" fill="#b71c1c"' : ''}>${esc(v.name)}</text>`);
    if (v.startedAtMs === undefined) {
      const why = v.over ? `${v.over.reason}: ${short(v.over.message, 70)}` : displayReason(v) === 'pending' ? 'not started' : displayReason(v);
      body.push(`<text x="${nameWidth + 4}" y="${y + ROW / 2 + 4}" ${SMALL_FONT} font-style="italic" fill="#78909c">${esc(why)}</text>`);
    }
  });
  // Connectors under the bars: right from the dependency's end, then down (or up) into the step's start.
  for (const w of waits) {
    const from = barOf.get(w.from)!;
    const to = barOf.get(w.to)!;
    const x1 = from.x + from.width;
    const y1 = from.y + from.height / 2;
    const x2 = Math.max(to.x + 1.5, x1);
    const y2 = to.y > from.y ? to.y : to.y + to.height;
    body.push(`<path d="M${x1.toFixed(1)},${y1} H${x2.toFixed(1)} V${y2}" fill="none" stroke="${EDGE}" stroke-width="1" stroke-dasharray="3 2" marker-end="url(#arrow)"/>`);
  }
  // Bars, with their attempts and labels.
  const reasons = new Set<string>();
  for (const b of bars) {
    const v = views[rowOf.get(b.step)!];
    const reason = displayReason(v);
    reasons.add(reason);
    const tip = `${v.name}: ${labelOf(v, now)}${v.report?.message ? `\n${v.report.message}` : ''}`;
    const fill = b.hatched ? `url(#hatch-${reason})` : b.color;
    const stroke = b.hatched ? ` stroke="${b.color}" stroke-width="1.5"` : '';
    body.push(`<g><title>${esc(tip)}</title><rect x="${b.x.toFixed(1)}" y="${b.y}" width="${b.width.toFixed(1)}" height="${b.height}" fill="${fill}"${stroke} rx="2"/>`);
    for (const a of v.failedAttempts ?? []) {
      if (a.atMs === undefined) continue;
      const x = xOf(a.atMs);
      const gap = Math.min(a.backoffMs * scale, b.x + b.width - x);
      if (gap > 0.5) body.push(`<rect x="${x.toFixed(1)}" y="${b.y}" width="${gap.toFixed(1)}" height="${b.height}" fill="url(#hatch-pause)"/>`);
      body.push(`<line x1="${x.toFixed(1)}" y1="${b.y - 3}" x2="${x.toFixed(1)}" y2="${b.y + b.height + 3}" stroke="#212121" stroke-width="2"/>`);
    }
    body.push('</g>');
    const isFailed = failed.includes(v);
    body.push(`<text x="${b.label.x.toFixed(1)}" y="${b.y + b.height - 3}" ${LABEL_FONT} text-anchor="${b.label.anchor}"`
      + `${isFailed ? ` font-weight="bold" fill="${REASON_COLORS.Failed}"` : ' fill="#37474f"'}>${esc(b.label.text)}</text>`);
  }
  for (const v of views) if (v.startedAtMs === undefined) reasons.add(displayReason(v));
  // Legend and caption.
  const legendY = plotBottom + 30;
  const l = legend([...reasons], 8, legendY);
  body.push(l.svg);
  const notes: string[] = [];
  if (bars.some((b) => b.hatched)) notes.push('hatched: the command did not run');
  if (bars.some((b) => b.attemptEnds.length)) notes.push('notch: a failed attempt, then the pause before the next');
  if (waits.length) notes.push('dashed: the dependency that released the step');
  const times = !coarse ? 'times from the step reports (milliseconds)'
    : timed.every(coarseTimes) ? 'times to the second (from container statuses or Argo nodes: no step reports)'
      : 'times from the step reports, some to the second (steps without a report yet)';
  // The caption: one line for the times, the notes on as few lines as fit the plot's width.
  const caption = [times];
  for (const n of notes) {
    const joined = `${caption[caption.length - 1]} · ${n}`;
    if (caption.length > 1 && textWidth(joined, 11) <= nameWidth + PLOT_WIDTH) caption[caption.length - 1] = joined;
    else caption.push(n);
  }
  caption.forEach((line, i) => body.push(`<text x="8" y="${legendY + 30 + i * 15}" ${LABEL_FONT} fill="#546e7a">${esc(line)}</text>`));

  const width = Math.ceil(Math.max(labelRight + MARGIN, axisRight + MARGIN, 8 + l.width + MARGIN, ...caption.map((c) => 8 + textWidth(c, 11) + MARGIN), 8 + textWidth(`${title}  ${summary}`) + MARGIN));
  const height = legendY + 40 + (caption.length - 1) * 15;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  const hatches = [...reasons].map((r) => `<pattern id="hatch-${r}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">`
    + `<rect width="6" height="6" fill="#ffffff"/><rect width="2.5" height="6" fill="${REASON_COLORS[r] ?? '#212121'}"/></pattern>`);
  hatches.push('<pattern id="hatch-pause" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#ffffff" fill-opacity="0.55"/><rect width="1.5" height="4" fill="#ffffff"/></pattern>');
  parts.push(`<defs>${arrowMarker('arrow', EDGE)}${hatches.join('')}</defs>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="8" y="20" ${FONT} font-weight="bold">${esc(title)}</text>`);
  if (summary) parts.push(`<text x="${8 + textWidth(title) + 16}" y="20" ${FONT} font-weight="bold" fill="${REASON_COLORS.Failed}">${esc(summary)}</text>`);
  parts.push(...body);
  parts.push('</svg>');
  return { width, height, bars, waits, svg: parts.join('\n') };
}
