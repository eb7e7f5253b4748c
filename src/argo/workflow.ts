/**
 * The Argo target: the plan and the step containers in, one Argo `Workflow` (or
 * `WorkflowTemplate`) object out. Pure: no constructs, plain data. Internal.
 *
 * Every step is a DAG task running a container template (the container as declared: no wrapper,
 * no copy initContainer, no state volumes); steps of the same shape share one template
 * (src/argo/shapes.ts). Above 200 tasks, chains and groups of alike steps move into nested DAGs
 * (src/argo/nesting.ts). docs/argo.md has the mapping table and where Argo's behaviour differs
 * from a StepPod's.
 */
import { k8s } from 'cdk8s-plus-33';
import { Plan, ResultRef, StepPlan, resultReads } from '../plan';
import { DependsOperand, dependsExpression, resultValueExpression, whenExpression } from './depends';
import { MAX_DAG_TASKS } from './limits';
import { DagLayout, layoutDag } from './nesting';
import { CONTINUE_TEMPLATE, DAG_TEMPLATE, FINALLY_TEMPLATE, argoProblems, continueTask } from './rules';
import { StepTemplateRef, ValueFn, shareTemplates } from './shapes';
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
  /**
   * The most tasks one DAG may have before steps move into nested DAGs (Argo ≥ 4.0's CRDs: 200).
   * Tests lower it to exercise the nesting on small graphs, and raise it for the flat mapping.
   */
  readonly maxDagTasks?: number;
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
  const main = plan.steps.filter(s => !s.isFinally);
  const finals = plan.steps.filter(s => s.isFinally);
  const nonFinal = new Set(main.map(s => s.name));
  // Finally steps run in the exit handler, after the whole DAG: their dependencies on the other steps are implied.
  const inExitHandler = finals.map(s => ({ ...s, dependsOn: s.dependsOn.filter(d => !nonFinal.has(d)) }));
  const producers = readProducers(plan);

  const shapes = shareTemplates(plan.steps.map(step => ({
    step: step.name,
    render: (value, names) => stepTemplate(step, steps.get(step.name)!, options, producers, value, names),
    resultInputs: resultInputs(step).length,
  })), new Set([...plan.steps.map(s => s.name), DAG_TEMPLATE, FINALLY_TEMPLATE, CONTINUE_TEMPLATE]));
  const dagLayout = layoutDag(main, options.maxDagTasks ?? MAX_DAG_TASKS);
  const dags = [
    ...mainDags(main, dagLayout, shapes.byStep, plan.failFast),
    ...finals.length > 0 ? [flatDag(FINALLY_TEMPLATE, inExitHandler, shapes.byStep, false)] : [],
  ];
  const templates: any[] = [...dags];
  // A suspend node needs no pod; one second because Argo documents a duration, not a zero one.
  if (dags.some(d => d.dag.tasks.some((t: any) => t.template === CONTINUE_TEMPLATE))) {
    templates.push({ name: CONTINUE_TEMPLATE, suspend: { duration: '1' } });
  }
  templates.push(...shapes.templates);

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

/** What a task needs to refer to a step or a part in a `depends` expression. */
function operand(step: StepPlan): DependsOperand {
  return { name: step.name, continueOnError: step.continueOnError };
}

/** The result arguments of a step's task, each value an expression over the producer's task. */
function resultArguments(step: StepPlan, value: (ref: ResultRef) => string = ref => `{{=${resultValueExpression(ref)}}}`): any[] {
  return resultInputs(step).map(({ param, ref }) => ({ name: param, value: value(ref) }));
}

/** The task of a step: its template and values, its `depends` over `deps` and its `when`. */
function stepTask(step: StepPlan, deps: DependsOperand[], templates: ReadonlyMap<string, StepTemplateRef>, results: any[]): any {
  const ref = templates.get(step.name)!;
  const args = [...ref.arguments, ...results];
  return dropUndefined({
    name: step.name,
    template: ref.template,
    depends: dependsExpression(step.runIf.kind, deps),
    when: whenExpression(step),
    arguments: args.length > 0 ? { parameters: args } : undefined,
  });
}

