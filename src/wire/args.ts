/**
 * The command line of a step container (docs/contract.md, "Command line of a step container"),
 * written by the library and read back by tools: one module for both sides. Pure. Internal: not
 * part of the public API.
 */
import { WRAPPER_PATH } from './layout';
import { runIfCondition } from './run-if';
import { Plan, StepPlan, readsResult, resultProducers } from '../plan';

/** The version of docs/contract.md this library speaks: the first argument of every step. */
export const CONTRACT_VERSION = 2;

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

/**
 * The run condition and result flags of a step, in the contract's order: `-run_if` (none for the
 * default condition), `-result` and one `-value` per value, `-results`, one `-result_env` per entry.
 */
function conditionFlags(step: StepPlan): string[] {
  const flags: string[] = [];
  const runIf = step.runIf;
  const condition = runIfCondition(runIf.kind);
  if (!condition.default) flags.push(`-run_if=${condition.flag}`);
  if (readsResult(runIf)) {
    // the kubelet expands $(VAR) and $$ in args: every $ doubled reaches the wrapper as one
    flags.push(`-result=${runIf.result.step}.${runIf.result.name}`, ...runIf.values.map(v => `-value=${v.replace(/\$/g, '$$$$')}`));
  }
  if (step.results.length > 0) flags.push(`-results=${step.results.join(',')}`);
  flags.push(...step.resultEnv.map(e => `-result_env=${e.env}=${e.result.step}.${e.result.name}`));
  return flags;
}

/** A step container's command line read back: its flags and the command the wrapper runs. */
export interface WrapperArgs {
  /** Every `-name=value` (or bare `-name`, value `''`) before `--`, in order, by name. */
  readonly flags: ReadonlyMap<string, string[]>;
  /** `-entrypoint` and everything after `--`: the step's own command and args, verbatim. */
  readonly command: string[];
}

/**
 * Reads a step container's `command` and `args` back (values as written in the manifest, before
 * the kubelet's `$(VAR)` expansion). Undefined for a container that does not run through the
 * wrapper (a sidecar, the copy container, a manifest of another tool).
 */
export function readWrapperArgs(command: readonly string[] | undefined, args: readonly string[] | undefined): WrapperArgs | undefined {
  if (command?.length !== 1 || command[0] !== WRAPPER_PATH || !args) return undefined;
  const end = args.indexOf('--');
  if (end < 0) return undefined;
  const flags = new Map<string, string[]>();
  for (const arg of args.slice(0, end)) {
    const m = /^-([a-z_]+)(?:=(.*))?$/s.exec(arg);
    if (!m) return undefined;
    flags.set(m[1], [...flags.get(m[1]) ?? [], m[2] ?? '']);
  }
  const entrypoint = flags.get('entrypoint');
  if (entrypoint?.length !== 1) return undefined;
  return { flags, command: [entrypoint[0], ...args.slice(end + 1)] };
}
