/**
 * Every rule on one step's options, checked when the step is added (`addStep()`, `addFinally()`,
 * `Step.addDependency()`): plain data in, one message per problem out, each naming the step and
 * saying how to fix it. The constructs describe the options as a `StepDraft` and throw what comes
 * back. Pure. Internal: not part of the public API.
 */
import { envNameProblem, reservedEnvProblem, resultNameProblem } from './names';
import { RunIfPlan, readsResult, runIfText } from '../plan';

/** The most retries a step can have: with the backoff capped at 30 s, about 8 hours of waiting. */
export const MAX_RETRIES = 1000;

/** The longest timeout: Go's time.Duration counts nanoseconds in an int64 (about 292 years). */
export const MAX_TIMEOUT_MS = 9_223_372_036_854;

/** The longest value a result can have (docs/contract.md): a longer one can never match. */
export const MAX_RESULT_BYTES = 4096;

/** A step's options as the rules read them: plain data, with what only the constructs can tell. */
export interface StepDraft {
  /** The step's name (the container's). */
  readonly name: string;
  /** `options.name`, when given. */
  readonly containerName?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** `nodeSelector` or `tolerations` is given. */
  readonly placed: boolean;
  readonly retries: number;
  /** The timeout in milliseconds, fractions kept; undefined for none. */
  readonly timeoutMs?: number;
  readonly results: readonly string[];
  /** The names of the environment variables the container sets itself (`envVariables`). */
  readonly env: readonly string[];
  readonly resultEnv: ReadonlyArray<{
    readonly env: string;
    /** `<step>.<name>` of the result it reads; undefined when the value is not a `StepResult`. */
    readonly reads?: string;
    /** The result belongs to a step of another host. */
    readonly foreign: boolean;
  }>;
  readonly runIf: RunIfPlan;
  /** The condition reads a result of a step of another host. */
  readonly runIfForeign: boolean;
  /** Added with `addFinally()`. */
  readonly isFinally: boolean;
  /** `dependsOn` was given. */
  readonly dependsOnGiven: boolean;
}

/**
 * Everything wrong with one step's options on their own (not their place in the graph).
 * @param onePodHost the kind of a host whose steps share one pod (they cannot be placed on nodes
 *   of their own); undefined for a host that runs each step in its own pod
 */
export function stepProblems(step: StepDraft, onePodHost?: string): string[] {
  const problems: string[] = [];
  const at = `Step "${step.name}"`;
  if (step.isFinally && step.dependsOnGiven) {
    problems.push(`Finally step "${step.name}": leave dependsOn out; a finally step waits for every step that is `
      + 'not a finally step, including steps added later');
  }
  if (step.containerName !== undefined && step.containerName !== step.name) {
    problems.push(`${at}: options.name is "${step.containerName}"; leave it out, the step name is the container name`);
  }
  problems.push(...commandProblems(step));
  if (onePodHost && step.placed) {
    problems.push(`${at}: nodeSelector and tolerations place one step's pod, and in a ${onePodHost} every `
      + `step runs in the same pod, on one node. Place the whole ${onePodHost} with its scheduling `
      + '(e.g. pod.scheduling.tolerate(...)), or use a StepWorkflow, where each step is its own pod');
  }
  if (!Number.isInteger(step.retries) || step.retries < 0 || step.retries > MAX_RETRIES) {
    problems.push(`${at}: retries must be a whole number from 0 to ${MAX_RETRIES} (got ${step.retries})`);
  }
  const ms = step.timeoutMs;
  if (ms !== undefined && !(ms > 0)) {
    problems.push(`${at}: timeout must be longer than zero; leave it out for no time limit`);
  } else if (ms !== undefined && (!Number.isInteger(ms) || ms > MAX_TIMEOUT_MS)) {
    problems.push(`${at}: timeout must be a whole number of milliseconds up to ${MAX_TIMEOUT_MS} `
      + `(about 292 years, the wrapper's longest duration); got ${ms} ms`);
  }
  for (const [i, name] of step.results.entries()) {
    const problem = resultNameProblem(name);
    if (problem) problems.push(`${at}: result name "${name}" is invalid: ${problem}`);
    else if (step.results.indexOf(name) !== i) problems.push(`${at}: result "${name}" is declared twice`);
  }
  problems.push(...reservedEnvProblems(step.name, step.env));
  problems.push(...resultEnvProblems(step.name, step.resultEnv.map(e => e.env), step.env));
  for (const { env, reads, foreign } of step.resultEnv) {
    if (reads === undefined) {
      problems.push(`${at}: resultEnv ${env} is not a StepResult: get one with step.result(name)`);
    } else if (foreign) {
      problems.push(`${at}: resultEnv ${env} reads ${reads}, a result of a step of another pod: results pass only `
        + 'between steps of one pod');
    }
  }
  if (step.runIfForeign && readsResult(step.runIf)) {
    const read = step.runIf.result;
    problems.push(`${at}: runIf reads ${read.step}.${read.name}, a result of a step of another pod: results pass only `
      + 'between steps of one pod');
  }
  if (step.isFinally && step.runIf.kind !== 'always') {
    problems.push(`${at}: a finally step runs whatever happened, so its runIf can only be RunIf.always() (got ${runIfText(step.runIf)}): `
      + 'leave runIf out, or add the step with addStep() and a dependsOn');
  }
  problems.push(...runIfProblems(step.name, step.runIf));
  return problems;
}

