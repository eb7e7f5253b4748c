/**
 * Low-level podman plumbing shared by the e2e suite, scripts/try-local and the benchmarks:
 * the environment podman runs with, an exec helper, podman detection and a cross-process lock.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

/** The repository root (this file lives in test/e2e/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Scratch space of the suite (git-ignored): built images' inputs, one directory per pod run. */
export const WORK_DIR = process.env.CDK8S_STEPS_E2E_WORK_DIR ?? path.join(REPO_ROOT, '.e2e-work');

/** The containers.conf kept in the repo; see the comments in it for why each setting is there. */
export const CONTAINERS_CONF = path.join(REPO_ROOT, 'podman', 'containers.conf');

/**
 * Environment for every podman call. A CONTAINERS_CONF already set by the caller wins, and with
 * CDK8S_STEPS_OWN_PODMAN_CONFIG=1 podman keeps its own configuration (a workstation, e.g. rootless
 * podman with systemd, whose podman works as installed); otherwise the repo's file is used.
 */
export function podmanEnv(): NodeJS.ProcessEnv {
  if (process.env.CDK8S_STEPS_OWN_PODMAN_CONFIG === '1') return { ...process.env };
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF || CONTAINERS_CONF };
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
  /** Resolve with a non-zero code instead of rejecting. */
  readonly allowFailure?: boolean;
}

/** Runs a command (no shell) and collects its output. Rejects on a non-zero exit unless allowFailure. */
export function run(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : -1) : 0;
      if (error && !options.allowFailure) {
        const killed = (error as any).killed ? ` (killed after ${options.timeoutMs ?? 120_000} ms)` : '';
        reject(new Error(`${cmd} ${args.join(' ')} failed with ${code}${killed}:\n${stderr || stdout || error.message}`));
        return;
      }
      resolve({ stdout, stderr, code });
    });
  });
}

/** `podman ARGS` with the suite's environment. */
export function podman(args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return run('podman', args, { ...options, env: options.env ?? podmanEnv() });
}

export interface PodmanStatus {
  /** podman is installed and answers `podman version`. */
  readonly available: boolean;
  /** e.g. "4.3.1" */
  readonly version?: string;
  /** Why it is not available. */
  readonly reason?: string;
}

/** Is podman installed and usable? Synchronous so that a test file can decide at load time. */
export function podmanStatus(): PodmanStatus {
  const r = spawnSync('podman', ['version', '--format', '{{.Client.Version}}'], {
    env: podmanEnv(), encoding: 'utf8', timeout: 60_000,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { available: false, reason: code === 'ENOENT' ? 'podman is not installed (not on PATH)' : `podman could not be run: ${r.error.message}` };
  }
  if (r.status !== 0) {
    return { available: false, reason: `podman version exited with ${r.status}: ${(r.stderr || r.stdout).trim()}` };
  }
  return { available: true, version: r.stdout.trim() };
}

/** True when the CI environment variable says so (`true` or `1`, as GitHub Actions and .ci/run set it). */
export function isCI(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

/**
 * Runs `fn` while holding an exclusive lock shared by every process on this machine (every jest
 * worker, the benchmarks, try-local). The lock is a kernel flock(2) held by a `flock` child process
 * (util-linux) for as long as `fn` runs: it is released when `fn` settles, and also when this
 * process dies in any way (the child sees EOF on its stdin), so there are no stale locks.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, waitMs = 30 * 60_000): Promise<T> {
  const lockFile = path.join(os.tmpdir(), `cdk8s-steps-e2e-${name}.lock`);
  const holder = await acquire(lockFile, waitMs);
  try {
    return await fn();
  } finally {
    holder.stdin?.end();
    await new Promise<void>((resolve) => {
      if (holder.exitCode !== null || holder.signalCode !== null) {
        resolve();
      } else {
        holder.once('exit', () => resolve());
      }
    });
  }
}

function acquire(lockFile: string, waitMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    const child = spawn('flock', ['-x', '-w', String(seconds), lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!done && out.includes('locked')) {
        done = true;
        resolve(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => {
      if (!done) {
        done = true;
        reject(new Error(`cannot take the lock ${lockFile}: ${e.message} (flock from util-linux is required)`));
      }
    });
    child.on('exit', (code) => {
      if (!done) {
        done = true;
        reject(new Error(`cannot take the lock ${lockFile} within ${seconds} s (flock exited ${code}): ${err.trim()}`));
      }
    });
  });
}

/** Sleeps without blocking the event loop. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
