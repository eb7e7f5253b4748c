/**
 * How the pod's resource requests account for steps that never run at the same time.
 */
export enum ResourceStrategy {
  /**
   * Request what the steps can really use at once: per resource (cpu, memory, ephemeral-storage),
   * the largest total request of any set of steps that can run concurrently. Step requests are
   * rewritten so that their sum is that peak: the steps of one heaviest concurrent set keep
   * theirs, the others request an explicit `0`. Limits stay as given.
   */
  PEAK = 'peak',
  /** Leave every step's requests as given: the pod requests their sum, like a plain Pod. */
  SUM = 'sum',
  /**
   * Like `PEAK`, and also state the pod's total cpu and memory requests in pod-level
   * `spec.resources` (Kubernetes 1.34 or later, feature PodLevelResources).
   */
  POD_LEVEL = 'pod-level',
}
