/**
 * Runs a synthesised Pod (or Job) in podman with `podman kube play`, waits for every container to
 * exit under a bound, collects what the kubelet would report (exit codes, logs, termination
 * messages = step reports) plus the steps' completion records and nanosecond stamps, and removes
 * the pod and its volumes (unless asked to keep them).
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
 *  - `terminationMessagePath` is read by the runner from the volume holding it, because podman 4.3
 *    ignores it (the entrypoint writes the report into the step's own state volume).
 * A native sidecar (an initContainer with `restartPolicy: Always`) is refused with an error: podman
 * 4.3 would run it as a plain init container that never ends and blocks the pod.
 *
 * Pods are run one at a time machine-wide (a flock, see withLock): timing assertions and the
 * makespan benchmark need a quiet machine, and podman starts a pod's containers one by one anyway.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LogFollower } from './logs';
import { PlayPlan, preparePlay, resolveMount } from './play';
import { podman, sleep, WORK_DIR, withLock } from './podman';
import { describeContainers, makeResult, parseStamps, parseTime } from './result';
import { ContainerResult, LogLine, Manifest, PodResult, RunPodOptions } from './types';
import { VolumeReader } from './volumes';
import { RECORD, WORKSPACE_PATH } from '../wire/layout';
import { parseReport } from '../wire/report';
import { K8sObject } from '../wire/workload';

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
  await podman(['kill', '--signal', 'KILL', `${podName}-${container}`]);
  return t;
}

/**
 * Plays the pod, waits for all containers to exit (at most `timeoutMs`), collects results and
 * cleans up. Throws a PodTimeoutError when the pod does not finish in time (after cleaning up),
 * or an Error when podman refuses the manifest.
 */
export async function runPod(manifest: Manifest, options: RunPodOptions = {}): Promise<PodResult> {
  const runId = `e2e${crypto.randomBytes(4).toString('hex')}`;
  const plan = preparePlay(manifest, runId);
  return withLock('pods', () => runPlan(plan, runId, options));
}

/** What one pod run reads back from podman: container states, logs, files in the volumes. */
class PodReader {
  readonly volumes = new VolumeReader();
  readonly all: K8sObject[];
  private readonly followers = new Map<string, LogFollower>();
  private readonly logs = new Map<string, LogLine[]>();

  constructor(readonly plan: PlayPlan) {
    this.all = [...plan.initContainers, ...plan.containers];
  }

  ctrName(c: K8sObject): string {
    return `${this.plan.podName}-${c.name}`;
  }

  async readInPod(pathInPod: string): Promise<string | undefined> {
    for (const c of this.all) {
      const r = resolveMount(c, pathInPod);
      if (r) return this.volumes.read(r.volume, r.rel);
    }
    return undefined;
  }

  /** Reads the log lines every step container wrote since the last call (to the end when `final`). */
  private readLogs(inspected: Map<string, K8sObject>, final: boolean): void {
    for (const c of this.plan.containers) {
      const logPath = inspected.get(this.ctrName(c))?.HostConfig?.LogConfig?.Path;
      if (!logPath) continue;
      if (!this.followers.has(c.name)) this.followers.set(c.name, new LogFollower(logPath));
      const exited = inspected.get(this.ctrName(c))?.State?.Status === 'exited';
      const lines = this.followers.get(c.name)!.read(final || exited);
      if (lines.length) this.logs.set(c.name, [...(this.logs.get(c.name) ?? []), ...lines]);
    }
  }

  /** `podman container inspect` of every container at once, by name; absent ones are missing. */
  async inspect(): Promise<Map<string, K8sObject>> {
    const r = await podman(['container', 'inspect', ...this.all.map((c) => this.ctrName(c))], { allowFailure: true });
    const byName = new Map<string, K8sObject>();
    try {
      for (const o of JSON.parse(r.stdout || '[]') as K8sObject[]) byName.set(String(o.Name), o);
    } catch {
      // no container left at all
    }
    return byName;
  }

