/**
 * A diamond (prepare -> {left, right} -> join) that uses only locally built images, so it runs
 * without a cluster or a registry: `npx cdk8s-steps run dist/local-diamond.k8s.yaml`, once its two
 * local images are built (docs/cli.md, "Images").
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { Entrypoint, StepPod } from '../src'; // in your project: from 'cdk8s-steps'

/** Built by `sh entrypoint-image/build.sh --image` (and by the e2e suite). */
export const LOCAL_ENTRYPOINT_IMAGE = 'localhost/cdk8s-steps-entrypoint:dev';
/** Built by `bash test/e2e/step-image/build.sh`: busybox + a nanosecond clock (and by the e2e suite). */
export const LOCAL_STEP_IMAGE = 'localhost/cdk8s-steps-e2e-step:dev';

export class LocalDiamond extends Chart {
  public readonly pod: StepPod;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.pod = new StepPod(this, 'diamond', {
      entrypoint: Entrypoint.fromImage(LOCAL_ENTRYPOINT_IMAGE, { imagePullPolicy: kplus.ImagePullPolicy.NEVER }),
      // podman hands an emptyDir to the user of the container that mounts it: one uid for all
      securityContext: { user: 1000, group: 1000 },
    });
    const step = { image: LOCAL_STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER };
    const prepare = this.pod.addStep('prepare', { ...step, command: ['sh', '-c', 'echo 21 > /workspace/n'] });
    const left = this.pod.addStep('left', { ...step, command: ['sh', '-c', 'echo $(( $(cat /workspace/n) * 2 )) > /workspace/left'], dependsOn: [prepare] });
    const right = this.pod.addStep('right', { ...step, command: ['sh', '-c', 'echo $(( $(cat /workspace/n) + 1 )) > /workspace/right'], dependsOn: [prepare] });
    this.pod.addStep('join', {
      ...step,
      command: ['sh', '-c', 'l=$(cat /workspace/left); r=$(cat /workspace/right); echo "left=$l right=$r"; test "$l" = 42 && test "$r" = 22'],
      dependsOn: [left, right],
    });
  }
}
