/**
 * The Argo target: the plan and the step containers in, one Argo `Workflow` (or
 * `WorkflowTemplate`) object out. Pure: no constructs, plain data. Internal.
 *
 * Every step is a DAG task with its own container template (the container as declared: no
 * wrapper, no copy initContainer, no state volumes). docs/argo.md has the mapping table and where
 * Argo's behaviour differs from a StepPod's.
 */
import { k8s } from 'cdk8s-plus-33';
import { Plan, ResultRef, StepPlan } from '../plan';
import { dependsExpression, resultValueExpression, whenExpression } from './depends';
import { CONTINUE_TEMPLATE, DAG_TEMPLATE, FINALLY_TEMPLATE, argoProblems, continueTask } from './rules';
import { restricted } from '../pod/transform';
import * as layout from '../wire/layout';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** The emptyDir every step with results writes them to (at the path the pod target uses too). */
export const RESULTS_VOLUME = 'cdk8s-steps-results';

/** A container and the volumes its mounts name. */
export interface ArgoContainer {
  /** As cdk8s-plus synthesises it (`Container._toKube()`). */
  readonly container: k8s.Container;
  /** The volumes the container's mounts refer to. */
  readonly volumes?: k8s.Volume[];
}

/** One step's pod: its container and where it may be scheduled. */
export interface ArgoStep extends ArgoContainer {
  readonly nodeSelector?: { [key: string]: string };
  readonly tolerations?: k8s.Toleration[];
}

/** The shared workspace as a claim made per workflow run. */
export interface WorkspaceClaim {
  /** A Kubernetes quantity, e.g. "10Gi". */
  readonly storage: string;
  readonly accessModes: string[];
  readonly storageClassName?: string;
}

export interface WorkflowOptions {
  readonly kind: 'Workflow' | 'WorkflowTemplate';
  /** `name` or `generateName` (a WorkflowTemplate needs a name). */
  readonly metadata: { readonly name?: string; readonly generateName?: string; readonly [key: string]: unknown };
  /** Absent: no workspace. */
  readonly workspace?: WorkspaceClaim;
  /** Run next to every step (template `sidecars`). */
  readonly sidecars?: ArgoContainer[];
  /** Run before every step (template `initContainers`). */
  readonly initContainers?: ArgoContainer[];
  /** Pod-level fields that every step pod shares (WorkflowSpec fields of the same names). */
  readonly pod?: {
    readonly securityContext?: unknown;
    readonly imagePullSecrets?: unknown[];
    readonly hostAliases?: unknown[];
    readonly dnsPolicy?: string;
    readonly dnsConfig?: unknown;
    readonly hostNetwork?: boolean;
  };
  readonly serviceAccountName?: string;
  readonly activeDeadlineSeconds?: number;
  readonly podGC?: { readonly strategy: string };
  readonly ttlStrategy?: { readonly [field: string]: number };
}

/** The problems that stop the transformation (Argo's rules and what the inputs miss). */
export function workflowProblems(plan: Plan, steps: ReadonlyMap<string, ArgoStep>, options: WorkflowOptions): string[] {
  const errors = argoProblems(plan, [...options.sidecars ?? [], ...options.initContainers ?? []].map(s => s.container.name));
  if (options.kind === 'WorkflowTemplate' && !options.metadata.name) {
    errors.push('A WorkflowTemplate is referenced by name: give it a fixed name instead of generateName');
  }
  if (!options.metadata.name && !options.metadata.generateName) errors.push('The Workflow needs a name or a generateName');
  const reserved = new Set([RESULTS_VOLUME, ...options.workspace ? [layout.WORKSPACE_VOLUME] : []]);
  for (const step of plan.steps) {
    const input = steps.get(step.name);
    if (!input) {
      errors.push(`Step "${step.name}" has no container`);
      continue;
    }
    for (const v of [...input.volumes ?? [], ...[...options.sidecars ?? [], ...options.initContainers ?? []].flatMap(s => s.volumes ?? [])]) {
      if (reserved.has(v.name)) {
        errors.push(`Step "${step.name}": volume "${v.name}" has a name this library reserves for its own volumes: rename it`);
      }
    }
  }
  return errors;
}

