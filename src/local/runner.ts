/**
 * Runs a synthesised Pod (or Job) in podman with `podman kube play`, as a kubelet would run it,
 * waits for every step to end under a bound, collects what the kubelet would report (exit codes,
 * logs, termination messages = step reports) plus the steps' completion records and nanosecond
 * stamps, and removes the pod and its volumes (unless asked to keep them).
 *
 * The product's local runner: used by `cdk8s-steps run`, the e2e suite (test/e2e/) and the
 * makespan benchmark.
 *
 * podman 4.3 is not a kubelet; the runner plays a *copy* of the manifest adapted as follows (the
 * manifest given stays exactly as synthesised; see play.ts):
 *  - annotations whose value is longer than 63 characters are dropped: podman 4.3 applies the label
 *    length limit to annotations (Kubernetes allows 256 KiB) and refuses the whole pod, so the
 *    library's graph annotation alone would make `kube play` fail;
 *  - emptyDir volumes get a per-run prefix: podman names an emptyDir's volume exactly like the pod
 *    volume, machine-wide, so two pods with a `workspace` volume would share it (the kubelet scopes
 *    emptyDirs to the pod) and a leftover volume would leak old records into the next run;
 *  - the pod gets a per-run name suffix, for the same reason (container names are `<pod>-<ctr>`);
 *  - a Job is run as the Pod of its template (kube play in podman 4.3 does not run Jobs; a Job with
 *    `restartPolicy: Never` runs exactly that pod once);
 *  - every container's command, args and env values are given the kubelet's `$(VAR)` expansion
 *    (expand.ts; podman 4.3 expands nothing, podman ≥ 4.7 expands command and args, whose `$` are
 *    then doubled so that the result is the kubelet's);
 *  - every image is settled first (images.ts) and played with `imagePullPolicy: Never`;
 *  - native sidecars (initContainers with `restartPolicy: Always`) are played as plain init
 *    containers without their probes (podman 4.3 refuses probes on init containers) and run by the
 *    runner (sidecars.ts);
 *  - `terminationMessagePath` is read by the runner from the volume holding it, because podman 4.3
 *    ignores it (the entrypoint writes the report into the step's own state volume).
 * The pod is created with `kube play --start=false` and its containers are started by the runner,
 * in the kubelet's order: each init container to its end (a failure ends the run: steps never
 * start), each sidecar until it has started, then every step container; once the steps ended, the
 * sidecars are stopped in reverse order. Each sidecar is watched from the moment it has started:
 * one that exits ends the run, before the steps start or while they run.
 *
 * Pods are run one at a time machine-wide (a flock, see withLock): timing assertions and the
 * makespan benchmark need a quiet machine, and podman starts a pod's containers one by one anyway.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { resolveImages } from './images';
import { containerName, PlayPlan, preparePlay, toObjects } from './play';
import { InterruptedError, MAX_TIMER_MS, podman, sleep, WORK_DIR, withLock } from './podman';
import { startupProbeOf } from './probe';
import { PodReader } from './reader';
import { describeContainers, makeResult, parseStamps } from './result';
import { DeadlineError, SidecarContext, SidecarWatch, startSidecar, stopSidecars } from './sidecars';
import { ContainerResult, Manifest, PodResult, RunPodOptions } from './types';
import { WORKSPACE_PATH } from '../wire/layout';
import { stepHostOf } from '../wire/workload';

/** The pod did not end within the bound: it was removed; `containers` is its state at that time. */
export class PodTimeoutError extends Error {
  constructor(readonly podName: string, readonly timeoutMs: number, readonly containers: ContainerResult[], detail: string) {
    super(`pod ${podName} did not finish within ${timeoutMs / 1000} s (${detail}):\n${describeContainers(containers)}`);
    this.name = 'PodTimeoutError';
  }
}

/** SIGKILLs a container of a played pod: `podman kill --signal KILL <pod>-<container>`. Returns the time of the kill (ms). */
export async function killContainer(podName: string, container: string): Promise<number> {
  const t = Date.now();
  await podman(['kill', '--signal', 'KILL', containerName(podName, container)]);
  return t;
}

/** The run was interrupted (its AbortSignal fired): the pod and its volumes were removed. */
export class RunInterruptedError extends InterruptedError {
  constructor(
    /** The pod's name, or undefined when nothing had been created yet. */
    readonly podName: string | undefined,
    /** What the run was doing: `pulling images`, `podman kube play`, `running the steps`... */
    readonly phase: string,
  ) {
    super(podName ? `while ${phase}: removed pod ${podName} and its volumes` : `while ${phase}: nothing had been created`);
    this.name = 'RunInterruptedError';
  }
}

