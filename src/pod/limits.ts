/**
 * Kubernetes' own limits, measured on the pod we synthesise (issue 8): what the API server, etcd
 * and the kernel would reject later is returned as `LimitProblem`s (which limit, by how much, what
 * to do), which synthesis throws as a `StepLimitError`. Pure. Internal: not part of the public API.
 *
 * The limits and how each is counted:
 * - one exec argument: `MAX_ARG_STRLEN`, 32 pages = 131 072 bytes including its NUL;
 * - all arguments and environment of one container: Linux takes up to a quarter of the stack
 *   limit (2 MiB with the usual 8 MiB); we allow `EXEC_BUDGET` = 1 MiB for what we write (each
 *   string's bytes + NUL + an 8-byte pointer, literal env values only) and leave the rest to what
 *   the kubelet adds (service links, the image's ENV);
 * - annotations: 256 KiB in total (keys + values), the API server's `TotalAnnotationSizeLimitB`;
 * - the object: etcd takes requests up to 1.5 MiB by default. We count the JSON of the pod as
 *   written plus `statusBound()` for the status the kubelet adds. etcd stores protobuf, which is
 *   smaller than this JSON (about 30 % for step pods), margin for the server's own fields
 *   (defaults, managedFields) that we do not count.
 */
import { k8s } from 'cdk8s-plus-33';
import { MAX_DAG_TASKS, MAX_TEMPLATES } from '../argo/limits';
import { argoGraphProblem } from '../argo/nesting';
import { Plan } from '../plan';
import { isSidecar } from './sidecar';
import { LimitProblem, STEP_LIMIT_ERROR, StepLimit, StepLimitError } from '../limit-problem';
import { messageBudget } from '../wire/budget';

export const MAX_ARG_BYTES = 131072;
export const EXEC_BUDGET = 1024 * 1024;
export const ANNOTATIONS_LIMIT = 256 * 1024;
export const OBJECT_LIMIT = 1.5 * 1024 * 1024;

/**
 * What the user can do about any of these limits. The Argo target is recommended only for a
 * graph it can take (src/argo/nesting.ts, `argoGraphProblem`: Argo ≥ 4.0 allows 200 tasks per
 * DAG and 200 templates).
 */
