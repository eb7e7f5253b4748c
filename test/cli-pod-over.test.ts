/**
 * `status` on a pod that can no longer run (issue 18, item 7): its phase is Failed, so the kubelet
 * starts none of its containers again, and steps that have not ended never will. Such a run is
 * over: exit 1 with the reason, never "still running" (exit 3) forever.
 *
 * The Pod JSON is written by hand as the kubelet writes it (pkg/kubelet/kubelet_pods.go:
 * `getPhase` makes a pod Failed when an init container failed under restartPolicy Never; the
 * containers that never started keep the default waiting state, reason `PodInitializing`
 * (`convertToAPIContainerStatuses`); an eviction by the kubelet sets phase Failed, reason
 * `Evicted` and a message naming the resource (eviction_manager.go), and the status manager's
 * `TerminatePod` turns containers of an initialized pod that have no terminated state into
 * terminated, exit 137, reason `ContainerStatusUnknown`).
 */
import { Testing } from 'cdk8s';
import { newStepPod, runBin } from './cli-helpers';
import { podSteps } from '../src/cli/status';
import { stepTable } from '../src/cli/table';

/** A StepPod a -> b -> c as synthesised, with the status the test gives it. */
function pod(status: object): any {
  const { chart, pod: p } = newStepPod('over');
  const a = p.addStep('a', { image: 'localhost/step:dev', command: ['true'] });
  const b = p.addStep('b', { image: 'localhost/step:dev', command: ['true'], dependsOn: [a] });
  p.addStep('c', { image: 'localhost/step:dev', command: ['true'], dependsOn: [b] });
  const [manifest] = Testing.synth(chart);
  return { ...manifest, metadata: { ...manifest.metadata, namespace: 'ci', uid: '1f0c' }, status };
}

const waiting = (name: string, reason = 'PodInitializing') => ({ name, ready: false, restartCount: 0, image: 'localhost/step:dev', imageID: '', started: false, state: { waiting: { reason } } });
const T0 = '2026-11-27T10:00:00Z';
const report = (step: string) => JSON.stringify({ step, reason: 'Succeeded', exitCode: 0, startedAt: '2026-11-27T10:00:01.000Z', finishedAt: '2026-11-27T10:00:02.000Z', attempts: 1 });

/** The copy init container failed (a wrong binaryPath, say): the pod is Failed, the steps never started. */
const initFailed = {
  phase: 'Failed',
  conditions: [
    { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [cdk8s-steps-init]' },
    { type: 'Ready', status: 'False', reason: 'PodFailed' },
    { type: 'PodScheduled', status: 'True' },
  ],
  hostIP: '10.0.0.5',
  startTime: T0,
  initContainerStatuses: [{
    name: 'cdk8s-steps-init',
    ready: false,
    restartCount: 0,
    image: 'localhost/cdk8s-steps-entrypoint:dev',
    imageID: 'sha256:ab',
    containerID: 'containerd://1',
    state: { terminated: { exitCode: 1, reason: 'Error', message: 'cp: /entrypoint: no such file', startedAt: T0, finishedAt: T0, containerID: 'containerd://1' } },
  }],
  containerStatuses: [waiting('a'), waiting('b'), waiting('c')],
  qosClass: 'Burstable',
};

/** Evicted for ephemeral storage while `b` ran: Failed/Evicted; the kubelet reported the containers it stopped, `c` still waits. */
const evicted = {
  phase: 'Failed',
  reason: 'Evicted',
  message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi. Container b was using 3Gi, request is 0, has larger consumption of ephemeral-storage. ',
  conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'The node was low on resource: ephemeral-storage.' }],
  startTime: T0,
  initContainerStatuses: [{
    name: 'cdk8s-steps-init',
    ready: false,
    restartCount: 0,
    image: 'localhost/cdk8s-steps-entrypoint:dev',
    imageID: 'sha256:ab',
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: T0, finishedAt: T0 } },
  }],
  containerStatuses: [
    { name: 'a', ready: false, restartCount: 0, image: 'localhost/step:dev', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed', message: report('a'), startedAt: T0, finishedAt: '2026-11-27T10:00:02Z' } } },
    { name: 'b', ready: true, restartCount: 0, image: 'localhost/step:dev', imageID: '', started: true, state: { running: { startedAt: T0 } } },
    { name: 'c', ready: true, restartCount: 0, image: 'localhost/step:dev', imageID: '', started: true, state: { running: { startedAt: T0 } } },
  ],
};

/** Evicted before the init container ran to its end: nothing initialized, every step waiting. */
const evictedWhileInitializing = {
  phase: 'Failed',
  reason: 'Evicted',
  message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. ',
  startTime: T0,
  initContainerStatuses: [{ name: 'cdk8s-steps-init', ready: false, restartCount: 0, image: 'localhost/cdk8s-steps-entrypoint:dev', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
  containerStatuses: [waiting('a'), waiting('b'), waiting('c')],
};

describe('a pod that can no longer run is over: exit 1 with the reason', () => {
  test('the copy init container failed: the steps are NotRun, the reason names the init container and what to check', () => {
    const p = podSteps(pod(initFailed))!;
    expect(p.outcome).toBe('failed');
    expect(p.over).toBe('init container cdk8s-steps-init failed with exit code 1 (Error: cp: /entrypoint: no such file) (it copies the entrypoint: check the image given to Entrypoint.fromImage and its binaryPath)');
    expect(p.views.map((v) => [v.name, v.state, v.over?.reason])).toEqual([['a', 'ended', 'NotRun'], ['b', 'ended', 'NotRun'], ['c', 'ended', 'NotRun']]);
    expect(stepTable(p.views)).toMatch(/^a +NotRun +- +- +- +- +its pod can no longer run: init container cdk8s-steps-init failed/m);
  });

  test('evicted while a step ran: the ended step keeps its report, the running one is Lost, the rest NotRun', () => {
    const p = podSteps(pod(evicted))!;
    expect(p.outcome).toBe('failed');
    expect(p.over).toMatch(/^Evicted: The node was low on resource: ephemeral-storage\./);
    expect(p.views.map((v) => [v.name, v.report?.reason ?? v.over?.reason])).toEqual([['a', 'Succeeded'], ['b', 'Lost'], ['c', 'Lost']]);
  });

  test('evicted while initializing: every step NotRun', () => {
    const p = podSteps(pod(evictedWhileInitializing))!;
    expect(p.outcome).toBe('failed');
    expect(p.views.every((v) => v.over?.reason === 'NotRun')).toBe(true);
  });

  test('through the bin: exit 1 and the reason in the header, for each; a pod still initializing is still exit 3', async () => {
    for (const [status, header] of [
      [initFailed, /^pod ci\/cli-over-c8\w+: Failed, the run failed: the pod can no longer run \(init container cdk8s-steps-init failed with exit code 1/],
      [evicted, /^pod ci\/cli-over-c8\w+: Failed, the run failed: the pod can no longer run \(Evicted: The node was low on resource: ephemeral-storage/],
      [evictedWhileInitializing, /^pod ci\/cli-over-c8\w+: Failed, the run failed: the pod can no longer run \(Evicted: The node was low on resource: memory/],
    ] as const) {
      const r = await runBin(['status', '-'], { input: JSON.stringify(pod(status)) });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
      expect(r.stdout).toMatch(header);
    }
    // The same pod while its init container still runs: Pending, steps waiting: still running (3).
    const initializing = { ...evictedWhileInitializing, phase: 'Pending', reason: undefined, message: undefined };
    const r = await runBin(['status', '-', '-o', 'json'], { input: JSON.stringify(pod(initializing)) });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).over).toBeUndefined();
  });
});
