/**
 * Native sidecars in a local run, as the kubelet runs them (Kubernetes ≥ 1.29; the rules from
 * kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/): a sidecar (an initContainer with
 * `restartPolicy: Always`) starts in its place among the init containers, and the next init
 * container (and after the last one, the steps) starts only once it has *started*: it runs and,
 * when it has a startupProbe, the probe passed (probe.ts); once the steps have ended, the sidecars
 * are stopped in the reverse order of their appearance, each with the pod's
 * terminationGracePeriodSeconds before SIGKILL.
 *
 * podman 4.3 has none of this (`kube play` runs such a container as a plain init container, which
 * never ends, and refuses its probes), so the runner plays the pod with `--start=false` and starts
 * each container itself. Unlike the kubelet, which restarts a sidecar that exits or fails its
 * probe, the runner reports it and fails the run.
 */
import { podman, run, sleep } from './podman';
import { describeProbe, NETWORK_PROBE_SCRIPT, ProbeAttempt, runStartupProbe, SidecarStartError, StartupProbe, startupProbeOf } from './probe';
import { parseTime } from './result';
import { K8sObject } from '../wire/workload';

/** What the sidecar code needs from the run. */
export interface SidecarContext {
  readonly podName: string;
  /** The run's deadline (ms since the epoch). */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** podman's name for a container of the pod. */
  ctrName(name: string): string;
  notify(line: string): void;
}

/** The run's deadline passed while a sidecar was starting. */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`the run's time ran out while ${what}`);
    this.name = 'DeadlineError';
  }
}

function left(ctx: SidecarContext, what: string): number {
  const ms = ctx.deadline - Date.now();
  if (ms <= 0) throw new DeadlineError(what);
  return ms;
}

/** A container's state, as podman reports it. */
async function state(ctx: SidecarContext, name: string): Promise<{ status: string; exitCode: number; startedAtMs?: number }> {
  const r = await podman(['container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.StartedAt}}', ctx.ctrName(name)], { signal: ctx.signal });
  const [status, code, ...started] = r.stdout.trim().split(' ');
  return { status, exitCode: Number(code), startedAtMs: parseTime(started.join(' ')) };
}

