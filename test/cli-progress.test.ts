/**
 * The live display of `cdk8s-steps run`, without podman: terminal columns (wide characters, emoji,
 * escape codes), the block cut to any width, redrawn in place (also after a resize, counting the
 * rows a reflowing terminal gives a line drawn wider), every step listed from the first frame,
 * `attempt n/m`, and the order of plain lines without a terminal. The real terminal is tmux, in
 * test/e2e/cli-terminal.test.ts.
 */
import fc from 'fast-check';
import { newStepPod, scratch, writeManifest } from './cli-helpers';
import { stepViews, ContainerFacts } from '../src/cli/model';
import { MIN_COLUMNS, Progress, Terminal } from '../src/cli/progress';
import { runCommand } from '../src/cli/run';
import { cutToWidth, displayWidth } from '../src/cli/width';
import { failedAttempts, parseGoDuration, parseRetryLine } from '../src/wire/attempts';
import { readGraphAnnotation } from '../src/wire/graph';
import { parseReport } from '../src/wire/report';
import { HostTraits } from '../src/wire/step-traits';

// `run`'s wiring without podman: podman is "there", and runPod records what was on the screen when it was called.
jest.mock('../src/local/podman', () => ({ ...jest.requireActual('../src/local/podman'), podmanStatus: () => ({ available: true }) }));
jest.mock('../src/local/runner', () => ({ ...jest.requireActual('../src/local/runner'), runPod: jest.fn() }));
// eslint-disable-next-line import/order
import { runPod } from '../src/local/runner';

