/**
 * Steps that react to outcomes and pass values, with locally built images only
 * (`npx cdk8s-steps run dist/test-report.k8s.yaml`, its images built as docs/cli.md "Images" says):
 *
 *   build (results: version, channel)
 *     -> test (fails)  -> publish         (Skipped, exit 120: its dependency failed)
 *                      -> upload-reports  (RunIf.always(): runs)
 *                      -> notify          (RunIf.anyFailed(): runs; VERSION from build, a transitive dependency)
 *     -> deploy        (RunIf.resultIn(channel, [stable, beta]): runs, VERSION from build)
 *     -> deploy-canary (RunIf.resultIn(channel, [canary]): Skipped, exit 0)
 *   teardown           (addFinally: after every other step, whatever happened)
 *
 * The pod ends Failed (test exits 1); every other container exits 0 except publish (120).
 * Each consumer writes what it saw to /workspace, and teardown prints it all.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { LOCAL_ENTRYPOINT_IMAGE, LOCAL_STEP_IMAGE } from './local-diamond';
import { Entrypoint, RunIf, StepPod } from '../src'; // in your project: from 'cdk8s-steps'

export class TestReport extends Chart {
  public readonly pod: StepPod;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.pod = new StepPod(this, 'test-report', {
      entrypoint: Entrypoint.fromImage(LOCAL_ENTRYPOINT_IMAGE, { imagePullPolicy: kplus.ImagePullPolicy.NEVER }),
      // podman hands an emptyDir to the user of the container that mounts it: one uid for all
      securityContext: { user: 1000, group: 1000 },
    });
    const image = { image: LOCAL_STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER };
    const sh = (script: string) => ['sh', '-c', script];

    const build = this.pod.addStep('build', {
      ...image,
      results: ['version', 'channel'],
      command: sh('echo 1.2.3 > "$CDK8S_STEPS_RESULTS/version" && printf stable > "$CDK8S_STEPS_RESULTS/channel"'),
    });
    const test = this.pod.addStep('test', {
      ...image,
      dependsOn: [build],
      command: sh('echo "2 passed, 1 failed" > /workspace/report.txt; echo "1 test failed" >&2; exit 1'),
    });
    this.pod.addStep('publish', {
      ...image,
      dependsOn: [test],
      resultEnv: { VERSION: build.result('version') },
      command: sh('echo "published $VERSION" > /workspace/published'),
    });
    this.pod.addStep('upload-reports', {
      ...image,
      dependsOn: [test],
      runIf: RunIf.always(),
      command: sh('cp /workspace/report.txt /workspace/uploaded.txt'),
    });
    this.pod.addStep('notify', {
      ...image,
      dependsOn: [test],
      runIf: RunIf.anyFailed(),
      resultEnv: { VERSION: build.result('version') },
      command: sh('echo "tests of $VERSION failed" > /workspace/notified'),
    });
    this.pod.addStep('deploy', {
      ...image,
      dependsOn: [build],
      runIf: RunIf.resultIn(build.result('channel'), ['stable', 'beta']),
      resultEnv: { VERSION: build.result('version'), CHANNEL: build.result('channel') },
      command: sh('echo "deployed $VERSION to $CHANNEL" > /workspace/deployed'),
    });
    this.pod.addStep('deploy-canary', {
      ...image,
      dependsOn: [build],
      runIf: RunIf.resultIn(build.result('channel'), ['canary']),
      command: sh('echo "deployed canary" > /workspace/canary'),
    });
    this.pod.addFinally('teardown', {
      ...image,
      command: sh('for f in /workspace/*; do echo "$f: $(cat "$f")"; done'),
    });
  }
}