/** The pid of the pod's infra container: its network namespace is the pod's. */
async function infraPid(ctx: SidecarContext): Promise<number> {
  const id = (await podman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', ctx.podName], { signal: ctx.signal })).stdout.trim();
  const pid = Number((await podman(['container', 'inspect', '--format', '{{.State.Pid}}', id], { signal: ctx.signal })).stdout.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`the infra container of pod ${ctx.podName} is not running (pid ${pid}): its network namespace cannot be entered`);
  return pid;
}

/** One attempt of an httpGet or tcpSocket probe, inside the pod's network namespace (nsenter; rootless podman: through `podman unshare`). */
async function networkAttempt(ctx: SidecarContext, sidecar: string, probe: StartupProbe, pid: number): Promise<ProbeAttempt> {
  const nsenter = ['nsenter', `--target=${pid}`, '--net', '--', process.execPath, '-e', NETWORK_PROBE_SCRIPT, JSON.stringify({ action: probe.action, timeoutMs: probe.timeoutMs })];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const [cmd, ...args] = root ? nsenter : ['podman', 'unshare', ...nsenter];
  // The timeout is the probe's own (in the script); the bound here only covers starting node.
  const r = await run(cmd, args, { allowFailure: true, signal: ctx.signal, timeoutMs: probe.timeoutMs + 10_000 });
  try {
    const out = JSON.parse(r.stdout) as ProbeAttempt;
    if (typeof out.ok === 'boolean') return { ok: out.ok, message: String(out.message) };
  } catch {
    // not the script's answer: the namespace could not be entered
  }
  throw new Error(`sidecar ${sidecar}: the runner could not enter pod ${ctx.podName}'s network namespace to run its startup probe `
    + `(${cmd} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0] || 'no output'}); it needs nsenter (util-linux), and root or rootless podman's \`podman unshare\``);
}

/** One attempt of an exec probe: the command in the container, exit 0 is success. */
async function execAttempt(ctx: SidecarContext, sidecar: string, probe: StartupProbe & { action: { kind: 'exec' } }): Promise<ProbeAttempt> {
  // timeoutSeconds bounds the command; the second more covers podman exec's own start.
  const r = await podman(['exec', ctx.ctrName(sidecar), ...probe.action.command], { allowFailure: true, signal: ctx.signal, timeoutMs: probe.timeoutMs + 1_000 });
  if (r.code === 0) return { ok: true, message: 'exit code 0' };
  const out = (r.stderr || r.stdout).trim().split('\n').slice(-1)[0];
  return { ok: false, message: `exit code ${r.code}${out ? `: ${out}` : ''}` };
}

/**
 * Starts a sidecar and returns once it has started (running, and its startup probe passed);
 * throws a SidecarStartError when it exits first or its probe fails failureThreshold times.
 */
export async function startSidecar(ctx: SidecarContext, spec: K8sObject): Promise<void> {
  const name = String(spec.name);
  const probe = startupProbeOf(spec);
  await podman(['start', ctx.ctrName(name)], { signal: ctx.signal, timeoutMs: left(ctx, `starting sidecar ${name}`) });
  const s = await state(ctx, name);
  if (!probe) {
    if (s.status !== 'running') throw new SidecarStartError(`sidecar ${name} exited with code ${s.exitCode} right after it started`, 0);
    ctx.notify(`sidecar ${name} started (no startup probe)`);
    return;
  }
  let pid: number | undefined;
  const passed = await runStartupProbe(name, probe, {
    startedAtMs: s.startedAtMs ?? Date.now(),
    now: () => Date.now(),
    sleep: async (ms) => {
      left(ctx, `sidecar ${name}'s startup probe was failing`);
      await sleep(Math.min(ms, ctx.deadline - Date.now()));
    },
    exited: async () => {
      const now = await state(ctx, name);
      return now.status === 'running' ? undefined : now.exitCode;
    },
    attempt: async () => {
      left(ctx, `sidecar ${name}'s startup probe was failing`);
      if (probe.action.kind === 'exec') return execAttempt(ctx, name, probe as StartupProbe & { action: { kind: 'exec' } });
      pid ??= await infraPid(ctx);
      return networkAttempt(ctx, name, probe, pid);
    },
  });
  ctx.notify(`sidecar ${name} started: its startup probe (${describeProbe(probe.action)}) passed on attempt ${passed.attempts}`);
}

/** What a sidecar's exit means for the run, in the words the run reports. */
export function sidecarExitMessage(
  name: string, code: number | string, finishedAtMs: number | undefined, stepsStartedAtMs: number | undefined,
): string {
  // Before the steps: the steps had not been started when it ended (by podman's clock of its end,
  // else by when it was seen).
  const before = stepsStartedAtMs === undefined || (finishedAtMs !== undefined && finishedAtMs < stepsStartedAtMs);
  return before
    ? `sidecar ${name} exited with code ${code} before the steps started: a kubelet would restart it, a local run fails`
    : `sidecar ${name} exited with code ${code} while the steps ran: a kubelet would restart it, a local run stops the steps and fails`;
}

/** How the watch sees a sidecar (podman by default; fakes in the tests). */
export interface SidecarWatchDeps {
  /** Resolves with the sidecar's exit code once it has exited, or undefined when the wait ended otherwise (stopped, timed out). */
  waitExit(name: string, signal: AbortSignal): Promise<number | undefined>;
  /** When the sidecar ended, by podman's record (ms), if known. */
  finishedAt(name: string): Promise<number | undefined>;
  /** The clock. */
  now(): number;
}

function podmanWatchDeps(ctx: SidecarContext): SidecarWatchDeps {
  return {
    waitExit: async (name, signal) => {
      const r = await podman(['wait', ctx.ctrName(name)], { allowFailure: true, signal, timeoutMs: Math.max(1, ctx.deadline - Date.now()) });
      const code = Number(r.stdout.trim());
      return r.code === 0 && Number.isInteger(code) ? code : undefined;
    },
    finishedAt: async (name) => {
      const r = await podman(['container', 'inspect', '--format', '{{.State.FinishedAt}}', ctx.ctrName(name)], { allowFailure: true });
      return r.code === 0 ? parseTime(r.stdout.trim()) : undefined;
    },
    now: () => Date.now(),
  };
}

/**
 * Watches each sidecar from the moment it has started (`add`) until `stop()`: `failed` resolves
 * with a message when one of them exits, saying whether it ended before the steps were started
 * (`stepsStarting()`) or while they ran.
 */
export class SidecarWatch {
  readonly failed: Promise<string>;
  private readonly controller = new AbortController();
  private readonly deps: SidecarWatchDeps;
  private stepsStartedAtMs: number | undefined;
  private report!: (message: string) => void;

  constructor(ctx: SidecarContext, deps?: SidecarWatchDeps) {
    this.deps = deps ?? podmanWatchDeps(ctx);
    this.failed = new Promise<string>((resolve) => {
      this.report = resolve;
    });
  }

  /** Watches a sidecar that has just started. */
  add(name: string): void {
    const signal = this.controller.signal;
    void this.deps.waitExit(name, signal).then(async (code) => {
      if (signal.aborted || code === undefined) return;
      const finished = await this.deps.finishedAt(name).catch(() => undefined);
      if (signal.aborted) return;
      this.report(sidecarExitMessage(name, code, finished ?? this.deps.now(), this.stepsStartedAtMs));
    }, () => undefined);
  }

  /** The steps are being started now: a sidecar that ends from here on ended while they ran. */
  stepsStarting(): void {
    this.stepsStartedAtMs ??= this.deps.now();
  }

  /** Stops watching (the steps have ended, or the run is over). */
  stop(): void {
    this.controller.abort();
  }
}

/** Stops the sidecars that still run, in the reverse order of `names`, each with `graceSeconds` before SIGKILL; `when` says why, for the events. */
export async function stopSidecars(ctx: Omit<SidecarContext, 'signal'>, names: readonly string[], graceSeconds: number, when = 'after the steps ended'): Promise<void> {
  for (const name of [...names].reverse()) {
    const r = await podman(['container', 'inspect', '--format', '{{.State.Status}}', ctx.ctrName(name)], { allowFailure: true });
    if (r.stdout.trim() !== 'running') continue;
    await podman(['stop', '--time', String(graceSeconds), ctx.ctrName(name)], { allowFailure: true, timeoutMs: (graceSeconds + 60) * 1000 });
    const code = (await podman(['container', 'inspect', '--format', '{{.State.ExitCode}}', ctx.ctrName(name)], { allowFailure: true })).stdout.trim();
    ctx.notify(`sidecar ${name} stopped ${when} (exit code ${code})`);
  }
}
