/**
 * A limit of Kubernetes, etcd or Argo that a host's output would break, as data
 * (`IStepHost.limitProblems()`). Synthesis refuses the same problems with an error whose message
 * starts with `StepLimitError: ` (see README "Scale").
 */

/** Which limit a `LimitProblem` is about. */
export enum StepLimit {
  /** One exec argument of a container: `MAX_ARG_STRLEN`, 131 072 bytes with its NUL (bytes). */
  EXEC_ARGUMENT = 'exec-argument',
  /** A container's command line and environment, what execve takes (bytes; 1 MiB allowed). */
  EXEC_TOTAL = 'exec-total',
  /** The total size of an object's annotations, keys and values (bytes; 256 KiB). */
  ANNOTATIONS = 'annotations',
  /** The object as etcd stores it, with the status the cluster adds (bytes; 1.5 MiB). */
  OBJECT_SIZE = 'object-size',
  /** Templates of one Argo Workflow (count; 200 with Argo 4.0's full CRDs). */
  WORKFLOW_TEMPLATES = 'workflow-templates',
  /** Tasks of one Argo DAG template (count; 200 with Argo 4.0's full CRDs). */
  DAG_TASKS = 'dag-tasks',
  /** Input parameters of one Argo template (count; 500 with Argo 4.0's full CRDs). */
  TEMPLATE_PARAMETERS = 'template-parameters',
  /** An Argo Workflow as the controller stores it (bytes; `MAX_WORKFLOW_SIZE`, 1 MiB by default). */
  WORKFLOW_SIZE = 'workflow-size',
}

/** One limit a host's output would break: which, by how much, and what to do. */
export interface LimitProblem {
  /** Which limit. */
  readonly limit: StepLimit;
  /** What the output measures (bytes, or a count for the item limits). */
  readonly size: number;
  /** The most the limit allows, in the same unit. */
  readonly maximum: number;
  /**
   * The whole message, as synthesis throws it: starts with `StepLimitError: `, names the object
   * and the limit, the overshoot and what to do.
   */
  readonly message: string;
}

/** The prefix every limit message starts with; stable, for callers to match. */
export const STEP_LIMIT_ERROR = 'StepLimitError';

/**
 * The error synthesis throws for the first `LimitProblem`. Its message starts with
 * `StepLimitError: `; jsii cannot export a subclass of `Error` (aws/jsii#50), and cdk8s rethrows
 * errors raised while serialising as a plain `Error` with this one's text, so match on the
 * message. Internal: not exported from the package.
 */
export class StepLimitError extends Error {
  constructor(readonly problem: LimitProblem) {
    super(problem.message);
    this.name = STEP_LIMIT_ERROR;
  }

  /** The message alone: it already starts with the name (cdk8s prints errors with `${e}`). */
  public toString(): string {
    return this.message;
  }
}
