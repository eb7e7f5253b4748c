/**
 * Checks of run conditions, finally steps and results on the whole plan (the graph is complete only
 * at synthesis): each problem is one message that names the step and says how to fix it. Pure.
 * Internal: not part of the public API.
 */
import { Plan, ResultRef, StepPlan } from './plan';
import { envNameProblem, resultNameProblem } from './step-result';

/**
 * Everything wrong with the conditions and results of `plan`.
 * @param ownEnv per step, the names of the environment variables its container sets itself
 */
export function conditionProblems(plan: Plan, ownEnv: ReadonlyMap<string, readonly string[]> = new Map()): string[] {
  const byName = new Map(plan.steps.map(s => [s.name, s]));
  const finallySteps = plan.steps.filter(s => s.isFinally);
  const errors: string[] = [];
  if (finallySteps.length > 0 && finallySteps.length === plan.steps.length) {
    errors.push(`Finally step${finallySteps.length > 1 ? 's' : ''} ${finallySteps.map(s => `"${s.name}"`).join(', ')} `
      + 'would run after every other step, but there is none: add the work with addStep(), or make it a step');
  }
  for (const step of plan.steps) {
    if (step.isFinally && step.runIf.kind !== 'always') {
      errors.push(`Finally step "${step.name}" has runIf ${step.runIf.kind}: a finally step runs whatever happened `
        + '(RunIf.always()); leave runIf out, or add it with addStep() and a dependsOn');
    }
    for (const dep of step.dependsOn) {
      if (byName.get(dep)?.isFinally && !step.isFinally) {
        errors.push(`Step "${step.name}" depends on finally step "${dep}", which runs after every other step: `
          + `remove "${dep}" from its dependencies, or make "${dep}" an ordinary step`);
      }
    }
    for (const name of step.results) {
      const problem = resultNameProblem(name);
      if (problem) errors.push(`Step "${step.name}" declares result "${name}", an invalid name: ${problem}`);
    }
    const repeated = step.results.filter((name, i) => step.results.indexOf(name) !== i);
    for (const name of new Set(repeated)) errors.push(`Step "${step.name}" declares result "${name}" twice: declare it once`);
    errors.push(...readProblems(step, byName, ownEnv.get(step.name) ?? []));
  }
  return errors;
}

/** The results a step reads, with what reads them: its resultEnv entries and its condition. */
export function resultReads(step: StepPlan): Array<{ readonly by: string; readonly result: ResultRef }> {
  const reads = step.resultEnv.map(e => ({ by: `resultEnv ${e.env}`, result: e.result }));
  if (step.runIf.kind === 'resultIn' || step.runIf.kind === 'resultNotIn') {
    reads.push({ by: `runIf ${step.runIf.kind}`, result: step.runIf.result });
  }
  return reads;
}

function readProblems(step: StepPlan, byName: ReadonlyMap<string, StepPlan>, ownEnv: readonly string[]): string[] {
  const errors: string[] = [];
  for (const { by, result } of resultReads(step)) {
    const producer = byName.get(result.step);
    const what = `Step "${step.name}" reads result ${result.step}.${result.name} (${by})`;
    if (!producer) {
      errors.push(`${what}, but "${result.step}" is not a step of this pod: results pass only between steps of one pod`);
    } else if (!producer.results.includes(result.name)) {
      errors.push(`${what}, but "${result.step}" does not declare it (results: ${producer.results.join(', ') || 'none'}): `
        + `add "${result.name}" to its results`);
    } else if (producer.name === step.name) {
      errors.push(`${what}: a step cannot read its own result; read the file ${result.name} in its own command instead`);
    } else if (!dependsTransitively(step, producer.name, byName)) {
      errors.push(`${what}, but does not depend on "${producer.name}", directly or transitively, so the value may not `
        + `exist yet: add "${producer.name}" (or a step that depends on it) to its dependsOn`);
    }
  }
  const own = new Set(ownEnv);
  for (const { env } of step.resultEnv) {
    const problem = envNameProblem(env);
    if (problem) {
      errors.push(`Step "${step.name}": resultEnv name "${env}" cannot be used: ${problem}`);
    } else if (own.has(env)) {
      errors.push(`Step "${step.name}" sets ${env} in its env and in resultEnv: rename one of them`);
    }
  }
  return errors;
}

/** True when `producer` is reachable from `step` through dependsOn edges (cycles tolerated). */
function dependsTransitively(step: StepPlan, producer: string, byName: ReadonlyMap<string, StepPlan>): boolean {
  const seen = new Set<string>();
  const todo = [...step.dependsOn];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (name === producer) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    todo.push(...byName.get(name)?.dependsOn ?? []);
  }
  return false;
}
