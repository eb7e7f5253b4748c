/**
 * `cdk8s-steps run` of the README's Quick start pipeline on a podman that has no entrypoint image:
 * how long from the command's start to the first step's start (issue 17). Not part of the test
 * run; no goal is enforced.
 *
 * Each repetition gets a podman storage of its own (CONTAINERS_STORAGE_CONF: graph and run roots
 * under bench/out/first-run/), holding only what a user's podman would already have: the step
 * image the run maps busybox:1.36 to (`--image`, no registry here) and podman's pause image. Then:
 *  - `first`: `node lib/cli/main.js run <manifest> --image busybox:1.36=<step image> --keep`: the
 *    manifest names ghcr.io/cdk8s-steps/entrypoint:0.0.0 (a development build's default), which
 *    cannot be pulled, so the run makes the entrypoint image from the packaged binary first;
 *  - `again`: the same command once more on that storage (the image is found, nothing is made).
 * The first step (`build`, no dependencies) starts when its container starts: its `State.StartedAt`
 * (kept with --keep, read with podman inspect, then the pod is removed) minus the moment the
 * command was spawned.
 *
 *   TS_NODE_PROJECT=bench/tsconfig.json node -r ts-node/register bench/first-run.ts [RUNS]
 *
 * Needs a compiled checkout (`npx projen compile`: lib/, binaries/), podman, Go and busybox-static
 * (for test/e2e/step-image/build.sh). Writes bench/out/first-run/results.json.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { podman, podmanEnv, parseTime, run, REPO_ROOT } from '../src/local';

const OUT = path.join(REPO_ROOT, 'bench', 'out', 'first-run');
const STEP_IMAGE = 'localhost/cdk8s-steps-e2e-step:dev';
const RUNS = Number(process.argv[2] ?? process.env.BENCH_FIRST_RUNS ?? 3);

interface Timed {
  /** ms from spawning the command to the first step's container start */
  readonly firstStepMs: number;
  /** ms from spawning the command to its exit */
  readonly totalMs: number;
  /** the runner's lines (stderr), each with the ms since spawning the command at which it came */
  readonly notes: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summary(ts: Timed[]) {
  return { medianMs: median(ts.map((t) => t.firstStepMs)), samplesMs: ts.map((t) => t.firstStepMs), totalMs: ts.map((t) => t.totalMs) };
}

/** The README's Quick start pipeline: the first TypeScript block under "## Quick start" (the one test/e2e/quickstart.test.ts runs). */
function readmePipeline(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start\n'));
  const block = section && /^```ts\n([^]*?)^```$/m.exec(section);
  if (!block) throw new Error('README.md has no TypeScript block under "## Quick start"');
  return block[1];
}

/** The README's pipeline, synthesised with this checkout's compiled library. */
async function synthReadmePipeline(): Promise<string> {
  const dir = path.join(OUT, 'app');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const program = readmePipeline().replace(/from 'cdk8s-steps'/g, `from ${JSON.stringify(path.join(REPO_ROOT, 'lib'))}`);
  fs.writeFileSync(path.join(dir, 'main.ts'), program);
  await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'main.ts'], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules'), CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING: '1', TS_NODE_PROJECT: path.join(REPO_ROOT, 'bench', 'tsconfig.json') },
  });
  const files = fs.readdirSync(path.join(dir, 'dist'));
  if (files.length !== 1) throw new Error(`the README pipeline wrote ${files.join(', ') || 'nothing'}, not one manifest`);
  return path.join(dir, 'dist', files[0]);
}

/** A podman storage of its own, with only the step image and the pause image in it. */
async function freshStorage(i: number, archives: { step: string; pause: string }): Promise<NodeJS.ProcessEnv> {
  const root = path.join(OUT, `storage-${i}`);
  await run('rm', ['-rf', root]); // overlay leaves directories rm -r of Node may trip over
  fs.mkdirSync(root, { recursive: true });
  const conf = path.join(root, 'storage.conf');
  fs.writeFileSync(conf, `[storage]\ndriver = "overlay"\ngraphroot = "${root}/graph"\nrunroot = "${root}/run"\n`);
  const env = { ...podmanEnv(), CONTAINERS_STORAGE_CONF: conf };
  await podman(['load', '--quiet', '--input', archives.step], { env });
  await podman(['load', '--quiet', '--input', archives.pause], { env });
  const entrypoints = (await podman(['images', '--format', '{{.Repository}}', 'localhost/cdk8s-steps-entrypoint'], { env })).stdout.trim();
  if (entrypoints) throw new Error(`the fresh storage ${root} has an entrypoint image: ${entrypoints}`);
  return env;
}

