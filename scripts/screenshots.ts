/**
 * Regenerates the pictures in docs/images from the examples:
 *
 *   - graph.png, graph-ci-pipeline.png, graph-workflow.png: `cdk8s-steps graph --format svg` of
 *     examples/test-report.ts (finally step, conditions), examples/ci-pipeline.ts (retries,
 *     timeouts, onError CONTINUE) and the StepWorkflow of examples/ci-on-argo.ts;
 *   - cli-run-progress.png (100 columns) and cli-run-progress-40.png (40 columns): the live display
 *     of `cdk8s-steps run` in a tmux pane, captured with its colours in the middle of a run: a pod
 *     made here whose steps wait on gate files this script creates (as test/e2e/cli-terminal.test.ts
 *     does), so the frame is taken at a point the script chose: a step ended, one that failed (with
 *     onError CONTINUE), a retried step on `attempt 2/3`, one running, three waiting;
 *   - timeline.png: the `--timeline` of a run of examples/test-report.ts.
 *
 * SVGs and the captured terminal are rendered to PNG by headless Chromium. Needs podman with the two
 * local images of docs/cli.md "Images", tmux and chromium:
 *
 *   npx ts-node --transpile-only -P scripts/tsconfig.json scripts/screenshots.ts [--out docs/images]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Convert from 'ansi-to-html';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { PNG } from 'pngjs';
import { LOCAL_ENTRYPOINT_IMAGE, LOCAL_STEP_IMAGE } from '../examples/local-diamond';
import { buildApp } from '../examples/main';
import { Entrypoint, OnError, StepPod } from '../src';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const OUT = path.resolve(args[args.indexOf('--out') + 1] && args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(ROOT, 'docs', 'images'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-screenshots-'));

function run(cmd: string, argv: string[], options: { input?: string; allowFailure?: boolean } = {}): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', input: options.input, cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !options.allowFailure) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The CLI from the sources, as a user runs it. */
function cli(argv: string[]): string {
  return run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...argv]);
}
process.env.TS_NODE_PROJECT = path.join(ROOT, 'scripts', 'tsconfig.json');
process.env.CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING = '1'; // the examples that use Entrypoint.DEFAULT are only drawn here

/** Renders `file` (an SVG or an HTML page) in headless Chromium to a PNG of `width` x `height`. */
function toPng(file: string, width: number, height: number, png: string): void {
  const profile = fs.mkdtempSync(path.join(work, 'chromium-'));
  const shot = path.join(work, `shot-${path.basename(png)}`);
  run('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars', '--force-device-scale-factor=1',
    // The page area of headless Chromium is shorter than the window: shoot taller, then cut.
    `--window-size=${width},${height + 300}`, `--screenshot=${shot}`, `file://${file}`,
  ], { allowFailure: true });
  if (!fs.existsSync(shot)) throw new Error(`chromium wrote no screenshot of ${file}`);
  const full = PNG.sync.read(fs.readFileSync(shot));
  const out = new PNG({ width, height });
  PNG.bitblt(full, out, 0, 0, width, height, 0, 0);
  fs.writeFileSync(png, PNG.sync.write(out, { colorType: 2 }));
  console.log(`${path.relative(ROOT, png)}: ${width} x ${height}`);
}

function svgToPng(svg: string, name: string): void {
  const file = path.join(work, name.replace(/\.png$/, '.svg'));
  fs.writeFileSync(file, svg);
  const size = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg);
  if (!size) throw new Error(`${name}: no size in the SVG`);
  toPng(file, Number(size[1]), Number(size[2]), path.join(OUT, name));
}

