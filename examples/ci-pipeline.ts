/**
 * A CI-style fan-out/fan-in: check out once, run unit tests, lint and type-check side by side on
 * the shared /workspace, then build and publish when all three passed.
 */
import { Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { OnError, StepPod } from '../src'; // in your project: from 'cdk8s-steps'

export class CiPipeline extends Chart {
  public readonly pod: StepPod;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.pod = new StepPod(this, 'ci', {
      securityContext: { user: 1000, group: 1000 },
      failFast: true, // a red test stops everything that has not started yet
    });
    const node = (cpu: number) => ({
      image: 'node:22-alpine',
      workingDir: '/workspace/src',
      // npm writes its cache under $HOME: point it into the workspace (the root filesystem is read-only).
      envVariables: { HOME: kplus.EnvValue.fromValue('/workspace/home') },
      resources: { cpu: { request: kplus.Cpu.units(cpu), limit: kplus.Cpu.units(cpu * 2) } },
    });

    const checkout = this.pod.addStep('checkout', {
      image: 'alpine/git:2.45.2',
      command: ['git', 'clone', '--depth=1', 'https://github.com/cdk8s-team/cdk8s-plus.git', '/workspace/src'],
      envVariables: { HOME: kplus.EnvValue.fromValue('/workspace') },
      retries: 2, // the network flakes
      timeout: Duration.minutes(5),
    });
    const install = this.pod.addStep('install', { ...node(1), command: ['npm', 'ci'], dependsOn: [checkout] });
    const unit = this.pod.addStep('unit', { ...node(2), command: ['npx', 'jest'], dependsOn: [install] });
    const lint = this.pod.addStep('lint', { ...node(1), command: ['npx', 'eslint', 'src'], dependsOn: [install], onError: OnError.CONTINUE });
    const types = this.pod.addStep('typecheck', { ...node(1), command: ['npx', 'tsc', '--noEmit'], dependsOn: [install] });
    const build = this.pod.addStep('build', { ...node(1), command: ['npx', 'tsc'], dependsOn: [unit, lint, types] });
    this.pod.addStep('publish', {
      image: 'alpine:3.20',
      command: ['sh', '-c', 'ls -la /workspace/src/lib && echo published'],
      dependsOn: [build],
    });
  }
}
