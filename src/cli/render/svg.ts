/** Shared bits of the SVG pictures: colours by reason, escaping, text width, marks, legends. */
import { RUN_IF_CONDITIONS } from '../../wire/run-if';
import { StepTraits } from '../../wire/step-traits';
import { displayReason, StepView } from '../model';

/** Fill colour per reason (and per state for steps that have not ended). */
export const REASON_COLORS: Record<string, string> = {
  Succeeded: '#2e7d32',
  Failed: '#c62828',
  Error: '#c62828',
  Skipped: '#9e9e9e',
  TimedOut: '#ef6c00',
  DependencyLost: '#6a1b9a',
  Lost: '#6a1b9a',
  Aborted: '#795548',
  NotRun: '#546e7a',
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

/**
 * Advance widths of DejaVu Sans (the font the pictures name first; Debian's fonts-dejavu-core),
 * in thousandths of an em, of the printable ASCII characters (U+0020 to U+007E) and then of
 * EXTRA's characters: measured with a canvas's measureText in Chromium (1000 px, regular and
 * bold). Helvetica and Arial, the fallbacks, are narrower, so the widths hold there too.
 */
const EXTRA = '⚑◇↻◷↪…·—–→×';
const ADVANCE = {
  normal: [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636,
    636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, 896,
    769, 838, 873, 838, 1000, 318, 1000, 500, 838, 838,
  ],
  bold: [
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696,
    696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
    733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838, 896,
    769, 838, 873, 838, 1000, 380, 1000, 500, 838, 838,
  ],
};

/**
 * Width of `s` in px in DejaVu Sans at `px` (rounded up): from the advance widths above, a
 * character not among them taken as one em (wide enough for CJK and symbols). The render test
 * measures the real text in Chromium.
 */
export function textWidth(s: string, px = 12, bold = false): number {
  const table = bold ? ADVANCE.bold : ADVANCE.normal;
  let thousandths = 0;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const extra = EXTRA.indexOf(ch);
    thousandths += code >= 0x20 && code < 0x7f ? table[code - 0x20] : extra >= 0 ? table[95 + extra] : 1000;
  }
  return Math.ceil((thousandths * px) / 1000);
}

export const FONT_FAMILY = 'DejaVu Sans, Helvetica, Arial, sans-serif';
export const FONT = `font-family="${FONT_FAMILY}" font-size="12"`;
export const SMALL_FONT = `font-family="${FONT_FAMILY}" font-size="10"`;

/** The arrowhead marker every picture uses for dependencies. */
export function arrowMarker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">`
    + `<path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
}

/** A legend: one swatch per reason present, in a row starting at (x, y). Returns the SVG and its width. */
export function legend(reasons: string[], x: number, y: number): { svg: string; width: number } {
  let cx = x;
  const parts: string[] = [];
  for (const r of reasons) {
    parts.push(`<rect x="${cx}" y="${y}" width="12" height="12" fill="${REASON_COLORS[r] ?? UNKNOWN_COLOR}"/>`);
    parts.push(`<text x="${cx + 16}" y="${y + 10}" ${FONT}>${esc(r)}</text>`);
    cx += 16 + textWidth(r) + 14;
  }
  return { svg: parts.join(''), width: Math.max(0, cx - 14 - x) };
}

/** The library's name of a run condition's wire flag (`any_failed` → `anyFailed`). */
export function conditionName(flag: string): string {
  return RUN_IF_CONDITIONS.find((c) => c.flag === flag)?.kind ?? flag;
}

/** One mark of a step: a symbol (in DejaVu Sans), what it says, and the legend's words for it. */
export interface Mark {
  readonly key: 'finally' | 'condition' | 'retries' | 'timeout' | 'continue';
  readonly text: string;
}

/** Legend entries for the marks, in this order. */
export const MARK_LEGEND: ReadonlyArray<{ readonly key: Mark['key']; readonly symbol: string; readonly says: string }> = [
  { key: 'finally', symbol: '⚑', says: 'finally: after every other step (the bar), dashed' },
  { key: 'condition', symbol: '◇', says: 'runIf condition' },
  { key: 'retries', symbol: '↻', says: 'retries' },
  { key: 'timeout', symbol: '◷', says: 'timeout' },
  { key: 'continue', symbol: '↪', says: 'onError: CONTINUE' },
];

const symbol = (key: Mark['key']) => MARK_LEGEND.find((m) => m.key === key)!.symbol;

/** The marks of a step, from its traits. */
export function marksOf(t: StepTraits | undefined, maxCondition = 40): Mark[] {
  if (!t) return [];
  const marks: Mark[] = [];
  if (t.isFinally) {marks.push({ key: 'finally', text: `${symbol('finally')} finally` });} else if (t.runIf !== 'all_succeeded') {
    const c = t.condition ?? conditionName(t.runIf);
    marks.push({ key: 'condition', text: `${symbol('condition')} ${c.length > maxCondition ? `${c.slice(0, maxCondition - 1)}…` : c}` });
  }
  if (t.retries > 0) marks.push({ key: 'retries', text: `${symbol('retries')}${t.retries}` });
  if (t.timeout !== undefined) marks.push({ key: 'timeout', text: `${symbol('timeout')}${t.timeout}` });
  if (t.continueOnError) marks.push({ key: 'continue', text: `${symbol('continue')} continue` });
  return marks;
}
