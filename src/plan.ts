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
  | {
    readonly kind: 'resultIn' | 'resultNotIn';
    readonly result: ResultRef;
    /** At least one value; compared verbatim. */
    readonly values: string[];
  };

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
  if (step.runIf.kind === 'resultIn' || step.runIf.kind === 'resultNotIn') producers.add(step.runIf.result.step);
  for (const dep of step.dependsOn) producers.delete(dep);
  return [...producers];
}
