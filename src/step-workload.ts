import { Entrypoint } from './entrypoint';
import { ResourceStrategy } from './resource-strategy';

/**
 * Options shared by `StepPod` and `StepJob`.
 */
export interface StepWorkloadOptions {
  /**
   * The image that provides the step wrapper binary.
   * @default Entrypoint.DEFAULT
   */
  readonly entrypoint?: Entrypoint;

  /**
   * After any step fails, start no step that has not started yet (they end `Aborted`).
   * Without it only the failed step's transitive dependents are skipped.
   * @default false
   */
  readonly failFast?: boolean;

  /**
   * Mount a shared emptyDir at `/workspace` in every step and sidecar, like Tekton's workspace.
   * @default true
   */
  readonly workspace?: boolean;

  /**
   * How the pod's resource requests account for steps that never run at the same time.
   * @default ResourceStrategy.PEAK
   */
  readonly resourceStrategy?: ResourceStrategy;
}
