/**
 * Runs a synthesised Pod (or Job) in podman with `podman kube play`, waits for every container to
 * exit under a bound, collects what the kubelet would report (exit codes, logs, termination
 * messages = step reports) plus the steps' completion records and nanosecond stamps, and always
 * removes the pod and its volumes.
 *
 * Used by the e2e suite (test/e2e/*.test.ts), scripts/try-local.sh and the makespan benchmark.
 *
 * podman 4.3 is not a kubelet; the harness plays a *copy* of the manifest adapted as follows (the
 * manifest under test stays exactly as synthesised):
 *  - annotations whose value is longer than 63 characters are dropped: podman 4.3 applies the label
 *    length limit to annotations (Kubernetes allows 256 KiB) and refuses the whole pod, so the
 *    library's graph annotation alone would make `kube play` fail;
 *  - emptyDir volumes get a per-run prefix: podman names an emptyDir's volume exactly like the pod
 *    volume, machine-wide, so two pods with a `workspace` volume would share it (the kubelet scopes
 *    emptyDirs to the pod) and a leftover volume would leak old records into the next run;
 *  - the pod gets a per-run name suffix, for the same reason (container names are `<pod>-<ctr>`);
 *  - a Job is run as the Pod of its template (kube play in podman 4.3 does not run Jobs; a Job with
 *    `restartPolicy: Never` runs exactly that pod once);
 *  - `terminationMessagePath` is read by the harness from the volume holding it, because podman 4.3
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
import * as YAML from 'yaml';
import { podman, sleep, WORK_DIR, withLock } from './podman';

/** A Kubernetes object as plain data (what `Testing.synth(chart)` or `ApiObject.toJson()` returns). */
export type K8sObject = { [key: string]: any };

/** What `runPod` accepts: YAML text (one or more documents), one object or a list of objects. */
export type Manifest = string | K8sObject | K8sObject[];

export interface RunPodOptions {
  /** Upper bound for the pod to finish, from `kube play` on (default 60 s). */
  readonly timeoutMs?: number;
  /** Path of the stamps file inside the containers (default `/workspace/stamps`, see podman/step-image/stamp.go). */
  readonly stampsPath?: string;
  /** Keep the run directory (.e2e-work/runs/<id>) for debugging; also via CDK8S_STEPS_E2E_KEEP=1. */
  readonly keep?: boolean;
  /**
   * Called once the pod was played (its containers are starting or running), before waiting for the
   * end; e.g. to kill a container from outside. The pod is cleaned up even when this throws.
   */
  readonly whileRunning?: (pod: RunningPod) => Promise<void>;
}

/** The step report (termination message) as written by the entrypoint, see docs/contract.md. */
export interface StepReport {
  readonly step: string;
  readonly reason: 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut' | 'DependencyLost' | 'Aborted' | string;
  readonly exitCode: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly attempts: number;
  readonly message?: string;
  readonly [key: string]: unknown;
}

export interface ContainerResult {
  readonly name: string;
  /** An initContainer (the injected copy container) rather than a step. */
  readonly init: boolean;
  /** podman's state at the end: `exited` normally. */
  readonly state: string;
  /** The container's exit code (the wrapper's, see the exit-code table in docs/contract.md). */
  readonly exitCode: number | undefined;
  readonly oomKilled: boolean;
  /** Wall-clock times podman recorded (ms since the epoch). */
  readonly startedAtMs: number | undefined;
  readonly finishedAtMs: number | undefined;
  /** The container's stdout and stderr (`podman logs`), and both concatenated. */
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: string;
  /** The raw termination message (the file at terminationMessagePath), if any. */
  readonly terminationMessage: string | undefined;
  /** The termination message parsed as the step report; undefined when absent or not JSON. */
  readonly report: StepReport | undefined;
  /**
   * The files of the directory holding terminationMessagePath (for a step: its own state directory,
   * i.e. `done`, `done.err`, `done.lock`, `done.started`, `report`), name → content.
   */
  readonly stateFiles: Record<string, string>;
}

/** A `stamp LABEL` line: the label and the wall clock in nanoseconds. */
export interface Stamp {
  readonly label: string;
  readonly ns: bigint;
}

