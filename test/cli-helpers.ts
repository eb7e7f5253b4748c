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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json'), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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

/** Screenshots an SVG file in headless Chromium at its own size (scale 1) and decodes the PNG. */
export function screenshot(svgFile: string, width: number, height: number): PNG {
  const png = `${svgFile}.png`;
  const r = spawnSync('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
    `--window-size=${Math.ceil(width)},${Math.ceil(height)}`, `--screenshot=${png}`, `file://${svgFile}`,
  ], { encoding: 'utf8', timeout: 120_000 });
  if (!fs.existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${r.status}; install it: apt-get install -y chromium): ${r.stderr}`);
  return PNG.sync.read(fs.readFileSync(png));
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
