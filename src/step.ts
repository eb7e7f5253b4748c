import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';

/**
 * What a failed step means for the steps that depend on it.
 */
export enum OnError {
  /** The step fails: its transitive dependents are skipped (and, with `failFast`, nothing new starts). */
  STOP = 'stop',
  /** The failure is recorded in the step report, but the step counts as done: dependents still run. */
  CONTINUE = 'continue',
}

/**
 * Options of one step: a container, plus where it sits in the graph and how it fails.
 */
export interface StepOptions extends kplus.ContainerProps {
  /**
   * Steps that must finish before this one starts. More can be added later with
   * `Step.addDependency()`.
   * @default - none: the step starts as soon as the pod does
   */
  readonly dependsOn?: Step[];

  /**
   * Time limit for one attempt of the command. When it runs out, the command's process group gets
   * SIGTERM, then SIGKILL after a grace period, and the step ends `TimedOut`.
   * @default - no time limit
   */
  readonly timeout?: Duration;

  /**
   * Extra attempts after a failed one (0 = run once). The entrypoint waits between attempts with
   * a doubling backoff (see the entrypoint's README).
   * @default 0
   */
  readonly retries?: number;

  /**
   * What a failure of this step means for its dependents.
   * @default OnError.STOP
   */
  readonly onError?: OnError;
}

/**
 * A step of a `StepPod` or `StepJob`: a container that starts when all of its dependencies finished.
 * Create steps with `addStep()`.
 */
export class Step {
  /** @internal */
  public static _create(owner: object, name: string, container: kplus.Container, options: StepOptions,
    onEdgesChanged: () => void): Step {
    return new Step(owner, name, container, options, onEdgesChanged);
  }

  /** Attempts after a failed one. */
  public readonly retries: number;
  /** What a failure means for dependents. */
  public readonly onError: OnError;
  /** Time limit for one attempt, if any. */
  public readonly timeout?: Duration;

  private readonly deps: Step[] = [];

  private constructor(
    private readonly owner: object,
    /** The step's name, which is also its container's name. */
    public readonly name: string,
    /** The step's container, as cdk8s-plus builds it (before the entrypoint wraps its command). */
    public readonly container: kplus.Container,
    options: StepOptions,
    private readonly onEdgesChanged: () => void,
  ) {
    const retries = options.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0) {
      throw new Error(`Step "${name}": retries must be a whole number of 0 or more (got ${retries})`);
    }
    if (options.timeout && options.timeout.toMilliseconds() <= 0) {
      throw new Error(`Step "${name}": timeout must be longer than zero; leave it out for no time limit`);
    }
    this.retries = retries;
    this.timeout = options.timeout;
    this.onError = options.onError ?? OnError.STOP;
    this.addDependency(...options.dependsOn ?? []);
  }

  /** The steps this one waits for, in the order they were added. */
  public get dependencies(): Step[] {
    return [...this.deps];
  }

  /**
   * Makes this step wait for more steps. Edges may be added in any order until synthesis;
   * cycles are reported then.
   */
  public addDependency(...steps: Step[]): void {
    for (const dep of steps) {
      if (dep === this) {
        throw new Error(`Step "${this.name}" cannot depend on itself: remove it from its own dependencies`);
      }
      if (dep.owner !== this.owner) {
        throw new Error(`Step "${this.name}" cannot depend on "${dep.name}": "${dep.name}" belongs to another pod, `
          + 'and steps only wait for steps of their own pod');
      }
      if (!this.deps.includes(dep)) {
        this.deps.push(dep);
        this.onEdgesChanged();
      }
    }
  }
}