/** The version of the podman server (the machine's, or the VM's of podman-remote), e.g. `4.3.1`. */
let versionOfPodman: Promise<string> | undefined;
export function podmanVersion(): Promise<string> {
  versionOfPodman ??= podman(['version', '--format', '{{if .Server}}{{.Server.Version}}{{else}}{{.Client.Version}}{{end}}']).then((r) => r.stdout.trim());
  return versionOfPodman;
}

/** podman expands `$(VAR)` in command and args from 4.7.0 on (podman PR #19630, commit 148d95d). */
export function expandsCommand(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`cannot read podman's version "${version}"`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 4 || (major === 4 && minor >= 7);
}

/**
 * Plays the pod, starts its containers in the kubelet's order, waits for the steps to end (the
 * whole run at most `timeoutMs`), stops the sidecars, collects results and cleans up. Throws a
 * PodTimeoutError when the pod does not finish in time (after cleaning up), an ImageError when an
 * image cannot be had, a RunInterruptedError when `signal` fired, or an Error when podman refuses
 * the manifest.
 */
export async function runPod(manifest: Manifest, options: RunPodOptions = {}): Promise<PodResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new Error(`timeoutMs is ${timeoutMs}; give a number of milliseconds above 0 and at most ${MAX_TIMER_MS} (2^31 - 1, the longest Node timer)`);
  }
  const deadline = Date.now() + timeoutMs;
  const runId = `e2e${crypto.randomBytes(4).toString('hex')}`;
  // Checks the manifest (exactly one Pod or Job, sidecars' probes) before anything is pulled or created.
  const draft = preparePlay(manifest, runId);
  for (const s of draft.sidecars) startupProbeOf(s);
  options.onPlan?.({ podName: draft.podName, volumes: [...draft.volumes.values()] });
  const signal = options.signal;
  const interrupted = (phase: string, created: boolean) => new RunInterruptedError(created ? draft.podName : undefined, phase);

  const notes: string[] = [];
  const notify = (line: string) => {
    notes.push(line);
    options.onEvent?.(line);
  };
  let images: Map<string, string>;
  let podmanExpands: boolean;
  try {
    const spec = toObjects(manifest).map(stepHostOf).find((h) => h?.pod)!.pod!.spec;
    podmanExpands = expandsCommand(await podmanVersion());
    images = await resolveImages(spec, { substitutes: options.substitutes, entrypointImage: options.entrypointImage, notify, signal });
  } catch (e) {
    if (e instanceof InterruptedError || signal?.aborted) throw interrupted('settling the images', false);
    throw e;
  }
  if (signal?.aborted) throw interrupted('settling the images', false);
  const plan = preparePlay(manifest, runId, { images, podmanExpandsCommand: podmanExpands });
  for (const n of plan.notes) notify(n);
  try {
    return await withLock('pods', () => runPlan(plan, { ...options, timeoutMs }, deadline, notes, notify), 30 * 60_000, signal);
  } catch (e) {
    if (e instanceof InterruptedError && !(e instanceof RunInterruptedError)) throw interrupted('waiting for another run to end (runs take turns)', false);
    throw e;
  }
}

