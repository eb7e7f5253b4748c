/**
 * The aggregate request of a pod, as Kubernetes computes it (PodRequests in
 * k8s.io/component-helpers/resource) and as the API server requires pod-level requests to cover
 * it. Pure: plain numbers in and out. Internal: not part of the public API.
 */

/** One initContainer, in order: what it requests, and whether it is a native sidecar. */
export interface InitRequest {
  readonly request: bigint;
  /** restartPolicy Always: starts in order, then runs for the pod's whole life. */
  readonly sidecar: boolean;
}

/**
 * The most the pod's containers can request at one moment, for one resource:
 * the largest of
 * - every regular container plus every sidecar (the pod's running phase), and
 * - for each initContainer in order, its own request plus the sidecars started before it (a
 *   sidecar's own phase counts it among those already started).
 */
export function aggregateRequest(initContainers: InitRequest[], containers: bigint[]): bigint {
  let sidecars = 0n;
  let peak = 0n;
  for (const init of initContainers) {
    const phase = sidecars + init.request;
    if (init.sidecar) sidecars = phase;
    if (phase > peak) peak = phase;
  }
  const running = containers.reduce((sum, r) => sum + r, sidecars);
  return running > peak ? running : peak;
}
