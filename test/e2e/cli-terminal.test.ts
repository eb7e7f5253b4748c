/**
 * The live display of `cdk8s-steps run` in a real terminal: tmux, at 40, 60 and 150 columns and
 * resized while the pod runs. The steps wait on gate files the test creates (a hostPath volume),
 * so every look at the screen is at a point the test chose in the run, not after a sleep: the test
 * waits for what the display must show (a step running, `attempt 2/3`, a redraw after a resize),
 * then checks the whole pane, its scrollback included: exactly one header and one line per step,
 * the block at the bottom, no line of it wrapped, nothing of an earlier frame left behind. Once
 * the terminal has narrowed, only the visible screen is held to that (tmux's reflow moves the top
 * of the old frame into the scrollback, out of any program's reach: at most one header per
 * narrowing there). After the run (a retry and a failure): the table, and no frame left on the
 * screen (nor in the scrollback when the terminal never narrowed).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-33';
import { e2ePod, newChart, shStep } from './fixtures';
import { ensureImages, STEP_IMAGE } from './images';
import { isCI, podmanStatus } from '../../src/local';
import { scratch, writeManifest } from '../cli-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const haveTmux = spawnSync('tmux', ['-V']).status === 0;
const e2e = (podmanStatus().available && haveTmux) || isCI() ? describe : describe.skip;
const dir = scratch('cdk8s-steps-e2e-term-');

/** The steps, in the display's order (topological, declaration order among ready steps). */
const STEPS = ['first', 'flaky', 'side', 'after-side', 'publish-the-release-notes-to-the-wiki', 'cleanup'];

/**
 * first (waits for gate `first`, logs wide characters)
 *   -> flaky (retries 2: attempt 1 fails, attempt 2 waits for gate `flaky`) -> publish-the-release-notes-to-the-wiki
 *   -> side (waits for gate `side`, then fails) -> after-side (Skipped, 120)
 * cleanup (finally)
 */
function gatedPod(gates: string, id: string): string {
  const chart = newChart();
  const pod = e2ePod(chart, id);
  const gate = kplus.Volume.fromHostPath(chart, `${id}-gates`, 'gates', { path: gates, type: kplus.HostPathVolumeType.DIRECTORY });
  const mounts = { volumeMounts: [{ path: '/gates', volume: gate, readOnly: true }] };
  const wait = (name: string) => `until [ -e /gates/${name} ]; do sleep 0.05; done`;
  const first = shStep(pod, 'first', `echo '日本語のログ 🚀 wide characters'; ${wait('first')}`, mounts);
  const flaky = shStep(pod, 'flaky', `if [ -e /workspace/tried ]; then ${wait('flaky')}; else touch /workspace/tried; echo 'first attempt fails' >&2; exit 3; fi`,
    { ...mounts, dependsOn: [first], retries: 2 });
  const side = shStep(pod, 'side', `${wait('side')}; echo "${'a long log line '.repeat(12)}"; exit 5`, { ...mounts, dependsOn: [first] });
  shStep(pod, 'after-side', 'true', { dependsOn: [side] });
  shStep(pod, STEPS[4], 'echo published', { dependsOn: [flaky] });
  pod.addFinally('cleanup', { image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER, command: ['sh', '-c', 'echo cleaned'] });
  return writeManifest(dir, chart, `${id}.k8s.yaml`);
}

