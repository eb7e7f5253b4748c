/**
 * What a failed step means for the steps that depend on it.
 */
export enum OnError {
  /** The step fails: its transitive dependents are skipped (and, with `failFast`, nothing new starts). */
  STOP = 'stop',
  /** The failure is recorded in the step report, but the step counts as done: dependents still run. */
  CONTINUE = 'continue',
}
