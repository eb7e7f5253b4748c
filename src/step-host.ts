import { ApiObjectMetadataDefinition, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { IConstruct } from 'constructs';
import { Entrypoint } from './entrypoint';
import { noteEntrypoint } from './entrypoint-warning';
import { StepGraph } from './graph/step-graph';
import { LimitProblem } from './limit-problem';
import { Plan, StepPlan } from './plan';
import { checkLimits, limitProblems, PodObject } from './pod/limits';
import { AnyResourceRequirements, effectiveRequests, ResourceMode } from './pod/resources';
import { injectSteps } from './pod/transform';
import { rootProblems } from './pod/users';
import { volumeProblems } from './pod/volumes';
import { HostObjectKind, newContainerNameProblem, objectNameProblem, sidecarOptionsNameProblem } from './rules/names';
import { planProblems } from './rules/plan';
import { StepDraft, stepProblems } from './rules/step';
import { OnError, Step, StepOptions, StepResult } from './step';
import { graphAnnotation } from './wire/graph';
import * as layout from './wire/layout';

/**
 * How the pod's resource requests account for steps that never run at the same time.
 */
export enum ResourceStrategy {
  /**
   * Request what the steps can really use at once: per resource (cpu, memory, ephemeral-storage),
   * the largest total request of any set of steps that can run concurrently. Step requests are
   * rewritten so that their sum is that peak: the steps of one heaviest concurrent set keep
   * theirs, the others request an explicit `0`. Limits stay as given.
   */
  PEAK = 'peak',
  /** Leave every step's requests as given: the pod requests their sum, like a plain Pod. */
  SUM = 'sum',
  /**
   * Like `PEAK`, and also state the pod's cpu and memory requests in pod-level `spec.resources`
   * (Kubernetes 1.34 or later, feature PodLevelResources): the aggregate the API server requires,
   * i.e. the largest of the steps plus every sidecar and, for each initContainer in order (the
   * copy container and your own included), its request plus the sidecars started before it.
   */
  POD_LEVEL = 'pod-level',
}

const RESOURCE_MODES: Record<ResourceStrategy, ResourceMode> = {
  [ResourceStrategy.PEAK]: 'peak',
  [ResourceStrategy.SUM]: 'sum',
  [ResourceStrategy.POD_LEVEL]: 'pod-level',
};

/**
 * Properties shared by everything that hosts steps (`StepPod`, `StepJob`).
 */
export interface StepHostProps {
  /**
   * The image that provides the step wrapper binary.
   * @default Entrypoint.DEFAULT
   */
  readonly entrypoint?: Entrypoint;

  /**
   * After any step fails, start no step that has not started yet (they end `Aborted`).
   * Without it only the failed step's transitive dependents are skipped.
   * @default false
   */
  readonly failFast?: boolean;

  /**
   * Mount a shared emptyDir at `/workspace` in every step and sidecar, like Tekton's workspace.
   * @default true
   */
  readonly workspace?: boolean;

  /**
   * How the pod's resource requests account for steps that never run at the same time.
   * @default ResourceStrategy.PEAK
   */
  readonly resourceStrategy?: ResourceStrategy;

  /**
   * Refuse at synthesis a pod that breaks a Kubernetes limit (one exec argument, a container's
   * command line and environment, 256 KiB of annotations, 1.5 MiB of object with the status the
   * kubelet adds). Turn it off only for runners that never store the pod in etcd, such as
   * `podman kube play`.
   * @default true
   */
  readonly checkLimits?: boolean;
}

/**
 * Something that runs steps in dependency order: the step API shared by `StepPod`, `StepJob` and
 * `StepWorkflow`. Write a function of an `IStepHost` once; give it any of the three.
 */
export interface IStepHost extends IConstruct {
  /** The steps, in the order they were added. */
  readonly steps: Step[];

  /** The dependency graph of the steps as they are now (the same object until steps or edges change). */
  readonly graph: StepGraph;

  /**
   * Adds a step: a container that starts once all of `options.dependsOn` finished.
   * @param stepName the step's name, also its container's name (a DNS-1123 label)
   * @param options the container and its place in the graph
   */
  addStep(stepName: string, options: StepOptions): Step;

  /**
   * Adds a native sidecar: an initContainer with `restartPolicy: Always` that starts before the
   * steps, runs for the whole pod and does not hold up its completion (Kubernetes 1.29 or later).
   * An initContainer added with `addInitContainer({ restartPolicy: ALWAYS })` is a sidecar too.
   * @param sidecarName the sidecar's name, also its container's name (a DNS-1123 label)
   * @param options the container
   */
  addSidecar(sidecarName: string, options: kplus.ContainerProps): kplus.Container;

  /**
   * Adds a finally step: it runs after every step that is not a finally step (including steps
   * added later), whatever happened to them (`RunIf.always()`), e.g. to tear down or clean up.
   * @param stepName the step's name, also its container's name (a DNS-1123 label)
   * @param options the container; `dependsOn` must be left out, `runIf` can only be `RunIf.always()`
   */
  addFinally(stepName: string, options: StepOptions): Step;

  /**
   * The limits of Kubernetes (and, for a `StepWorkflow`, of Argo) that the object as it would be
   * synthesised now breaks, as data: empty when it fits. Never throws for a limit (synthesis
   * throws the first one as an error whose message starts with `StepLimitError: `); throws, like
   * synthesis, for steps that cannot be synthesised at all (a cycle, say). Measures also with
   * `checkLimits: false`.
   */
  limitProblems(): LimitProblem[];
}

/** The pod-like resources steps can live in (a Pod or a Job's pod template). */
type PodHost = kplus.AbstractPod & { readonly podMetadata: ApiObjectMetadataDefinition };

/**
 * The options of `StepOptions` that are not `kplus.ContainerProps`: what the host keeps for the step
 * and holds back from the container. A `Record` over exactly those keys, so a new `StepOptions`
 * field fails to compile until it is listed here (and cannot reach the container unnoticed).
 */
const STEP_ONLY: Record<Exclude<keyof StepOptions, keyof kplus.ContainerProps>, true> = {
  dependsOn: true,
  timeout: true,
  retries: true,
  onError: true,
  results: true,
  resultEnv: true,
  runIf: true,
  nodeSelector: true,
  tolerations: true,
};

/** `options` without the step-only ones: what `kplus.Container` gets. */
function containerProps(options: StepOptions): kplus.ContainerProps {
  const props = { ...options };
  for (const key of Object.keys(STEP_ONLY) as Array<keyof typeof STEP_ONLY>) delete props[key];
  return props;
}

/**
 * The one implementation behind `StepPod`, `StepJob` and `StepWorkflow`, built with its host like cdk8s-plus'
 * facets: keeps the steps, validates them, builds the plan once and hands the PodSpec and the
 * plan to the pure transformation at synthesis. Internal: not exported from the package.
 */
export class StepHost implements Omit<IStepHost, keyof IConstruct | 'limitProblems'> {
  private readonly stepList: Step[] = [];
  /** Names of the steps and sidecars (plain containers are checked at validation). */
  private readonly names = new Set<string>();
  private readonly entrypoint: Entrypoint;
  private readonly workspace: boolean;
  private readonly failFast: boolean;
  private readonly resourceStrategy: ResourceStrategy;
  private readonly checkLimits: boolean;
  /** Built on first use, dropped when a step or an edge is added. */
  private cached?: { plan: Plan; graph?: StepGraph; annotation?: string };

  /**
   * @param host the pod-like resource the steps live in
   * @param props the shared step props
   * @param podPerStep true when every step becomes its own pod (StepWorkflow): only then can a step
   *   be placed on a node of its own (`StepOptions.nodeSelector`/`tolerations`)
   */
  constructor(private readonly host: PodHost, props: StepHostProps, private readonly podPerStep = false) {
    this.entrypoint = props.entrypoint ?? Entrypoint.DEFAULT;
    // A pod whose entrypoint image is not published warns once per App (a Workflow runs no entrypoint image).
    if (!podPerStep) noteEntrypoint(host, this.entrypoint);
    this.workspace = props.workspace ?? true;
    this.failFast = props.failFast ?? false;
    this.resourceStrategy = props.resourceStrategy ?? ResourceStrategy.PEAK;
    this.checkLimits = props.checkLimits ?? true;
    host.node.addValidation({ validate: () => this.validate() });
    // The graph is only complete at synthesis: record it lazily.
    host.podMetadata.addAnnotation(layout.GRAPH_ANNOTATION,
      Lazy.any({ produce: () => this.annotation() }) as unknown as string);
  }

  public get steps(): Step[] {
    return [...this.stepList];
  }

  public get graph(): StepGraph {
    const cached = this.cache();
    cached.graph ??= StepGraph.fromNodes(this.stepList.map(s => ({
      name: s.name,
      dependsOn: s.dependencies.map(d => d.name),
      requests: effectiveRequests(kubeResources(s.container)),
    })));
    return cached.graph;
  }

  public addStep(stepName: string, options: StepOptions): Step {
    return this.add(stepName, options, false);
  }

  public addFinally(stepName: string, options: StepOptions): Step {
    return this.add(stepName, options, true);
  }

  private add(stepName: string, options: StepOptions, isFinally: boolean): Step {
    const nameProblem = newContainerNameProblem(stepName, 'Step', this.names);
    if (nameProblem) throw new Error(nameProblem);
    const problems = stepProblems(this.draft(stepName, options, isFinally), this.podPerStep ? undefined : this.host.constructor.name);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const container = new kplus.Container({ ...containerProps(options), name: stepName });
    const step = Step._create(this, stepName, container, options, () => this.cached = undefined,
      isFinally ? () => this.stepList.filter(s => !s.isFinally) : undefined);
    this.host.attachContainer(container);
    this.stepList.push(step);
    this.names.add(stepName);
    this.cached = undefined;
    return step;
  }

  /** The options as the rules read them (src/rules/step.ts). */
  private draft(name: string, options: StepOptions, isFinally: boolean): StepDraft {
    const foreign = (r: StepResult) => !this.stepList.includes(r.step);
    const runIf = options.runIf?._toPlan() ?? { kind: isFinally ? 'always' : 'allSucceeded' };
    return {
      name,
      containerName: options.name,
      command: options.command,
      args: options.args,
      placed: options.nodeSelector !== undefined || options.tolerations !== undefined,
      retries: options.retries ?? 0,
      timeoutMs: options.timeout?.toMilliseconds({ integral: false }),
      results: options.results ?? [],
      env: Object.keys(options.envVariables ?? {}),
      resultEnv: Object.entries(options.resultEnv ?? {}).map(([env, r]) => r instanceof StepResult
        ? { env, reads: `${r}`, foreign: foreign(r) }
        : { env, foreign: false }),
      runIf,
      runIfForeign: options.runIf?.result !== undefined && foreign(options.runIf.result),
      isFinally,
      dependsOnGiven: options.dependsOn !== undefined,
    };
  }

  public addSidecar(name: string, options: kplus.ContainerProps): kplus.Container {
    const problem = newContainerNameProblem(name, 'Sidecar', this.names) ?? sidecarOptionsNameProblem(name, options.name);
    if (problem) throw new Error(problem);
    const sidecar = this.host.addInitContainer({ ...options, name, restartPolicy: kplus.ContainerRestartPolicy.ALWAYS });
    this.names.add(name);
    return sidecar;
  }

  /**
   * Rewrites the PodSpec cdk8s-plus built. Throws instead of producing output for an invalid pod,
   * or (unless `checkLimits: false`) for one that breaks a limit.
   * @param finish what the host adds to the rewritten spec (e.g. `activeDeadlineSeconds`)
   */
  public transform(spec: kplus.k8s.PodSpec, finish: (s: kplus.k8s.PodSpec) => kplus.k8s.PodSpec = s => s): kplus.k8s.PodSpec {
    const result = finish(this.inject(spec));
    if (this.checkLimits) checkLimits(this.podObject(result));
    return result;
  }

  /** The limits the pod breaks (see `IStepHost.limitProblems()`), whatever `checkLimits` says. */
  public limitProblems(spec: kplus.k8s.PodSpec, finish: (s: kplus.k8s.PodSpec) => kplus.k8s.PodSpec = s => s): LimitProblem[] {
    return limitProblems(this.podObject(finish(this.inject(spec))));
  }

  private inject(spec: kplus.k8s.PodSpec): kplus.k8s.PodSpec {
    const errors = this.validate();
    if (errors.length > 0) throw new Error(`${this.host.node.path}: invalid steps:\n  ${errors.join('\n  ')}`);
    return injectSteps(spec, this.plan(), {
      entrypoint: {
        image: this.entrypoint.image,
        binaryPath: this.entrypoint.binaryPath,
        imagePullPolicy: this.entrypoint.imagePullPolicy,
      },
      resources: RESOURCE_MODES[this.resourceStrategy],
      // validate() built it from the same containers: PEAK need not build it again
      requestGraph: this.graph,
    });
  }

  /** The pod as the limits see it: the rewritten spec and the metadata it will carry. */
  private podObject(spec: kplus.k8s.PodSpec): PodObject {
    const plan = this.plan();
    const metadata = this.host.podMetadata.toJson();
    return {
      path: this.host.node.path,
      spec,
      annotations: { ...strings(metadata.annotations), [layout.GRAPH_ANNOTATION]: this.annotation() },
      labels: strings(metadata.labels),
      steps: new Set(plan.steps.map(s => s.name)),
      plan,
    };
  }

  /** Everything wrong with the pod, one message per problem (StepWorkflow reads it too). */
  public validate(): string[] {
    const errors: string[] = [];
    const kind = this.host.constructor.name;
    const nameProblem = objectNameProblem(this.host.name, this.objectKind());
    if (nameProblem) errors.push(`${kind} "${this.host.node.path}": metadata.name "${this.host.name}" ${nameProblem}`);
    if (this.stepList.length === 0) {
      errors.push(`${kind} "${this.host.node.path}" has no steps: add at least one with addStep()`);
    }
    if (this.host.restartPolicy !== kplus.RestartPolicy.NEVER) {
      errors.push(`${kind} "${this.host.node.path}" has restartPolicy ${this.host.restartPolicy}: steps need Never `
        + '(a finished step must never run again); leave restartPolicy out');
    }
    if (this.host.shareProcessNamespace) {
      errors.push(`${kind} "${this.host.node.path}" sets shareProcessNamespace: every step would see the others' processes, `
        + 'and any step could write another\'s completion record through /proc/<pid>/root and fake its completion. '
        + 'Leave shareProcessNamespace out (steps share files through /workspace)');
    }
    for (const c of this.host.containers) {
      if (!this.names.has(c.name)) {
        errors.push(`Container "${c.name}" was added with addContainer(): in a ${kind} every container is a step. `
          + 'Use addStep() for work that runs in order, or addSidecar() for a service that runs alongside');
      }
    }
    const all = [...this.host.initContainers, ...this.host.containers];
    const seen = new Set([layout.INIT_CONTAINER_NAME]);
    for (const c of all) {
      if (seen.has(c.name)) errors.push(`Container name "${c.name}" is used twice (steps, sidecars and initContainers share one namespace, and "${layout.INIT_CONTAINER_NAME}" is reserved)`);
      seen.add(c.name);
    }
    errors.push(...volumeProblems({
      steps: this.stepList.map(st => st.name),
      workspace: this.workspace,
      volumes: this.host.volumes.map(v => v.name),
      mounts: all.flatMap(c => c.mounts.map(m => ({ container: c.name, path: m.path, volume: m.volume.name }))),
    }));
    errors.push(...rootProblems(this.host.securityContext, all, this.names));
    errors.push(...planProblems(this.plan(),
      new Map(this.stepList.map(s => [s.name, Object.keys(s.container.env.variables)]))));
    try {
      this.graph.assertAcyclic();
    } catch (e) {
      errors.push((e as Error).message);
    }
    return errors;
  }

  /** The plan: built once, until a step or an edge is added (StepWorkflow reads it too). */
  public plan(): Plan {
    return this.cache().plan;
  }

  /** The kind of object the host writes, for its name rule (only a StepWorkflow runs a pod per step). */
  private objectKind(): HostObjectKind {
    return this.podPerStep ? 'Workflow' : this.host instanceof kplus.Job ? 'Job' : 'Pod';
  }

  /** The graph annotation of the plan: written once per plan (the annotation and the limit check read it). */
  private annotation(): string {
    const cached = this.cache();
    cached.annotation ??= graphAnnotation(cached.plan);
    return cached.annotation;
  }

  private cache(): { plan: Plan; graph?: StepGraph; annotation?: string } {
    this.cached ??= {
      plan: {
        steps: this.stepList.map(stepPlan),
        failFast: this.failFast,
        workspace: this.workspace,
      },
    };
    return this.cached;
  }
}

/** The plain string entries of a label or annotation map (our own lazy value is added separately). */
function strings(map: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([, v]) => typeof v === 'string'));
}

