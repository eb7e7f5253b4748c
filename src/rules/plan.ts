/**
 * The rules that need the whole graph, checked at synthesis (the graph is complete only then):
 * finally steps, the results a step reads, and what a step's container may have gained since
 * `addStep()`. Pure: the plan in, one message per problem out, each naming the step and saying how
 * to fix it. Internal: not part of the public API.
 */
import { reservedEnvProblems, resultEnvProblems } from './step';
import { Plan, StepPlan, resultReads } from '../plan';

/**
 * Everything wrong with the steps of `plan` as a graph.
 * @param ownEnv per step, the names of the environment variables its container sets itself now
 */
export function planProblems(plan: Plan, ownEnv: ReadonlyMap<string, readonly string[]> = new Map()): string[] {
  const byName = new Map(plan.steps.map(s => [s.name, s]));
  const finallySteps = plan.steps.filter(s => s.isFinally);
  const errors: string[] = [];
  if (finallySteps.length > 0 && finallySteps.length === plan.steps.length) {
    errors.push(`Finally step${finallySteps.length > 1 ? 's' : ''} ${finallySteps.map(s => `"${s.name}"`).join(', ')} `
      + 'would run after every other step, but there is none: add the work with addStep(), or make it a step');
  }
  for (const step of plan.steps) {
    for (const dep of step.dependsOn) {
      if (byName.get(dep)?.isFinally && !step.isFinally) {
        errors.push(`Step "${step.name}" depends on finally step "${dep}", which runs after every other step: `
          + `remove "${dep}" from its dependencies, or make "${dep}" an ordinary step`);
      }
    }
    errors.push(...readProblems(step, byName));
    // the container's env may have changed since addStep() (container.env.addVariable())
    const env = ownEnv.get(step.name) ?? [];
    errors.push(...reservedEnvProblems(step.name, env));
    errors.push(...resultEnvProblems(step.name, step.resultEnv.map(e => e.env), env));
  }
  return errors;
}

/** The results a step reads that it cannot: not a step of the pod, not declared, its own, not waited for. */
function readProblems(step: StepPlan, byName: ReadonlyMap<string, StepPlan>): string[] {
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
