/** Helpers for synthesising step pods in tests. */
import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Job as JobModel } from 'kubernetes-models/batch/v1';
import { Pod as PodModel } from 'kubernetes-models/v1';
import { StepJob, StepJobProps, StepPod, StepPodProps } from '../src';

/** A fresh chart in a test app. */
export function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

/** Synthesises the chart and returns its manifests as plain JSON. */
export function synth(chart: Chart): any[] {
  return Testing.synth(chart);
}

/**
 * Builds a StepPod, lets `build` add steps, and returns the synthesised Pod manifest, which must
 * pass the Kubernetes schema.
 */
export function synthPod(build: (pod: StepPod) => void, props: StepPodProps = {}): any {
  const chart = newChart();
  build(new StepPod(chart, 'pod', props));
  return onlyValidManifest(chart);
}

/** Like `synthPod`, for a StepJob. */
export function synthJob(build: (job: StepJob) => void, props: StepJobProps = {}): any {
  const chart = newChart();
  build(new StepJob(chart, 'job', props));
  return onlyValidManifest(chart);
}

function onlyValidManifest(chart: Chart): any {
  const manifests = synth(chart);
  expect(manifests).toHaveLength(1);
  validateManifest(manifests[0]);
  return manifests[0];
}

/** Validates a manifest against the Kubernetes schema (kubernetes-models); throws on any violation. */
export function validateManifest(manifest: any): void {
  if (manifest.kind === 'Pod') new PodModel(manifest).validate();
  else if (manifest.kind === 'Job') new JobModel(manifest).validate();
  else throw new Error(`unexpected kind ${manifest.kind}`);
}

/** The container of a Pod manifest with the given name. */
export function container(manifest: any, name: string): any {
  const spec = manifest.kind === 'Job' ? manifest.spec.template.spec : manifest.spec;
  const found = [...spec.containers, ...spec.initContainers ?? []].find((c: any) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

/** The value of one `-flag=value` argument of a step container, or undefined. */
export function flag(c: any, name: string): string | undefined {
  const prefix = `-${name}=`;
  const args: string[] = c.args.slice(0, c.args.indexOf('--'));
  return args.find(a => a.startsWith(prefix))?.slice(prefix.length);
}

/** Creates the scope type tests need for cross-pod checks. */
export function twoPods(): [StepPod, StepPod, Construct] {
  const chart = newChart();
  return [new StepPod(chart, 'one'), new StepPod(chart, 'two'), chart];
}