  async snapshot(final = false): Promise<ContainerResult[]> {
    const inspected = await this.inspect();
    this.readLogs(inspected, final);
    const out: ContainerResult[] = [];
    for (const c of this.all) out.push(await this.collect(c, inspected.get(this.ctrName(c))));
    return out;
  }

  private async collect(c: K8sObject, inspect: K8sObject | undefined): Promise<ContainerResult> {
    const state: K8sObject = inspect?.State ?? {};
    let terminationMessage: string | undefined;
    let stateFiles: Record<string, string> = {};
    if (c.terminationMessagePath) {
      const r = resolveMount(c, c.terminationMessagePath);
      if (r) {
        terminationMessage = await this.volumes.read(r.volume, r.rel);
        stateFiles = await this.volumes.readDir(r.volume, path.posix.dirname(r.rel) === '.' ? '' : path.posix.dirname(r.rel));
      }
    }
    const record = stateFiles[RECORD.done] ?? stateFiles[RECORD.doneErr];
    const report = parseReport(record) ?? parseReport(terminationMessage);
    const lines = this.logs.get(c.name) ?? [];
    const join = (ls: LogLine[]) => ls.map((l) => `${l.text}\n`).join('');
    return {
      name: c.name,
      init: this.plan.initContainers.includes(c),
      state: inspect ? String(state.Status ?? 'unknown') : 'missing',
      exitCode: inspect && state.Status === 'exited' ? Number(state.ExitCode) : undefined,
      oomKilled: !!state.OOMKilled,
      startedAtMs: parseTime(state.StartedAt),
      finishedAtMs: parseTime(state.FinishedAt),
      id: inspect?.Id,
      image: inspect?.ImageName ?? c.image,
      imageId: inspect?.Image,
      stdout: join(lines.filter((l) => l.stream === 'stdout')),
      stderr: join(lines.filter((l) => l.stream === 'stderr')),
      logs: join(lines),
      logLines: lines,
      terminationMessage,
      report,
      stateFiles,
    };
  }
}

async function runPlan(plan: PlayPlan, runId: string, options: RunPodOptions): Promise<PodResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const stampsPath = options.stampsPath ?? `${WORKSPACE_PATH}/stamps`;
  const keep = options.keep || process.env.CDK8S_STEPS_E2E_KEEP === '1';
  // `kube play` builds an image itself when a folder named like the image exists in its working
  // directory: play from a directory that holds nothing but the manifest.
  const dir = path.join(WORK_DIR, 'runs', runId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pod.yaml'), plan.yaml);

  const reader = new PodReader(plan);
  const started = Date.now();
  let error: unknown;
  let result: PodResult | undefined;
  try {
    await podman(['kube', 'play', '--start=true', 'pod.yaml'], { cwd: dir, timeoutMs });
    if (options.whileRunning) {
      await options.whileRunning({
        podName: plan.podName,
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
    const left = Math.max(1_000, timeoutMs - (Date.now() - started));
    const waited = await podman(['wait', ...plan.containers.map((c) => reader.ctrName(c))], { timeoutMs: left, allowFailure: true });
    const elapsedMs = Date.now() - started;
    const containers = await reader.snapshot(true);
    if (waited.code !== 0) {
      throw new PodTimeoutError(plan.podName, timeoutMs, containers, `podman wait: ${waited.stderr.trim() || waited.code}`);
    }
    const podState = await podman(['pod', 'inspect', '--format', '{{.State}}', plan.podName], { allowFailure: true });
    // podman removes an init container once it ran (state `missing` here): it cannot be inspected,
    // but the step containers only start after every init container succeeded.
    const phase = containers.every((c) => c.exitCode === 0 || (c.init && c.state === 'missing')) ? 'Succeeded' : 'Failed';
    result = makeResult({
      podName: plan.podName,
      phase,
      podmanState: podState.stdout.trim(),
      containers,
      stamps: parseStamps(await reader.readInPod(stampsPath)),
      elapsedMs,
      droppedAnnotations: plan.droppedAnnotations,
      playedYaml: plan.yaml,
    });
  } catch (e) {
    error = e;
  } finally {
    // keepPod keeps a pod that ran (or timed out) for inspection; after a podman error nothing
    // is left running.
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
