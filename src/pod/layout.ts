/**
 * Where the injected pieces live inside a pod: one place for every path, volume and container
 * name the library reserves (see docs/contract.md). Internal: not part of the public API.
 */
import { createHash } from 'crypto';

/** Every internal mount path lives under this root; user mounts may not. */
export const RESERVED_ROOT = '/cdk8s-steps';

/** Name of the injected initContainer that copies the wrapper binary. */
export const INIT_CONTAINER_NAME = 'cdk8s-steps-init';

export const BIN_VOLUME = 'cdk8s-steps-bin';
export const BIN_DIR = `${RESERVED_ROOT}/bin`;
export const WRAPPER_PATH = `${BIN_DIR}/entrypoint`;

export const ABORT_VOLUME = 'cdk8s-steps-abort';
export const ABORT_DIR = `${RESERVED_ROOT}/abort`;

export const WORKSPACE_VOLUME = 'workspace';
export const WORKSPACE_PATH = '/workspace';

/** The annotation that records the graph (docs/contract.md, "Graph annotation"). */
export const GRAPH_ANNOTATION = 'cdk8s-steps/graph';

const STATE_VOLUME_PREFIX = 'cdk8s-steps-state-';
const MAX_DNS_LABEL = 63;

/** Directory holding the completion records of one step. */
export function stateDir(step: string): string {
  return `${RESERVED_ROOT}/steps/${step}`;
}

/** Where the wrapper writes the step report, which is also the container's termination message. */
export function reportFile(step: string): string {
  return `${stateDir(step)}/report`;
}

/**
 * The emptyDir volume that holds one step's state. Names longer than a DNS label are cut and
 * given a hash suffix, so two long step names never share a volume.
 */
export function stateVolume(step: string): string {
  const name = STATE_VOLUME_PREFIX + step;
  if (name.length <= MAX_DNS_LABEL) return name;
  const hash = createHash('sha256').update(step).digest('hex').slice(0, 8);
  const head = name.slice(0, MAX_DNS_LABEL - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** Volume names the library adds itself (besides the per-step state volumes). */
export const RESERVED_VOLUMES = [BIN_VOLUME, ABORT_VOLUME];

/** True when a mount path lies at or below the reserved root. */
export function isReservedPath(mountPath: string): boolean {
  const p = mountPath.replace(/\/+$/, '');
  return p === RESERVED_ROOT || p.startsWith(`${RESERVED_ROOT}/`);
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns why `name` is not a DNS-1123 label, or undefined when it is one. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_DNS_LABEL) return `it is ${name.length} characters long (at most ${MAX_DNS_LABEL})`;
  if (!DNS_1123_LABEL.test(name)) {
    return 'it must consist of lower-case letters, digits and "-", and start and end with a letter or digit';
  }
  return undefined;
}

/**
 * True for a native sidecar: an initContainer with `restartPolicy: Always`, whether it was added
 * with `addSidecar()` or with cdk8s-plus' own `addInitContainer()`.
 */
export function isSidecar(container: { restartPolicy?: string }): boolean {
  return container.restartPolicy === 'Always';
}