describe('terminal columns', () => {
  test.each([
    ['ascii', 'hello', 5],
    ['CJK: two columns each', '日本語', 6],
    ['an emoji', '🚀', 2],
    ['a ZWJ sequence is one emoji', '👩‍💻', 2],
    ['a combining accent takes none', 'e\u0301', 1],
    ['escape codes take none', '\x1b[31;1mred\x1b[0m', 3],
  ])('%s', (_what, s, width) => {
    expect(displayWidth(s)).toBe(width);
  });

  test('a cut keeps whole characters and escape codes, ends with a reset, and never exceeds the width', () => {
    expect(cutToWidth('日本語のテキスト', 7)).toBe('日本語…');
    expect(displayWidth(cutToWidth('日本語のテキスト', 7))).toBe(7);
    expect(cutToWidth('\x1b[32m✔ build\x1b[0m  Succeeded', 8)).toBe('\x1b[32m✔ build\x1b[0m…\x1b[0m');
    expect(cutToWidth('short', 10)).toBe('short');
    const pieces = fc.constantFrom('a', 'Z', ' ', '日', '語', '🚀', '👩‍💻', 'e\u0301', '\x1b[31m', '\x1b[0m', '\x1b[34;1m', '·', '✔');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 60 }), fc.integer({ min: 1, max: 50 }), (parts, width) => {
      const s = parts.join('');
      const cut = cutToWidth(s, width);
      expect(displayWidth(cut)).toBeLessThanOrEqual(width);
      if (displayWidth(s) <= width) expect(cut).toBe(s);
      // What is kept is a prefix of the text, without splitting a character.
      const plain = (x: string) => x.replace(/\x1b\[[0-9;]*m/g, '');
      expect(plain(s).startsWith(plain(cut).replace(/…$/, ''))).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('the wrapper\'s retry line (docs/contract.md)', () => {
  test('read back with its attempt, exit code and pause', () => {
    expect(parseRetryLine('entrypoint: step flaky: attempt 1 of 3 failed (exit code 3), retrying in 500ms', 'flaky', 1000))
      .toEqual({ attempt: 1, of: 3, exitCode: 3, backoffMs: 500, atMs: 1000 });
    expect(parseRetryLine('entrypoint: step flaky: attempt 1 of 3 failed (exit code 3), retrying in 500ms', 'other')).toBeUndefined();
    expect(parseRetryLine('attempt 1 of 3 failed', 'flaky')).toBeUndefined();
    expect(failedAttempts('x', [
      { text: 'some output', time: '2026-11-27T10:00:00.100Z' },
      { text: 'entrypoint: step x: attempt 2 of 4 failed (exit code 1), retrying in 1s', time: '2026-11-27T10:00:01.000Z' },
    ])).toEqual([{ attempt: 2, of: 4, exitCode: 1, backoffMs: 1000, atMs: Date.parse('2026-11-27T10:00:01.000Z') }]);
    expect([parseGoDuration('500ms'), parseGoDuration('1m0s'), parseGoDuration('1.5s'), parseGoDuration('2x')]).toEqual([500, 60_000, 1500, undefined]);
  });
});

/** A terminal of a given size; `resize` changes it and tells the listeners, as SIGWINCH does. */
class FakeTerminal implements Terminal {
  private listeners: Array<() => void> = [];
  constructor(public cols: number, public height = 40) {}
  columns() { return this.cols; }
  rows() { return this.height; }
  onResize(l: () => void) { this.listeners.push(l); return () => { this.listeners = this.listeners.filter((x) => x !== l); }; }
  resize(cols: number) { this.cols = cols; this.listeners.forEach((l) => l()); }
}

const GRAPH = readGraphAnnotation(JSON.stringify({
  version: 2,
  steps: ['checkout', 'flaky-integration-tests', 'lint', 'publish-the-release-notes'],
  dependsOn: [[], [0], [0], [1, 2]],
}), 'p');
const TRAITS: HostTraits = {
  steps: new Map(GRAPH.steps.map((s) => [s, { runIf: 'all_succeeded', retries: s.startsWith('flaky') ? 2 : 0, continueOnError: false, isFinally: false }])),
  sidecars: [],
};
const T = Date.parse('2026-11-27T10:00:00.000Z');

/** The run at a moment: checkout done, the flaky step on its second attempt, lint running, publish waiting. */
function midRun(): ReturnType<typeof stepViews> {
  const facts: Record<string, ContainerFacts> = {
    'checkout': { started: true, exitCode: 0, startedAtMs: T, finishedAtMs: T + 1000 },
    'flaky-integration-tests': { started: true, startedAtMs: T, failedAttempts: [{ attempt: 1, of: 3, exitCode: 3, backoffMs: 500, atMs: T + 1500 }] },
    'lint': { started: true, startedAtMs: T },
    'publish-the-release-notes': { started: true, startedAtMs: T },
  };
  return stepViews(GRAPH, (s) => facts[s], TRAITS);
}

/** The run at its end: every step ended with a report; the flaky one on its second attempt of three. */
function endRun(): ReturnType<typeof stepViews> {
  const times: Record<string, [string, number, number, number, number]> = {
    'checkout': ['Succeeded', 0, 0, 1720, 1],
    'flaky-integration-tests': ['Succeeded', 0, 1720, 8720, 2],
    'lint': ['Failed', 1, 1720, 1735, 1],
    'publish-the-release-notes': ['Skipped', 120, 8730, 8730, 1],
  };
  return stepViews(GRAPH, (s) => {
    const [reason, exitCode, t0, t1, attempts] = times[s];
    const at = (t: number) => new Date(T + t).toISOString();
    const report = parseReport(JSON.stringify({ step: s, reason, exitCode, startedAt: at(t0), finishedAt: at(t1), attempts }));
    return { started: true, exitCode, report };
  }, TRAITS);
}

/** The lines of the last block written (after the last erase), without escape codes. */
function lastBlock(written: string): string[] {
  const afterErase = written.split('\x1b[2K').pop()!;
  return afterErase.split('\n').filter((l) => l !== '').map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
}

describe('the block on a terminal', () => {
  test.each([40, 60, 150])('at %i columns: one header and one line per step, each within the width, from the first frame', (cols) => {
    let out = '';
    const term = new FakeTerminal(cols);
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 25, term, 0);
    // The first frame: nothing has started, every step is listed.
    p.update(stepViews(GRAPH, () => undefined, TRAITS), T);
    let block = lastBlock(out);
    expect(block).toHaveLength(1 + GRAPH.steps.length);
    expect(block[0]).toMatch(/^(cdk8s-steps run )?\[\+0\.0s\]/);
    for (const l of block) expect(displayWidth(l)).toBeLessThanOrEqual(cols - 1);
    p.update(midRun(), T + 2500);
    block = lastBlock(out);
    expect(block).toHaveLength(5);
    for (const l of block) expect(displayWidth(l)).toBeLessThanOrEqual(cols - 1);
    // Each step has its line; the retried one says which attempt it is on (when the width leaves room).
    GRAPH.steps.forEach((s, i) => expect(block[i + 1]).toContain(s.slice(0, Math.min(s.length, Math.floor((cols - 5) / 2) - 1))));
    expect(block[2]).toMatch(/attempt 2\/3 · 3s$/);
    if (cols >= 150) expect(block[4]).toMatch(/waiting for flaky-integration-tests, lint$/);
  });

  test.each([40, 60, 150])('at %i columns: an ended step\'s line keeps its duration (a compact form where the wide one does not fit)', (cols) => {
    let out = '';
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 25, new FakeTerminal(cols), 0);
    p.update(endRun(), T + 9000);
    const block = lastBlock(out);
    expect(block).toHaveLength(5);
    for (const l of block) expect(displayWidth(l)).toBeLessThanOrEqual(cols - 1);
    const [, checkout, flaky, lint, publish] = block;
    if (cols >= 80) {
      // The wide form.
      expect(checkout).toMatch(/^✔ checkout +Succeeded \(exit 0, 1\.72s\)$/);
      expect(flaky).toMatch(/^✔ flaky-integration-tests +Succeeded \(exit 0, 7\.00s, attempt 2\/3\)$/);
      expect(lint).toMatch(/^✖ lint +Failed \(exit 1, 15ms\)$/);
      expect(publish).toMatch(/^↷ publish-the-release-notes +Skipped \(exit 120, 0ms\)$/);
    } else {
      // Whole, nothing cut: the exit code and the duration (and the attempt) after the name.
      for (const l of block.slice(1)) expect(l).not.toMatch(/…$/);
      expect(checkout).toMatch(/^✔ checkout +(Succeeded \(exit 0, 1\.72s\)|exit 0 · 1\.72s)$/);
      expect(flaky).toMatch(/^✔ flaky-integrat\S*… +(exit )?0 · 7\.00s · 2\/3$|^✔ flaky-integration-tests +exit 0 · 7\.00s · 2\/3$/);
      expect(lint).toMatch(/^✖ lint +(Failed \(exit 1, 15ms\)|(exit )?1 · 15ms)$/);
      expect(publish).toMatch(/^↷ publish-the-rel\S*… +(exit )?120 · 0ms$|^↷ publish-the-release-notes +(Skipped \(exit 120, 0ms\)|exit 120 · 0ms)$/);
    }
  });

  test(`below ${MIN_COLUMNS} columns: each step's line is its icon and its whole name`, () => {
    let out = '';
    const cols = 30;
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 25, new FakeTerminal(cols), 0);
    p.update(midRun(), T + 2500);
    const block = lastBlock(out);
    expect(block).toHaveLength(5);
    for (const l of block) expect(displayWidth(l)).toBeLessThanOrEqual(cols - 1);
    expect(block.slice(1).map((l) => l.slice(2))).toEqual(GRAPH.steps);
    expect(block.slice(1).map((l) => l[0]).slice(1)).toEqual(['▶', '▶', '…']);
  });

  test('the erase goes up over the rows the block takes now: more after the terminal narrowed and reflowed it', () => {
    let out = '';
    const term = new FakeTerminal(150);
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 25, term, 0);
    p.update(midRun(), T + 2500);
    const widths = lastBlock(out).map(displayWidth);
    out = '';
    term.resize(40); // tmux reflows a 90-column line onto 3 rows of 40
    const erase = out.slice(0, out.lastIndexOf('\x1b[2K') + 4);
    const rowsUp = (erase.match(/\x1b\[1A/g) ?? []).length;
    expect(rowsUp).toBe(widths.reduce((n, w) => n + Math.max(1, Math.ceil(w / 40)), 0));
    expect(rowsUp).toBeGreaterThan(widths.length);
    // Redrawn at once, at the new width.
    for (const l of lastBlock(out)) expect(displayWidth(l)).toBeLessThanOrEqual(39);
    // No erase with "clear below" (tmux would copy a screen erased from its top into the scrollback).
    expect(out).not.toContain('\x1b[J');
  });

  test('log lines go above the block, whole; after finish() nothing is drawn again', () => {
    let out = '';
    const term = new FakeTerminal(40);
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 25, term, 0);
    p.update(midRun(), T + 2500);
    const long = 'x'.repeat(100);
    p.logs([{ step: 'lint', text: long, stream: 'stdout' }]);
    expect(out).toContain(`lint                      | ${long}\n`);
    p.finish();
    const after = out.length;
    p.update(midRun(), T + 3000);
    term.resize(60);
    expect(out.length).toBe(after);
  });

  test('a line of the runner\'s on another stream goes aside: the block is erased, the line written, the block drawn again', () => {
    const written: Array<['out' | 'err', string]> = [];
    const p = new Progress({ write: (s) => { written.push(['out', s]); } }, true, T, 24, 25, new FakeTerminal(80), 0);
    p.update(midRun(), T + 2500);
    written.length = 0;
    p.aside(() => written.push(['err', 'cdk8s-steps: using a local entrypoint image\n']));
    const at = written.findIndex(([to]) => to === 'err');
    expect(written[at - 1]?.[1]).toContain('\x1b[2K'); // erased before
    const redrawn = written.slice(at + 1).map(([, s]) => s).join('');
    expect(lastBlock(redrawn)).toHaveLength(5); // drawn again after
    // and the display goes on: a later update is drawn
    const before = written.length;
    p.update(midRun(), T + 3000);
    expect(written.length).toBeGreaterThan(before);
  });

  test('a pod with more steps than the terminal has rows: the block stays within the height', () => {
    let out = '';
    const g = readGraphAnnotation(JSON.stringify({ version: 2, steps: Array.from({ length: 50 }, (_, i) => `s${i}`), dependsOn: Array.from({ length: 50 }, () => []) }), 'p');
    const p = new Progress({ write: (s) => { out += s; } }, true, T, 24, 3, new FakeTerminal(80, 12), 0);
    p.update(stepViews(g, (s) => (Number(s.slice(1)) < 5 ? { started: true, startedAtMs: T } : undefined)), T + 100);
    expect(lastBlock(out).length).toBeLessThanOrEqual(11);
  });
});

