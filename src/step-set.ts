import { Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Entrypoint } from './entrypoint';
import { StepGraph } from './graph';
import * as layout from './layout';
import { OnError } from './on-error';
import { InjectionPlan, graphAnnotation, injectSteps, planGraph } from './pod-spec';
import { ResourceStrategy } from './resource-strategy';
import { Step, StepOptions } from './step';
import { StepWorkloadOptions } from './step-workload';

/** The pod-like resources steps can live in (a Pod or a Job's pod template). */
type Host = kplus.AbstractPod & { readonly podMetadata: { addAnnotation(key: string, value: string): void } };

/**
 * The one implementation behind `StepPod` and `StepJob`: keeps the steps and sidecars, validates
 * them, and hands the PodSpec to the pure transformation at synthesis. Internal.
 */
export class StepSet {
  private readonly stepList: Step[] = [];
  private readonly sidecarNames: string[] = [];
  /** Names of the steps and sidecars (plain containers are checked at validation). */
  private readonly names = new Set<string>();
  private readonly entrypoint: Entrypoint;
  private readonly workspace: boolean;
  private readonly failFast: boolean;
  private readonly resourceStrategy: ResourceStrategy;

  constructor(private readonly host: Host, options: StepWorkloadOptions) {
    this.entrypoint = options.entrypoint ?? Entrypoint.DEFAULT;
    this.workspace = options.workspace ?? true;
    this.failFast = options.failFast ?? false;
    this.resourceStrategy = options.resourceStrategy ?? ResourceStrategy.PEAK;
    host.node.addValidation({ validate: () => this.validate() });
    // The graph is only complete at synthesis: record it lazily.
    host.podMetadata.addAnnotation(layout.GRAPH_ANNOTATION,
      Lazy.any({ produce: () => graphAnnotation(this.plan().steps) }) as unknown as string);
  }

  public get steps(): Step[] {
    return [...this.stepList];
  }

  public get graph(): StepGraph {
    return planGraph(this.plan(), this.stepList.map(s => s.container._toKube()));
  }

  public addStep(stepName: string, options: StepOptions): Step {
    this.checkNewName(stepName, 'Step');
    if (options.name !== undefined && options.name !== stepName) {
      throw new Error(`Step "${stepName}": options.name is "${options.name}"; leave it out, the step name is the container name`);
    }
    if (!options.command || options.command.length === 0) {
      throw new Error(`Step "${stepName}" has no command. The entrypoint runs the command itself, and an image's `
        + 'ENTRYPOINT/CMD cannot be known at synth time: give it explicitly, e.g. command: [\'npm\', \'test\']');
    }
    const { dependsOn, timeout, retries, onError, ...containerProps } = options;
    const container = new kplus.Container({ ...containerProps, name: stepName });
    const step = Step._create(this, stepName, container, options); // validates before anything is added
    this.host.attachContainer(container);
    this.stepList.push(step);
    this.names.add(stepName);
    return step;
  }

  public addSidecar(name: string, options: kplus.ContainerProps): kplus.Container {
    this.checkNewName(name, 'Sidecar');
    if (options.name !== undefined && options.name !== name) {
      throw new Error(`Sidecar "${name}": options.name is "${options.name}"; leave it out, the sidecar name is the container name`);
    }
    const sidecar = this.host.addInitContainer({ ...options, name, restartPolicy: kplus.ContainerRestartPolicy.ALWAYS });
    this.sidecarNames.push(name);
    this.names.add(name);
    return sidecar;
  }

  /** Everything wrong with the pod, one message per problem. */
  public validate(): string[] {
    return this.problems(() => StepGraph.fromNodes(this.plan().steps));
  }

  /** Rewrites the PodSpec cdk8s-plus built. Throws instead of producing output for an invalid pod. */
  public transform(spec: kplus.k8s.PodSpec): kplus.k8s.PodSpec {
    const plan = this.plan();
    let graph: StepGraph | undefined;
    const errors = this.problems(() => graph = planGraph(plan, spec.containers));
    if (errors.length > 0) throw new Error(`${this.host.node.path}: invalid steps:\n  ${errors.join('\n  ')}`);
    return injectSteps(spec, plan, graph!);
  }