/** Builds the Workflow. Throws with every problem when the plan cannot be expressed in Argo. */
export function buildWorkflow(plan: Plan, steps: ReadonlyMap<string, ArgoStep>, options: WorkflowOptions): any {
  const errors = workflowProblems(plan, steps, options);
  if (errors.length > 0) throw new Error(`invalid steps for Argo:\n  ${errors.join('\n  ')}`);
  const byName = new Map(plan.steps.map(s => [s.name, s]));
  const main = plan.steps.filter(s => !s.isFinally);
  const finals = plan.steps.filter(s => s.isFinally);
  const nonFinal = new Set(main.map(s => s.name));
  // Finally steps run in the exit handler, after the whole DAG: their dependencies on the other steps are implied.
  const inExitHandler = finals.map(s => ({ ...s, dependsOn: s.dependsOn.filter(d => !nonFinal.has(d)) }));
  const exitByName = new Map(inExitHandler.map(s => [s.name, s]));
  const producers = readProducers(plan);

  const templates: any[] = [
    dagTemplate(DAG_TEMPLATE, main, byName, plan.failFast),
    ...finals.length > 0 ? [dagTemplate(FINALLY_TEMPLATE, inExitHandler, exitByName, false)] : [],
  ];
  // A suspend node needs no pod; one second because Argo documents a duration, not a zero one.
  if (plan.steps.some(s => s.continueOnError)) templates.push({ name: CONTINUE_TEMPLATE, suspend: { duration: '1' } });
  for (const step of plan.steps) templates.push(stepTemplate(step, steps.get(step.name)!, options, producers));

  const pod = Object.entries(options.pod ?? {}).filter(([, v]) => !isEmpty(v));
  const spec: any = {
    ...Object.fromEntries(pod),
    entrypoint: DAG_TEMPLATE,
    ...finals.length > 0 ? { onExit: FINALLY_TEMPLATE } : {},
    serviceAccountName: options.serviceAccountName,
    activeDeadlineSeconds: options.activeDeadlineSeconds,
    podGC: options.podGC,
    ttlStrategy: options.ttlStrategy,
    templates,
  };
  if (options.workspace) spec.volumeClaimTemplates = [workspaceClaim(options.workspace)];
  return {
    apiVersion: ARGO_API_VERSION,
    kind: options.kind,
    metadata: { ...options.metadata },
    spec: dropUndefined(spec),
  };
}

/** A DAG template over `steps`; a failed `onError: CONTINUE` step with no dependents gets a join task. */
function dagTemplate(name: string, steps: StepPlan[], byName: ReadonlyMap<string, StepPlan>, failFast: boolean): any {
  const hasDependents = new Set(steps.flatMap(s => s.dependsOn));
  const tasks: any[] = steps.map(step => {
    const resultArgs = resultInputs(step).map(({ param, ref }) => ({ name: param, value: `{{=${resultValueExpression(ref)}}}` }));
    return dropUndefined({
      name: step.name,
      template: step.name,
      depends: dependsExpression(step, byName),
      when: whenExpression(step),
      arguments: resultArgs.length > 0 ? { parameters: resultArgs } : undefined,
    });
  });
  // Argo decides a DAG's phase from its leaf tasks (dag.go, assessDAGPhase): a failed leaf fails the
  // DAG, and `continueOn` cannot be used with `depends`. Our CONTINUE step must not fail the run, so
  // its failure is made a non-leaf: a no-pod join task runs on its Succeeded/Failed/Errored.
  for (const step of steps) {
    if (!step.continueOnError || hasDependents.has(step.name)) continue;
    tasks.push({ name: continueTask(step.name), template: CONTINUE_TEMPLATE, depends: `(${step.name}.Succeeded || ${step.name}.Failed || ${step.name}.Errored)` });
  }
  // Argo's default failFast is true; ours is false: always say which.
  return { name, dag: { failFast, tasks } };
}

