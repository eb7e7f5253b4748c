/**
 * The seed's 3-step chain (one -> two -> three), the hand-written Tekton-entrypoint pod of
 * "k8s ordered container execution", declared in code.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { StepPod } from '../src'; // in your project: from 'cdk8s-steps'

export class SeedChain extends Chart {
  public readonly pod: StepPod;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // alpine runs as root unless told otherwise; cdk8s-plus requires non-root by default.
    this.pod = new StepPod(this, 'ordered', { securityContext: { user: 1000, group: 1000 } });
    const one = this.pod.addStep('one', { image: 'alpine:3.20', command: ['sh', '-c', 'echo step one\necho hello world'] });
    const two = this.pod.addStep('two', { image: 'alpine:3.20', command: ['sh', '-c', 'echo step two\necho fizz buzz'], dependsOn: [one] });
    this.pod.addStep('three', { image: 'alpine:3.20', command: ['sh', '-c', 'echo step three\necho lorem ipsum'], dependsOn: [two] });
  }
}
