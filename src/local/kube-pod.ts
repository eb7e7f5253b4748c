/**
 * A played pod as the Kubernetes API would show it (`kubectl get pod -o json`): the manifest's Pod
 * (or the Job's pod template) with the status fields the kubelet sets, converted from what podman
 * reports. `cdk8s-steps status` reads exactly that, so running it on this output tests it on real
 * runs without a cluster.
 *
 * The kubelet's rules followed here: times to the second (metav1.Time is RFC 3339 without a
 * fraction); a terminated container's reason is `Completed` for exit 0, `OOMKilled`, else `Error`;
 * its `message` is the termination message cut to min(4096, 12288 / containers) bytes; the phase of
 * a `restartPolicy: Never` pod is Succeeded when every container exited 0, Failed when all ended
 * and one did not, Running while one runs, Pending before (sidecars, initContainers with
 * `restartPolicy: Always`, do not count); the pod is Initialized once every init container
 * exited 0 and every sidecar started.
 */
import { toObjects } from './play';
import { ContainerResult, Manifest } from './types';
import { isSidecar } from '../pod/sidecar';
import { kubeletMessageLimit } from '../wire/budget';
import { K8sObject, stepHostOf } from '../wire/workload';

/** RFC 3339 to the second, as the API server serialises metav1.Time. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Cuts `text` to `bytes` UTF-8 bytes, as the kubelet does (a prefix; it may end mid-character). */
export function cutToBytes(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= bytes ? text : buf.subarray(0, bytes).toString('utf8');
}

/**
 * The pod's metadata and spec from a manifest holding one Pod or one Job: a Job's pod is named
 * `<job>-local` and carries the `job-name` label the API server gives the pods of a Job.
 */
function podOf(manifest: Manifest): { metadata: K8sObject; spec: K8sObject } {
  const host = toObjects(manifest).map(stepHostOf).find((h) => h?.pod);
  if (!host?.pod) throw new Error('the manifest has no Pod or Job');
  if (host.kind === 'Pod') return host.pod;
  return {
    metadata: { ...host.pod.metadata, name: `${host.name}-local`, labels: { ...host.pod.metadata.labels, 'job-name': host.name } },
    spec: host.pod.spec,
  };
}

function containerStatus(c: ContainerResult | undefined, name: string, image: string, budget: number, initDone: boolean): K8sObject {
  const base = {
    name,
    image: c?.image ?? image,
    imageID: c?.imageId ?? '',
    ...(c?.id ? { containerID: `podman://${c.id}` } : {}),
    restartCount: 0,
  };
  if (!c || c.state === 'missing') {
    // podman removes an init container once it succeeded; a step container not created yet waits.
    if (c?.init && initDone) return { ...base, ready: false, started: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    return { ...base, ready: false, started: false, state: { waiting: { reason: initDone ? 'ContainerCreating' : 'PodInitializing' } } };
  }
  if (c.exitCode !== undefined) {
    const message = c.terminationMessage ? cutToBytes(c.terminationMessage, budget) : undefined;
    return {
      ...base,
      ready: false,
      started: false,
      state: {
        terminated: {
          exitCode: c.exitCode,
          reason: c.oomKilled ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error',
          ...(message ? { message } : {}),
          ...(c.startedAtMs !== undefined ? { startedAt: kubeTime(c.startedAtMs) } : {}),
          ...(c.finishedAtMs !== undefined ? { finishedAt: kubeTime(c.finishedAtMs) } : {}),
          ...(c.id ? { containerID: `podman://${c.id}` } : {}),
        },
      },
    };
  }
  if (c.state === 'running' && c.startedAtMs !== undefined) {
    return { ...base, ready: true, started: true, state: { running: { startedAt: kubeTime(c.startedAtMs) } } };
  }
  return { ...base, ready: false, started: false, state: { waiting: { reason: initDone ? 'ContainerCreating' : 'PodInitializing' } } };
}

/**
 * The Pod object with a kubelet-style status for the containers' current state (a finished run,
 * or a snapshot taken while it runs).
 */
export function kubePod(manifest: Manifest, containers: readonly ContainerResult[], namespace = 'default'): K8sObject {
  const { metadata, spec } = podOf(manifest);
  const byName = new Map(containers.map((c) => [c.name, c]));
  const inits: K8sObject[] = spec.initContainers ?? [];
  const ctrs: K8sObject[] = spec.containers ?? [];
  const budget = kubeletMessageLimit(inits.length + ctrs.length);
  // An init container is done once it exited 0; a native sidecar once it started (and it keeps running).
  const initDone = inits.every((i) => {
    const c = byName.get(i.name);
    if (isSidecar(i)) return c?.startedAtMs !== undefined;
    return c?.exitCode === 0 || (c?.state === 'missing' && ctrs.some((s) => byName.get(s.name)?.startedAtMs !== undefined));
  });
  const initStatuses = inits.map((i) => containerStatus(byName.get(i.name), i.name, i.image, budget, initDone));
  const statuses = ctrs.map((s) => containerStatus(byName.get(s.name), s.name, s.image, budget, initDone));
  const terminated = statuses.filter((s) => s.state.terminated);
  const phase = terminated.length === statuses.length
    ? (terminated.every((s) => s.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed')
    : statuses.some((s) => s.state.running || s.state.terminated) ? 'Running' : 'Pending';
  const starts = containers.map((c) => c.startedAtMs).filter((t): t is number => t !== undefined);
  const allReady = statuses.every((s) => s.ready);
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...metadata, namespace },
    spec,
    status: {
      phase,
      conditions: [cond('PodScheduled', true), cond('Initialized', initDone), cond('ContainersReady', allReady), cond('Ready', allReady)],
      ...(starts.length ? { startTime: kubeTime(Math.min(...starts)) } : {}),
      ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: statuses,
    },
  };
}
