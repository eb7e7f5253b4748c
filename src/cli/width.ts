/**
 * Terminal columns: how wide a string shows (wide CJK characters and emoji take two columns,
 * combining marks and ANSI escape codes none) and how to cut a line to a number of columns without
 * splitting a character or an escape code. The widths come from string-width (Unicode East Asian
 * Width and emoji data); this module only walks a line grapheme by grapheme with them.
 */
import stringWidth from 'string-width';

/** An ANSI escape sequence: CSI (`ESC [ … final`) or OSC (`ESC ] … BEL / ESC \`). */
const ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\))/y;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The columns `s` takes on a terminal (escape codes take none). */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

/**
 * `s` cut to at most `columns` columns, whole characters only (a wide character that would
 * straddle the edge is left out), with `ellipsis` at the end when something was cut. Escape codes
 * are kept (they take no room), and a line that had any ends with a reset, so a cut colour does
 * not leak into what follows.
 */
export function cutToWidth(s: string, columns: number, ellipsis = '…'): string {
  if (displayWidth(s) <= columns) return s;
  const room = Math.max(0, columns - displayWidth(ellipsis));
  let out = '';
  let used = 0;
  let styled = false;
  let i = 0;
  while (i < s.length) {
    ESCAPE.lastIndex = i;
    const esc = ESCAPE.exec(s);
    if (esc) {
      out += esc[0];
      styled = true;
      i += esc[0].length;
      continue;
    }
    // The text up to the next escape code, grapheme by grapheme.
    const next = s.indexOf('\x1b', i + 1);
    const text = s.slice(i, next < 0 ? s.length : next);
    let stop = false;
    for (const { segment } of graphemes.segment(text)) {
      const w = displayWidth(segment);
      if (used + w > room) {
        stop = true;
        break;
      }
      out += segment;
      used += w;
    }
    if (stop) break;
    i += text.length;
  }
  return `${out}${columns >= displayWidth(ellipsis) ? ellipsis : ''}${styled ? '\x1b[0m' : ''}`;
}
