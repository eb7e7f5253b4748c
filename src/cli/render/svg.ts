/** Shared bits of the SVG pictures: colours by reason, escaping, text width. */
import { displayReason, StepView } from '../model';

/** Fill colour per reason (and per state for steps that have not ended). */
export const REASON_COLORS: Record<string, string> = {
  Succeeded: '#2e7d32',
  Failed: '#c62828',
  Skipped: '#9e9e9e',
  TimedOut: '#ef6c00',
  DependencyLost: '#6a1b9a',
  Aborted: '#795548',
  running: '#1565c0',
  waiting: '#90caf9',
  pending: '#cfd8dc',
};

/** Colour of a step without a known reason (ended without a report). */
export const UNKNOWN_COLOR = '#212121';

/** Colour of a graph node when the input has no run. */
export const PLAIN_NODE_COLOR = '#37474f';

export function colorOf(v: StepView): string {
  return REASON_COLORS[displayReason(v)] ?? UNKNOWN_COLOR;
}

/** Text on a fill: white on dark fills, black on light ones. */
export function textOn(fill: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
  const luminance = 0.299 * r + 0.587 * g + 0.114 * b;
  return luminance > 150 ? '#000000' : '#ffffff';
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Approximate width of `s` in the 12px sans-serif font used (no font metrics at hand). */
export function textWidth(s: string, px = 12): number {
  return Math.ceil(s.length * px * 0.62);
}

export const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12"';

/** The arrowhead marker every picture uses for dependencies. */
export function arrowMarker(id: string, color: string): string {
  return `<defs><marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">`
    + `<path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker></defs>`;
}

/** A legend: one swatch per reason present, in a row starting at (x, y). */
export function legend(reasons: string[], x: number, y: number): string {
  let cx = x;
  const parts: string[] = [];
  for (const r of reasons) {
    parts.push(`<rect x="${cx}" y="${y}" width="12" height="12" fill="${REASON_COLORS[r] ?? UNKNOWN_COLOR}"/>`);
    parts.push(`<text x="${cx + 16}" y="${y + 10}" ${FONT}>${esc(r)}</text>`);
    cx += 16 + textWidth(r) + 14;
  }
  return parts.join('');
}