/**
 * The join tasks of `steps`: a failed `onError: CONTINUE` step with no dependents would fail the
 * DAG (Argo decides a DAG's phase from its leaf tasks: dag.go, assessDAGPhase), and `continueOn`
 * cannot be used with `depends`; a no-pod join task that runs on its Succeeded/Failed/Errored makes
 * it a non-leaf.
 */
function joinTasks(steps: StepPlan[], dependedOn = new Set(steps.flatMap(s => s.dependsOn))): any[] {
  return steps.filter(s => s.continueOnError && !dependedOn.has(s.name)).map(s => ({
    name: continueTask(s.name),
    template: CONTINUE_TEMPLATE,
    depends: `(${s.name}.Succeeded || ${s.name}.Failed || ${s.name}.Errored)`,
  }));
}

/** A DAG template with one task per step (and the joins). Argo's default failFast is true; ours is false: always say which. */
function flatDag(name: string, steps: StepPlan[], templates: ReadonlyMap<string, StepTemplateRef>, failFast: boolean): any {
  const byName = new Map(steps.map(s => [s.name, s]));
  const tasks = steps.map(step => stepTask(step, step.dependsOn.map(d => operand(byName.get(d)!)), templates, resultArguments(step)));
  return { name, dag: { failFast, tasks: [...tasks, ...joinTasks(steps)] } };
}

/**
 * The entry DAG, and a DAG template per part (src/argo/nesting.ts). A step outside a part names
 * the part where it depended on steps inside it; a part's task depends on what its steps depend
 * on outside it; inside, the steps depend on each other as before. A result read inside a part
 * from a producer outside comes in as the part's input parameter.
 */
function mainDags(steps: StepPlan[], dagLayout: DagLayout, templates: ReadonlyMap<string, StepTemplateRef>, failFast: boolean): any[] {
  if (dagLayout.parts.length === 0) return [flatDag(DAG_TEMPLATE, steps, templates, failFast)];
  const byName = new Map(steps.map(s => [s.name, s]));
  // The task of the entry DAG each step is in: its own, or its part's (never CONTINUE).
  const entryOperand = (name: string): DependsOperand => {
    const part = dagLayout.partOf.get(name);
    return part ? { name: part.name, continueOnError: false } : operand(byName.get(name)!);
  };
  const unique = (ops: DependsOperand[]) => [...new Map(ops.map(o => [o.name, o])).values()];
  const entryTasks: any[] = [];
  const partDags: any[] = [];
  for (const entry of dagLayout.entries) {
    if ('step' in entry) {
      const step = byName.get(entry.step)!;
      entryTasks.push(stepTask(step, unique(step.dependsOn.map(entryOperand)), templates, resultArguments(step)));
      continue;
    }
    const part = entry.part;
    const members = new Set(part.steps);
    const memberSteps = part.steps.map(s => byName.get(s)!);
    const outside = unique(memberSteps.flatMap(s => s.dependsOn.filter(d => !members.has(d)).map(entryOperand)));
    // Results read inside from producers outside: the part's inputs, passed by its task.
    const inputs = new Map<string, { param: string; ref: ResultRef }>();
    const tasks = memberSteps.map(step => {
      const results = resultArguments(step, ref => {
        if (members.has(ref.step)) return `{{=${resultValueExpression(ref)}}}`;
        const key = `${ref.step}\u0000${ref.name}`;
        if (!inputs.has(key)) inputs.set(key, { param: `result-${inputs.size}`, ref });
        return `{{inputs.parameters.${inputs.get(key)!.param}}}`;
      });
      return stepTask(step, step.dependsOn.filter(d => members.has(d)).map(d => operand(byName.get(d)!)), templates, results);
    });
    // Inside the part the steps whose dependents are all outside are leaves: a failed CONTINUE one needs its join there.
    const inner = memberSteps.map(s => ({ ...s, dependsOn: s.dependsOn.filter(d => members.has(d)) }));
    const args = [...inputs.values()].map(({ param, ref }) => ({ name: param, value: `{{=${resultValueExpression(ref)}}}` }));
    entryTasks.push(dropUndefined({
      name: part.name,
      template: part.template,
      depends: dependsExpression('allSucceeded', outside),
      arguments: args.length > 0 ? { parameters: args } : undefined,
    }));
    partDags.push(dropUndefined({
      name: part.template,
      inputs: args.length > 0 ? { parameters: args.map(a => ({ name: a.name })) } : undefined,
      dag: { failFast, tasks: [...tasks, ...joinTasks(inner)] },
    }));
  }
  const entrySteps = dagLayout.entries.filter(e => 'step' in e).map(e => byName.get((e as { step: string }).step)!);
  // A CONTINUE step outside the parts needs a join only without any dependent (inside a part or not).
  entryTasks.push(...joinTasks(entrySteps, new Set(steps.flatMap(s => s.dependsOn))));
  return [{ name: DAG_TEMPLATE, dag: { failFast, tasks: entryTasks } }, ...partDags];
}

