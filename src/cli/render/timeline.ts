/**
 * The timeline: a Gantt chart, one row per step, its bar from its start to its end coloured by
 * outcome, on a time axis. A bar is never narrower than MIN_BAR, and its duration (with the
 * outcome when it is not a success) is written beside it. Steps that did not run (skipped,
 * aborted) are hatched outlines with their reason; a failed step's row is tinted and its label
 * bold; the end of each failed attempt of a retried step is a notch in its bar (the pause before
 * the next attempt is hatched). Dependencies are drawn only where they explain a wait: one thin
 * connector from the dependency that ended last to the step it released, always forward in time,
 * and only where it crosses no other bar or label (else it is left out).
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
  /** The text beside the bar (11 px, bold for a step that failed the run), and where it starts or ends. */
  readonly label: { readonly text: string; readonly x: number; readonly anchor: 'start' | 'end'; readonly bold: boolean };
  /** Where each failed attempt ended (x), when the log says. */
  readonly attemptEnds: number[];
}

/** A box on the picture: x0, y0 (top left) to x1, y1. */
export interface Box { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }

/** A connector drawn: from the end of `from`'s bar to the start of `to`'s, through `points`. */
export interface Wait {
  readonly from: string;
  readonly to: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
}

export interface TimelineLayout {
  readonly width: number;
  readonly height: number;
  /** One per step that has a start time, in the views' order. */
  readonly bars: Bar[];
  /** The connectors drawn: the dependency that released each step. */
  readonly waits: readonly Wait[];
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
/** How far right of the plot a label may reach before it goes left of its bar, or its reason is cut. */
const LABEL_SPILL = 240;
/** The arrowhead of a connector: its half width and its length (markerWidth 7 at stroke width 1). */
const HEAD = { half: 4, length: 8 };
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

/** `s` on one line, cut (with an ellipsis) to at most `room` px at `px`. */
function fit(s: string, room: number, px: number, bold = false): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (textWidth(t, px, bold) <= room) return t;
  const chars = [...t];
  let n = chars.length;
  while (n > 0 && textWidth(`${chars.slice(0, n).join('')}…`, px, bold) > room) n--;
  return `${chars.slice(0, n).join('')}…`;
}

/** The words beside a step's bar; a reason why it did not run is cut to `whyRoom` px (11 px text). */
function labelOf(v: StepView, now: number, whyRoom = Infinity): string {
  const reason = displayReason(v);
  const d = formatDuration(stepDuration(v, now), coarseTimes(v));
  const exit = v.report?.exitCode ?? v.containerExit;
  const a = attemptOf(v);
  const attempts = a ? (v.state === 'ended' ? `${a.n} of ${a.of} attempts` : `attempt ${a.n}/${a.of}`) : v.report?.attempts && v.report.attempts > 1 ? `${v.report.attempts} attempts` : '';
  if (DID_NOT_RUN.has(reason)) {
    const why = v.report?.message ?? v.over?.message;
    const head = `${reason}${exit !== undefined ? ` (exit ${exit})` : ''}`;
    return why ? `${head}: ${fit(why, Math.max(40, whyRoom - textWidth(`${head}: `, 11)), 11)}` : head;
  }
  const parts = [reason === 'Succeeded' ? d : `${reason}${exit !== undefined && reason !== 'running' ? ` (exit ${exit})` : ''} ${d}`];
  if (attempts) parts.push(attempts);
  return parts.join(' · ');
}

/** What the row of a step that never started says. */
function notStarted(v: StepView): string {
  return v.over ? `${v.over.reason}: ${short(v.over.message, 70)}` : displayReason(v) === 'pending' ? 'not started' : displayReason(v);
}

function boxOf(b: Bar): Box {
  return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
}

