/**
 * The timeline: a Gantt chart, one bar per step from its start to its end, coloured by reason,
 * with a time axis and the dependency arrows (from a dependency's end to its dependent's start).
 */
import { displayReason, StepView } from '../model';
import { arrowMarker, colorOf, esc, FONT, legend, textWidth } from './svg';

export interface Bar {
  readonly step: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: string;
}

export interface TimelineLayout {
  readonly width: number;
  readonly height: number;
  /** One per step that has a start time, in the views' order. */
  readonly bars: Bar[];
  readonly svg: string;
}

const ROW = 24;
const BAR = 16;
const PLOT_WIDTH = 720;
const MIN_BAR = 3;
const TOP = 40;

/** A tick step of 1, 2 or 5 times a power of ten giving about 8 ticks over `span` ms. */
function tickStep(span: number): number {
  const raw = Math.max(span, 1) / 8;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
}

function tickLabel(ms: number, step: number): string {
  if (step >= 1000) return `${(ms / 1000).toFixed(step % 1000 === 0 ? 0 : 1)}s`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(step >= 100 ? 1 : 2)}s` : `${ms}ms`;
}

/**
 * Lays out and draws the timeline. `now` closes the bars of steps still running; `coarse` adds the
 * caption that the times are to the second (container statuses, not reports).
 */
export function renderTimeline(views: readonly StepView[], options: { now?: number; title?: string } = {}): TimelineLayout {
  const now = options.now ?? Date.now();
  const timed = views.filter((v) => v.startedAtMs !== undefined);
  const origin = Math.min(...timed.map((v) => v.startedAtMs!), now);
  const end = Math.max(...timed.map((v) => v.finishedAtMs ?? now), origin + 1);
  const span = end - origin;
  const labelWidth = Math.max(60, ...views.map((v) => textWidth(v.name))) + 16;
  const scale = PLOT_WIDTH / span;
  const rowOf = new Map(views.map((v, i) => [v.name, i]));
  const coarse = timed.some((v) => v.timesFrom === 'container');

  const bars: Bar[] = timed.map((v) => {
    const x = labelWidth + (v.startedAtMs! - origin) * scale;
    const w = Math.max(MIN_BAR, ((v.finishedAtMs ?? now) - v.startedAtMs!) * scale);
    return { step: v.name, x, y: TOP + rowOf.get(v.name)! * ROW + (ROW - BAR) / 2, width: w, height: BAR, color: colorOf(v) };
  });
  const plotBottom = TOP + views.length * ROW;
  const width = labelWidth + PLOT_WIDTH + 30;
  const height = plotBottom + 64;
  const barOf = new Map(bars.map((b) => [b.step, b]));

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  parts.push(arrowMarker('arrow', '#455a64'));
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="8" y="20" ${FONT} font-weight="bold">${esc(options.title ?? 'cdk8s-steps timeline')}</text>`);
  // Axis and grid.
  const step = tickStep(span);
  for (let t = 0; t <= span + 1e-9; t += step) {
    const x = labelWidth + t * scale;
    parts.push(`<line x1="${x}" y1="${TOP - 4}" x2="${x}" y2="${plotBottom}" stroke="#eceff1"/>`);
    parts.push(`<text x="${x}" y="${plotBottom + 16}" ${FONT} text-anchor="middle">${tickLabel(Math.round(t), step)}</text>`);
  }
  parts.push(`<line x1="${labelWidth}" y1="${plotBottom}" x2="${labelWidth + PLOT_WIDTH}" y2="${plotBottom}" stroke="#455a64"/>`);
  // Names.
  views.forEach((v, i) => {
    parts.push(`<text x="${labelWidth - 8}" y="${TOP + i * ROW + ROW / 2 + 4}" ${FONT} text-anchor="end">${esc(v.name)}</text>`);
  });
  // Bars, then arrows on top.
  for (const b of bars) {
    const v = views[rowOf.get(b.step)!];
    parts.push(`<rect x="${b.x.toFixed(1)}" y="${b.y}" width="${b.width.toFixed(1)}" height="${b.height}" fill="${b.color}" rx="2"><title>${esc(`${v.name}: ${displayReason(v)}`)}</title></rect>`);
  }
  for (const v of views) {
    const to = barOf.get(v.name);
    if (!to) continue;
    for (const d of v.dependsOn) {
      const from = barOf.get(d);
      if (!from) continue;
      const x1 = from.x + from.width;
      const y1 = from.y + from.height / 2;
      const x2 = Math.max(to.x, x1);
      const y2 = to.y + (to.y > from.y ? 0 : to.height);
      parts.push(`<path d="M${x1.toFixed(1)},${y1} C${(x1 + 12).toFixed(1)},${y1} ${(x2 - 4).toFixed(1)},${y2} ${x2.toFixed(1)},${y2}" fill="none" stroke="#455a64" stroke-width="1" marker-end="url(#arrow)"/>`);
    }
  }
  const reasons = [...new Set(views.map(displayReason))];
  parts.push(legend(reasons, 8, plotBottom + 30));
  const caption = coarse ? 'times to the second (from the container statuses: the reports carry no timestamps)' : 'times from the step reports (milliseconds)';
  parts.push(`<text x="8" y="${plotBottom + 58}" ${FONT} fill="#546e7a">${esc(caption)}</text>`);
  parts.push('</svg>');
  return { width, height, bars, svg: parts.join('\n') };
}
