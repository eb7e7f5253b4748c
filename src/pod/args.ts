/**
 * The wire to the entrypoint binary: the arguments of a step container and the graph annotation,
 * exactly as docs/contract.md (version 2) describes them. Pure. Internal: not part of the public API.
 */
import { Plan, StepPlan, resultProducers } from '../plan';

/** The version of docs/contract.md this library speaks: the first argument of every step. */
export const CONTRACT_VERSION = 2;

/** The format version of the graph annotation (docs/contract.md, "Graph annotation"). */
export const GRAPH_FORMAT_VERSION = 2;

/** The kubelet keeps at most this many bytes of one container's termination message... */
const MAX_MESSAGE_BYTES = 4096;
/** ...and at most this many for all containers of the pod together (`normalizeStatus`). */
const POD_MESSAGE_BYTES = 12288;

/**
 * The termination-message budget of every container of a pod with `containers` containers
 * (initContainers, the copy container and sidecars included): min(4096, floor(12288 / containers)),
 * at least 1 (the wrapper's smallest: above 12 288 containers, possible only with `checkLimits:
 * false`, the kubelet keeps no message at all, and the report stays in the state volume).
 */
export function messageBudget(containers: number): number {
  return Math.max(1, Math.min(MAX_MESSAGE_BYTES, Math.floor(POD_MESSAGE_BYTES / containers)));
}

/** A duration in milliseconds as a Go duration string ("90s", "1500ms"). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The wrapper's arguments for one step (docs/contract.md, "Command line of a step container").
 * @param budget the termination-message budget (`messageBudget`)
 * @param command the step's command; command[0] is what the wrapper runs
 * @param args the container's args, passed on verbatim after the command
 */
export function wrapperArgs(step: StepPlan, plan: Plan, budget: number, command: string[], args: string[]): string[] {
  const flags = [`-contract=${CONTRACT_VERSION}`, `-step=${step.name}`];
  if (step.dependsOn.length > 0) flags.push(`-wait=${step.dependsOn.join(',')}`);
  const after = resultProducers(step);
  if (after.length > 0) flags.push(`-after=${after.join(',')}`);
  flags.push(`-budget=${budget}`);
  if (step.timeoutMs !== undefined) flags.push(`-timeout=${goDuration(step.timeoutMs)}`);
  if (step.retries > 0) flags.push(`-retries=${step.retries}`);
  if (step.continueOnError) flags.push('-on_error=continue');
  if (plan.failFast) flags.push('-fail_fast');
  flags.push(...conditionFlags(step));
  return [...flags, `-entrypoint=${command[0]}`, '--', ...command.slice(1), ...args];
}

/** `-run_if` values by condition kind (docs/contract.md); `allSucceeded` is the default, no flag. */
const RUN_IF_FLAGS = { always: 'always', anyFailed: 'any_failed', resultIn: 'result_in', resultNotIn: 'result_not_in' };

/**
 * The run condition and result flags of a step, in the contract's order: `-run_if`, `-result` and
 * one `-value` per value, `-results`, one `-result_env` per entry.
 */
function conditionFlags(step: StepPlan): string[] {
  const flags: string[] = [];
  const runIf = step.runIf;
  if (runIf.kind !== 'allSucceeded') flags.push(`-run_if=${RUN_IF_FLAGS[runIf.kind]}`);
  if (runIf.kind === 'resultIn' || runIf.kind === 'resultNotIn') {
    // the kubelet expands $(VAR) and $$ in args: every $ doubled reaches the wrapper as one
    flags.push(`-result=${runIf.result.step}.${runIf.result.name}`, ...runIf.values.map(v => `-value=${v.replace(/\$/g, '$$$$')}`));
  }
  if (step.results.length > 0) flags.push(`-results=${step.results.join(',')}`);
  flags.push(...step.resultEnv.map(e => `-result_env=${e.env}=${e.result.step}.${e.result.name}`));
  return flags;
}

/**
 * The graph annotation: `{"version":2,"steps":[names in declaration order],"dependsOn":[[indexes]]}`.
 */
export function graphAnnotation(plan: Plan): string {
  const index = new Map(plan.steps.map((s, i) => [s.name, i]));
  return JSON.stringify({
    version: GRAPH_FORMAT_VERSION,
    steps: plan.steps.map(s => s.name),
    dependsOn: plan.steps.map(s => s.dependsOn.map(d => index.get(d))),
  });
}
