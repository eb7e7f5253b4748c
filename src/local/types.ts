/**
 * The data types of the local runner (src/local/runner.ts): what a run of a pod in podman gives
 * back, and the handle on a running pod.
 */
import type { StepReport } from '../wire/report';
import type { K8sObject } from '../wire/workload';

/** What `runPod` accepts: YAML text (one or more documents), one object or a list of objects. */
export type Manifest = string | K8sObject | K8sObject[];

export interface RunPodOptions {
  /**
   * Upper bound for the whole run, from the first image check to the last container's exit
   * (default 60 s; at most 2^31 - 1 ms, the longest Node timer).
   */
  readonly timeoutMs?: number;
  /** Path of the stamps file inside the containers (default `/workspace/stamps`, see test/e2e/step-image/stamp.go). */
  readonly stampsPath?: string;
  /** Keep the run directory (WORK_DIR/runs/<id>) for debugging; also via CDK8S_STEPS_E2E_KEEP=1. */
  readonly keep?: boolean;
  /** Keep the pod and its volumes of a run that ended or timed out (`cdk8s-steps run --keep`); a podman error removes them anyway. */
  readonly keepPod?: boolean;
  /**
   * Called once the steps' containers were started (after the init containers ended and the
   * sidecars started), before waiting for the end; e.g. to kill a container from outside. The pod
   * is cleaned up even when this throws. It should return once `pod.signal` is aborted (the run
   * was interrupted, or a sidecar failed).
   */
  readonly whileRunning?: (pod: RunningPod) => Promise<void>;
  /** Called before anything is created, with the names the run will give the pod and its volumes. */
  readonly onPlan?: (plan: { readonly podName: string; readonly volumes: readonly string[] }) => void;
  /**
   * One line per thing the run does differently from the manifest or from a kubelet, and per step
   * of the sidecars' lives (started, probe passed, stopped): for the user to read.
   */
  readonly onEvent?: (line: string) => void;
  /**
   * Stops the run: whatever podman command runs gets SIGTERM, then the pod and its volumes are
   * removed (also with keepPod) and runPod rejects with an InterruptedError naming the pod.
   */
  readonly signal?: AbortSignal;
  /** `--image FROM=TO`: containers whose image is FROM run TO (see images.ts). */
  readonly substitutes?: ReadonlyMap<string, string>;
  /** `--entrypoint-image REF`: the copy container runs REF (see images.ts). */
  readonly entrypointImage?: string;
}

export interface ContainerResult {
  readonly name: string;
  /** An initContainer (the injected copy container, a sidecar, one of yours) rather than a step. */
  readonly init: boolean;
  /** A native sidecar: an initContainer with restartPolicy Always (absent: not one). */
  readonly sidecar?: boolean;
  /** podman's state at the end: `exited` normally. */
  readonly state: string;
  /** The container's exit code (the wrapper's, see the exit-code table in docs/contract.md). */
  readonly exitCode: number | undefined;
  readonly oomKilled: boolean;
  /** Wall-clock times podman recorded (ms since the epoch). */
  readonly startedAtMs: number | undefined;
  readonly finishedAtMs: number | undefined;
  /** podman's container id and image (for the kubelet-style Pod status). */
  readonly id: string | undefined;
  readonly image: string | undefined;
  readonly imageId: string | undefined;
  /** The container's stdout and stderr, and both interleaved in the order they were written. */
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: string;
  /** Every log line with its time and stream, in the order podman's k8s-file log holds them. */
  readonly logLines: LogLine[];
  /** The raw termination message (the file at terminationMessagePath), if any. */
  readonly terminationMessage: string | undefined;
  /**
   * The step's report: the full one from its completion record (`done` / `done.err`) when there is
   * one, else the termination message (which may be budgeted or compact); undefined when absent.
   */
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
  /**
   * Kubernetes' phase for a `restartPolicy: Never` pod: Succeeded when every init container and
   * every step container exited 0 (sidecars, stopped at the end, do not count); Failed otherwise.
   */
  readonly phase: 'Succeeded' | 'Failed';
  /**
   * Why the runner stopped the pod before its steps ended, when it did: an init container failed,
   * a sidecar exited or failed its startup probe (a kubelet would restart a sidecar; the local
   * runner fails the run).
   */
  readonly failure?: string;
  /** podman's pod state at the end (`Exited`, `Degraded`...). */
  readonly podmanState: string;
  /** Init containers first (in order), then the step containers in manifest order. */
  readonly containers: ContainerResult[];
  /** Stamps in file order (see test/e2e/step-image/stamp.go). */
  readonly stamps: Stamp[];
  /** Time from `kube play` to the last container's exit, measured by the harness (ms). */
  readonly elapsedMs: number;
  /** Annotations removed from the played copy (see the file comment). */
  readonly droppedAnnotations: string[];
  /** What the run did differently from the manifest or a kubelet (the lines given to onEvent that say so). */
  readonly notes: string[];
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
  /** Aborted when the run is interrupted or a sidecar failed: `whileRunning` should return. */
  readonly signal: AbortSignal;
  /** The podman volumes the run created (removed with the pod unless keepPod). */
  readonly volumes: readonly string[];
  /** Reads a file through the volume mounted at its path in the pod (e.g. `/workspace/stamps`); undefined when absent. */
  readFile(pathInPod: string): Promise<string | undefined>;
  /** Current stamps (from the stamps file). */
  stamps(): Promise<Stamp[]>;
  /** Waits until `cond` holds, polling every 20 ms, or throws after `timeoutMs` (default 20 s). */
  waitFor(what: string, cond: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** SIGKILLs one container of the pod, from outside (what the OOM killer does). Returns the kill time (ms since the epoch). */
  kill(container: string): Promise<number>;
  /**
   * Every container's current state, termination message, state files and log lines so far (one
   * `podman inspect` for all containers).
   */
  snapshot(): Promise<ContainerResult[]>;
}

/** One line of a container's log (podman's k8s-file log driver: time, stream, text). */
export interface LogLine {
  /** RFC 3339 with nanoseconds, as conmon wrote it. */
  readonly time: string;
  readonly stream: 'stdout' | 'stderr';
  /** Without the newline; a line the container had not ended with a newline is kept as is. */
  readonly text: string;
}

