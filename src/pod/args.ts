/**
 * The wire to the entrypoint binary: the arguments of a step container and the graph annotation,
 * as docs/contract.md describes them. Pure. Internal: not part of the public API.
 */
import * as layout from './layout';
import { Plan, StepPlan } from '../plan';

/** A duration in milliseconds as a Go duration string ("90s", "1500ms"). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The wrapper's arguments for one step (see docs/contract.md). */
export function wrapperArgs(step: StepPlan, plan: Plan, command: string[], args: string[]): string[] {
  const flags = [`-step_name=${step.name}`];
  if (step.dependsOn.length > 0) flags.push(`-wait_file=${step.dependsOn.map(layout.postFile).join(',')}`);
  flags.push(`-post_file=${layout.postFile(step.name)}`, `-termination_path=${layout.reportFile(step.name)}`);
  if (step.timeoutMs !== undefined) flags.push(`-timeout=${goDuration(step.timeoutMs)}`);
  if (step.retries > 0) flags.push(`-retries=${step.retries}`);
  if (step.continueOnError) flags.push('-on_error=continue');
  if (plan.failFast) flags.push(`-abort_file=${layout.ABORT_FILE}`);
  return [...flags, `-entrypoint=${command[0]}`, '--', ...command.slice(1), ...args];
}

/** The JSON recorded in the graph annotation: step -> direct dependencies, in declaration order. */
export function graphAnnotation(plan: Plan): string {
  return JSON.stringify(Object.fromEntries(plan.steps.map(s => [s.name, s.dependsOn])));
}
