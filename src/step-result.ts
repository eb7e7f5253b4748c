import { stateDir } from './pod/layout';
import type { Step } from './step';

/** The longest result name: a short file name, and few bytes in every record that carries it. */
export const MAX_RESULT_NAME = 63;

const RESULT_NAME = /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Environment variables the wrapper sets itself (`CDK8S_STEPS_RESULTS`, ...). */
export const RESERVED_ENV_PREFIX = 'CDK8S_STEPS_';

/** Returns why `name` is not a valid result name, or undefined when it is one. */
export function resultNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_RESULT_NAME) return `it is ${name.length} characters long (at most ${MAX_RESULT_NAME})`;
  if (!RESULT_NAME.test(name)) {
    return 'it must consist of lower-case letters, digits, "-" and "_", and start and end with a letter or digit';
  }
  return undefined;
}

/**
 * Returns why `name` cannot be set from a result, or undefined when it can: a portable environment
 * variable name (what a shell can read as `$NAME`), not one the wrapper sets itself.
 */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) {
    return 'an environment variable name must consist of letters, digits and "_", and not start with a digit';
  }
  if (name.startsWith(RESERVED_ENV_PREFIX)) {
    return `names starting with ${RESERVED_ENV_PREFIX} are set by the step wrapper`;
  }
  return undefined;
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

/** The directory a step's command writes its results to (`CDK8S_STEPS_RESULTS`). */
export function resultsDir(step: string): string {
  return `${stateDir(step)}/results`;
}
