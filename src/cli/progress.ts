/**
 * Live progress of `cdk8s-steps run`.
 *
 * On a terminal: a block under the logs, redrawn in place: one header line and one line per step
 * (from the first frame on: every step is listed while still pending), each cut to the terminal's
 * width by display width (wide characters, emoji, escape codes), so no line wraps; where the wide
 * form of an ended step's line does not fit, a compact one (`✔ build  exit 0 · 20ms`, then
 * `0 · 20ms`) keeps its duration; below MIN_COLUMNS a step's line is its icon and name. The block is
 * erased by moving the cursor up over the rows it takes *now*: after a resize a terminal that
 * reflows (tmux, VTE, iTerm2, Windows Terminal, kitty) wraps a line drawn wider than the new width
 * onto more rows, and those are counted; on a resize the block is redrawn at once. A pod with more
 * steps than fit the terminal's height shows the running steps and the last that ended instead.
 *
 * Without a terminal (a pipe, a CI log): plain lines, one per change of a step; the logs come as
 * they are read, and a step's line saying that it ended comes after the logs read with it (it is
 * held back one update, or until `finish()`), so a step's status follows its own logs.
 */
import { attemptOf, coarseTimes, displayReason, formatDuration, stepDuration, StepView } from './model';
import { cutToWidth, displayWidth } from './width';

const ICONS: Record<string, string> = {
  Succeeded: '✔',
  Failed: '✖',
  Error: '✖',
  Skipped: '↷',
  TimedOut: '◷',
  DependencyLost: '☠',
  Aborted: '■',
  running: '▶',
  waiting: '…',
  pending: '·',
};
const ANSI: Record<string, string> = {
  Succeeded: '32',
  Failed: '31',
  Error: '31',
  Skipped: '90',
  TimedOut: '33',
  DependencyLost: '35',
  Aborted: '33',
  running: '34;1',
  waiting: '36',
  pending: '90',
};

export interface Sink {
  write(s: string): void;
}

/** The terminal the block is drawn on: its size now, and a way to hear that it changed. */
export interface Terminal {
  columns(): number;
  rows(): number;
  /** Calls `listener` after each resize; returns what stops it. */
  onResize(listener: () => void): () => void;
}

/** The terminal of a TTY stream (`process.stdout`): its size, and its `resize` event (SIGWINCH). */
export function streamTerminal(stream: NodeJS.WriteStream, fallbackRows = 24): Terminal {
  return {
    columns: () => stream.columns || 80,
    rows: () => stream.rows || fallbackRows,
    onResize: (listener) => {
      stream.on('resize', listener);
      return () => { stream.removeListener('resize', listener); };
    },
  };
}

/**
 * The narrowest terminal the block is laid out for. On a narrower one each step's line is its
 * icon and name only (the name whole when it fits), under the shortest header.
 */
export const MIN_COLUMNS = 40;

export class Progress {
  /** The display width of each line of the block as drawn. */
  private drawn: number[] = [];
  private lastViews: readonly StepView[] = [];
  private lastNow = 0;
  private readonly last = new Map<string, string>();
  /** Plain mode: ended lines held back until the next update, so the logs read with them come first. */
  private held: string[] = [];
  private finished = false;
  private readonly terminal?: Terminal;
  private readonly stopResize?: () => void;
  private readonly ticker?: NodeJS.Timeout;

  /**
   * @param started when the run started (ms), for the clock
   * @param rows the terminal's height when no `terminal` is given
   * @param width the longest step name, to align the log prefixes
   * @param terminal the terminal (size, resizes); by default standard output's when `tty`
   * @param tickMs how often the block is redrawn between updates, for its clock (0: never)
   */
  constructor(
    private readonly out: Sink,
    private readonly tty: boolean,
    private readonly started: number,
    rows = 24,
    private readonly width = 0,
    terminal?: Terminal,
    tickMs = 500,
  ) {
    if (tty) {
      this.terminal = terminal ?? streamTerminal(process.stdout, rows);
      this.stopResize = this.terminal.onResize(() => this.redraw());
      // The clock and the running times go on between updates (podman starting the pod takes seconds).
      if (tickMs > 0) {
        this.ticker = setInterval(() => {
          this.lastNow = Math.max(this.lastNow, Date.now());
          this.redraw();
        }, tickMs);
        this.ticker.unref();
      }
    }
  }