export interface PodResult {
  /** The pod's name as played (metadata.name plus a per-run suffix). */
  readonly podName: string;
  /** Kubernetes' phase for a `restartPolicy: Never` pod: Succeeded when every container exited 0. */
  readonly phase: 'Succeeded' | 'Failed';
  /** podman's pod state at the end (`Exited`, `Degraded`...). */
  readonly podmanState: string;
  /** Init containers first (in order), then the step containers in manifest order. */
  readonly containers: ContainerResult[];
  /** Stamps in file order (see podman/step-image/stamp.go). */
  readonly stamps: Stamp[];
  /** Time from `kube play` to the last container's exit, measured by the harness (ms). */
  readonly elapsedMs: number;
  /** Annotations removed from the played copy (see the file comment). */
  readonly droppedAnnotations: string[];
  /** The YAML actually given to `podman kube play`. */
  readonly playedYaml: string;
  /** The container named `name`; throws when there is none. */
  container(name: string): ContainerResult;
  /** The report of step `name`; throws when it has none. */
  report(name: string): StepReport;
  /** Nanosecond stamps with this label (several when a step ran more than once). */
  stampsOf(label: string): bigint[];
  /** The first stamp with this label, in ms relative to the earliest stamp of the run; throws when missing. */
  at(label: string): number;
  /** Whether a stamp with this label exists. */
  has(label: string): boolean;
}

/** Handle on a pod that is running, given to `whileRunning`. */
export interface RunningPod {
  readonly podName: string;
  /** Reads a file through the volume mounted at its path in the pod (e.g. `/workspace/stamps`); undefined when absent. */
  readFile(pathInPod: string): Promise<string | undefined>;
  /** Current stamps (from the stamps file). */
  stamps(): Promise<Stamp[]>;
  /** Waits until `cond` holds, polling every 20 ms, or throws after `timeoutMs` (default 20 s). */
  waitFor(what: string, cond: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** SIGKILLs one container of the pod, from outside (what the OOM killer does). Returns the kill time (ms since the epoch). */
  kill(container: string): Promise<number>;
}

/** SIGKILLs a container of a played pod: `podman kill --signal KILL <pod>-<container>`. Returns the time of the kill (ms). */
export async function killContainer(podName: string, container: string): Promise<number> {
  const t = Date.now();
  await podman(['kill', '--signal', 'KILL', `${podName}-${container}`]);
  return t;
}

interface PlayPlan {
  readonly yaml: string;
  readonly podName: string;
  /** original emptyDir volume name → name given to podman */
  readonly volumes: Map<string, string>;
  readonly initContainers: K8sObject[];
  readonly containers: K8sObject[];
  readonly droppedAnnotations: string[];
}

const MAX_PODMAN_ANNOTATION = 63;

/**
 * Builds the copy of the manifest that podman 4.3 can play (see the file comment). Pure: no podman
 * involved, unit-tested in harness.test.ts.
 */
export function preparePlay(manifest: Manifest, runId: string): PlayPlan {
  const docs = toObjects(manifest);
  const workloads = docs.filter((d) => d.kind === 'Pod' || d.kind === 'Job');
  if (workloads.length !== 1) {
    throw new Error(`expected exactly one Pod or Job in the manifest, found ${workloads.length} (kinds: ${docs.map((d) => d.kind).join(', ') || 'none'})`);
  }
  const others = docs.filter((d) => d !== workloads[0]);
  const unsupported = others.filter((d) => d.kind !== 'ConfigMap' && d.kind !== 'Secret');
  if (unsupported.length > 0) {
    throw new Error(`podman kube play would not run ${unsupported.map((d) => d.kind).join(', ')}; give only the Pod/Job (and its ConfigMaps/Secrets)`);
  }
  const src = JSON.parse(JSON.stringify(workloads[0])) as K8sObject;

  let metadata: K8sObject;
  let spec: K8sObject;
  if (src.kind === 'Job') {
    const template = src.spec?.template ?? {};
    metadata = {
      ...(template.metadata ?? {}),
      name: src.metadata?.name,
      labels: { ...(src.metadata?.labels ?? {}), ...(template.metadata?.labels ?? {}) },
      annotations: { ...(src.metadata?.annotations ?? {}), ...(template.metadata?.annotations ?? {}) },
    };
    spec = template.spec ?? {};
  } else {
    metadata = src.metadata ?? {};
    spec = src.spec ?? {};
  }
  const baseName = String(metadata.name ?? 'pod').slice(0, 40).replace(/-+$/, '');
  const podName = `${baseName}-${runId}`;

  const droppedAnnotations: string[] = [];
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(metadata.annotations ?? {})) {
    if (String(v).length > MAX_PODMAN_ANNOTATION) droppedAnnotations.push(k);
    else annotations[k] = v;
  }

