import { Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { WorkspaceClaim } from './argo/workflow';

/**
 * Options of `WorkflowWorkspace.volumeClaim()`.
 */
export interface WorkflowVolumeClaimOptions {
  /** Size of the volume each run claims. */
  readonly storage: Size;

  /**
   * Storage class of the claim.
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;

  /**
   * Access modes of the claim. `ReadWriteOnce` lets every pod of the run use the volume only while
   * they run on the node it is attached to: steps pinned to other nodes (node selectors,
   * tolerations) cannot mount it. Use `ReadWriteMany`, with a storage class that supports it, for
   * steps spread over nodes.
   * @default [PersistentVolumeAccessMode.READ_WRITE_ONCE] (every storage class supports it)
   */
  readonly accessModes?: kplus.PersistentVolumeAccessMode[];
}

/**
 * The `/workspace` shared by the steps of a `StepWorkflow`. Each step runs in its own pod, so the
 * workspace is a volume claimed for each run (Argo `volumeClaimTemplates`), not an emptyDir.
 */
export class WorkflowWorkspace {
  /** A volume claimed per run, mounted at `/workspace` in every step and sidecar. */
  public static volumeClaim(options: WorkflowVolumeClaimOptions): WorkflowWorkspace {
    const mib = options.storage.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!(mib > 0)) throw new Error('WorkflowWorkspace.volumeClaim: storage must be larger than zero');
    const accessModes = options.accessModes ?? [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE];
    if (accessModes.length === 0) {
      throw new Error('WorkflowWorkspace.volumeClaim: accessModes is empty; leave it out for ReadWriteOnce');
    }
    return new WorkflowWorkspace({
      storage: Number.isInteger(mib / 1024) ? `${mib / 1024}Gi` : `${Math.ceil(mib)}Mi`,
      storageClassName: options.storageClassName,
      accessModes: [...accessModes],
    });
  }

  /** No shared volume: steps exchange nothing through `/workspace`. */
  public static none(): WorkflowWorkspace {
    return new WorkflowWorkspace(undefined);
  }

  private constructor(private readonly claim: WorkspaceClaim | undefined) {}

  /** @internal */
  public _claim(): WorkspaceClaim | undefined {
    return this.claim;
  }
}
