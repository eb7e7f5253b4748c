/**
 * Building blocks for e2e scenarios (and the makespan benchmark): StepPods/StepJobs that use the
 * locally built images, and step scripts that stamp their start and end in nanoseconds.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { ENTRYPOINT_IMAGE, STEP_IMAGE } from './images';
import { Entrypoint, IStepHost, Step, StepJob, StepJobProps, StepOptions, StepPod, StepPodProps } from '../../src';
import { podman } from '../../src/local';
import { K8sObject } from '../../src/wire/workload';

/** The uid/gid every container of an e2e pod runs with: podman hands an emptyDir to the user of the container that mounts it, so all containers of a pod must share one uid (the kubelet makes emptyDirs world-writable instead). */
export const E2E_UID = 1000;

/** The entrypoint image built locally by ./images.ts; never pulled. */
export function localEntrypoint(): Entrypoint {
  return Entrypoint.fromImage(ENTRYPOINT_IMAGE, { imagePullPolicy: kplus.ImagePullPolicy.NEVER });
}

/** A fresh chart to put one pod into. */
export function newChart(id = 'e2e'): Chart {
  return new Chart(Testing.app(), id);
}

/** A StepPod wired for podman: local entrypoint image, one shared non-root uid/gid. */
export function e2ePod(chart: Chart, id: string, props: StepPodProps = {}): StepPod {
  return new StepPod(chart, id, {
    entrypoint: localEntrypoint(),
    securityContext: { user: E2E_UID, group: E2E_UID },
    ...props,
  });
}

/** A StepJob wired for podman, like e2ePod. */
export function e2eJob(chart: Chart, id: string, props: StepJobProps = {}): StepJob {
  return new StepJob(chart, id, {
    entrypoint: localEntrypoint(),
    securityContext: { user: E2E_UID, group: E2E_UID },
    ...props,
  });
}

/**
 * A shell script that stamps `<name>.start`, runs `body` in a subshell, stamps `<name>.end` and
 * exits with the body's status. The stamps go to /workspace/stamps (see test/e2e/step-image/stamp.go).
 */
export function stamped(name: string, body = 'true'): string {
  return `stamp ${name}.start\n(\n${body}\n)\nrc=$?\nstamp ${name}.end\nexit $rc\n`;
}

/**
 * Adds a step running `stamped(name, body)` in the local busybox step image.
 * `options` may add dependsOn, timeout, retries, onError, or override the command.
 */
export function shStep(pod: IStepHost, name: string, body = 'true', options: Partial<StepOptions> = {}): Step {
  return pod.addStep(name, {
    image: STEP_IMAGE,
    imagePullPolicy: kplus.ImagePullPolicy.NEVER,
    command: ['sh', '-c', stamped(name, body)],
    ...options,
  });
}

/** The synthesised manifest of a chart, as plain objects (exactly what `cdk8s synth` would write). */
export function synth(chart: Chart): K8sObject[] {
  return Testing.synth(chart);
}

/** The podman pods whose names start with `prefix` (a run's pod left behind, or none). */
export async function podsNamed(prefix: string): Promise<string[]> {
  const r = await podman(['pod', 'ls', '--format', '{{.Name}}']);
  return r.stdout.split('\n').filter((n) => n.startsWith(prefix));
}

/** The podman volumes of a run (`runId`: the suffix of its pod's name). */
export async function volumesOf(runId: string): Promise<string[]> {
  const r = await podman(['volume', 'ls', '--format', '{{.Name}}']);
  return r.stdout.split('\n').filter((n) => n.startsWith(`${runId}-`));
}