  const volumes = new Map<string, string>();
  const newVolumes = (spec.volumes ?? []).map((v: K8sObject) => {
    if (!v.emptyDir) return v;
    const played = `${runId}-${v.name}`;
    volumes.set(v.name, played);
    return { ...v, name: played };
  });
  const renameMounts = (c: K8sObject) => ({
    ...c,
    volumeMounts: (c.volumeMounts ?? []).map((m: K8sObject) => (volumes.has(m.name) ? { ...m, name: volumes.get(m.name) } : m)),
  });
  const initContainers: K8sObject[] = (spec.initContainers ?? []).map(renameMounts);
  const containers: K8sObject[] = (spec.containers ?? []).map(renameMounts);
  const sidecars = initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name);
  if (sidecars.length > 0) {
    throw new Error(`native sidecars (${sidecars.join(', ')}) cannot run in podman 4.3: it runs an initContainer with restartPolicy Always as a plain init container, which never ends and blocks the pod`);
  }
  if (containers.length === 0) throw new Error('the pod has no containers');

  const pod: K8sObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      name: podName,
      ...(Object.keys(annotations).length > 0 ? { annotations } : { annotations: undefined }),
    },
    spec: {
      ...spec,
      volumes: newVolumes,
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers,
    },
  };
  if (!pod.metadata.annotations) delete pod.metadata.annotations;
  const yaml = [...others, pod].map((d) => YAML.stringify(d)).join('---\n');
  return { yaml, podName, volumes, initContainers, containers, droppedAnnotations };
}

function toObjects(manifest: Manifest): K8sObject[] {
  if (typeof manifest === 'string') {
    return YAML.parseAllDocuments(manifest).map((d) => d.toJSON()).filter((d) => d && typeof d === 'object');
  }
  return Array.isArray(manifest) ? manifest : [manifest];
}

/** Resolves a path inside a container to (played volume name, path inside the volume). */
function resolveMount(c: K8sObject | undefined, pathInPod: string): { volume: string; rel: string } | undefined {
  let best: { volume: string; rel: string; len: number } | undefined;
  for (const m of c?.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/+$/, '');
    if (pathInPod === mp || pathInPod.startsWith(mp + '/')) {
      if (!best || mp.length > best.len) best = { volume: m.name, rel: pathInPod.slice(mp.length + 1), len: mp.length };
    }
  }
  return best && { volume: best.volume, rel: best.rel };
}

class VolumeReader {
  private readonly mountpoints = new Map<string, string>();

  async mountpoint(volume: string): Promise<string | undefined> {
    if (!this.mountpoints.has(volume)) {
      const r = await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume], { allowFailure: true });
      if (r.code !== 0) return undefined;
      this.mountpoints.set(volume, r.stdout.trim());
    }
    return this.mountpoints.get(volume);
  }

  async read(volume: string, rel: string): Promise<string | undefined> {
    const mp = await this.mountpoint(volume);
    if (!mp) return undefined;
    try {
      return fs.readFileSync(path.join(mp, rel), 'utf8');
    } catch {
      return undefined;
    }
  }

  async readDir(volume: string, rel: string): Promise<Record<string, string>> {
    const mp = await this.mountpoint(volume);
    const out: Record<string, string> = {};
    if (!mp) return out;
    const dir = path.join(mp, rel);
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return out;
    }
    for (const n of names) {
      try {
        const p = path.join(dir, n);
        if (fs.statSync(p).isFile()) out[n] = fs.readFileSync(p, 'utf8');
      } catch {
        // vanished meanwhile
      }
    }
    return out;
  }
}

