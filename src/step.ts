import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { RunIf, runIfProblems } from './run-if';
import { StepResult, envNameProblem, resultNameProblem } from './step-result';

/** The most retries a step can have: with the backoff capped at 30 s, about 8 hours of waiting. */
const MAX_RETRIES = 1000;

/** The longest timeout: Go's time.Duration counts nanoseconds in an int64 (about 292 years). */
const MAX_TIMEOUT_MS = 9_223_372_036_854;

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
 * Where one step's pod may be scheduled. Only a `StepWorkflow` runs each step in its own pod: a
 * `StepPod` or `StepJob` refuses a step that sets these (all of its steps share the pod's node;
 * place the whole pod with its `scheduling` instead).
 */
export interface StepPlacement {
  /**
   * Node labels the step's pod requires (Argo template `nodeSelector`).
   * @default - no node selector
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the step's pod tolerates (Argo template `tolerations`).
   * @default - none
   */
  readonly tolerations?: kplus.NodeTaintQuery[];
}

/**
 * Options of one step: a container, plus where it sits in the graph, how it fails and (in a
 * `StepWorkflow`) where its pod is scheduled.
 */
export interface StepOptions extends kplus.ContainerProps, StepPlacement {
  /**
   * Steps that must finish before this one starts. More can be added later with
   * `Step.addDependency()`.
   * @default - none: the step starts as soon as the pod does
   */
  readonly dependsOn?: Step[];

  /**
   * Time limit for one attempt of the command, a whole number of milliseconds (at most about 292
   * years). When it runs out, the command's process group gets SIGTERM, then SIGKILL after a grace
   * period, and the step ends `TimedOut`.
   * @default - no time limit
   */
  readonly timeout?: Duration;

  /**
   * Extra attempts after a failed one (0 = run once, at most 1000). The entrypoint waits between
   * attempts with a doubling backoff (see the entrypoint's README).
   * @default 0
   */
  readonly retries?: number;

  /**
   * What a failure of this step means for its dependents.
   * @default OnError.STOP
   */
  readonly onError?: OnError;

  /**
   * Names of the results this step's command writes (small values, at most 4 096 bytes each), each
   * to a file in the directory `$CDK8S_STEPS_RESULTS`; `Step.result(name)` refers to one. A
   * declared result that is missing after the command succeeded fails the step.
   * Names match `[a-z0-9]([-a-z0-9_]*[a-z0-9])?` (at most 63 characters).
   * @default - no results
   */
  readonly results?: string[];

  /**
   * Environment variables set from other steps' results when the command starts (the wrapper sets
   * them: no shell, no rewriting of arguments). A result of a step that did not succeed leaves its
   * variable unset. The step must depend on each producer, directly or transitively; it also waits
   * for the producer to end and gets a read-only view of its results.
   * @default - none
   */
  readonly resultEnv?: { [envName: string]: StepResult };

  /**
   * When the step runs, once its dependencies have ended.
   * @default RunIf.allSucceeded()
   */
  readonly runIf?: RunIf;
}

/**
 * A step of a `StepPod` or `StepJob`: a container that starts when all of its dependencies finished.
 * Create steps with `addStep()`.
 */
export class Step {
  /** @internal */
  public static _create(owner: object, name: string, container: kplus.Container, options: StepOptions,
    onEdgesChanged: () => void, finallyDeps?: () => Step[]): Step {
    return new Step(owner, name, container, options, onEdgesChanged, finallyDeps);
  }

  /** Attempts after a failed one. */
  public readonly retries: number;
  /** What a failure means for dependents. */
  public readonly onError: OnError;
  /** Time limit for one attempt, if any. */
  public readonly timeout?: Duration;
  /** When the step runs, once its dependencies have ended. */
  public readonly runIf: RunIf;
  /** Names of the results the step declares, in declaration order. */
  public readonly results: string[];
  /** Environment variables set from other steps' results at start. */
  public readonly resultEnv: { [envName: string]: StepResult };
  /** True for a step added with `addFinally()`: it runs after every other step, whatever happened. */
  public readonly isFinally: boolean;
  /** Where the step's pod may be scheduled (`StepWorkflow` only). */
  public readonly placement: StepPlacement;

  private readonly deps: Step[] = [];