/** One `cdk8s-steps run --keep`, timed; the kept pod is inspected, then removed. */
function runOnce(manifest: string, env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'lib', 'cli', 'main.js'), 'run', manifest, '--image', `busybox:1.36=${STEP_IMAGE}`, '--keep'], {
      env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => {
      const at = Date.now() - t0;
      stderr += d.toString().split('\n').map((l) => (l ? `[+${at} ms] ${l}` : l)).join('\n');
    });
    child.on('close', async (code) => {
      const totalMs = Date.now() - t0;
      const pod = /kept: podman pod rm -f (\S+);/.exec(stdout)?.[1];
      if (code !== 0 || !pod) {
        reject(new Error(`cdk8s-steps run exited ${code}:\n${stdout}\n${stderr}`));
        return;
      }
      try {
        const started = (await podman(['container', 'inspect', '--format', '{{.State.StartedAt}}', `${pod}-build`], { env })).stdout.trim();
        const volumes = (await podman(['volume', 'ls', '-q', '--filter', `name=${pod.slice(pod.lastIndexOf('-') + 1)}`], { env })).stdout.split('\n').filter(Boolean);
        await podman(['pod', 'rm', '-f', '-t', '0', pod], { env });
        if (volumes.length) await podman(['volume', 'rm', '-f', ...volumes], { env });
        resolve({ firstStepMs: parseTime(started)! - t0, totalMs, notes: stderr.trim().split('\n') });
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function main(): Promise<void> {
  for (const f of ['lib/cli/main.js', 'binaries/entrypoint.json']) {
    if (!fs.existsSync(path.join(REPO_ROOT, f))) throw new Error(`${f} is missing: run \`npx projen compile\` first`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  await run('bash', [path.join(REPO_ROOT, 'test', 'e2e', 'step-image', 'build.sh'), STEP_IMAGE], { env: podmanEnv(), timeoutMs: 1_800_000 });
  const pauseImage = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/podman-pause'])).stdout.trim().split('\n')[0];
  if (!pauseImage) throw new Error('podman has no pause image yet: run any pod once (e.g. the e2e suite) first');
  const archives = { step: path.join(OUT, 'step.tar'), pause: path.join(OUT, 'pause.tar') };
  for (const f of Object.values(archives)) fs.rmSync(f, { force: true });
  await podman(['save', '--quiet', '--output', archives.step, STEP_IMAGE], { timeoutMs: 600_000 });
  await podman(['save', '--quiet', '--output', archives.pause, pauseImage], { timeoutMs: 600_000 });
  const manifest = await synthReadmePipeline();

  const reps: Array<{ first: Timed; again: Timed }> = [];
  for (let i = 0; i < RUNS; i++) {
    const env = await freshStorage(i, archives);
    const first = await runOnce(manifest, env);
    const again = await runOnce(manifest, env);
    reps.push({ first, again });
    process.stderr.write(`bench/first-run: ${i + 1}/${RUNS}: first step after ${first.firstStepMs} ms (no entrypoint image), ${again.firstStepMs} ms (image present)\n`);
    await run('rm', ['-rf', path.dirname(env.CONTAINERS_STORAGE_CONF!)]);
  }
  const podmanVersion = (await podman(['version', '--format', '{{.Client.Version}}'])).stdout.trim();
  const result = {
    what: 'cdk8s-steps run of the README Quick start pipeline: spawn → first step container start (ms)',
    runs: RUNS,
    noEntrypointImage: summary(reps.map((r) => r.first)),
    imagePresent: summary(reps.map((r) => r.again)),
    notesOfFirstRun: reps[0].first.notes,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, podman: podmanVersion, loadavg: os.loadavg() },
    at: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench/first-run: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
