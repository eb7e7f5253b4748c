import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepGraph } from './graph';
import { Step, StepOptions } from './step';
import { StepSet } from './step-set';
import { StepWorkloadOptions } from './step-workload';

/**
 * Properties of a `StepPod`.
 */
export interface StepPodProps extends kplus.PodProps, StepWorkloadOptions {}

/**
 * A Pod whose containers are steps that run in dependency order.
 *
 * Every step's command is wrapped by the cdk8s-steps entrypoint, which an injected initContainer
 * copies into the pod: a step starts when all of its dependencies finished. No controller, no CRD.
 */
export class StepPod extends kplus.Pod {
  private readonly stepSet: StepSet;

  constructor(scope: Construct, id: string, props: StepPodProps = {}) {
    super(scope, id, { ...props, restartPolicy: props.restartPolicy ?? kplus.RestartPolicy.NEVER });
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
