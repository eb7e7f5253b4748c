/**
 * The names and paths docs/contract.md reserves ("Reserved root", the files of a step's state
 * directory, the environment the wrapper sets): one constant per name, for the library that writes
 * them and the tools that read them back. Pure. Internal: not part of the public API.
 */
import { createHash } from 'crypto';
import { posix } from 'path';

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

/** The environment variable holding the directory a step's command writes its results to. */
export const RESULTS_ENV = 'CDK8S_STEPS_RESULTS';
/** Environment variables the wrapper sets itself (`CDK8S_STEPS_RESULTS`, ...): no one else may. */
export const RESERVED_ENV_PREFIX = 'CDK8S_STEPS_';

/** The files of a step's state directory (docs/contract.md, the table under "Reserved root"). */
export const RECORD = {
  /** succeeded (or failed under `-on_error=continue`): the full report */
  done: 'done',
  /** any other end: the full report */
  doneErr: 'done.err',
  /** held with an exclusive flock for the wrapper's whole life */
  lock: 'done.lock',
  /** the wrapper has started (the lock is meaningful from now on) */
  started: 'done.started',
  /** the termination message: the report within the budget */
  report: 'report',
  /** the directory of the declared results */
  results: 'results',
} as const;

const STATE_VOLUME_PREFIX = 'cdk8s-steps-state-';
const MAX_DNS_LABEL = 63;

/** Directory holding the completion records of one step. */
export function stateDir(step: string): string {
  return `${RESERVED_ROOT}/steps/${step}`;
}

/** Where the wrapper writes the step report, which is also the container's termination message. */
export function reportFile(step: string): string {
  return `${stateDir(step)}/${RECORD.report}`;
}

/** The directory a step's command writes its results to (`CDK8S_STEPS_RESULTS`). */
export function resultsDir(step: string): string {
  return `${stateDir(step)}/${RECORD.results}`;
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

/**
 * A mount path as the container sees it: repeated slashes, `.` and `..` segments and trailing
 * slashes removed (`//workspace/.` is `/workspace`).
 */
export function normalMountPath(mountPath: string): string {
  return posix.normalize(mountPath).replace(/\/+$/, '') || '/';
}

/** True when a mount path lies at or below the reserved root, once normalised. */
export function isReservedPath(mountPath: string): boolean {
  const p = normalMountPath(mountPath);
  return p === RESERVED_ROOT || p.startsWith(`${RESERVED_ROOT}/`);
}
