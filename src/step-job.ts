import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepGraph } from './graph';
import { Step, StepOptions } from './step';
import { StepSet } from './step-set';
import { StepWorkloadOptions } from './step-workload';

/**
 * Properties of a `StepJob`.
 */
export interface StepJobProps extends kplus.JobProps, StepWorkloadOptions {}

/**
 * A Job whose pod runs its containers as steps in dependency order.
 *
 * `backoffLimit` defaults to 0 here (Kubernetes' default is 6): a new pod would run every step again,
 * so retry individual steps with `StepOptions.retries`, or set `backoffLimit` yourself.
 *
 * Every step's command is wrapped by the cdk8s-steps entrypoint, which an injected initContainer
 * copies into the pod: a step starts when all of its dependencies finished. No controller, no CRD.
 */
export class StepJob extends kplus.Job {
  private readonly stepSet: StepSet;

  constructor(scope: Construct, id: string, props: StepJobProps = {}) {
    // A failed pod would re-run every step from scratch: steps carry their own `retries` instead.
    super(scope, id, {
      ...props,
      backoffLimit: props.backoffLimit ?? 0,
      restartPolicy: props.restartPolicy ?? kplus.RestartPolicy.NEVER,
    });
    this.stepSet = new StepSet(this, props);
  }

  /** The steps, in the order they were added. */
  public get steps(): Step[] {
    return this.stepSet.steps;
  }

  /** The dependency graph of the steps as they are now. */
  public get graph(): StepGraph {
    return this.stepSet.graph;
  }

  /**
   * Adds a step: a container that starts once all of `options.dependsOn` finished.
   * @param stepName the step's name, also its container's name (a DNS-1123 label)
   * @param options the container and its place in the graph
   */
  public addStep(stepName: string, options: StepOptions): Step {
    return this.stepSet.addStep(stepName, options);
  }

  /**
   * Adds a native sidecar: an initContainer with `restartPolicy: Always` that starts before the
   * steps, runs for the whole pod and does not hold up its completion (Kubernetes 1.29 or later).
   * @param sidecarName the sidecar's name, also its container's name (a DNS-1123 label)
   * @param options the container
   */
  public addSidecar(sidecarName: string, options: kplus.ContainerProps): kplus.Container {
    return this.stepSet.addSidecar(sidecarName, options);
  }

  /** @internal */
  public _toPodSpec(): kplus.k8s.PodSpec {
    return this.stepSet.transform(super._toPodSpec());
  }
}
