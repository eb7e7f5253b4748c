/**
 * The data types of the local runner (src/local/runner.ts): what a run of a pod in podman gives
 * back, and the handle on a running pod.
 */
import type { StepReport } from '../wire/report';
import type { K8sObject } from '../wire/workload';

/** What `runPod` accepts: YAML text (one or more documents), one object or a list of objects. */
export type Manifest = string | K8sObject | K8sObject[];

export interface RunPodOptions {
  /** Upper bound for the pod to finish, from `kube play` on (default 60 s). */
  readonly timeoutMs?: number;
  /** Path of the stamps file inside the containers (default `/workspace/stamps`, see podman/step-image/stamp.go). */
  readonly stampsPath?: string;
  /** Keep the run directory (WORK_DIR/runs/<id>) for debugging; also via CDK8S_STEPS_E2E_KEEP=1. */
  readonly keep?: boolean;
  /** Keep the pod and its volumes of a run that ended or timed out (`cdk8s-steps run --keep`); a podman error removes them anyway. */
  readonly keepPod?: boolean;
  /**
   * Called once the pod was played (its containers are starting or running), before waiting for the
   * end; e.g. to kill a container from outside. The pod is cleaned up even when this throws.
   */
  readonly whileRunning?: (pod: RunningPod) => Promise<void>;
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