  /** The problems of the pod; `graph` builds the step graph, for the cycle check. */
  private problems(graph: () => StepGraph): string[] {
    const errors: string[] = [];
    const kind = this.host.constructor.name;
    if (this.stepList.length === 0) {
      errors.push(`${kind} "${this.host.node.path}" has no steps: add at least one with addStep()`);
    }
    if (this.host.restartPolicy !== kplus.RestartPolicy.NEVER) {
      errors.push(`${kind} "${this.host.node.path}" has restartPolicy ${this.host.restartPolicy}: steps need Never `
        + '(a finished step must never run again); leave restartPolicy out');
    }
    const stepNames = new Set(this.stepList.map(s => s.name));
    for (const c of this.host.containers) {
      if (!stepNames.has(c.name)) {
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
    const reservedVolumes = new Set([...layout.RESERVED_VOLUMES, ...this.stepList.map(s => layout.stateVolume(s.name))]);
    if (this.workspace) reservedVolumes.add(layout.WORKSPACE_VOLUME);
    const userVolumes = new Set([
      ...this.host.volumes.map(v => v.name),
      ...all.flatMap(c => c.mounts.map(m => m.volume.name)),
    ]);
    for (const name of userVolumes) {
      if (reservedVolumes.has(name)) {
        errors.push(`Volume "${name}" has a name the library reserves for its own volumes: rename it`
          + (name === layout.WORKSPACE_VOLUME ? ' (or set workspace: false)' : ''));
      }
    }
    for (const c of all) {
      for (const m of c.mounts) {
        if (layout.isReservedPath(m.path)) {
          errors.push(`Container "${c.name}" mounts a volume at ${m.path}, under ${layout.RESERVED_ROOT}/, which the library `
            + 'reserves for the entrypoint and step state: mount it elsewhere');
        } else if (this.workspace && m.path.replace(/\/+$/, '') === layout.WORKSPACE_PATH) {
          errors.push(`Container "${c.name}" mounts a volume at ${layout.WORKSPACE_PATH}, where the shared workspace goes: `
            + 'mount it elsewhere, or set workspace: false');
        }
      }
    }
    try {
      graph().assertAcyclic();
    } catch (e) {
      errors.push((e as Error).message);
    }
    return errors;
  }

  private plan(): InjectionPlan {
    return {
      steps: this.stepList.map(s => ({
        name: s.name,
        dependsOn: s.dependencies.map(d => d.name),
        timeout: s.timeout ? goDuration(s.timeout) : undefined,
        retries: s.retries,
        continueOnError: s.onError === OnError.CONTINUE,
      })),
      sidecars: [...this.sidecarNames],
      entrypoint: {
        image: this.entrypoint.image,
        binaryPath: this.entrypoint.binaryPath,
        imagePullPolicy: this.entrypoint.imagePullPolicy,
      },
      failFast: this.failFast,
      workspace: this.workspace,
      resourceStrategy: this.resourceStrategy,
    };
  }

  private checkNewName(name: string, what: 'Step' | 'Sidecar'): void {
    const problem = layout.dnsLabelProblem(name);
    if (problem) {
      throw new Error(`${what} name "${name}" is not a valid container name (a DNS-1123 label): ${problem}`);
    }
    if (name === layout.INIT_CONTAINER_NAME) {
      throw new Error(`${what} name "${name}" is reserved for the injected copy container: choose another`);
    }
    if (this.names.has(name)) {
      throw new Error(`Cannot add ${what.toLowerCase()} "${name}": a step or sidecar with that name already exists`);
    }
  }
}

/** A cdk8s Duration as a Go duration string ("90s", "1500ms"). */
function goDuration(d: Duration): string {
  const ms = d.toMilliseconds();
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