  private constructor(
    private readonly owner: object,
    /** The step's name, which is also its container's name. */
    public readonly name: string,
    /** The step's container, as cdk8s-plus builds it (before the entrypoint wraps its command). */
    public readonly container: kplus.Container,
    options: StepOptions,
    private readonly onEdgesChanged: () => void,
    /** For a finally step: the steps it waits for (every step that is not a finally step). */
    private readonly finallyDeps?: () => Step[],
  ) {
    const retries = options.retries ?? 0;
    if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
      throw new Error(`Step "${name}": retries must be a whole number from 0 to ${MAX_RETRIES} (got ${retries})`);
    }
    if (options.timeout) {
      const ms = options.timeout.toMilliseconds({ integral: false });
      if (!(ms > 0)) throw new Error(`Step "${name}": timeout must be longer than zero; leave it out for no time limit`);
      if (!Number.isInteger(ms) || ms > MAX_TIMEOUT_MS) {
        throw new Error(`Step "${name}": timeout must be a whole number of milliseconds up to ${MAX_TIMEOUT_MS} `
          + `(about 292 years, the wrapper's longest duration); got ${ms} ms`);
      }
    }
    this.retries = retries;
    this.timeout = options.timeout;
    this.onError = options.onError ?? OnError.STOP;
    this.isFinally = finallyDeps !== undefined;
    this.runIf = options.runIf ?? (this.isFinally ? RunIf.always() : RunIf.allSucceeded());
    this.results = [...options.results ?? []];
    this.resultEnv = { ...options.resultEnv };
    this.placement = {
      ...options.nodeSelector ? { nodeSelector: { ...options.nodeSelector } } : {},
      ...options.tolerations ? { tolerations: [...options.tolerations] } : {},
    };
    this.checkConditionsAndResults(container);
    this.addDependency(...options.dependsOn ?? []);
  }

  /**
   * The steps this one waits for, in the order they were added. For a finally step: every step
   * that is not a finally step, as the pod has them now.
   */
  public get dependencies(): Step[] {
    return this.finallyDeps ? this.finallyDeps() : [...this.deps];
  }

  /**
   * A result this step declares (`StepOptions.results`), to pass to a later step through
   * `resultEnv` or `RunIf.resultIn()`. Throws for a name the step does not declare.
   * @param name the result's name
   */
  public result(name: string): StepResult {
    if (!this.results.includes(name)) {
      throw new Error(`Step "${this.name}" has no result "${name}" (it declares ${this.results.length > 0
        ? this.results.map(r => `"${r}"`).join(', ') : 'none'}): add "${name}" to its results`);
    }
    return StepResult._create(this, name);
  }

  /**
   * Makes this step wait for more steps. Edges may be added in any order until synthesis;
   * cycles are reported then.
   */
  public addDependency(...steps: Step[]): void {
    if (this.isFinally && steps.length > 0) {
      throw new Error(`Step "${this.name}" is a finally step: it already waits for every other step; `
        + 'leave its dependencies out');
    }
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

  /** Throws, naming this step, for results, resultEnv or runIf that can never work. */
  private checkConditionsAndResults(container: kplus.Container): void {
    const problems: string[] = [];
    for (const [i, name] of this.results.entries()) {
      const problem = resultNameProblem(name);
      if (problem) problems.push(`result name "${name}" is invalid: ${problem}`);
      else if (this.results.indexOf(name) !== i) problems.push(`result "${name}" is declared twice`);
    }
    const ownEnv = new Set(Object.keys(container.env.variables));
    for (const [env, result] of Object.entries(this.resultEnv)) {
      const problem = envNameProblem(env);
      if (problem) problems.push(`resultEnv name "${env}" cannot be used: ${problem}`);
      else if (ownEnv.has(env)) problems.push(`${env} is set both in env and in resultEnv: rename one of them`);
      if (!(result instanceof StepResult)) {
        problems.push(`resultEnv ${env} is not a StepResult: get one with step.result(name)`);
      } else if (result.step.owner !== this.owner) {
        problems.push(`resultEnv ${env} reads ${result}, a result of a step of another pod: results pass only `
          + 'between steps of one pod');
      }
    }
    const read = this.runIf.result;
    if (read && read.step.owner !== this.owner) {
      problems.push(`runIf reads ${read}, a result of a step of another pod: results pass only between steps of one pod`);
    }
    if (this.isFinally && this.runIf._toPlan().kind !== 'always') {
      problems.push(`a finally step runs whatever happened, so its runIf can only be RunIf.always() (got ${this.runIf}): `
        + 'leave runIf out, or add the step with addStep() and a dependsOn');
    }
    const runIf = runIfProblems(this.name, this.runIf);
    if (problems.length + runIf.length > 0) {
      throw new Error([...problems.map(p => `Step "${this.name}": ${p}`), ...runIf].join('\n'));
    }
  }
}
