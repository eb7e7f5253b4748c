/**
 * One set of steps, two targets: `defineSteps` is written once against `IStepHost`, then built
 * into a StepPod (one pod, one node) and into a StepWorkflow (an Argo Workflow: one pod per step,
 * anywhere in the cluster). The Workflow needs the Argo Workflows controller: `kubectl create -f`
 * (it has a generateName) or `argo submit`. See docs/argo.md.
 */
import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
// in your project: from 'cdk8s-steps'
import { IStepHost, OnError, PodGcStrategy, StepPod, StepWorkflow, WorkflowWorkspace } from '../src';

/** The steps, written once: check out, test and lint side by side, then package. */
export function defineSteps(host: IStepHost): void {
  const sh = (script: string) => ['sh', '-c', script];
  const checkout = host.addStep('checkout', {
    image: 'alpine/git:2.45.2',
    command: ['git', 'clone', '--depth=1', 'https://github.com/cdk8s-team/cdk8s-plus.git', '/workspace/src'],
    envVariables: { HOME: kplus.EnvValue.fromValue('/workspace') },
    retries: 2, // the network flakes
    timeout: Duration.minutes(5),
  });
  const unit = host.addStep('unit', {
    image: 'alpine:3.20', command: sh('test -f /workspace/src/package.json && echo tests passed'), dependsOn: [checkout],
  });
  const lint = host.addStep('lint', {
    image: 'alpine:3.20',
    command: sh('grep -c TODO -r /workspace/src/src || true'),
    dependsOn: [checkout],
    onError: OnError.CONTINUE, // a lint failure is reported, not fatal
  });
  host.addStep('package', {
    image: 'alpine:3.20',
    command: sh('tar -czf /workspace/src.tgz -C /workspace src && ls -l /workspace/src.tgz'),
    dependsOn: [unit, lint],
  });
}

export class CiOnArgo extends Chart {
  public readonly pod: StepPod;
  public readonly workflow: StepWorkflow;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const user = { user: 1000, group: 1000 };
    this.pod = new StepPod(this, 'pod', { securityContext: user });
    defineSteps(this.pod);

    this.workflow = new StepWorkflow(this, 'workflow', {
      generateName: 'ci-on-argo-',
      // one volume per run; ReadWriteOnce keeps the step pods on the node it is attached to
      workspace: WorkflowWorkspace.volumeClaim({ storage: Size.gibibytes(10), storageClassName: 'standard' }),
      securityContext: { ...user, fsGroup: 1000 }, // the claimed volume is writable by the steps
      podGC: PodGcStrategy.ON_POD_SUCCESS,
      ttlStrategy: { afterCompletion: Duration.days(1) },
      activeDeadline: Duration.hours(1),
    });
    defineSteps(this.workflow);
  }
}
