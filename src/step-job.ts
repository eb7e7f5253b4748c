import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepGraph } from './graph/step-graph';
import { LimitProblem } from './limit-problem';
import { Step, StepOptions } from './step';
import { IStepHost, StepHost, StepHostProps } from './step-host';

/**
 * Properties of a `StepJob`.
 */
export interface StepJobProps extends kplus.JobProps, StepHostProps {}

/**
 * A Job whose pod runs its containers as steps in dependency order.
 *
 * `backoffLimit` defaults to 0 here (Kubernetes' default is 6): a new pod would run every step again,
 * so retry individual steps with `StepOptions.retries`, or set `backoffLimit` yourself.
 */
export class StepJob extends kplus.Job implements IStepHost {
  private readonly host: StepHost;

  constructor(scope: Construct, id: string, props: StepJobProps = {}) {
    super(scope, id, {
      ...props,
      backoffLimit: props.backoffLimit ?? 0,
      restartPolicy: props.restartPolicy ?? kplus.RestartPolicy.NEVER,
    });
    this.host = new StepHost(this, props);
  }

  public get steps(): Step[] { return this.host.steps; }
  public get graph(): StepGraph { return this.host.graph; }
  public addStep(stepName: string, options: StepOptions): Step { return this.host.addStep(stepName, options); }
  public addFinally(stepName: string, options: StepOptions): Step { return this.host.addFinally(stepName, options); }
  public addSidecar(sidecarName: string, options: kplus.ContainerProps): kplus.Container {
    return this.host.addSidecar(sidecarName, options);
  }

  public limitProblems(): LimitProblem[] {
    return this.host.limitProblems(super._toPodSpec());
  }

  /** @internal */
  public _toPodSpec(): kplus.k8s.PodSpec {
    return this.host.transform(super._toPodSpec());
  }
}