/** A tmux server of its own, one pane running `cdk8s-steps run`. */
class Pane {
  private readonly socket = `cdk8s-steps-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(public cols: number, private readonly rows = 45) {}

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  start(manifest: string): void {
    const env = `TS_NODE_PROJECT=${path.join(ROOT, 'test', 'tsconfig.json')} LANG=C.UTF-8`;
    const run = `cd ${ROOT} && env ${env} ${process.execPath} -r ts-node/register/transpile-only src/cli/main.ts run ${manifest} --timeout 300; echo "EXIT=$?"; sleep 3600`;
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(this.cols), '-y', String(this.rows), '-e', 'TERM=tmux-256color', run);
    this.tmux('set-option', '-g', 'history-limit', '10000');
  }

  resize(cols: number): void {
    this.tmux('resize-window', '-x', String(cols));
    this.cols = cols;
  }

  /** The rows of the pane as tmux shows them (a wrapped line is two rows): the screen, or the scrollback too. */
  capture(scrollback = true, joined = false): string[] {
    return this.tmux('capture-pane', '-p', ...scrollback ? ['-S', '-'] : [], ...joined ? ['-J'] : []).replace(/\n+$/, '').split('\n');
  }

  /** Ctrl-C in the pane: `run` removes its pod before it exits. */
  interrupt(): void {
    this.tmux('send-keys', 'C-c');
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

const HEADER = /^(cdk8s-steps run )?\[\+(\d+\.\d)s\]/;
const ICON = '[✔✖↷◷☠■▶…·?]';

/** Waits (polling the pane every 100 ms) until `ready` holds for its rows; fails naming `what` after `ms`. */
async function waitFor(pane: Pane, what: string, ready: (rows: string[]) => boolean, ms = 180_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = pane.capture();
    if (ready(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}; the pane shows:\n${rows.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The newest line of `step` in the block (its name may be cut with … on a narrow terminal). */
function lineOf(rows: string[], step: string): string | undefined {
  return rows.filter((r) => new RegExp(`^${ICON} ${step.slice(0, 8)}`).test(r) && !r.includes(' | ')).pop();
}

/** The checks at a point of the run: one header, one line per step, as the last rows, none wider than the pane. */
function expectOneBlock(rows: string[], cols: number): void {
  const content = rows.filter((r) => r.trim() !== '');
  const headers = content.filter((r) => HEADER.test(r));
  expect({ cols, headers: headers.length }).toEqual({ cols, headers: 1 });
  const block = content.slice(-1 - STEPS.length);
  expect({ cols, header: HEADER.test(block[0]) }).toEqual({ cols, header: true });
  STEPS.forEach((s, i) => expect({ cols, step: s, line: new RegExp(`^${ICON} ${s.slice(0, 8)}`).test(block[i + 1]) }).toEqual({ cols, step: s, line: true }));
  // Exactly one line per step in the whole pane (no leftover of an earlier frame, no wrapped half line).
  for (const s of STEPS) expect({ cols, step: s, lines: content.filter((r) => new RegExp(`^${ICON} ${s.slice(0, 8)}`).test(r) && !r.includes(' | ')).length }).toEqual({ cols, step: s, lines: 1 });
  for (const r of block) expect(r.length).toBeLessThan(cols);
}

/** The clock of the newest frame (the last header). */
const clockOf = (rows: string[]) => Number(HEADER.exec(rows.filter((r) => HEADER.test(r)).pop() ?? '')?.[2] ?? -1);

/** Opens a gate: the steps see the file through the hostPath volume. */
function open(gates: string, name: string): void {
  fs.writeFileSync(path.join(gates, name), '');
}

e2e('the live display in tmux (a real terminal)', () => {
  beforeAll(async () => {
    await ensureImages();
  }, 900_000);

  /**
   * One run: `widths[0]` from the start, resized to each next width while steps wait, checked at
   * each synchronised point and after the run.
   */
  async function run(id: string, widths: number[]): Promise<void> {
    const gates = fs.mkdtempSync(path.join(dir, 'gates-'));
    fs.chmodSync(gates, 0o755);
    const manifest = gatedPod(gates, id);
    const pane = new Pane(widths[0]);
    try {
      pane.start(manifest);
      // 1. first runs (waiting for its gate), every other step is listed: the first frames.
      let rows = await waitFor(pane, '`first` running', (r) => /running/.test(lineOf(r, 'first') ?? ''));
      expectOneBlock(rows, pane.cols);
      expect(rows.some((r) => r.includes('日本語のログ 🚀 wide characters'))).toBe(true);

      // 2. first ends: flaky fails its first attempt, retries, waits for its gate; side waits for its own.
      open(gates, 'first');
      rows = await waitFor(pane, '`flaky` on attempt 2/3 and `side` running',
        (r) => /attempt 2\/3/.test(lineOf(r, 'flaky') ?? '') && /running/.test(lineOf(r, 'side') ?? ''));
      expectOneBlock(rows, pane.cols);

      // 3. Resized while they wait: redrawn at the new width (a frame drawn after the resize is one whose clock is later).
      // On the screen: one block. In the scrollback: nothing, unless the terminal narrowed: tmux's reflow then
      // wraps the old frame's lines and moves the top of the screen into the scrollback, out of the cursor's
      // reach (it keeps the cursor's row), where that part of the old frame stays (docs/cli.md says so).
      let narrowings = 0;
      for (const cols of widths.slice(1)) {
        const before = clockOf(pane.capture());
        if (cols < pane.cols) narrowings++;
        pane.resize(cols);
        rows = await waitFor(pane, `a frame after the resize to ${cols} columns`, (r) => clockOf(r) >= before + 0.6);
        expectOneBlock(pane.capture(false), cols);
        if (narrowings === 0) expectOneBlock(rows, cols);
        else expect(rows.filter((r) => HEADER.test(r)).length).toBeLessThanOrEqual(1 + narrowings);
      }

      // 4. side fails, after-side is skipped; flaky still waits.
      open(gates, 'side');
      // The icon says the reason at every width (at 40 columns an ended line is in its compact form, `exit 120 · 0ms`).
      rows = await waitFor(pane, '`after-side` Skipped', (r) => /^↷ .*(Skipped \(exit 120, |exit 120 · |120 · )/.test(lineOf(r, 'after-side') ?? ''));
      expectOneBlock(narrowings === 0 ? rows : pane.capture(false), pane.cols);
      expect(lineOf(rows, 'side')).toMatch(/^✖ side +(Failed \(exit 5, |exit 5 · )\d/);

      // 5. flaky succeeds on attempt 2; the rest runs; the run ends (exit 1: side failed).
      open(gates, 'flaky');
      rows = await waitFor(pane, 'the end of the run', (r) => r.some((x) => /^EXIT=\d+$/.test(x)));
      const text = rows.join('\n');
      expect(text).toMatch(/^EXIT=1$/m);
      // No frame of the block is left: every one was erased, the last before the table (but for the parts
      // of a frame that tmux moved into the scrollback when the terminal narrowed, at most one per narrowing).
      expect(rows.filter((r) => HEADER.test(r)).length).toBeLessThanOrEqual(narrowings);
      if (narrowings === 0) expect(rows.filter((r) => new RegExp(`^${ICON} `).test(r))).toEqual([]);
      expect(pane.capture(false).filter((r) => HEADER.test(r) || new RegExp(`^${ICON} `).test(r))).toEqual([]);
      // The table as printed (tmux joins the rows of a wrapped line).
      const lines = pane.capture(true, true);
      const header = lines.findIndex((r) => /^STEP +REASON +EXIT/.test(r));
      expect(header).toBeGreaterThan(0);
      const table = lines.slice(header + 1).filter((r) => /^\S/.test(r) && !/^pod |^EXIT=/.test(r));
      const cells = (step: string) => table.find((r) => r.startsWith(`${step} `))?.split(/ {2,}/).slice(0, 5);
      expect(cells('first')?.slice(1, 3)).toEqual(['Succeeded', '0']);
      expect(cells('flaky')?.slice(1, 3)).toEqual(['Succeeded', '0']);
      expect(cells('flaky')?.[4]).toBe('2/3');
      expect(cells('side')?.slice(1, 3)).toEqual(['Failed', '5']);
      expect(cells('after-side')?.slice(1, 3)).toEqual(['Skipped', '120']);
      expect(cells('cleanup')?.slice(1, 3)).toEqual(['Succeeded', '0']);
    } finally {
      // After a failure: let the run end (or stop it with Ctrl-C, which removes its pod) before the terminal goes.
      for (const g of ['first', 'side', 'flaky']) if (!fs.existsSync(path.join(gates, g))) open(gates, g);
      const ended = (r: string[]) => r.some((x) => /^EXIT=\d+$/.test(x));
      await waitFor(pane, 'the run to end', ended, 60_000).catch(() => {
        pane.interrupt();
        return waitFor(pane, 'the run to end after Ctrl-C', ended, 60_000);
      }).catch(() => undefined);
      pane.kill();
    }
  }

  test('150 columns, then 60, then 40, while steps wait', async () => {
    await run('term-wide', [150, 60, 40]);
  }, 900_000);

  test('40 columns from the first frame, then 60, then 150', async () => {
    await run('term-narrow', [40, 60, 150]);
  }, 900_000);
});
