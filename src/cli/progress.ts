/**
 * Live progress of `cdk8s-steps run`: on a terminal, a block of lines redrawn in place under the
 * logs (one per step, or a summary and the active steps when the pod has more steps than fit);
 * otherwise one plain line per change of a step.
 */
import { displayReason, formatDuration, stepDuration, StepView } from './model';

const ICONS: Record<string, string> = {
  Succeeded: '✔',
  Failed: '✖',
  Skipped: '↷',
  TimedOut: '⏱',
  DependencyLost: '☠',
  Aborted: '■',
  running: '▶',
  waiting: '…',
  pending: '·',
};
const ANSI: Record<string, string> = {
  Succeeded: '32',
  Failed: '31',
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

export class Progress {
  private drawn = 0;
  private lastBlock: string[] = [];
  private readonly last = new Map<string, string>();
  /**
   * @param started when the run started (ms), for the clock
   * @param rows the terminal's height: the block shows at most this many lines
   * @param width the longest step name, to align the log prefixes
   */
  constructor(
    private readonly out: Sink,
    private readonly tty: boolean,
    private readonly started: number,
    private readonly rows = 24,
    private readonly width = 0,
  ) {}

  /** Prints log lines (`step | text`) above the progress block. */
  logs(lines: ReadonlyArray<{ step: string; text: string; stream: string }>): void {
    if (!lines.length) return;
    this.clear();
    this.out.write(lines.map((l) => {
      const prefix = `${l.step.padEnd(this.width)} |`;
      return `${this.tty && l.stream === 'stderr' ? `\x1b[31m${prefix}\x1b[0m` : prefix} ${l.text}\n`;
    }).join(''));
    this.draw(this.lastBlock);
  }

  /** Shows the steps' current states. */
  update(views: readonly StepView[], now = Date.now()): void {
    if (this.tty) {
      this.clear();
      this.lastBlock = this.block(views, now);
      this.draw(this.lastBlock);
      return;
    }
    for (const v of views) {
      const key = `${v.state}/${displayReason(v)}`;
      if (this.last.get(v.name) === key) continue;
      const first = !this.last.has(v.name);
      this.last.set(v.name, key);
      if (first && v.state === 'pending') continue;
      this.out.write(`${this.clock(now)} ${v.name}: ${this.describe(v, now)}\n`);
    }
  }

  /** Removes the block (before the final table). */
  finish(): void {
    this.clear();
    this.lastBlock = [];
  }

  private draw(block: string[]): void {
    if (!this.tty || !block.length) return;
    this.out.write(block.join('\n') + '\n');
    this.drawn = block.length;
  }

  private clock(now: number): string {
    return `[+${((now - this.started) / 1000).toFixed(1)}s]`;
  }

  private describe(v: StepView, now: number): string {
    const d = formatDuration(stepDuration(v, now), v.timesFrom === 'container');
    if (v.state === 'ended') return `${displayReason(v)} (exit ${v.report?.exitCode ?? v.containerExit ?? '-'}, ${d})`;
    if (v.state === 'waiting') return `waiting for ${v.dependsOn.join(', ')}`;
    return v.state;
  }

  private line(v: StepView, now: number): string {
    const r = displayReason(v);
    const text = `${ICONS[r] ?? '?'} ${v.name.padEnd(this.width)}  ${this.describe(v, now)}`;
    return `\x1b[${ANSI[r] ?? '0'}m${text}\x1b[0m`;
  }

  private block(views: readonly StepView[], now: number): string[] {
    const count = (p: (v: StepView) => boolean) => views.filter(p).length;
    const header = `\x1b[1mcdk8s-steps run\x1b[0m ${this.clock(now)}  ${count((v) => v.state === 'ended')} ended · `
      + `${count((v) => v.state === 'running')} running · ${count((v) => v.state === 'waiting')} waiting · ${count((v) => v.state === 'pending')} pending`;
    const room = Math.max(3, this.rows - 3);
    if (views.length <= room) return [header, ...views.map((v) => this.line(v, now))];
    // Too many to show: the running steps first, then the last ones that ended.
    const running = views.filter((v) => v.state === 'running');
    const ended = views.filter((v) => v.state === 'ended' && v.finishedAtMs !== undefined).sort((a, b) => b.finishedAtMs! - a.finishedAtMs!);
    return [header, ...[...running, ...ended].slice(0, room).map((v) => this.line(v, now))];
  }

  private clear(): void {
    if (this.tty && this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
}
