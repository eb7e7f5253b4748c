/**
 * Regenerates the pictures in docs/images from the examples:
 *
 *   - graph.png, graph-ci-pipeline.png, graph-workflow.png: `cdk8s-steps graph --format svg` of
 *     examples/test-report.ts (finally step, conditions), examples/ci-pipeline.ts (retries,
 *     timeouts, onError CONTINUE) and the StepWorkflow of examples/ci-on-argo.ts;
 *   - cli-run-progress.png (100 columns) and cli-run-progress-40.png (40 columns): the live display
 *     of `cdk8s-steps run` on examples/test-report.ts in a tmux pane, captured with its colours while
 *     the run is under way;
 *   - timeline.png: the `--timeline` of that run.
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
import { App } from 'cdk8s';
import { PNG } from 'pngjs';
import { buildApp } from '../examples/main';

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
  const convert = new Convert({ fg: '#d4d4d4', bg: '#1e1e1e', escapeXML: true });
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

/** Runs `cdk8s-steps run` on the test-report example in a tmux pane and captures a frame while steps are under way. */
async function liveDisplay(manifest: string, cols: number, rows: number, timeline?: string): Promise<string[]> {
  const socket = `cdk8s-steps-shots-${process.pid}-${cols}`;
  const tmux = (...a: string[]) => run('tmux', ['-L', socket, ...a]);
  const command = `cd ${ROOT} && env TS_NODE_PROJECT=${process.env.TS_NODE_PROJECT} ${process.execPath} -r ts-node/register/transpile-only src/cli/main.ts run ${manifest}`
    + `${timeline ? ` --timeline ${timeline}` : ''}; rc=$?; echo; echo "exit code $rc"; sleep 600`;
  tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(cols), '-y', String(rows), '-e', 'TERM=tmux-256color', '-e', 'PS1=$ ', command);
  try {
    const started = Date.now();
    let best: string[] | undefined;
    let bestScore = -1;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-e').replace(/\n+$/, '').split('\n');
      const plain = screen.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
      if (plain.some((l) => /^exit code \d+$/.test(l))) break;
      // The most telling frame: steps ended and steps still to come, with logs above; else the last
      // frame before the table (the example's steps take milliseconds: podman may start the last
      // containers after the first ended, or only once all have).
      const ended = plain.filter((l) => /^[✔✖↷◷☠■] /.test(l)).length;
      const open = plain.filter((l) => /^[▶…·] /.test(l)).length;
      const logs = plain.filter((l) => / \| /.test(l)).length;
      const score = ended === 0 ? -1 : (open > 0 ? 1000 : 0) + ended * 10 + logs;
      if (score > bestScore) {
        best = screen;
        bestScore = score;
      }
      if (Date.now() - started > 300_000) throw new Error('the run did not end within 300 s');
      await new Promise((r) => setTimeout(r, 40));
    }
    if (!best) throw new Error('no frame with a step that ended was seen');
    // The screen up to the block's last line.
    const plain = best.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    let last = plain.length - 1;
    while (last > 0 && !/^[✔✖↷◷☠■▶…·] /.test(plain[last])) last--;
    return best.slice(Math.max(0, last + 1 - rows), last + 1);
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
  terminalToPng(await liveDisplay(example('test-report'), 100, 24, timeline), 100, 'cli-run-progress.png');
  svgToPng(fs.readFileSync(timeline, 'utf8'), 'timeline.png');
  terminalToPng(await liveDisplay(example('test-report'), 40, 24), 40, 'cli-run-progress-40.png');
}

main().then(() => fs.rmSync(work, { recursive: true, force: true }), (e) => {
  console.error(`screenshots: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