describe('plain lines without a terminal', () => {
  test('one line per change; a step\'s end comes after its own logs', () => {
    const out: string[] = [];
    const p = new Progress({ write: (s) => out.push(s) }, false, T);
    const g = readGraphAnnotation('{"version":2,"steps":["a","b"],"dependsOn":[[],[0]]}', 'p');
    const at = (a: ContainerFacts | undefined) => stepViews(g, (s) => (s === 'a' ? a : undefined));
    p.update(at(undefined), T);
    p.update(at({ started: true, startedAtMs: T }), T + 1000);
    p.update(at({ started: true, startedAtMs: T }), T + 1500);
    // The snapshot that saw `a` end came with its last log lines: they are printed first.
    const report = parseReport(JSON.stringify({ step: 'a', reason: 'Succeeded', exitCode: 0, startedAt: new Date(T).toISOString(), finishedAt: new Date(T + 1900).toISOString(), attempts: 1 }));
    p.update(at({ started: true, exitCode: 0, report }), T + 2000);
    p.logs([{ step: 'a', text: 'last words', stream: 'stdout' }]);
    p.update(at({ started: true, exitCode: 0, report }), T + 2250);
    p.finish();
    expect(out.join('')).toBe('[+1.0s] a: running\na | last words\n[+2.0s] a: Succeeded (exit 0, 1.90s)\n');
  });

  test('a retry shows as a change: attempt 2/3', () => {
    const out: string[] = [];
    const p = new Progress({ write: (s) => out.push(s) }, false, T);
    const views = midRun();
    p.update(views, T + 2500);
    expect(out.join('')).toContain('[+2.5s] flaky-integration-tests: attempt 2/3\n');
  });
});