function remedy(plan: Plan | undefined): string {
  const argo = plan && argoGraphProblem(plan.steps, MAX_DAG_TASKS, MAX_TEMPLATES);
  if (argo === undefined) {
    return 'Fewer steps per pod, shorter step names, or a StepJob per stage (or the Argo target, '
      + 'StepWorkflow, which runs each step in its own pod) bring it under.';
  }
  return 'Fewer steps per pod, shorter step names, or a StepJob per stage bring it under. The Argo target, StepWorkflow, '
    + `would not take this graph: ${argo} (docs/argo.md, "Above 200 tasks").`;
}
/** What client-side apply adds on top (it copies the object into an annotation). */
const APPLY_NOTE = 'Note: client-side `kubectl apply` copies the whole object into the '
  + 'kubectl.kubernetes.io/last-applied-configuration annotation, so it already fails for objects '
  + 'above 256 KiB; use `kubectl apply --server-side` or `kubectl create`.';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * An upper bound of the JSON the kubelet adds to `status.containerStatuses` for one container
 * (the v1.ContainerStatus fields as Kubernetes 1.34 fills them): its name; a terminated state
 * with the largest exit code and signal, a reason of up to 128 bytes, the termination message at
 * the budget with every byte escaped (2 bytes per byte for our wrapper's JSON report, 6 for any
 * other container's free text), two timestamps and a containerd ID; for a sidecar (it restarts)
 * the same again as `lastState`; the image with a registry prefix, the image ID with its sha256
 * digest, the container ID; the echo of each volume mount (`volumeMounts`, with
 * `recursiveReadOnly`), of its resources (`resources`, `allocatedResources`) and of its user.
 */
export function statusBound(container: k8s.Container, budget: number, wrapped: boolean): number {
  const image = `registry.example.invalid/${container.image ?? ''}`;
  const requests = container.resources?.requests ?? {};
  // the terminated state is the same for every container with this budget: it is measured once
  // (`terminatedBytes`) and stands here as a one-byte placeholder, `0`
  const status = {
    name: container.name,
    state: 0,
    lastState: isSidecar(container) ? 0 : {},
    ready: false,
    restartCount: 2147483647,
    image,
    imageID: `${image}@sha256:${'f'.repeat(64)}`,
    containerID: CONTAINER_ID,
    started: false,
    allocatedResources: requests,
    resources: container.resources ?? {},
    user: { linux: { uid: 2147483647, gid: 2147483647, supplementalGroups: [2147483647] } },
    volumeMounts: (container.volumeMounts ?? []).map(m => ({ ...m, recursiveReadOnly: 'Disabled' })),
    stopSignal: 'SIGRTMAX-14',
  };
  const placeholders = isSidecar(container) ? 2 : 1;
  return bytes(JSON.stringify(status)) + placeholders * (terminatedBytes(budget, wrapped) - 1) + 1;
}

const CONTAINER_ID = `containerd://${'f'.repeat(64)}`;

/** The JSON size of the terminated state in `statusBound`, by budget and kind: measured once each. */
const terminatedSizes = new Map<string, number>();

function terminatedBytes(budget: number, wrapped: boolean): number {
  const key = `${budget}/${wrapped}`;
  let size = terminatedSizes.get(key);
  if (size === undefined) {
    const time = '2026-01-01T00:00:00Z';
    size = bytes(JSON.stringify({
      terminated: {
        exitCode: -2147483648,
        signal: -2147483648,
        reason: 'x'.repeat(128),
        message: 'x'.repeat(budget * (wrapped ? 2 : 6)),
        startedAt: time,
        finishedAt: time,
        containerID: CONTAINER_ID,
      },
    }));
    terminatedSizes.set(key, size);
  }
  return size;
}

/** The pod-level status besides the container statuses: phase, conditions, IPs, times, QoS. */
const POD_STATUS_BOUND = 4096;

/** A pod as the limits see it: its spec and the metadata it will carry. */
export interface PodObject {
  /** The host's path, for the messages. */
  readonly path: string;
  readonly spec: k8s.PodSpec;
  readonly annotations: Record<string, string>;
  readonly labels: Record<string, string>;
  /** The names of the step containers (their termination message is the wrapper's JSON). */
  readonly steps: ReadonlySet<string>;
  /** The plan, to say whether the Argo target would take the graph instead. */
  readonly plan?: Plan;
}

/** Every limit `pod` breaks, most specific first (one exec argument, a command line, annotations, the object). */
export function limitProblems(pod: PodObject): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const over = (limit: StepLimit, what: string, size: number, maximum: number, extra = '') => {
    problems.push({
      limit,
      size,
      maximum,
      message: `${STEP_LIMIT_ERROR}: ${pod.path}: ${what} is ${size} bytes (${kib(size)}), ${size - maximum} bytes over `
        + `Kubernetes' limit of ${maximum} bytes (${kib(maximum)}). ${remedy(pod.plan)}${extra ? ' ' + extra : ''}`,
    });
  };
  const all = [...pod.spec.initContainers ?? [], ...pod.spec.containers];
  for (const c of all) {
    const strings = [...c.command ?? [], ...c.args ?? []];
    for (const [i, s] of strings.entries()) {
      const size = bytes(s) + 1;
      if (size > MAX_ARG_BYTES) {
        over(StepLimit.EXEC_ARGUMENT, `argument ${i} of container "${c.name}" (${JSON.stringify(s.slice(0, 40))}…, one exec argument, MAX_ARG_STRLEN)`,
          size, MAX_ARG_BYTES);
      }
    }
    const env = (c.env ?? []).map(e => `${e.name}=${e.value ?? ''}`);
    const exec = [...strings, ...env].reduce((sum, s) => sum + bytes(s) + 1 + 8, 0);
    if (exec > EXEC_BUDGET) {
      over(StepLimit.EXEC_TOTAL, `the command line and environment of container "${c.name}" (what execve takes; we allow 1 MiB of the 2 MiB `
        + 'Linux takes with an 8 MiB stack, the rest is for the environment the kubelet adds)', exec, EXEC_BUDGET);
    }
  }
  const annotations = Object.entries(pod.annotations).reduce((sum, [k, v]) => sum + bytes(k) + bytes(v), 0);
  if (annotations > ANNOTATIONS_LIMIT) over(StepLimit.ANNOTATIONS, 'the total size of the pod\'s annotations', annotations, ANNOTATIONS_LIMIT);
  const written = bytes(JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { annotations: pod.annotations, labels: pod.labels }, spec: pod.spec,
  }));
  const budget = messageBudget(all.length);
  const status = POD_STATUS_BOUND + all.reduce((sum, c) => sum + statusBound(c, budget, pod.steps.has(c.name)), 0);
  if (written + status > OBJECT_LIMIT) {
    over(StepLimit.OBJECT_SIZE, `the pod object with the status the kubelet adds (${written} bytes written + at most ${status} bytes of `
      + 'status; etcd stores objects up to 1.5 MiB)', written + status, OBJECT_LIMIT, APPLY_NOTE);
  }
  return problems;
}

/** Throws a `StepLimitError` for the first limit `pod` breaks, most specific first. */
export function checkLimits(pod: PodObject): void {
  const [first] = limitProblems(pod);
  if (first) throw new StepLimitError(first);
}