/** Parses "label ns" lines; ignores anything else. */
export function parseStamps(text: string | undefined): Stamp[] {
  const out: Stamp[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ label: m[1], ns: BigInt(m[2]) });
  }
  return out;
}

function parseTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  // podman prints RFC 3339 with nanoseconds and a zone name, e.g. 2026-11-27T01:02:03.123456789Z
  // or "2026-11-27 01:02:03.123456789 +0000 UTC"; Date.parse handles milliseconds only.
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(s);
  if (!m) return undefined;
  const frac = (m[3] ?? '0').padEnd(3, '0').slice(0, 3);
  let zone = m[4] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}.${frac}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

function makeResult(base: Omit<PodResult, 'container' | 'report' | 'stampsOf' | 'at' | 'has'>): PodResult {
  const origin = base.stamps.reduce<bigint | undefined>((min, s) => (min === undefined || s.ns < min ? s.ns : min), undefined) ?? 0n;
  return {
    ...base,
    container(name: string) {
      const c = base.containers.find((x) => x.name === name);
      if (!c) throw new Error(`no container ${name} in pod ${base.podName} (have ${base.containers.map((x) => x.name).join(', ')})`);
      return c;
    },
    report(name: string) {
      const c = this.container(name);
      if (!c.report) throw new Error(`step ${name} has no report (termination message: ${JSON.stringify(c.terminationMessage)}; exit ${c.exitCode}; logs: ${c.logs.trim()})`);
      return c.report;
    },
    stampsOf(label: string) {
      return base.stamps.filter((s) => s.label === label).map((s) => s.ns);
    },
    has(label: string) {
      return base.stamps.some((s) => s.label === label);
    },
    at(label: string) {
      const s = base.stamps.find((x) => x.label === label);
      if (!s) throw new Error(`no stamp "${label}" (have: ${base.stamps.map((x) => x.label).join(', ') || 'none'})`);
      return Number(s.ns - origin) / 1e6;
    },
  };
}

/**
 * Plays the pod, waits for all containers to exit (at most `timeoutMs`), collects results and
 * cleans up. Throws when the pod does not finish in time (after cleaning up, with every container's
 * state and logs in the message), or when podman refuses the manifest.
 */
export async function runPod(manifest: Manifest, options: RunPodOptions = {}): Promise<PodResult> {
  const runId = `e2e${crypto.randomBytes(4).toString('hex')}`;
  const plan = preparePlay(manifest, runId);
  return withLock('pods', () => runPlan(plan, runId, options));
}

async function runPlan(plan: PlayPlan, runId: string, options: RunPodOptions): Promise<PodResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const stampsPath = options.stampsPath ?? '/workspace/stamps';
  const keep = options.keep || process.env.CDK8S_STEPS_E2E_KEEP === '1';
  // `kube play` builds an image itself when a folder named like the image exists in its working
  // directory: play from a directory that holds nothing but the manifest.
  const dir = path.join(WORK_DIR, 'runs', runId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pod.yaml');
  fs.writeFileSync(file, plan.yaml);

  const volumes = new VolumeReader();
  const allContainers = [...plan.initContainers, ...plan.containers];
  const ctrName = (c: K8sObject) => `${plan.podName}-${c.name}`;
  const readInPod = async (pathInPod: string) => {
    for (const c of allContainers) {
      const r = resolveMount(c, pathInPod);
      if (r) return volumes.read(r.volume, r.rel);
    }
    return undefined;
  };

  const started = Date.now();
  let error: unknown;
  let result: PodResult | undefined;
  try {
    await podman(['kube', 'play', '--start=true', 'pod.yaml'], { cwd: dir, timeoutMs });
    if (options.whileRunning) {
      await options.whileRunning({
        podName: plan.podName,
        readFile: readInPod,
        stamps: async () => parseStamps(await readInPod(stampsPath)),
        waitFor: async (what, cond, waitMs = 20_000) => {
          const until = Date.now() + waitMs;
          while (!(await cond())) {
            if (Date.now() > until) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
            await sleep(20);
          }
        },
        kill: (container) => killContainer(plan.podName, container),
      });
    }
    const left = Math.max(1_000, timeoutMs - (Date.now() - started));
    const waited = await podman(['wait', ...plan.containers.map(ctrName)], { timeoutMs: left, allowFailure: true });
    const elapsedMs = Date.now() - started;
    const timedOut = waited.code !== 0;

    const containers: ContainerResult[] = [];
    for (const c of allContainers) {
      containers.push(await collect(c, ctrName(c), plan.initContainers.includes(c), volumes));
    }
    if (timedOut) {
      throw new Error(`pod ${plan.podName} did not finish within ${timeoutMs} ms (podman wait: ${waited.stderr.trim() || waited.code}):\n${describeContainers(containers)}`);
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
      stamps: parseStamps(await readInPod(stampsPath)),
      elapsedMs,
      droppedAnnotations: plan.droppedAnnotations,
      playedYaml: plan.yaml,
    });
  } catch (e) {
    error = e;
  } finally {
    await cleanup(plan);
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (error) throw error;
  return result!;
}

