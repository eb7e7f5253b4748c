/**
 * The plan: the one data type that flows from the constructs to every target (the pod
 * transformation, the Argo transformation, the CLI reading a manifest back). Built once by the
 * constructs from the steps as declared; plain data, no constructs. Internal: not part of the
 * jsii API (nothing exported from src/index.ts names these types).
 */

/** When a step runs, once its dependencies have ended (docs/contract.md, the precedence table). */
export type RunIfPlan =
  | { readonly kind: 'allSucceeded' }
  | { readonly kind: 'always' }
  | { readonly kind: 'anyFailed' }
  | ResultCondition;

/** A condition that compares a result with values. */
export interface ResultCondition {
  readonly kind: 'resultIn' | 'resultNotIn';
  readonly result: ResultRef;
  /** At least one value; compared verbatim. */
  readonly values: string[];
}

/** The kinds of run condition. */
export type RunIfKind = RunIfPlan['kind'];

/**
 * Every kind of run condition the library has, and whether it reads a result. A `Record` over
 * `RunIfKind`: a new kind fails to compile until it is listed here, and test/run-if.test.ts fails
 * until src/wire/run-if-conditions.json (which the entrypoint's Go tests read) lists it too.
 */
export const RUN_IF_KINDS: { readonly [K in RunIfKind]: { readonly readsResult: K extends ResultCondition['kind'] ? true : false } } = {
  allSucceeded: { readsResult: false },
  always: { readsResult: false },
  anyFailed: { readsResult: false },
  resultIn: { readsResult: true },
  resultNotIn: { readsResult: true },
};

/** True for a condition that compares a result (`resultIn`, `resultNotIn`). */
export function readsResult(runIf: RunIfPlan): runIf is ResultCondition {
  return RUN_IF_KINDS[runIf.kind].readsResult;
}

/** A condition as messages and `RunIf.toString()` write it: `always`, `resultIn(build.channel, ["stable"])`. */
export function runIfText(runIf: RunIfPlan): string {
  return readsResult(runIf) ? `${runIf.kind}(${runIf.result.step}.${runIf.result.name}, ${JSON.stringify(runIf.values)})` : runIf.kind;
}

/**
 * For the `default` of a switch that handles every case: it compiles only when `value` has type
 * `never`, i.e. when no case is left, and throws if reached anyway (a value from outside the types).
 */
export function unreachable(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** A result of a step: `<step>.<name>` on the wire. */
export interface ResultRef {
  readonly step: string;
  readonly name: string;
}

/** What one step needs from every target. */
export interface StepPlan {
  /** Step name, also the container's name (a DNS-1123 label). */
  readonly name: string;
  /** Direct dependencies, in declaration order, without repeats. */
  readonly dependsOn: string[];
  /** Time limit of one attempt, in milliseconds. */
  readonly timeoutMs?: number;
  /** Extra attempts after a failed one. */
  readonly retries: number;
  /** OnError.CONTINUE: a failure still counts as succeeded for dependents. */
  readonly continueOnError: boolean;
  readonly runIf: RunIfPlan;
  /** Names of the results this step declares, in declaration order. */
  readonly results: string[];
  /** Environment variables set from other steps' results at start. */
  readonly resultEnv: Array<{ readonly env: string; readonly result: ResultRef }>;
  /** Added with addFinally(): depends on every non-finally step, runIf always. */
  readonly isFinally: boolean;
}

/** The steps of one host and the options every target reads. */
export interface Plan {
  /** Steps in declaration order. */
  readonly steps: StepPlan[];
  readonly failFast: boolean;
  readonly workspace: boolean;
}

/**
 * Steps a step waits for besides its direct dependencies: producers of the results it reads
 * (through `resultEnv` or a `result_in`/`result_not_in` condition) that are not direct dependencies.
 */
export function resultProducers(step: StepPlan): string[] {
  const producers = new Set<string>(step.resultEnv.map(e => e.result.step));
  if (readsResult(step.runIf)) producers.add(step.runIf.result.step);
  for (const dep of step.dependsOn) producers.delete(dep);
  return [...producers];
}

/** The results a step reads, with what reads them: its resultEnv entries and its condition. */
export function resultReads(step: StepPlan): Array<{ readonly by: string; readonly result: ResultRef }> {
  const reads = step.resultEnv.map(e => ({ by: `resultEnv ${e.env}`, result: e.result }));
  if (readsResult(step.runIf)) reads.push({ by: `runIf ${step.runIf.kind}`, result: step.runIf.result });
  return reads;
}
