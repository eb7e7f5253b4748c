/**
 * Run conditions as Argo DAG `depends` and `when` expressions. Pure: plan in, strings out.
 *
 * Argo's task results (docs/enhanced-depends-logic.md): Succeeded, Failed (non-zero exit),
 * Errored (any other error), Skipped (`when` was false), Omitted (`depends` was false), Daemoned.
 * A bare task name means `(t.Succeeded || t.Skipped || t.Daemoned)`, which is not our rule, so
 * every operand here names its result. Argo evaluates a task's `depends` only once every task it
 * names is fulfilled, so "every dependency ended" needs no operand of its own.
 */
import { ResultCondition, ResultRef, RunIfPlan, StepPlan, unreachable } from '../plan';

/** Every result an ended task can have (Daemoned never applies: steps are not daemons). */
const ENDED = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted'];
/** Results that count as "done" for the dependents of an `onError: CONTINUE` step. */
const DONE_DESPITE_FAILURE = ['Succeeded', 'Failed', 'Errored'];
/**
 * Results that make an `anyFailed` step run: every way a dependency can end without succeeding.
 * Skipped is a `when` that was false (our condition skip); Omitted a `depends` that was false (a
 * failure or a condition skip upstream): the pod counts both as "did not succeed" too.
 */
const FAILED = ['Failed', 'Errored', 'Skipped', 'Omitted'];
/** The same for an `onError: CONTINUE` dependency, whose failure counts as success. */
const NOT_RUN = ['Skipped', 'Omitted'];

function anyOf(task: string, results: string[]): string {
  const ops = results.map(r => `${task}.${r}`);
  return ops.length === 1 ? ops[0] : `(${ops.join(' || ')})`;
}

/**
 * A task a `depends` expression names: a step, or a nested DAG ("part", never `onError:
 * CONTINUE`: it Succeeded exactly when every step in it counts as succeeded).
 */
export interface DependsOperand {
  readonly name: string;
  readonly continueOnError: boolean;
}

/** The operand "dependency `dep` lets an allSucceeded step run". */
function succeeded(dep: DependsOperand): string {
  return dep.continueOnError ? anyOf(dep.name, DONE_DESPITE_FAILURE) : anyOf(dep.name, ['Succeeded']);
}

/**
 * The `depends` expression of a task that runs on `runIf` over `deps`, or undefined without
 * dependencies. For a step in the entry DAG `deps` are its dependencies, with the nested DAG in
 * their place for those inside one; for a part, the tasks its steps depend on outside it.
 */
export function dependsExpression(runIf: RunIfPlan['kind'], deps: DependsOperand[]): string | undefined {
  if (deps.length === 0) return undefined;
  switch (runIf) {
    case 'always':
      return deps.map(d => anyOf(d.name, ENDED)).join(' && ');
    case 'anyFailed': {
      // Any dependency that did not succeed; every dependency is named, so Argo waits for all.
      const failing = deps.map(d => anyOf(d.name, d.continueOnError ? NOT_RUN : FAILED));
      return failing.length === 1 ? failing[0] : `(${failing.join(' || ')})`;
    }
    case 'allSucceeded':
    case 'resultIn':
    case 'resultNotIn':
      return deps.map(succeeded).join(' && ');
    default:
      return unreachable(runIf, 'run condition');
  }
}

/**
 * An expression (Argo `{{=…}}` syntax, expr-lang) for a result's value: the value when the
 * producer succeeded, otherwise the empty string (our rule: a result of a producer that did not
 * succeed is unset; Argo cannot leave an environment variable unset).
 */
export function resultValueExpression(ref: ResultRef): string {
  const task = `tasks[${quote(ref.step)}]`;
  return `${task}.status == 'Succeeded' ? ${task}.outputs.parameters[${quote(ref.name)}] : ''`;
}

/**
 * The task's `when`: the comparison of a `resultIn` / `resultNotIn` step, `false` for an
 * `anyFailed` step without dependencies (none of them failed: skipped by its condition, as in a
 * pod), otherwise undefined.
 */
export function whenExpression(step: StepPlan): string | undefined {
  const runIf = step.runIf;
  switch (runIf.kind) {
    case 'anyFailed':
      return step.dependsOn.length === 0 ? 'false' : undefined;
    case 'allSucceeded':
    case 'always':
      return undefined;
    case 'resultIn':
      return resultWhen(runIf, test => test);
    case 'resultNotIn':
      return resultWhen(runIf, test => `!(${test})`);
    default:
      return unreachable(runIf, 'run condition');
  }
}

/** The `when` of a condition on a result: `compare` turns "the value is one of the values" into the condition. */
function resultWhen(runIf: ResultCondition, compare: (inValues: string) => string): string {
  const task = `tasks[${quote(runIf.result.step)}]`;
  const value = `${task}.outputs.parameters[${quote(runIf.result.name)}]`;
  const test = `${value} in [${runIf.values.map(quote).join(', ')}]`;
  // An unset result (producer not Succeeded) makes every such condition false.
  return `{{=${task}.status == 'Succeeded' && ${compare(test)}}}`;
}

/** A string literal of Argo's expression language (expr-lang accepts JSON string syntax). */
function quote(s: string): string {
  return JSON.stringify(s);
}
