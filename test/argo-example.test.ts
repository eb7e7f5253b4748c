/** examples/ci-on-argo.ts: the same defineSteps built into a StepPod and a StepWorkflow. */
import { Testing } from 'cdk8s';
import { expectValidArgo } from './argo-schema';
import { validateManifest } from './synth';
import { CiOnArgo } from '../examples/ci-on-argo';

describe('example ci-on-argo', () => {
  const chart = new CiOnArgo(Testing.app(), 'ci-on-argo');
  const [pod, workflow] = Testing.synth(chart);

  test('one Pod and one Workflow, each valid against its schema', () => {
    expect(pod.kind).toBe('Pod');
    validateManifest(pod);
    expect(workflow).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'ci-on-argo-' } });
    expectValidArgo(workflow);
  });

  test('both have the graph defineSteps declared', () => {
    const expected = { checkout: [], unit: ['checkout'], lint: ['checkout'], package: ['unit', 'lint'] };
    for (const host of [chart.pod, chart.workflow]) {
      expect(Object.fromEntries(host.graph.steps.map(s => [s, host.graph.dependenciesOf(s)]))).toEqual(expected);
    }
    expect(workflow.metadata.annotations['cdk8s-steps/graph']).toBe(pod.metadata.annotations['cdk8s-steps/graph']);
  });

  test('the pod wraps each command, the workflow runs it as declared', () => {
    const podCheckout = pod.spec.containers.find((c: any) => c.name === 'checkout');
    const wfCheckout = workflow.spec.templates.find((t: any) => t.name === 'checkout');
    expect(podCheckout.command[0]).not.toBe('git');
    expect(wfCheckout.container.command).toEqual(['git', 'clone', '--depth=1', 'https://github.com/cdk8s-team/cdk8s-plus.git', '/workspace/src']);
    expect(wfCheckout.retryStrategy.limit).toBe(2);
    expect(wfCheckout.activeDeadlineSeconds).toBe(300);
    const dag = workflow.spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag;
    expect(dag.tasks.find((t: any) => t.name === 'package').depends).toBe('unit.Succeeded && (lint.Succeeded || lint.Failed || lint.Errored)');
    expect(workflow.spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
  });
});