/** Runs a prepared plan; `notify` adds a line to `notes` (the result's) and tells `onEvent`. */
async function runPlan(
  plan: PlayPlan, options: RunPodOptions & { timeoutMs: number }, deadline: number, notes: string[], notify: (line: string) => void,
): Promise<PodResult> {
  const timeoutMs = options.timeoutMs;
  const stampsPath = options.stampsPath ?? `${WORKSPACE_PATH}/stamps`;
  const keep = options.keep || process.env.CDK8S_STEPS_E2E_KEEP === '1';
  const signal = options.signal;
  // `kube play` builds an image itself when a folder named like the image exists in its working
  // directory: play from a directory that holds nothing but the manifest.
  const dir = path.join(WORK_DIR, 'runs', plan.podName.slice(plan.podName.lastIndexOf('-') + 1));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pod.yaml'), plan.yaml);

  const reader = new PodReader(plan);
  const started = Date.now();
  const left = () => Math.max(1_000, deadline - Date.now());
  const ctx: SidecarContext = { podName: plan.podName, ctrName: (n) => containerName(plan.podName, n), deadline, signal, notify };
  const sidecarNames = plan.sidecars.map((s) => String(s.name));
  const steps = plan.containers.map((c) => containerName(plan.podName, c.name));
  let phase = 'podman kube play';
  let failure: string | undefined;
  let timedOut: string | undefined;
  let error: unknown;
  let result: PodResult | undefined;
  // Each sidecar is watched from the moment it has started: one that exits fails the run, before
  // the steps (the init containers and sidecars after it are stopped, the steps never start) or
  // while they run (the steps are stopped).
  const watch = new SidecarWatch(ctx);
  // Aborted when the run is interrupted or a sidecar exits: what runs (an init container's wait, a
  // probe, whileRunning, the steps' wait) ends.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let sidecarExited = false;
  let stepsStarted = false;
  void watch.failed.then((message) => {
    if (failure !== undefined || timedOut !== undefined) return;
    failure = message;
    sidecarExited = true;
    stop.abort();
  });
  /** A podman command stopped because a sidecar exited (not because the run was interrupted). */
  const stoppedBySidecar = (e: unknown) => e instanceof InterruptedError && sidecarExited && !signal?.aborted;
  const initCtx: SidecarContext = { ...ctx, signal: stop.signal };
  try {
    await podman(['kube', 'play', '--start=false', 'pod.yaml'], { cwd: dir, timeoutMs: left(), signal });

    // The init containers in order: each to its end, a sidecar until it has started.
    for (const c of plan.initContainers) {
      if (failure) break;
      const sidecar = plan.sidecars.find((s) => s.name === c.name);
      if (sidecar) {
        phase = `starting sidecar ${c.name}`;
        try {
          await startSidecar(initCtx, sidecar);
          watch.add(c.name);
        } catch (e) {
          if (stoppedBySidecar(e)) break;
          if (e instanceof DeadlineError) {
            timedOut = e.message;
            break;
          }
          if (e instanceof InterruptedError || !(e instanceof Error) || e.name !== 'SidecarStartError') throw e;
          failure = `${e.message}; a kubelet would restart it, a local run fails (the steps did not start)`;
          break;
        }
        continue;
      }
      phase = `running init container ${c.name}`;
      try {
        await podman(['start', containerName(plan.podName, c.name)], { timeoutMs: left(), signal: stop.signal });
        const waited = await podman(['wait', containerName(plan.podName, c.name)], { timeoutMs: deadline - Date.now(), allowFailure: true, signal: stop.signal });
        if (waited.code !== 0) {
          timedOut = `waiting for init container ${c.name}`;
          break;
        }
        const code = Number(waited.stdout.trim());
        if (code !== 0) {
          failure = `init container ${c.name} exited with code ${code}: the steps did not start (restartPolicy Never)`;
          break;
        }
      } catch (e) {
        if (!stoppedBySidecar(e)) throw e;
        // A sidecar exited while this init container ran: the run is over, it is stopped at once.
        await podman(['stop', '--time', '0', containerName(plan.podName, c.name)], { allowFailure: true });
        break;
      }
    }
    if (signal?.aborted) throw new InterruptedError(phase);

    if (!failure && !timedOut) {
      phase = 'starting the steps';
      watch.stepsStarting();
      stepsStarted = true;
      await podman(['start', ...steps], { timeoutMs: left(), signal });
      phase = 'running the steps';
      try {
        if (options.whileRunning) {
          await options.whileRunning({
            podName: plan.podName,
            signal: stop.signal,
            readFile: (p) => reader.readInPod(p),
            stamps: async () => parseStamps(await reader.readInPod(stampsPath)),
            waitFor: async (what, cond, waitMs = 20_000) => {
              const until = Date.now() + waitMs;
              while (!(await cond())) {
                if (Date.now() > until) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
                await sleep(20);
              }
            },
            kill: (container) => killContainer(plan.podName, container),
            snapshot: () => reader.snapshot(),
            volumes: [...plan.volumes.values()],
          });
        }
        if (signal?.aborted) throw new InterruptedError(phase);
        if (!stop.signal.aborted) {
          const waited = await podman(['wait', ...steps], { timeoutMs: Math.max(1, deadline - Date.now()), allowFailure: true, signal: stop.signal })
            .catch((e) => {
              if (e instanceof InterruptedError && !signal?.aborted) return undefined; // a sidecar failed
              throw e;
            });
          if (waited && waited.code !== 0) timedOut = `podman wait: ${waited.stderr.trim() || waited.code}`;
        }
        if (signal?.aborted) throw new InterruptedError(phase);
      } finally {
        watch.stop();
      }
      if (failure) {
        phase = 'stopping the steps after a sidecar failed';
        await podman(['stop', '--time', String(plan.terminationGracePeriodSeconds), ...steps], { allowFailure: true, signal, timeoutMs: (plan.terminationGracePeriodSeconds + 120) * 1000 });
      }
    }
    watch.stop();
    if (sidecarExited && !stepsStarted) failure += ' (the steps did not start)';
    phase = 'stopping the sidecars';
    if (signal?.aborted) throw new InterruptedError(phase);
    // After the steps, as the kubelet does: reverse order, each with the grace period. A run that
    // already failed is over: what still runs is stopped at once.
    if (failure || timedOut) await stopSidecars(ctx, sidecarNames, 0, failure ? 'as the run failed' : 'as the run ran out of time');
    else await stopSidecars(ctx, sidecarNames, plan.terminationGracePeriodSeconds);
    const elapsedMs = Date.now() - started;
    const containers = await reader.snapshot(true);
    if (timedOut) throw new PodTimeoutError(plan.podName, timeoutMs, containers, timedOut);
    if (failure) notify(failure);
    const podState = await podman(['pod', 'inspect', '--format', '{{.State}}', plan.podName], { allowFailure: true });
    // podman removes an init container that `pod start` ran (state `missing`); the runner starts
    // them itself, so they stay. Sidecars do not count: they were stopped at the end.
    const ok = !failure && containers.every((c) => c.sidecar || c.exitCode === 0 || (c.init && c.state === 'missing'));
    result = makeResult({
      podName: plan.podName,
      phase: ok ? 'Succeeded' : 'Failed',
      ...(failure ? { failure } : {}),
      podmanState: podState.stdout.trim(),
      containers,
      stamps: parseStamps(await reader.readInPod(stampsPath)),
      elapsedMs,
      droppedAnnotations: plan.droppedAnnotations,
      notes,
      playedYaml: plan.yaml,
    });
  } catch (e) {
    error = signal?.aborted ? new RunInterruptedError(plan.podName, phase) : e;
  } finally {
    watch.stop();
    signal?.removeEventListener('abort', onAbort);
    // keepPod keeps a pod that ran (or timed out) for inspection; after a podman error or an
    // interruption nothing is left.
    if (!options.keepPod || (error !== undefined && !(error instanceof PodTimeoutError))) await cleanup(plan);
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (error) throw error;
  return result!;
}

/** Removes the pod (and with it its containers) and its emptyDir volumes; never throws. */
export async function removePod(podName: string, volumes: readonly string[]): Promise<void> {
  // A pod of hundreds of containers takes minutes to remove on a loaded machine.
  await podman(['pod', 'rm', '-f', '-t', '0', podName], { allowFailure: true, timeoutMs: 900_000 });
  if (volumes.length > 0) await podman(['volume', 'rm', '-f', ...volumes], { allowFailure: true, timeoutMs: 900_000 });
}

function cleanup(plan: PlayPlan): Promise<void> {
  return removePod(plan.podName, [...plan.volumes.values()]);
}

/** Leftover pods/volumes of crashed runs (names carry the `e2e<hex>` run id); for a sweep in CI. */
export async function sweepLeftovers(): Promise<string[]> {
  // Under the pods lock: every run holds it, so nothing found now is still in use.
  return withLock('pods', sweepUnlocked);
}

async function sweepUnlocked(): Promise<string[]> {
  const removed: string[] = [];
  const pods = await podman(['pod', 'ls', '--format', '{{.Name}}'], { allowFailure: true });
  for (const p of pods.stdout.split('\n').map((s) => s.trim()).filter((s) => /-e2e[0-9a-f]{8}$/.test(s))) {
    await podman(['pod', 'rm', '-f', '-t', '0', p], { allowFailure: true });
    removed.push(`pod ${p}`);
  }
  const vols = await podman(['volume', 'ls', '--format', '{{.Name}}'], { allowFailure: true });
  for (const v of vols.stdout.split('\n').map((s) => s.trim()).filter((s) => /^e2e[0-9a-f]{8}-/.test(s))) {
    await podman(['volume', 'rm', '-f', v], { allowFailure: true });
    removed.push(`volume ${v}`);
  }
  return removed;
}