/** A terminal's rows (with their escape codes, as `tmux capture-pane -e` gives them) as a picture. */
function terminalToPng(rows: string[], cols: number, name: string): void {
  // One conversion for all rows: tmux writes an attribute only where it changes, also across rows.
  // ansi-to-html's blue (#00A) is unreadable on a dark background: a terminal theme's lighter blue.
  const convert = new Convert({ fg: '#d4d4d4', bg: '#1e1e1e', escapeXML: true, colors: { 4: '#569cd6', 12: '#8cbcf0' } });
  const CELL_W = 8.43; // DejaVu Sans Mono at 14px: 0.602 em per column
  const CELL_H = 18;
  const pad = 12;
  const width = Math.ceil(cols * CELL_W + 2 * pad);
  const height = Math.ceil(rows.length * CELL_H + 2 * pad);
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
    body { margin: 0; background: #1e1e1e; }
    pre { margin: 0; padding: ${pad}px; color: #d4d4d4; font: 14px/${CELL_H}px "DejaVu Sans Mono", monospace; white-space: pre; }
  </style></head><body><pre>${convert.toHtml(rows.join('\n'))}</pre></body></html>`;
  const file = path.join(work, name.replace(/\.png$/, '.html'));
  fs.writeFileSync(file, html);
  toPng(file, width, height, path.join(OUT, name));
}

/**
 * A CI-like pod whose steps wait on gate files (a hostPath volume) that `open` creates:
 *
 *   checkout -> unit (retries 2: the first attempt fails, the second waits for gate `unit`) -> build -> publish
 *            -> lint (waits for gate `lint`)                                                -> build
 *            -> audit (fails, onError CONTINUE)
 *   cleanup (finally)
 */
function gatedPod(dir: string, gates: string): string {
  const app = new App({ outdir: dir });
  const chart = new Chart(app, 'live');
  const pod = new StepPod(chart, 'ci', {
    entrypoint: Entrypoint.fromImage(LOCAL_ENTRYPOINT_IMAGE, { imagePullPolicy: kplus.ImagePullPolicy.NEVER }),
  });
  const gate = kplus.Volume.fromHostPath(chart, 'gates', 'gates', { path: gates, type: kplus.HostPathVolumeType.DIRECTORY });
  const step = (script: string, more: object = {}) => ({
    image: LOCAL_STEP_IMAGE,
    imagePullPolicy: kplus.ImagePullPolicy.NEVER,
    command: ['sh', '-c', script],
    volumeMounts: [{ path: '/gates', volume: gate, readOnly: true }],
    ...more,
  });
  const wait = (name: string) => `until [ -e /gates/${name} ]; do sleep 0.05; done`;
  const checkout = pod.addStep('checkout', step('echo cloned 1a2b3c4'));
  const unit = pod.addStep('unit', step(`if [ -e /workspace/tried ]; then echo '412 tests'; ${wait('unit')}; echo '412 passed'; `
    + 'else touch /workspace/tried; echo \'connection reset by peer\' >&2; exit 3; fi', { dependsOn: [checkout], retries: 2 }));
  const lint = pod.addStep('lint', step(`echo 'linting 96 files'; ${wait('lint')}; echo 'no problems'`, { dependsOn: [checkout] }));
  pod.addStep('audit', step('echo \'1 moderate vulnerability\' >&2; exit 1', { dependsOn: [checkout], onError: OnError.CONTINUE }));
  const build = pod.addStep('build', step('echo built', { dependsOn: [unit, lint] }));
  pod.addStep('publish', step('echo published', { dependsOn: [build] }));
  pod.addFinally('cleanup', step('echo cleaned'));
  app.synth();
  return path.join(dir, 'live.k8s.yaml');
}

const plainOf = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Runs the gated pod in a tmux pane of `cols` columns and captures the screen at the moment the
 * retried step is on its second attempt (waiting for its gate), `lint` runs (waiting for its gate)
 * and `audit` has failed; then opens the gates and lets the run end.
 */
async function liveDisplay(cols: number, rows: number): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(work, 'live-'));
  const gates = path.join(dir, 'gates');
  fs.mkdirSync(gates, { mode: 0o755 });
  const manifest = gatedPod(dir, gates);
  const socket = `cdk8s-steps-shots-${process.pid}-${cols}`;
  const tmux = (...a: string[]) => run('tmux', ['-L', socket, ...a]);
  const command = `cd ${ROOT} && env TS_NODE_PROJECT=${process.env.TS_NODE_PROJECT} ${process.execPath} -r ts-node/register/transpile-only src/cli/main.ts run ${manifest}`
    + '; rc=$?; echo; echo "exit code $rc"; sleep 600';
  tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(cols), '-y', String(rows), '-e', 'TERM=tmux-256color', '-e', 'PS1=$ ', command);
  const screen = () => tmux('capture-pane', '-p', '-e').replace(/\n+$/, '').split('\n');
  const lineOf = (lines: string[], step: string) => lines.map(plainOf).filter((l) => new RegExp(`^\\S ${step} `).test(l)).pop() ?? '';
  const until = async (what: string, ready: (lines: string[]) => boolean): Promise<string[]> => {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const lines = screen();
      if (ready(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`waited 300 s for ${what}; the pane shows:\n${lines.map(plainOf).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const ready = (lines: string[]) => /attempt 2\/3/.test(lineOf(lines, 'unit')) && /^▶/.test(lineOf(lines, 'lint'))
      && /^✖/.test(lineOf(lines, 'audit')) && /^✔/.test(lineOf(lines, 'checkout'));
    const clock = (lines: string[]) => Number(/\[\+(\d+\.\d)s\]/.exec(lines.map(plainOf).filter((l) => /\[\+\d/.test(l)).pop() ?? '')?.[1] ?? -1);
    const first = await until('the retried step on attempt 2/3, lint running, audit failed', ready);
    // A frame a little later, so the running steps have a time of a few seconds.
    const shown = await until('a later frame', (lines) => ready(lines) && clock(lines) >= clock(first) + 2);
    fs.writeFileSync(path.join(gates, 'lint'), '');
    fs.writeFileSync(path.join(gates, 'unit'), '');
    await until('the end of the run', (lines) => lines.some((l) => /^exit code \d+$/.test(plainOf(l))));
    // The screen up to the block's last line.
    const plain = shown.map(plainOf);
    let last = plain.length - 1;
    while (last > 0 && !/^[✔✖↷◷☠■▶…·?] /.test(plain[last])) last--;
    return shown.slice(Math.max(0, last + 1 - rows), last + 1);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const dist = path.join(work, 'dist');
  buildApp(new App({ outdir: dist })).synth();
  const example = (name: string) => path.join(dist, `${name}.k8s.yaml`);

  svgToPng(cli(['graph', example('test-report'), '--format', 'svg']), 'graph.png');
  svgToPng(cli(['graph', example('ci-pipeline'), '--format', 'svg']), 'graph-ci-pipeline.png');
  const workflow = /Workflow (\S+)\)/.exec(spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'graph', example('ci-on-argo')], { cwd: ROOT, encoding: 'utf8' }).stderr)?.[1];
  svgToPng(cli(['graph', example('ci-on-argo'), '--pod', workflow ?? 'ci-on-argo-', '--format', 'svg']), 'graph-workflow.png');

  const timeline = path.join(work, 'timeline.svg');
  // test-report fails (its `test` step does, on purpose): exit 1.
  run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'run', example('test-report'), '--timeline', timeline], { allowFailure: true });
  svgToPng(fs.readFileSync(timeline, 'utf8'), 'timeline.png');
  terminalToPng(await liveDisplay(100, 22), 100, 'cli-run-progress.png');
  terminalToPng(await liveDisplay(40, 22), 40, 'cli-run-progress-40.png');
}

main().then(() => fs.rmSync(work, { recursive: true, force: true }), (e) => {
  console.error(`screenshots: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