async function collect(c: K8sObject, name: string, init: boolean, volumes: VolumeReader): Promise<ContainerResult> {
  const inspect = await podman(['container', 'inspect', name], { allowFailure: true });
  let state: K8sObject = {};
  if (inspect.code === 0) {
    try {
      state = JSON.parse(inspect.stdout)[0]?.State ?? {};
    } catch {
      state = {};
    }
  }
  const logs = await podman(['logs', name], { allowFailure: true });
  let terminationMessage: string | undefined;
  let stateFiles: Record<string, string> = {};
  if (c.terminationMessagePath) {
    const r = resolveMount(c, c.terminationMessagePath);
    if (r) {
      terminationMessage = await volumes.read(r.volume, r.rel);
      stateFiles = await volumes.readDir(r.volume, path.posix.dirname(r.rel) === '.' ? '' : path.posix.dirname(r.rel));
    }
  }
  let report: StepReport | undefined;
  try {
    report = terminationMessage ? JSON.parse(terminationMessage) : undefined;
  } catch {
    report = undefined;
  }
  const exists = inspect.code === 0;
  return {
    name: c.name,
    init,
    state: exists ? String(state.Status ?? 'unknown') : 'missing',
    exitCode: exists && state.Status === 'exited' ? Number(state.ExitCode) : undefined,
    oomKilled: !!state.OOMKilled,
    startedAtMs: parseTime(state.StartedAt),
    finishedAtMs: parseTime(state.FinishedAt),
    stdout: logs.code === 0 ? logs.stdout : '',
    stderr: logs.code === 0 ? logs.stderr : '',
    logs: logs.code === 0 ? logs.stdout + logs.stderr : '',
    terminationMessage,
    report,
    stateFiles,
  };
}

/** One line per container: name, state, exit code, reason, last log line. For error messages. */
export function describeContainers(containers: readonly ContainerResult[]): string {
  return containers.map((c) => {
    const last = c.logs.trim().split('\n').slice(-3).join(' | ');
    return `  ${c.init ? '(init) ' : ''}${c.name}: ${c.state} exit=${c.exitCode ?? '-'} reason=${c.report?.reason ?? '-'} logs: ${last}`;
  }).join('\n');
}

/** Removes the pod (and with it its containers) and its emptyDir volumes; never throws. */
async function cleanup(plan: PlayPlan): Promise<void> {
  await podman(['pod', 'rm', '-f', '-t', '0', plan.podName], { allowFailure: true, timeoutMs: 60_000 });
  const vols = [...plan.volumes.values()];
  if (vols.length > 0) await podman(['volume', 'rm', '-f', ...vols], { allowFailure: true, timeoutMs: 60_000 });
}

/** Leftover pods/volumes of crashed runs (names carry the `e2e<hex>` run id); for a sweep in CI. */
export async function sweepLeftovers(): Promise<string[]> {
  // Under the pods lock: every harness run holds it, so nothing found now is still in use.
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