/** The command the wrapper runs: it must be given (an image's ENTRYPOINT is unknown at synthesis) and fit in an exec argument. */
function commandProblems(step: StepDraft): string[] {
  const at = `Step "${step.name}"`;
  if (!step.command || step.command.length === 0) {
    return [`${at} has no command. The entrypoint runs the command itself, and an image's `
      + 'ENTRYPOINT/CMD cannot be known at synth time: give it explicitly, e.g. command: [\'npm\', \'test\']'];
  }
  if (step.command[0] === '') {
    return [`${at}: command[0] is empty; it must name the program to run, e.g. command: ['sh', '-c', '...']`];
  }
  const nul = [...step.command, ...step.args ?? []].find(a => a.includes('\0'));
  if (nul !== undefined) {
    return [`${at}: the argument ${JSON.stringify(nul)} contains a NUL character, which no process argument can hold: remove it`];
  }
  return [];
}

/**
 * The names a step's container sets in its environment that the wrapper reserves
 * (`CDK8S_STEPS_*`, docs/contract.md): the wrapper's own value must win. Checked at `addStep()`
 * and again at synthesis, for variables added to the container later.
 */
export function reservedEnvProblems(step: string, env: readonly string[]): string[] {
  return env.flatMap(name => {
    const problem = reservedEnvProblem(name);
    return problem ? [`Step "${step}" sets ${name} in its env: ${problem}; rename it`] : [];
  });
}

/**
 * The resultEnv names of a step that cannot be used: not a portable variable name, reserved, or
 * also set in the container's own env (`env`). Checked at `addStep()` and again at synthesis.
 */
export function resultEnvProblems(step: string, names: readonly string[], env: readonly string[]): string[] {
  const own = new Set(env);
  return names.flatMap(name => {
    const problem = envNameProblem(name);
    if (problem) return [`Step "${step}": resultEnv name "${name}" cannot be used: ${problem}`];
    return own.has(name) ? [`Step "${step}": ${name} is set both in env and in resultEnv: rename one of them`] : [];
  });
}

/** What is wrong with a step's condition on its own (not its place in the graph). */
export function runIfProblems(stepName: string, runIf: RunIfPlan): string[] {
  if (!readsResult(runIf)) return [];
  const what = `Step "${stepName}": runIf ${runIf.kind}(${runIf.result.step}.${runIf.result.name})`;
  if (runIf.values.length === 0) {
    return [`${what} has no values: give at least one value to compare the result with`];
  }
  const problems: string[] = [];
  for (const value of runIf.values) {
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

/** Why `step` cannot wait for `dep` (`Step.addDependency()`), or undefined when it can. */
export function dependencyProblem(step: { readonly name: string; readonly isFinally: boolean }, dep: string,
  how: { readonly self: boolean; readonly foreign: boolean }): string | undefined {
  if (step.isFinally) {
    return `Step "${step.name}" is a finally step: it already waits for every other step; leave its dependencies out`;
  }
  if (how.self) return `Step "${step.name}" cannot depend on itself: remove it from its own dependencies`;
  if (how.foreign) {
    return `Step "${step.name}" cannot depend on "${dep}": "${dep}" belongs to another pod, and steps only wait for steps of their own pod`;
  }
  return undefined;
}

/** Why `step.result(name)` cannot be read (`Step.result()`): the step does not declare it; undefined when it does. */
export function undeclaredResultProblem(step: string, name: string, declared: readonly string[]): string | undefined {
  if (declared.includes(name)) return undefined;
  return `Step "${step}" has no result "${name}" (it declares ${declared.length > 0
    ? declared.map(r => `"${r}"`).join(', ') : 'none'}): add "${name}" to its results`;
}
