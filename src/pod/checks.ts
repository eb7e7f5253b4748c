/**
 * Checks of the user's volumes and mounts against what the library reserves (docs/contract.md,
 * "Reserved root"). Pure: names and paths in, one message per problem out. Internal.
 */
import * as layout from './layout';

/** What the checks read: plain names and paths. */
export interface VolumeInput {
  /** Step names, in declaration order. */
  readonly steps: string[];
  /** Names of the volumes the user added to the pod. */
  readonly volumes: string[];
  /** Every mount of every container (steps, sidecars, initContainers). */
  readonly mounts: Array<{ readonly container: string; readonly volume: string; readonly path: string }>;
  readonly workspace: boolean;
}

/** Derived state-volume names that collide, reserved volume names, mounts on reserved paths. */
export function volumeProblems(input: VolumeInput): string[] {
  const errors: string[] = [];
  const stateVolumes = new Map<string, string>();
  for (const step of input.steps) {
    const volume = layout.stateVolume(step);
    const other = stateVolumes.get(volume);
    if (other !== undefined) {
      errors.push(`Steps "${other}" and "${step}" would share the state volume "${volume}" (long names are cut and `
        + 'hashed to fit 63 characters): rename one of them');
    }
    stateVolumes.set(volume, step);
  }
  const reserved = new Set([...layout.RESERVED_VOLUMES, ...stateVolumes.keys()]);
  if (input.workspace) reserved.add(layout.WORKSPACE_VOLUME);
  for (const name of new Set([...input.volumes, ...input.mounts.map(m => m.volume)])) {
    if (reserved.has(name)) {
      errors.push(`Volume "${name}" has a name the library reserves for its own volumes: rename it`
        + (name === layout.WORKSPACE_VOLUME ? ' (or set workspace: false)' : ''));
    }
  }
  for (const m of input.mounts) {
    if (layout.isReservedPath(m.path)) {
      errors.push(`Container "${m.container}" mounts a volume at ${m.path}, under ${layout.RESERVED_ROOT}/, which the library `
        + 'reserves for the entrypoint and step state: mount it elsewhere');
    } else if (input.workspace && layout.isWorkspacePath(m.path)) {
      errors.push(`Container "${m.container}" mounts a volume at ${m.path}, where the shared workspace goes (${layout.WORKSPACE_PATH}): `
        + 'mount it elsewhere, or set workspace: false');
    }
  }
  return errors;
}