function stepPlan(step: Step): StepPlan {
  return {
    name: step.name,
    dependsOn: step.dependencies.map(d => d.name),
    timeoutMs: step.timeout?.toMilliseconds(),
    retries: step.retries,
    continueOnError: step.onError === OnError.CONTINUE,
    runIf: step.runIf._toPlan(),
    results: [...step.results],
    resultEnv: Object.entries(step.resultEnv).map(([env, r]) => ({ env, result: { step: r.step.name, name: r.name } })),
    isFinally: step.isFinally,
  };
}

/**
 * A container's requests and limits as cdk8s-plus will write them (cpu as given, memory in Mi,
 * ephemeral storage in Gi), read through its public `Container.resources` without building the
 * whole container: what `effectiveRequests` reads for the host's graph.
 */
function kubeResources(container: kplus.Container): AnyResourceRequirements {
  const r = container.resources;
  const quantities = (cpu?: kplus.Cpu, memory?: { toMebibytes(): number }, storage?: { toGibibytes(): number }) => ({
    ...cpu ? { cpu: cpu.amount } : {},
    ...memory ? { memory: `${memory.toMebibytes()}Mi` } : {},
    ...storage ? { 'ephemeral-storage': `${storage.toGibibytes()}Gi` } : {},
  });
  return {
    requests: quantities(r?.cpu?.request, r?.memory?.request, r?.ephemeralStorage?.request),
    limits: quantities(r?.cpu?.limit, r?.memory?.limit, r?.ephemeralStorage?.limit),
  };
}
