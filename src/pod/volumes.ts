/**
 * Checks of the pod's volumes and mounts against what the library reserves (docs/contract.md,
 * "Reserved root"): one message per problem, naming the container or steps. Pure. Internal: not
 * part of the public API.
 */
import * as layout from '../wire/layout';

/** The volumes and mounts of a pod, as the checks need them. */
export interface PodVolumes {
  /** Step names, in declaration order. */
  readonly steps: string[];
  /** Whether the shared workspace is added. */
  readonly workspace: boolean;
  /** Names of the pod's own volumes. */
  readonly volumes: string[];
  /** Every mount of every container (steps, sidecars, initContainers). */
  readonly mounts: Array<{ readonly container: string; readonly path: string; readonly volume: string }>;
}

/** Everything wrong with the volumes and mounts of a pod. */
export function volumeProblems(pod: PodVolumes): string[] {
  const errors: string[] = [];
  const stateVolumes = new Map<string, string>();
  for (const step of pod.steps) {
    const volume = layout.stateVolume(step);
    const other = stateVolumes.get(volume);
    if (other !== undefined) {
      errors.push(`Steps "${other}" and "${step}" would both keep their state in volume "${volume}" (long names are `
        + 'cut and hashed to fit 63 characters): rename one of them');
    }
    stateVolumes.set(volume, step);
  }
  const reservedVolumes = new Set([...layout.RESERVED_VOLUMES, ...stateVolumes.keys()]);
  if (pod.workspace) reservedVolumes.add(layout.WORKSPACE_VOLUME);
  for (const name of new Set([...pod.volumes, ...pod.mounts.map(m => m.volume)])) {
    if (reservedVolumes.has(name)) {
      errors.push(`Volume "${name}" has a name the library reserves for its own volumes: rename it`
        + (name === layout.WORKSPACE_VOLUME ? ' (or set workspace: false)' : ''));
    }
  }
  for (const m of pod.mounts) {
    const normal = layout.normalMountPath(m.path);
    const at = normal === m.path ? m.path : `${m.path} (that is ${normal})`;
    if (layout.isReservedPath(m.path)) {
      errors.push(`Container "${m.container}" mounts a volume at ${at}, under ${layout.RESERVED_ROOT}/, which the library `
        + 'reserves for the entrypoint and step state: mount it elsewhere');
    } else if (pod.workspace && normal === layout.WORKSPACE_PATH) {
      errors.push(`Container "${m.container}" mounts a volume at ${at}, where the shared workspace goes: `
        + 'mount it elsewhere, or set workspace: false');
    }
  }
  return errors;
}
