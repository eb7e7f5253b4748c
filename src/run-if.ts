import type { RunIfPlan } from './plan';
import { StepResult } from './step-result';

/** The longest value a result can have (docs/contract.md): a longer one can never match. */
export const MAX_RESULT_BYTES = 4096;

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

  /** Short form for messages: `always`, `resultIn(build.channel, [stable, beta])`. */
  public toString(): string {
    const plan = this.plan;
    if (plan.kind === 'resultIn' || plan.kind === 'resultNotIn') {
      return `${plan.kind}(${plan.result.step}.${plan.result.name}, ${JSON.stringify(plan.values)})`;
    }
    return plan.kind;
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
 * What is wrong with a step's condition on its own (not its place in the graph), as messages
 * that name the step; empty when nothing is.
 */
export function runIfProblems(stepName: string, runIf: RunIf): string[] {
  const plan = runIf._toPlan();
  if (plan.kind !== 'resultIn' && plan.kind !== 'resultNotIn') return [];
  const what = `Step "${stepName}": runIf ${plan.kind}(${plan.result.step}.${plan.result.name})`;
  if (plan.values.length === 0) {
    return [`${what} has no values: give at least one value to compare the result with`];
  }
  const problems: string[] = [];
  for (const value of plan.values) {
    if (typeof value !== 'string') {
      problems.push(`${what}: values must be strings (got ${JSON.stringify(value)}); results are compared as text`);
    } else if (value.includes('\0')) {
      problems.push(`${what}: value ${JSON.stringify(value)} contains a NUL character, which no result can hold`);
    } else if (Buffer.byteLength(value, 'utf8') > MAX_RESULT_BYTES) {
      problems.push(`${what}: a value is ${Buffer.byteLength(value, 'utf8')} bytes long, but a result holds at most `
        + `${MAX_RESULT_BYTES} bytes, so it could never match: shorten it`);
    }
  }
  return problems;
}
