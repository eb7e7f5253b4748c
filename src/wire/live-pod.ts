/**
 * A live Pod read back, as `kubectl get pod NAME -o json` prints it: the fields `cdk8s-steps status`
 * reads (the graph annotation, the phase, the container statuses and their termination messages,
 * which hold the step reports), checked on the way in. A field of the wrong type is a `WireError`
 * naming it, never a JavaScript error further down. Pure. Internal.
 *
 * What may be absent follows the API's JSON: `annotations` and the status lists are omitted when
 * empty, a `metav1.Time` that was never set is `null`; `exitCode` is always there in a terminated
 * state (core/v1 ContainerStateTerminated).
 */
import { describe, WireError } from './errors';
import { GRAPH_ANNOTATION } from './layout';
import { K8sObject } from './workload';

/** A container's state, as the kubelet reports it. */
export interface LiveContainerState {
  readonly terminated?: {
    readonly exitCode: number;
    readonly reason?: string;
    /** The termination message: for a step, its report. */
    readonly message?: string;
    readonly startedAt?: string;
    readonly finishedAt?: string;
  };
  readonly running?: { readonly startedAt?: string };
  readonly waiting?: { readonly reason?: string; readonly message?: string };
}

/** One entry of `status.containerStatuses` / `status.initContainerStatuses`. */
export interface LiveContainerStatus {
  readonly name: string;
  readonly state?: LiveContainerState;
}

/** A Pod as the status commands read it. */
export interface LivePod {
  readonly name: string;
  readonly namespace?: string;
  readonly phase?: string;
  /** `status.reason` and `status.message`: why the pod is in its phase (e.g. `Evicted` and what ran short). */
  readonly reason?: string;
  readonly message?: string;
  /** The graph annotation's value (still to be read with `readGraphAnnotation`); undefined when the pod has none. */
  readonly graphAnnotation?: string;
  readonly containerStatuses: LiveContainerStatus[];
  readonly initContainerStatuses: LiveContainerStatus[];
}

const GIVE = 'give the Pod as kubectl get pod NAME -o json prints it';

/** Reads the fields of a Pod the status commands use; `where` names it until its name is known. */
export function readLivePod(pod: K8sObject, where: string): LivePod {
  const at = new Reader(where);
  if (!isObject(pod)) at.fail('the Pod', pod, 'an object');
  const metadata = at.object(pod, 'metadata', true)!;
  const name = at.string(metadata, 'metadata.name', 'name', true)!;
  at.where = `pod ${name}`;
  const namespace = at.string(metadata, 'metadata.namespace', 'namespace');
  const annotations = at.object(metadata, 'metadata.annotations', false, 'annotations');
  const graphAnnotation = annotations === undefined ? undefined
    : at.string(annotations, `metadata.annotations["${GRAPH_ANNOTATION}"]`, GRAPH_ANNOTATION);
  const status = at.object(pod, 'status');
  const phase = status && at.string(status, 'status.phase', 'phase');
  const reason = status && at.string(status, 'status.reason', 'reason');
  const message = status && at.string(status, 'status.message', 'message');
  return {
    name,
    ...namespace !== undefined ? { namespace } : {},
    ...phase !== undefined ? { phase } : {},
    ...reason !== undefined ? { reason } : {},
    ...message !== undefined ? { message } : {},
    ...graphAnnotation !== undefined ? { graphAnnotation } : {},
    containerStatuses: status ? at.statuses(status, 'containerStatuses') : [],
    initContainerStatuses: status ? at.statuses(status, 'initContainerStatuses') : [],
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field checks that throw a `WireError` naming the field by its path. */
class Reader {
  constructor(public where: string) {}

  fail(path: string, value: unknown, want: string): never {
    throw new WireError(`${this.where}: ${path} is ${describe(value)}, not ${want}; ${GIVE}`);
  }

  /** `o[key]` as an object; undefined when absent and not `required`. */
  object(o: Record<string, unknown>, path: string, required = false, key = path.split('.').pop()!): Record<string, unknown> | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (!isObject(v)) this.fail(path, v, 'an object');
    return v;
  }

  /** `o[key]` as a string; undefined when absent and not `required`. */
  string(o: Record<string, unknown>, path: string, key = path.split('.').pop()!, required = false): string | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') this.fail(path, v, 'a string');
    return v;
  }

  /** A `metav1.Time`: an RFC 3339 string, or null (never set), or absent. */
  time(o: Record<string, unknown>, path: string): string | undefined {
    const v = o[path.split('.').pop()!];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(path, v, 'a time (an RFC 3339 string, or null)');
    return v;
  }

  statuses(status: Record<string, unknown>, key: string): LiveContainerStatus[] {
    const list = status[key];
    if (list === undefined) return [];
    if (!Array.isArray(list)) this.fail(`status.${key}`, list, 'a list');
    return list.map((s: unknown, i) => this.containerStatus(s, `status.${key}[${i}]`));
  }

  private containerStatus(s: unknown, path: string): LiveContainerStatus {
    if (!isObject(s)) this.fail(path, s, 'a container status (an object)');
    const name = this.string(s, `${path}.name`, 'name', true)!;
    const state = this.object(s, `${path}.state`);
    if (!state) return { name };
    const p = `${path}.state`;
    const terminated = this.object(state, `${p}.terminated`);
    const running = this.object(state, `${p}.running`);
    const waiting = this.object(state, `${p}.waiting`);
    const t = `${p}.terminated`;
    if (terminated && !Number.isInteger(terminated.exitCode)) this.fail(`${t}.exitCode`, terminated.exitCode, 'an integer');
    return {
      name,
      state: {
        ...terminated ? {
          terminated: dropUndefined({
            exitCode: terminated.exitCode as number,
            reason: this.string(terminated, `${t}.reason`),
            message: this.string(terminated, `${t}.message`),
            startedAt: this.time(terminated, `${t}.startedAt`),
            finishedAt: this.time(terminated, `${t}.finishedAt`),
          }),
        } : {},
        ...running ? { running: dropUndefined({ startedAt: this.time(running, `${p}.running.startedAt`) }) } : {},
        ...waiting ? {
          waiting: dropUndefined({
            reason: this.string(waiting, `${p}.waiting.reason`),
            message: this.string(waiting, `${p}.waiting.message`),
          }),
        } : {},
      },
    };
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
