/**
 * The termination-message budget (docs/contract.md, "Report JSON and the termination-message
 * budget"): what the kubelet keeps of each container's message, and the `-budget` the library
 * passes the wrapper. Pure. Internal: not part of the public API.
 */

/** The kubelet keeps at most this many bytes of one container's termination message... */
const MAX_MESSAGE_BYTES = 4096;
/** ...and at most this many for all containers of the pod together (`normalizeStatus`). */
const POD_MESSAGE_BYTES = 12288;

/**
 * What the kubelet keeps of each container's termination message in a pod of `containers`
 * containers (initContainers, the copy container and sidecars included):
 * min(4096, floor(12288 / containers)); 0 above 12 288 containers.
 */
export function kubeletMessageLimit(containers: number): number {
  return Math.min(MAX_MESSAGE_BYTES, Math.floor(POD_MESSAGE_BYTES / Math.max(1, containers)));
}

/**
 * The `-budget` of every step of such a pod: the kubelet's limit, at least 1 (the wrapper's
 * smallest: above 12 288 containers, possible only with `checkLimits: false`, the kubelet keeps no
 * message at all, and the report stays in the state volume).
 */
export function messageBudget(containers: number): number {
  return Math.max(1, kubeletMessageLimit(containers));
}