/** The container template of one step: its container as declared, plus what the mapping adds. */
function stepTemplate(step: StepPlan, input: ArgoStep, options: WorkflowOptions, producers: Set<string>): any {
  const mounts: k8s.VolumeMount[] = [];
  const env: k8s.EnvVar[] = [];
  const volumes = new Map<string, k8s.Volume>();
  for (const v of input.volumes ?? []) volumes.set(v.name, v);
  if (options.workspace) mounts.push({ name: layout.WORKSPACE_VOLUME, mountPath: layout.WORKSPACE_PATH });
  if (step.results.length > 0) {
    volumes.set(RESULTS_VOLUME, { name: RESULTS_VOLUME, emptyDir: {} });
    mounts.push({ name: RESULTS_VOLUME, mountPath: layout.resultsDir(step.name) });
    env.push({ name: layout.RESULTS_ENV, value: layout.resultsDir(step.name) });
  }
  const inputs = resultInputs(step);
  for (const e of step.resultEnv) {
    const param = inputs.find(i => i.ref.step === e.result.step && i.ref.name === e.result.name)!.param;
    env.push({ name: e.env, value: `{{inputs.parameters.${param}}}` });
  }
  const c = input.container;
  // The same Pod Security Standard *restricted* defaults as a StepPod's steps (src/pod/transform.ts).
  const podSeccomp = Boolean((options.pod?.securityContext as k8s.PodSecurityContext | undefined)?.seccompProfile);
  const container = dropUndefined({
    ...c,
    securityContext: restricted(c.securityContext, podSeccomp),
    env: [...c.env ?? [], ...env].length > 0 ? [...c.env ?? [], ...env] : undefined,
    volumeMounts: [...c.volumeMounts ?? [], ...mounts].length > 0 ? [...c.volumeMounts ?? [], ...mounts] : undefined,
  });
  const sidecars = (options.sidecars ?? []).map(s => {
    for (const v of s.volumes ?? []) volumes.set(v.name, v);
    const { restartPolicy, ...rest } = s.container;
    const sidecarMounts = [...rest.volumeMounts ?? [], ...options.workspace ? [mounts[0]] : []];
    return dropUndefined({
      ...rest,
      securityContext: restricted(rest.securityContext, podSeccomp),
      volumeMounts: sidecarMounts.length > 0 ? sidecarMounts : undefined,
    });
  });
  const initContainers = (options.initContainers ?? []).map(i => {
    for (const v of i.volumes ?? []) volumes.set(v.name, v);
    return { ...i.container, securityContext: restricted(i.container.securityContext, podSeccomp) };
  });
  const timeoutSeconds = step.timeoutMs !== undefined ? Math.ceil(step.timeoutMs / 1000) : undefined;
  return dropUndefined({
    name: step.name,
    inputs: inputs.length > 0 ? { parameters: inputs.map(i => ({ name: i.param })) } : undefined,
    outputs: step.results.length > 0 ? {
      parameters: step.results.map(r => dropUndefined({
        name: r,
        // A CONTINUE producer's dependents run after its failure, when the file may be missing:
        // without a default Argo would turn the failure into an error (argo-workflows#13445).
        valueFrom: dropUndefined({ path: `${layout.resultsDir(step.name)}/${r}`, default: producers.has(step.name) && step.continueOnError ? '' : undefined }),
      })),
    } : undefined,
    container,
    initContainers: initContainers.length > 0 ? initContainers : undefined,
    sidecars: sidecars.length > 0 ? sidecars : undefined,
    volumes: volumes.size > 0 ? [...volumes.values()] : undefined,
    nodeSelector: input.nodeSelector && Object.keys(input.nodeSelector).length > 0 ? input.nodeSelector : undefined,
    tolerations: input.tolerations && input.tolerations.length > 0 ? input.tolerations : undefined,
    // Argo counts retries after the first attempt (limit + 1 attempts in all), like ours.
    retryStrategy: step.retries > 0 ? {
      limit: step.retries,
      // Retry a command that failed (non-zero exit), not an Argo or pod error: as the wrapper does.
      retryPolicy: 'OnFailure',
      // The wrapper's backoff: 500 ms, doubling, at most 30 s.
      backoff: { duration: '500ms', factor: 2, cap: '30s' },
    } : undefined,
    // Per pod, so per attempt; Argo only takes whole seconds.
    activeDeadlineSeconds: timeoutSeconds,
  });
}

/** The input parameters of a step: one per distinct result it reads into its environment. */
function resultInputs(step: StepPlan): Array<{ param: string; ref: ResultRef }> {
  const seen = new Map<string, { param: string; ref: ResultRef }>();
  for (const { result } of step.resultEnv) {
    const key = `${result.step}\0${result.name}`;
    if (!seen.has(key)) seen.set(key, { param: `result-${seen.size}`, ref: result });
  }
  return [...seen.values()];
}

/** Steps whose results some step reads. */
function readProducers(plan: Plan): Set<string> {
  const names = new Set<string>();
  for (const s of plan.steps) {
    for (const e of s.resultEnv) names.add(e.result.step);
    if (s.runIf.kind === 'resultIn' || s.runIf.kind === 'resultNotIn') names.add(s.runIf.result.step);
  }
  return names;
}

function workspaceClaim(ws: WorkspaceClaim): any {
  // The schema (and Argo) need apiVersion and kind on a volumeClaimTemplates entry.
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: layout.WORKSPACE_VOLUME },
    spec: dropUndefined({
      accessModes: ws.accessModes,
      storageClassName: ws.storageClassName,
      resources: { requests: { storage: ws.storage } },
    }),
  };
}

function isEmpty(v: unknown): boolean {
  return v === undefined || (Array.isArray(v) && v.length === 0)
    || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