  /** Prints log lines (`step | text`) above the progress block. Log lines are printed whole. */
  logs(lines: ReadonlyArray<{ step: string; text: string; stream: string }>): void {
    if (!lines.length) return;
    this.clear();
    this.out.write(lines.map((l) => {
      const prefix = `${l.step.padEnd(this.width)} |`;
      return `${this.tty && l.stream === 'stderr' ? `\x1b[31m${prefix}\x1b[0m` : prefix} ${l.text}\n`;
    }).join(''));
    this.draw();
  }

  /**
   * Writes something of the caller's (a line on another stream of the same terminal) with the block
   * out of its way: the block is erased first and drawn again after.
   */
  aside(write: () => void): void {
    this.clear();
    write();
    this.draw();
  }

  /** Shows the steps' current states. */
  update(views: readonly StepView[], now = Date.now()): void {
    if (this.finished) return;
    this.lastViews = views;
    this.lastNow = now;
    if (this.tty) {
      this.clear();
      this.draw();
      return;
    }
    const lines = this.held;
    this.held = [];
    for (const v of views) {
      const attempt = attemptOf(v);
      const key = `${v.state}/${displayReason(v)}/${attempt?.n ?? ''}`;
      if (this.last.get(v.name) === key) continue;
      const first = !this.last.has(v.name);
      this.last.set(v.name, key);
      if (first && v.state === 'pending') continue;
      const line = `${this.clock(now)} ${v.name}: ${this.describe(v, now, views)}\n`;
      if (v.state === 'ended') this.held.push(line);
      else lines.push(line);
    }
    if (lines.length) this.out.write(lines.join(''));
  }

  /** Removes the block (before the final table), prints what was held back, and stops listening. */
  finish(): void {
    this.clear();
    if (this.held.length) this.out.write(this.held.join(''));
    this.held = [];
    this.lastViews = [];
    this.finished = true;
    this.stopResize?.();
    if (this.ticker) clearInterval(this.ticker);
  }

  private redraw(): void {
    if (this.finished) return;
    this.clear();
    this.draw();
  }

  private columns(): number {
    return Math.max(1, this.terminal?.columns() ?? 80);
  }

  private draw(): void {
    if (!this.tty || this.finished || !this.lastViews.length) return;
    // One column is left free: a line that fills the last column leaves some terminals waiting to wrap.
    const room = this.columns() - 1;
    const lines = this.block(this.lastViews, this.lastNow, room).map((l) => cutToWidth(l, room));
    this.out.write(lines.join('\n') + '\n');
    this.drawn = lines.map(displayWidth);
  }

  /**
   * Erases the block: line by line, up over the rows its lines take at the current width. (Not
   * with one "erase below": tmux, with its default `scroll-on-clear`, copies a screen erased from
   * its top-left corner into the scrollback, where a block drawn at the top would pile up.)
   */
  private clear(): void {
    if (!this.tty || this.drawn.length === 0) return;
    const cols = this.columns();
    const rows = this.drawn.reduce((n, w) => n + Math.max(1, Math.ceil(w / cols)), 0);
    this.out.write(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(rows)}`);
    this.drawn = [];
  }

  private clock(now: number): string {
    return `[+${((now - this.started) / 1000).toFixed(1)}s]`;
  }

  /** What a step's line says after its name; an ended step's in the first form that fits `room` columns. */
  private describe(v: StepView, now: number, views: readonly StepView[], room = Infinity): string {
    const a = attemptOf(v);
    if (v.state === 'ended') {
      const d = formatDuration(stepDuration(v, now), coarseTimes(v));
      const exit = v.report?.exitCode ?? v.containerExit ?? '-';
      // The wide form; on a narrow terminal a compact one (the icon and colour say the reason), so
      // the duration is not what gets cut.
      const forms = [
        `${displayReason(v)} (exit ${exit}, ${d}${a ? `, attempt ${a.n}/${a.of}` : ''})`,
        `exit ${exit} · ${d}${a ? ` · ${a.n}/${a.of}` : ''}`,
        `${exit} · ${d}${a ? ` · ${a.n}/${a.of}` : ''}`,
      ];
      return forms.find((f) => displayWidth(f) <= room) ?? forms[forms.length - 1];
    }
    if (v.state === 'waiting') {
      const ended = new Set(views.filter((x) => x.state === 'ended').map((x) => x.name));
      const open = v.dependsOn.filter((d) => !ended.has(d));
      return `waiting for ${(open.length ? open : v.dependsOn).join(', ')}`;
    }
    if (v.state === 'running') {
      const failed = v.failedAttempts?.[v.failedAttempts.length - 1];
      if (a && failed?.atMs !== undefined && now < failed.atMs + failed.backoffMs) {
        return `attempt ${failed.attempt}/${failed.of} failed (exit ${failed.exitCode}), retrying`;
      }
      // On a terminal the block shows for how long; a plain line says when it started.
      const d = this.tty ? formatDuration(stepDuration(v, now), true) : '';
      if (a) return `attempt ${a.n}/${a.of}${d ? ` · ${d}` : ''}`;
      return `running${d ? ` ${d}` : ''}`;
    }
    return v.waitingReason ? `pending (${v.waitingReason})` : 'pending';
  }

  private line(v: StepView, now: number, views: readonly StepView[], nameWidth: number, room: number): string {
    const r = displayReason(v);
    // Below MIN_COLUMNS: the icon and the name, nothing more.
    if (room < MIN_COLUMNS - 1) return `\x1b[${ANSI[r] ?? '0'}m${ICONS[r] ?? '?'} ${v.name}\x1b[0m`;
    const name = displayWidth(v.name) > nameWidth ? cutToWidth(v.name, nameWidth) : v.name.padEnd(nameWidth);
    const prefix = `${ICONS[r] ?? '?'} ${name}  `;
    const text = `${prefix}${this.describe(v, now, views, room - displayWidth(prefix))}`;
    return `\x1b[${ANSI[r] ?? '0'}m${text}\x1b[0m`;
  }

  /** The header that fits `room` columns: the full one, or a shorter one on a narrow terminal. */
  private header(views: readonly StepView[], now: number, room: number): string {
    const count = (s: StepView['state']) => views.filter((v) => v.state === s).length;
    const [e, r, w, p] = [count('ended'), count('running'), count('waiting'), count('pending')];
    const variants = [
      `\x1b[1mcdk8s-steps run\x1b[0m ${this.clock(now)}  ${e} ended · ${r} running · ${w} waiting · ${p} pending`,
      `${this.clock(now)} ${e} ended · ${r} running · ${w} waiting · ${p} pending`,
      `${this.clock(now)} ${e} ended ${r} run ${w} wait ${p} pend`,
    ];
    return variants.find((h) => displayWidth(h) <= room) ?? variants[variants.length - 1];
  }

  private block(views: readonly StepView[], now: number, room: number): string[] {
    // Names are aligned, but take at most half the line on a narrow terminal.
    const nameWidth = Math.max(1, Math.min(this.width || Math.max(...views.map((v) => v.name.length)), Math.floor((room - 4) / 2)));
    const header = this.header(views, now, room);
    const space = Math.max(3, (this.terminal?.rows() ?? 24) - 2);
    if (views.length <= space) return [header, ...views.map((v) => this.line(v, now, views, nameWidth, room))];
    // Too many to show: the running steps first, then the last ones that ended.
    const running = views.filter((v) => v.state === 'running');
    const ended = views.filter((v) => v.state === 'ended' && v.finishedAtMs !== undefined).sort((a, b) => b.finishedAtMs! - a.finishedAtMs!);
    return [header, ...[...running, ...ended].slice(0, space).map((v) => this.line(v, now, views, nameWidth, room))];
  }
}
