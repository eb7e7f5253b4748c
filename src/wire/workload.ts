/**
 * Where the steps are in a synthesised or live object: "Pod or Job → pod template", written once
 * for the CLI (`run`, `graph`), the local runner and the benchmarks. A kind is one entry of
 * `HOSTS`; a kind that runs each step in its own pod (an Argo Workflow) has no `pod` and reads its
 * graph from the object itself. Pure. Internal.
 */

/**
 * A Kubernetes object as plain data (what `Testing.synth(chart)`, YAML or `kubectl get -o json`
 * give): any field of any kind, so `any`; readers check the fields they use.
 */
export type K8sObject = { [key: string]: any };

/** The pod that runs the steps, as its object carries it. */
export interface PodTemplate {
  /**
   * The pod's metadata: a Pod's own; a Job's template's, with the Job's annotations under the
   * template's (the library writes its annotation on the template; older manifests may carry it
   * on the Job). Labels, annotations and the rest as written: a copy, the object is not changed.
   */
  readonly metadata: K8sObject & { readonly annotations: Record<string, string> };
  /** The PodSpec (a Job's template spec); `{}` when the object has none. */
  readonly spec: K8sObject;
}

/** An object that hosts steps, by kind. */
export interface StepHostObject {
  /** `Pod`, `Job`, `Workflow` or `WorkflowTemplate`. */
  readonly kind: string;
  /** `metadata.name` ('' when there is none). */
  readonly name: string;
  readonly namespace?: string;
  /** The object as found. */
  readonly object: K8sObject;
  /** The annotations that carry the host's records (the graph annotation): for a Pod or Job, its pod's. */
  readonly annotations: Record<string, string>;
  /** The one pod that runs every step (a Pod, a Job's template); absent for a kind that runs a pod per step. */
  readonly pod?: PodTemplate;
}

type Unwrap = (o: K8sObject) => { readonly annotations: Record<string, string>; readonly pod?: PodTemplate };

const podHost: Unwrap = (o) => {
  const pod = { metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations } }, spec: o.spec ?? {} };
  return { annotations: pod.metadata.annotations, pod };
};

const jobHost: Unwrap = (o) => {
  const template = o.spec?.template ?? {};
  const annotations = { ...o.metadata?.annotations, ...template.metadata?.annotations };
  return { annotations, pod: { metadata: { ...template.metadata, annotations }, spec: template.spec ?? {} } };
};

/**
 * An Argo Workflow (or WorkflowTemplate) made by a StepWorkflow: each step runs in a pod of its
 * own, so there is no one pod; the graph annotation is on the object itself (docs/argo.md).
 */
const workflowHost: Unwrap = (o) => ({ annotations: { ...o.metadata?.annotations } });

/** The kinds that host steps, and where their steps are. */
const HOSTS: Readonly<Record<string, Unwrap>> = { Pod: podHost, Job: jobHost, Workflow: workflowHost, WorkflowTemplate: workflowHost };

/** The kinds that run every step in one pod (`stepHostOf(o).pod` is there), for messages. */
export const STEP_HOST_KINDS = ['Pod', 'Job'];

/** `o` as a step host, or undefined for a kind that hosts no steps (a ConfigMap, a Service...). */
export function stepHostOf(o: K8sObject): StepHostObject | undefined {
  const unwrap = typeof o?.kind === 'string' && Object.prototype.hasOwnProperty.call(HOSTS, o.kind) ? HOSTS[o.kind] : undefined;
  if (!unwrap) return undefined;
  const namespace = o.metadata?.namespace;
  return {
    kind: o.kind,
    name: typeof o.metadata?.name === 'string' ? o.metadata.name : '',
    ...typeof namespace === 'string' ? { namespace } : {},
    object: o,
    ...unwrap(o),
  };
}

/** The PodSpec of a Pod or a Job (its template's); throws for any other object. */
export function podSpecOf(o: K8sObject): K8sObject {
  const pod = stepHostOf(o)?.pod;
  if (!pod) throw new Error(`a ${o?.kind ?? 'kindless object'} runs no pod of steps (expected ${STEP_HOST_KINDS.join(' or ')})`);
  return pod.spec;
}
