/**
 * Run conditions as Argo DAG `depends` and `when` expressions. Pure: plan in, strings out.
 *
 * Argo's task results (docs/enhanced-depends-logic.md): Succeeded, Failed (non-zero exit),
 * Errored (any other error), Skipped (`when` was false), Omitted (`depends` was false), Daemoned.
 * A bare task name means `(t.Succeeded || t.Skipped || t.Daemoned)`, which is not our rule, so
 * every operand here names its result. Argo evaluates a task's `depends` only once every task it
 * names is fulfilled, so "every dependency ended" needs no operand of its own.
 */
import { ResultRef, StepPlan } from '../plan';

/** Every result an ended task can have (Daemoned never applies: steps are not daemons). */
const ENDED = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted'];
/** Results that count as "done" for the dependents of an `onError: CONTINUE` step. */
const DONE_DESPITE_FAILURE = ['Succeeded', 'Failed', 'Errored'];
/**
 * Results that count as a failure for `anyFailed`: Omitted is a dependency that did not run
 * because one of its own dependencies failed (Argo cannot tell that apart from an omission caused
 * by a false condition upstream; docs/argo.md says so).
 */
const FAILED = ['Failed', 'Errored', 'Omitted'];

function anyOf(task: string, results: string[]): string {
  const ops = results.map(r => `${task}.${r}`);
  return ops.length === 1 ? ops[0] : `(${ops.join(' || ')})`;
}

/** The operand "dependency `dep` lets an allSucceeded step run". */
function succeeded(dep: StepPlan): string {
  return dep.continueOnError ? anyOf(dep.name, DONE_DESPITE_FAILURE) : anyOf(dep.name, ['Succeeded']);
}

/**
 * The `depends` expression of a step, or undefined for a step without dependencies.
 * @param byName every step of the plan, to read each dependency's `onError`
 */
export function dependsExpression(step: StepPlan, byName: ReadonlyMap<string, StepPlan>): string | undefined {
  const deps = step.dependsOn.map(d => byName.get(d)!);
  if (deps.length === 0) return undefined;
  switch (step.runIf.kind) {
    case 'always':
      return deps.map(d => anyOf(d.name, ENDED)).join(' && ');
    case 'anyFailed': {
      // Only dependencies whose failure counts can make it run; with none, `when` skips it. The
      // CONTINUE ones are named too (always true once ended), so that Argo waits for them.
      const failing = deps.filter(d => !d.continueOnError).map(d => anyOf(d.name, FAILED));
      const waited = deps.filter(d => d.continueOnError).map(d => anyOf(d.name, ENDED));
      if (failing.length === 0) return waited.join(' && ');
      return [failing.length === 1 ? failing[0] : `(${failing.join(' || ')})`, ...waited].join(' && ');
    }
    default:
      return deps.map(succeeded).join(' && ');
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
 * `anyFailed` step whose dependencies all have `onError: CONTINUE` (their failures count as
 * success, so it is skipped by its condition, as in a pod), otherwise undefined.
 */
export function whenExpression(step: StepPlan, byName: ReadonlyMap<string, StepPlan>): string | undefined {
  const runIf = step.runIf;
  // (also one without dependencies: none of them failed)
  if (runIf.kind === 'anyFailed' && step.dependsOn.every(d => byName.get(d)!.continueOnError)) return 'false';
  if (runIf.kind !== 'resultIn' && runIf.kind !== 'resultNotIn') return undefined;
  const task = `tasks[${quote(runIf.result.step)}]`;
  const value = `${task}.outputs.parameters[${quote(runIf.result.name)}]`;
  const test = `${value} in [${runIf.values.map(quote).join(', ')}]`;
  // An unset result (producer not Succeeded) makes both conditions false.
  return `{{=${task}.status == 'Succeeded' && ${runIf.kind === 'resultIn' ? test : `!(${test})`}}}`;
}

/** A string literal of Argo's expression language (expr-lang accepts JSON string syntax). */
function quote(s: string): string {
  return JSON.stringify(s);
}