/** Where a bar's label is drawn (11 px text: from a little above the bar's top to its bottom). */
export function labelBox(b: Bar): Box {
  const w = textWidth(b.label.text, 11, b.label.bold);
  const x0 = b.label.anchor === 'start' ? b.label.x : b.label.x - w;
  return { x0, y0: b.y, x1: x0 + w, y1: b.y + b.height };
}

const sameBox = (a: Box, b: Box) => a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

/**
 * A connector's path: from the bottom (or top) right corner of `from`'s bar into the gap between
 * the rows, along it to just inside the start of `to`'s bar, then straight down (or up) to its
 * edge, where the arrowhead ends.
 */
function route(from: Bar, to: Bar): Array<{ x: number; y: number }> {
  const down = to.y > from.y;
  const x1 = from.x + from.width - 0.5;
  const y1 = down ? from.y + from.height : from.y;
  const gap = y1 + (down ? 4 : -4);
  const x2 = Math.max(to.x + Math.min(HEAD.half, to.width / 2), x1);
  const y2 = down ? to.y : to.y + to.height;
  return x2 - x1 < 0.5 ? [{ x: x1, y: y1 }, { x: x1, y: y2 }] : [{ x: x1, y: y1 }, { x: x1, y: gap }, { x: x2, y: gap }, { x: x2, y: y2 }];
}

/** The boxes a path's segments take (a dashed line 1 px wide; the last one ends in the arrowhead). */
export function segmentsOf(points: ReadonlyArray<{ x: number; y: number }>): Box[] {
  const boxes: Box[] = [];
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    boxes.push({ x0: Math.min(a.x, b.x) - 0.5, y0: Math.min(a.y, b.y) - 0.5, x1: Math.max(a.x, b.x) + 0.5, y1: Math.max(a.y, b.y) + 0.5 });
  }
  const [a, b] = [points[points.length - 2], points[points.length - 1]];
  const dy = Math.sign(b.y - a.y);
  boxes.push({ x0: b.x - HEAD.half, y0: Math.min(b.y, b.y - dy * HEAD.length), x1: b.x + HEAD.half, y1: Math.max(b.y, b.y - dy * HEAD.length) });
  return boxes;
}

