/**
 * The copy of a manifest that podman 4.3 can play (see runner.ts for why each change is made).
 * Pure: no podman involved.
 */
import * as YAML from 'yaml';
import { describeUnknown, expandContainer, UnknownReference } from './expand';
import { Manifest } from './types';
import { isSidecar } from '../pod/sidecar';
import { K8sObject, stepHostOf, STEP_HOST_KINDS } from '../wire/workload';

export interface PlayPlan {
  readonly yaml: string;
  readonly podName: string;
  /** original emptyDir volume name → name given to podman */
  readonly volumes: Map<string, string>;
  /** The init containers as played, in order (sidecars among them, without their probes). */
  readonly initContainers: K8sObject[];
  readonly containers: K8sObject[];
  /** The native sidecars (initContainers with restartPolicy Always) as the manifest gives them, `$(VAR)` expanded. */
  readonly sidecars: K8sObject[];
  /** The pod's terminationGracePeriodSeconds (default 30): how long a stopped container has before SIGKILL. */
  readonly terminationGracePeriodSeconds: number;
  readonly droppedAnnotations: string[];
  /** What the played copy does differently from a kubelet, one line each (unknown `$(VAR)`s, sidecar fields podman refuses). */
  readonly notes: string[];
}

export interface PlayOptions {
  /** Container name → the image to play (already in podman: the copy pulls nothing). */
  readonly images?: ReadonlyMap<string, string>;
  /** podman ≥ 4.7 expands `$(VAR)` in command and args itself (see expand.ts). */
  readonly podmanExpandsCommand?: boolean;
}

/** Fields podman 4.3 refuses on an init container (play.go), which the runner handles or leaves out for a sidecar. */
const INIT_REFUSED = ['startupProbe', 'livenessProbe', 'readinessProbe', 'lifecycle'] as const;

const MAX_PODMAN_ANNOTATION = 63;

/** podman's name for a container of a played pod (`kube play` names it `<pod>-<container>`). */
export function containerName(podName: string, container: string): string {
  return `${podName}-${container}`;
}

/**
 * Builds the copy of the manifest that podman 4.3 can play (see the file comment). Pure: no podman
 * involved, unit-tested in harness.test.ts.
 */
export function preparePlay(manifest: Manifest, runId: string, options: PlayOptions = {}): PlayPlan {
  const docs = toObjects(manifest);
  const workloads = docs.filter((d) => stepHostOf(d)?.pod);
  if (workloads.length !== 1) {
    throw new Error(`expected exactly one ${STEP_HOST_KINDS.join(' or ')} in the manifest, found ${workloads.length} (kinds: ${docs.map((d) => d.kind).join(', ') || 'none'})`);
  }
  const others = docs.filter((d) => d !== workloads[0]);
  const unsupported = others.filter((d) => d.kind !== 'ConfigMap' && d.kind !== 'Secret');
  if (unsupported.length > 0) {
    throw new Error(`podman kube play would not run ${unsupported.map((d) => d.kind).join(', ')}; give only the Pod/Job (and its ConfigMaps/Secrets)`);
  }
  // A Job runs as the pod of its template, named like the Job.
  const host = stepHostOf(JSON.parse(JSON.stringify(workloads[0])))!;
  const metadata: K8sObject = { ...host.pod!.metadata, name: host.name };
  const spec: K8sObject = host.pod!.spec;
  const baseName = (host.name || 'pod').slice(0, 40).replace(/-+$/, '');
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
  const unknown: UnknownReference[] = [];
  const notes: string[] = [];
  const kubelet = (c: K8sObject): K8sObject => {
    const e = expandContainer(c, { serviceLinks: spec.enableServiceLinks !== false, podmanExpandsCommand: options.podmanExpandsCommand });
    unknown.push(...e.unknown);
    return e.container;
  };
  const played = (c: K8sObject): K8sObject => {
    const image = options.images?.get(c.name);
    return {
      ...c,
      ...(image ? { image, imagePullPolicy: 'Never' } : {}),
      volumeMounts: (c.volumeMounts ?? []).map((m: K8sObject) => (volumes.has(m.name) ? { ...m, name: volumes.get(m.name) } : m)),
    };
  };
  const sidecars: K8sObject[] = [];
  const initContainers: K8sObject[] = (spec.initContainers ?? []).map((c: K8sObject) => {
    const expanded = kubelet(c);
    if (!isSidecar(c)) return played(expanded);
    sidecars.push(expanded);
    // podman 4.3 refuses these on an init container: the runner runs the startup probe itself.
    const copy: K8sObject = played(expanded);
    for (const field of INIT_REFUSED) delete copy[field];
    delete copy.restartPolicy;
    const ignored = INIT_REFUSED.filter((f) => f !== 'startupProbe' && c[f] !== undefined);
    if (ignored.length > 0) notes.push(`sidecar ${c.name}: its ${ignored.join(' and ')} ${ignored.length === 1 ? 'is' : 'are'} not run locally (podman 4.3 refuses them on an init container; the runner runs only startup probes)`);
    return copy;
  });
  const containers: K8sObject[] = (spec.containers ?? []).map((c: K8sObject) => played(kubelet(c)));
  if (containers.length === 0) throw new Error('the pod has no containers');
  notes.push(...describeUnknown(unknown));

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
  const grace = spec.terminationGracePeriodSeconds;
  return {
    yaml,
    podName,
    volumes,
    initContainers,
    containers,
    sidecars,
    terminationGracePeriodSeconds: Number.isInteger(grace) && grace >= 0 ? grace : 30,
    droppedAnnotations,
    notes,
  };
}

export function toObjects(manifest: Manifest): K8sObject[] {
  if (typeof manifest === 'string') {
    return YAML.parseAllDocuments(manifest).map((d) => d.toJSON()).filter((d) => d && typeof d === 'object');
  }
  return Array.isArray(manifest) ? manifest : [manifest];
}

/** Resolves a path inside a container to (played volume name, path inside the volume). */
export function resolveMount(c: K8sObject | undefined, pathInPod: string): { volume: string; rel: string } | undefined {
  let best: { volume: string; rel: string; len: number } | undefined;
  for (const m of c?.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/+$/, '');
    if (pathInPod === mp || pathInPod.startsWith(mp + '/')) {
      if (!best || mp.length > best.len) best = { volume: m.name, rel: pathInPod.slice(mp.length + 1), len: mp.length };
    }
  }
  return best && { volume: best.volume, rel: best.rel };
}

