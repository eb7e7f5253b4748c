/**
 * A step, the results it declares and the conditions it runs under: the step API of every host.
 * One file because the three types refer to each other (a `Step` has a `RunIf`, a `RunIf` reads a
 * `StepResult`, a `StepResult` belongs to a `Step`): split, they would import each other in a
 * cycle. The rules on their options are in src/rules/, pure; the host checks them before a step
 * exists.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { RunIfPlan, runIfText } from './plan';
import { dependencyProblem, undeclaredResultProblem } from './rules/step';
import { resultsDir } from './wire/layout';

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
    this.retries = options.retries ?? 0;
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
    const problem = undeclaredResultProblem(this.name, name, this.results);
    if (problem) throw new Error(problem);
    return StepResult._create(this, name);
  }

  /**
   * Makes this step wait for more steps. Edges may be added in any order until synthesis;
   * cycles are reported then.
   */
  public addDependency(...steps: Step[]): void {
    for (const dep of steps) {
      const problem = dependencyProblem(this, dep.name, { self: dep === this, foreign: dep.owner !== this.owner });
      if (problem) throw new Error(problem);
      if (!this.deps.includes(dep)) {
        this.deps.push(dep);
        this.onEdgesChanged();
      }
    }
  }
}

/**
 * When a step runs, once its dependencies have ended (`StepOptions.runIf`).
 *
 * A step skipped because its condition is false ends `Skipped` with exit 0: a condition never
 * fails the run. See docs/contract.md for the full precedence table.
 */
export class RunIf {
  /**
   * Run when every dependency succeeded (a failure under `OnError.CONTINUE` counts as succeeded);
   * otherwise the step is skipped. The default.
   */
  public static allSucceeded(): RunIf {
    return new RunIf({ kind: 'allSucceeded' });
  }

  /**
   * Run once every dependency has ended, whatever happened to it (succeeded, failed, skipped, timed
   * out, lost, aborted). Not stopped by `failFast`: for clean-up and uploads.
   */
  public static always(): RunIf {
    return new RunIf({ kind: 'always' });
  }

  /**
   * Run once every dependency has ended and at least one of them did not succeed (failed, timed
   * out, lost, aborted, skipped because of a failure, or skipped by its condition); otherwise the
   * step is skipped (exit 0). A failure under `OnError.CONTINUE` counts as succeeded. Not stopped
   * by `failFast`: for notifications.
   */
  public static anyFailed(): RunIf {
    return new RunIf({ kind: 'anyFailed' });
  }

  /**
   * Run when every dependency succeeded and `result` is one of `values` (compared verbatim);
   * otherwise the step is skipped (exit 0). A result of a step that did not succeed is unset, and
   * an unset result is in no list. The step also waits for the result's producer.
   * @param result the result to compare, from `Step.result(name)`
   * @param values the values that let the step run: at least one
   */
  public static resultIn(result: StepResult, values: string[]): RunIf {
    return new RunIf({ kind: 'resultIn', result: ref(result), values: [...values] }, result);
  }

  /**
   * Run when every dependency succeeded and `result` is set and none of `values` (compared
   * verbatim); otherwise the step is skipped (exit 0). An unset result makes the condition false
   * too. The step also waits for the result's producer.
   * @param result the result to compare, from `Step.result(name)`
   * @param values the values that keep the step from running: at least one
   */
  public static resultNotIn(result: StepResult, values: string[]): RunIf {
    return new RunIf({ kind: 'resultNotIn', result: ref(result), values: [...values] }, result);
  }

  private constructor(private readonly plan: RunIfPlan, private readonly compared?: StepResult) {}

  /** The result the condition reads, if any. */
  public get result(): StepResult | undefined {
    return this.compared;
  }

  /** Short form for messages: `always`, `resultIn(build.channel, ["stable","beta"])`. */
  public toString(): string {
    return runIfText(this.plan);
  }

  /** @internal */
  public _toPlan(): RunIfPlan {
    return this.plan;
  }
}

function ref(result: StepResult) {
  return { step: result.step.name, name: result.name };
}

/**
 * A result a step declares (`StepOptions.results`): a small value its command writes to a file,
 * which later steps read through `StepOptions.resultEnv` or a `RunIf.resultIn()` condition.
 * Get one with `Step.result(name)`.
 */
export class StepResult {
  /** @internal */
  public static _create(step: Step, name: string): StepResult {
    return new StepResult(step, name);
  }

  /**
   * The file the step's command writes the value to (one trailing newline is trimmed), known at
   * synthesis: `/cdk8s-steps/steps/<step>/results/<name>`. The directory is also in the step's
   * environment as `CDK8S_STEPS_RESULTS`.
   */
  public readonly path: string;

  private constructor(
    /** The step that declares and writes the result. */
    public readonly step: Step,
    /** The result's name, as declared in `StepOptions.results`. */
    public readonly name: string,
  ) {
    this.path = `${resultsDir(step.name)}/${name}`;
  }

  /** `<step>.<name>`, as the wire and the messages write it. */
  public toString(): string {
    return `${this.step.name}.${this.name}`;
  }
}