/** Whether two boxes share more than an edge. */
export function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
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
  const nameWidth = Math.max(60, ...views.map((v) => textWidth(v.name, 12, true))) + 16;
  const scale = PLOT_WIDTH / span;
  const xOf = (t: number) => nameWidth + (t - origin) * scale;
  const rowOf = new Map(views.map((v, i) => [v.name, i]));
  const coarse = timed.some(coarseTimes);
  const plotBottom = TOP + views.length * ROW;

  // What failed the run, not what it skipped: a step that failed, timed out, was lost or could not run.
  const failedRun = (v: StepView) => (v.containerExit !== undefined && v.containerExit !== 0) || v.over !== undefined;
  const failed = views.filter((v) => failedRun(v) && !DID_NOT_RUN_BY_CHOICE.has(displayReason(v)));
  const labelEdge = nameWidth + PLOT_WIDTH + LABEL_SPILL;

  const bars: Bar[] = timed.map((v) => {
    const x = xOf(v.startedAtMs!);
    const width = Math.max(MIN_BAR, ((v.finishedAtMs ?? now) - v.startedAtMs!) * scale);
    const y = TOP + rowOf.get(v.name)! * ROW + (ROW - BAR) / 2;
    const bold = failed.includes(v);
    // Beside the bar on the right; left of it when the right has too little room. A reason is cut
    // to the room of the side it goes on, not to a number of characters.
    const right = x + width + 5;
    const roomRight = labelEdge - right;
    const roomLeft = x - 5 - nameWidth;
    const whole = labelOf(v, now);
    const w = textWidth(whole, 11, bold);
    const onRight = w <= roomRight || (w > roomLeft && roomRight >= roomLeft);
    const text = w <= (onRight ? roomRight : roomLeft) ? whole : labelOf(v, now, onRight ? roomRight : roomLeft);
    const label = onRight ? { text, x: right, anchor: 'start' as const, bold } : { text, x: x - 5, anchor: 'end' as const, bold };
    const attemptEnds = (v.failedAttempts ?? []).filter((a) => a.atMs !== undefined).map((a) => xOf(a.atMs!));
    return { step: v.name, x, y, width, height: BAR, color: colorOf(v), hatched: DID_NOT_RUN.has(displayReason(v)), label, attemptEnds };
  });
  const barOf = new Map(bars.map((b) => [b.step, b]));

  // The dependency that released each step: the one that ended last, if it ended before the step started.
  const waits: Wait[] = [];
  // What a connector must not cross: every bar and label, and the words of a step that never started.
  const obstacles: Array<Box & { step: string }> = bars.flatMap((b) => [{ step: b.step, ...boxOf(b) }, { step: b.step, ...labelBox(b) }]);
  views.forEach((v, i) => {
    if (v.startedAtMs !== undefined) return;
    const y = TOP + i * ROW;
    obstacles.push({ step: v.name, x0: nameWidth, y0: y + 4, x1: nameWidth + 4 + textWidth(notStarted(v), 10), y1: y + ROW - 4 });
  });
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
    if (!from || !to || !explains || from.x + from.width > to.x + 0.5) continue;
    const points = route(from, to);
    // Left out where it would cross another bar or label (a picture is read by its bars, not its connectors).
    const crosses = obstacles.some((o) => !(o.step === from.step && sameBox(o, boxOf(from))) && !(o.step === to.step && sameBox(o, boxOf(to)))
      && segmentsOf(points).some((seg) => overlaps(seg, o)));
    if (!crosses) waits.push({ from: from.step, to: to.step, points });
  }

  const labelRight = Math.max(nameWidth + PLOT_WIDTH, ...bars.map((b) => (b.label.anchor === 'start' ? labelBox(b).x1 : b.x + b.width)));
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
      const why = notStarted(v);
      body.push(`<text x="${nameWidth + 4}" y="${y + ROW / 2 + 4}" ${SMALL_FONT} font-style="italic" fill="#78909c">${esc(why)}</text>`);
    }
  });
  // Connectors under the bars: from the dependency's end, along the gap between rows, down (or up) into the step's start.
  for (const w of waits) {
    body.push(`<path d="M${w.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' L')}" fill="none" stroke="${EDGE}" stroke-width="1" stroke-dasharray="3 2" marker-end="url(#arrow)"/>`);
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

  const titleWidth = textWidth(title, 12, true) + (summary ? 16 + textWidth(summary, 12, true) : 0);
  const captionWidth = Math.max(...caption.map((c) => textWidth(c, 11)));
  const width = Math.ceil(Math.max(labelRight + MARGIN, axisRight + MARGIN, 8 + Math.max(l.width, captionWidth, titleWidth) + MARGIN));
  const height = legendY + 40 + (caption.length - 1) * 15;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  const hatches = [...reasons].map((r) => `<pattern id="hatch-${r}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">`
    + `<rect width="6" height="6" fill="#ffffff"/><rect width="2.5" height="6" fill="${REASON_COLORS[r] ?? '#212121'}"/></pattern>`);
  hatches.push('<pattern id="hatch-pause" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#ffffff" fill-opacity="0.55"/><rect width="1.5" height="4" fill="#ffffff"/></pattern>');
  parts.push(`<defs>${arrowMarker('arrow', EDGE)}${hatches.join('')}</defs>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="8" y="20" ${FONT} font-weight="bold">${esc(title)}</text>`);
  if (summary) parts.push(`<text x="${8 + textWidth(title, 12, true) + 16}" y="20" ${FONT} font-weight="bold" fill="${REASON_COLORS.Failed}">${esc(summary)}</text>`);
  parts.push(...body);
  parts.push('</svg>');
  return { width, height, bars, waits, svg: parts.join('\n') };
}
