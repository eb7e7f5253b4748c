import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepGraph } from './graph/step-graph';
import { LimitProblem } from './limit-problem';
import { Step, StepOptions } from './step';
import { IStepHost, StepHost, StepHostProps } from './step-host';

/**
 * Properties of a `StepPod`.
 */
export interface StepPodProps extends kplus.PodProps, StepHostProps {
  /**
   * How long the pod may be active before Kubernetes stops it, whole seconds (synthesised as
   * `activeDeadlineSeconds`, like `kplus.Job`'s `activeDeadline`). Bounds a pod whose dependency
   * never starts (an image that cannot be pulled, say): its dependents would wait forever.
   * @default - no deadline
   */
  readonly activeDeadline?: Duration;
}

/**
 * A Pod whose containers are steps that run in dependency order.
 *
 * Every step's command is wrapped by the cdk8s-steps entrypoint, which an injected initContainer
 * copies into the pod: a step starts when all of its dependencies finished. No controller, no CRD.
 */
export class StepPod extends kplus.Pod implements IStepHost {
  /** How long the pod may be active, if bounded. */
  public readonly activeDeadline?: Duration;

  private readonly host: StepHost;

  constructor(scope: Construct, id: string, props: StepPodProps = {}) {
    super(scope, id, { ...props, restartPolicy: props.restartPolicy ?? kplus.RestartPolicy.NEVER });
    if (props.activeDeadline) {
      const seconds = props.activeDeadline.toSeconds({ integral: false });
      if (!Number.isSafeInteger(seconds) || seconds < 1) {
        throw new Error(`StepPod "${this.node.path}": activeDeadline must be a whole number of seconds, at least 1 `
          + `(got ${seconds} s)`);
      }
    }
    this.activeDeadline = props.activeDeadline;
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
    return this.host.limitProblems(super._toPodSpec(), spec => this.withDeadline(spec));
  }

  /** @internal */
  public _toPodSpec(): kplus.k8s.PodSpec {
    return this.host.transform(super._toPodSpec(), spec => this.withDeadline(spec));
  }

  private withDeadline(spec: kplus.k8s.PodSpec): kplus.k8s.PodSpec {
    return this.activeDeadline ? { ...spec, activeDeadlineSeconds: this.activeDeadline.toSeconds() } : spec;
  }
}