describe('run\'s progress wiring (runPod stubbed)', () => {
  test('every step is listed as pending before podman is asked to play anything', async () => {
    const { chart, pod } = newStepPod('first-frame');
    const img = { image: 'localhost/step:dev', command: ['true'] };
    const a = pod.addStep('checkout', img);
    const b = pod.addStep('unit', { ...img, dependsOn: [a] });
    pod.addStep('lint', { ...img, dependsOn: [a] });
    pod.addStep('publish', { ...img, dependsOn: [b] });
    pod.addFinally('cleanup', img);
    const file = writeManifest(scratch('cdk8s-steps-first-frame-'), chart, 'first-frame.k8s.yaml');
    let out = '';
    let atPlay: string | undefined;
    jest.mocked(runPod).mockImplementation(async () => {
      atPlay = out;
      return { podName: 'first-frame-abc12', containers: [] } as any;
    });
    const io = { out: { write: (s: string) => { out += s; } }, err: { write: () => undefined }, tty: true, rows: 40 };
    await runCommand(file, { timeoutSeconds: 60, keep: false }, io);
    expect(runPod).toHaveBeenCalledTimes(1);
    const block = lastBlock(atPlay ?? '');
    expect(block[0]).toMatch(/0 ended · 0 running · 0 waiting · 5 pending$/);
    expect(block.slice(1).map((l) => l.replace(/ {2,}.*$/, ''))).toEqual(['· checkout', '· unit', '· lint', '· publish', '· cleanup']);
    for (const l of block.slice(1)) expect(l).toMatch(/ {2}pending$/);
  });
});
