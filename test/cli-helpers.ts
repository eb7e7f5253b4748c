/**
 * Helpers of the CLI tests: run the `cdk8s-steps` bin as a user would (its source through
 * ts-node, so no build is needed), synthesise manifests through the public API, and screenshot an
 * SVG in headless Chromium.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { PNG } from 'pngjs';
import * as YAML from 'yaml';
import { Entrypoint, StepPod, StepPodProps } from '../src';
import { ContainerResult } from '../src/local';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'src', 'cli', 'main.ts');

export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cdk8s-steps ARGS` (asynchronously, so jest can run other work meanwhile). */
export interface BinOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  return spawnCollect(process.execPath, ['-r', 'ts-node/register/transpile-only', BIN, ...args], {
    ...options,
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json'), ...options.env },
  });
}

/**
 * Runs `cmd ARGS` and collects its output and exit code (asynchronously, so jest can run other
 * work meanwhile); SIGKILLed after `timeoutMs` (default 300 s). `input` is its standard input.
 */
export function spawnCollect(cmd: string, args: string[], options: BinOptions = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A scratch directory removed at exit. */
export function scratch(prefix = 'cdk8s-steps-cli-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A StepPod in a fresh chart (images need not exist: for the commands that do not run it). */
export function newStepPod(id = 'pod', props: StepPodProps = {}): { chart: Chart; pod: StepPod } {
  const chart = new Chart(Testing.app(), 'cli');
  const pod = new StepPod(chart, id, {
    entrypoint: Entrypoint.fromImage('localhost/cdk8s-steps-entrypoint:dev', { imagePullPolicy: kplus.ImagePullPolicy.NEVER }),
    ...props,
  });
  return { chart, pod };
}

/** Writes the chart's manifest as `cdk8s synth` would (YAML documents) and returns the path. */
export function writeManifest(dir: string, chart: Chart, name = 'manifest.k8s.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Testing.synth(chart).map((o) => YAML.stringify(o)).join('---\n'));
  return file;
}

/** Debian's chromium, headless, with nothing that reaches out (the flags of the CLI brief) and a fresh profile. */
export function chromium(args: string[], timeout = 120_000): ReturnType<typeof spawnSync> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-chromium-'));
  try {
    return spawnSync('chromium', [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args,
    ], { encoding: 'utf8', timeout });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Screenshots an SVG file in headless Chromium at its own size (scale 1) and decodes the PNG. The
 * window is made taller than the picture and the shot cut to it: headless Chromium's page area is
 * smaller than `--window-size` (by about 90 pixels in Chromium 156), which would leave the bottom
 * of a short picture white.
 */
export function screenshot(svgFile: string, width: number, height: number): PNG {
  const png = `${svgFile}.png`;
  const r = chromium(['--hide-scrollbars', '--force-device-scale-factor=1', `--window-size=${Math.ceil(width)},${Math.ceil(height) + 300}`, `--screenshot=${png}`, `file://${svgFile}`]);
  if (!fs.existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${r.status}; install it: apt-get install -y chromium): ${r.stderr}`);
  const full = PNG.sync.read(fs.readFileSync(png));
  const out = new PNG({ width: Math.ceil(width), height: Math.ceil(height) });
  PNG.bitblt(full, out, 0, 0, out.width, out.height, 0, 0);
  return out;
}

/** What Chromium says of one SVG: its parse error, if any, and the elements it drew outside the picture. */
export interface ChromiumCheck {
  readonly name: string;
  readonly error?: string;
  readonly width: number;
  readonly height: number;
  readonly outside: Array<{ readonly element: string; readonly box: [number, number, number, number] }>;
  readonly elements: number;
}

/**
 * Renders each SVG in Chromium (one page, one browser for all): its XML must parse as SVG, and
 * every drawn element (shapes, text with the real font's extents, groups) must lie inside the
 * picture's own width and height. The page reports in the DOM that `--dump-dom` prints.
 */
export function checkInChromium(svgs: ReadonlyArray<{ readonly name: string; readonly svg: string }>, dir: string): ChromiumCheck[] {
  const page = path.join(dir, `check-${Math.random().toString(36).slice(2)}.html`);
  const script = `
    const out = [];
    for (const { name, svg } of ${JSON.stringify(svgs).replace(/</g, '\\u003c')}) {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const error = doc.querySelector('parsererror');
      if (error || doc.documentElement.localName !== 'svg') {
        out.push({ name, error: error ? error.textContent : 'not an <svg> document', width: 0, height: 0, outside: [], elements: 0 });
        continue;
      }
      const el = document.importNode(doc.documentElement, true);
      const holder = document.createElement('div');
      holder.appendChild(el);
      document.body.appendChild(holder);
      const frame = el.getBoundingClientRect();
      const width = Number(el.getAttribute('width'));
      const height = Number(el.getAttribute('height'));
      const outside = [];
      let elements = 0;
      for (const e of el.querySelectorAll('*')) {
        if (e.closest('defs, title') || e.localName === 'title') continue;
        elements++;
        const r = e.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        const box = [r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top].map((v) => Math.round(v * 10) / 10);
        if (box[0] < -0.5 || box[1] < -0.5 || box[2] > width + 0.5 || box[3] > height + 0.5) {
          outside.push({ element: e.localName + (e.textContent && e.localName === 'text' ? ' "' + e.textContent + '"' : ''), box });
        }
      }
      out.push({ name, width, height, outside, elements });
    }
    const pre = document.createElement('pre');
    pre.id = 'result';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);`;
  fs.writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}div{line-height:0}</style></head><body><script>${script}</script></body></html>`);
  const r = chromium(['--dump-dom', `file://${page}`]);
  const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(String(r.stdout));
  if (!m) throw new Error(`chromium printed no result (exit ${r.status}; install it: apt-get install -y chromium): ${String(r.stderr).slice(-2000)}`);
  const text = m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return JSON.parse(text);
}

/** The pixel at (x, y) as #rrggbb. */
export function pixel(png: PNG, x: number, y: number): string {
  const i = (Math.round(y) * png.width + Math.round(x)) * 4;
  return `#${[0, 1, 2].map((k) => png.data[i + k].toString(16).padStart(2, '0')).join('')}`;
}

/** Whether two #rrggbb colours are within `tolerance` on every channel. */
export function near(a: string, b: string, tolerance = 8): boolean {
  const ca = [1, 3, 5].map((k) => parseInt(a.slice(k, k + 2), 16));
  const cb = [1, 3, 5].map((k) => parseInt(b.slice(k, k + 2), 16));
  return ca.every((v, k) => Math.abs(v - cb[k]) <= tolerance);
}

/**
 * A container as the local runner returns it (for kubePod and the CLI's views, without podman): a
 * step container that exited 0, with no times, logs or report; `over` changes any field.
 */
export function containerResult(name: string, over: Partial<ContainerResult> = {}): ContainerResult {
  return {
    name,
    init: false,
    state: 'exited',
    exitCode: 0,
    oomKilled: false,
    startedAtMs: undefined,
    finishedAtMs: undefined,
    id: `id-${name}`,
    image: 'localhost/step:dev',
    imageId: 'sha',
    stdout: '',
    stderr: '',
    logs: '',
    logLines: [],
    terminationMessage: undefined,
    report: undefined,
    stateFiles: {},
    ...over,
  };
}
