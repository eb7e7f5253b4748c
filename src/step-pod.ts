import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepGraph } from './graph/step-graph';
import { Step, StepOptions } from './step';
import { IStepHost, StepHost, StepHostProps } from './step-host';

/**
 * Properties of a `StepPod`.
 */
export interface StepPodProps extends kplus.PodProps, StepHostProps {}

/**
 * A Pod whose containers are steps that run in dependency order.
 *
 * Every step's command is wrapped by the cdk8s-steps entrypoint, which an injected initContainer
 * copies into the pod: a step starts when all of its dependencies finished. No controller, no CRD.
 */
export class StepPod extends kplus.Pod implements IStepHost {
  private readonly host: StepHost;

  constructor(scope: Construct, id: string, props: StepPodProps = {}) {
    super(scope, id, { ...props, restartPolicy: props.restartPolicy ?? kplus.RestartPolicy.NEVER });
    this.host = new StepHost(this, props);
  }

  public get steps(): Step[] { return this.host.steps; }
  public get graph(): StepGraph { return this.host.graph; }
  public addStep(stepName: string, options: StepOptions): Step { return this.host.addStep(stepName, options); }
  public addSidecar(sidecarName: string, options: kplus.ContainerProps): kplus.Container {
    return this.host.addSidecar(sidecarName, options);
  }

  /** @internal */
  public _toPodSpec(): kplus.k8s.PodSpec {
    return this.host.transform(super._toPodSpec());
  }
}