/**
 * The container template of one step: its container as declared, plus what the mapping adds.
 * `value` decides what each value position holds (src/argo/shapes.ts): the literal, or a
 * parameter of the template the step shares with steps of the same shape.
 */
function stepTemplate(step: StepPlan, input: ArgoStep, options: WorkflowOptions, producers: Set<string>,
  value: ValueFn, names: { readonly template: string; readonly container: string }): any {
  const mounts: k8s.VolumeMount[] = [];
  const env: k8s.EnvVar[] = [];
  const volumes = new Map<string, k8s.Volume>();
  for (const v of input.volumes ?? []) volumes.set(v.name, v);
  const results = step.results.length > 0 ? value('results', layout.resultsDir(step.name)) : undefined;
  if (options.workspace) mounts.push({ name: layout.WORKSPACE_VOLUME, mountPath: layout.WORKSPACE_PATH });
  if (results !== undefined) {
    volumes.set(RESULTS_VOLUME, { name: RESULTS_VOLUME, emptyDir: {} });
    mounts.push({ name: RESULTS_VOLUME, mountPath: results });
    env.push({ name: layout.RESULTS_ENV, value: results });
  }
  const inputs = resultInputs(step);
  for (const e of step.resultEnv) {
    const param = inputs.find(i => i.ref.step === e.result.step && i.ref.name === e.result.name)!.param;
    env.push({ name: e.env, value: `{{inputs.parameters.${param}}}` });
  }
  const c = input.container;
  const ownEnv = (c.env ?? []).map(e => (e.value !== undefined ? { ...e, value: value(`env-${e.name}`, e.value) } : e));
  // The same Pod Security Standard *restricted* defaults as a StepPod's steps (src/pod/transform.ts).
  const podSeccomp = Boolean((options.pod?.securityContext as k8s.PodSecurityContext | undefined)?.seccompProfile);
  const container = dropUndefined({
    ...c,
    name: names.container,
    image: c.image !== undefined ? value('image', c.image) : undefined,
    command: c.command?.map((x, i) => value(`command-${i}`, x)),
    args: c.args?.map((x, i) => value(`args-${i}`, x)),
    securityContext: restricted(c.securityContext, podSeccomp),
    env: [...ownEnv, ...env].length > 0 ? [...ownEnv, ...env] : undefined,
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
    name: names.template,
    inputs: inputs.length > 0 ? { parameters: inputs.map(i => ({ name: i.param })) } : undefined,
    outputs: results !== undefined ? {
      parameters: step.results.map(r => dropUndefined({
        name: r,
        // A CONTINUE producer's dependents run after its failure, when the file may be missing:
        // without a default Argo would turn the failure into an error (argo-workflows#13445).
        valueFrom: dropUndefined({ path: `${results}/${r}`, default: producers.has(step.name) && step.continueOnError ? '' : undefined }),
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
      limit: value('retries', step.retries),
      // Retry a command that failed (non-zero exit), not an Argo or pod error: as the wrapper does.
      retryPolicy: 'OnFailure',
      // The wrapper's backoff: 500 ms, doubling, at most 30 s.
      backoff: { duration: '500ms', factor: 2, cap: '30s' },
    } : undefined,
    // Per pod, so per attempt; Argo only takes whole seconds.
    activeDeadlineSeconds: timeoutSeconds !== undefined ? value('timeout', timeoutSeconds) : undefined,
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
    for (const { result } of resultReads(s)) names.add(result.step);
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

