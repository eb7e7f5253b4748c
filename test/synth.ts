/** Helpers for synthesising step pods in tests (charts and synthesis come from cdk8s' `Testing`). */
import { Testing } from 'cdk8s';
import { Job as JobModel } from 'kubernetes-models/batch/v1';
import { Pod as PodModel } from 'kubernetes-models/v1';
import { restrictedViolations } from './pss';
import { StepJob, StepJobProps, StepPod, StepPodProps } from '../src';
import { readWrapperArgs } from '../src/wire/args';

/**
 * Builds a StepPod in a fresh chart, lets `build` add steps, and returns the synthesised Pod
 * manifest, which must pass the Kubernetes schema and the Pod Security Standard restricted.
 */
export function synthPod(build: (pod: StepPod) => void, props: StepPodProps = {}): any {
  const chart = Testing.chart();
  build(new StepPod(chart, 'pod', props));
  return onlyValidManifest(Testing.synth(chart));
}

/** Like `synthPod`, for a StepJob. */
export function synthJob(build: (job: StepJob) => void, props: StepJobProps = {}): any {
  const chart = Testing.chart();
  build(new StepJob(chart, 'job', props));
  return onlyValidManifest(Testing.synth(chart));
}

function onlyValidManifest(manifests: any[]): any {
  expect(manifests).toHaveLength(1);
  validateManifest(manifests[0]);
  expect(restrictedViolations(manifests[0])).toEqual([]);
  return manifests[0];
}

/** Validates a manifest against the Kubernetes schema (kubernetes-models); throws on any violation. */
export function validateManifest(manifest: any): void {
  if (manifest.kind === 'Pod') new PodModel(manifest).validate();
  else if (manifest.kind === 'Job') new JobModel(manifest).validate();
  else throw new Error(`unexpected kind ${manifest.kind}`);
}

/** The PodSpec of a Pod or Job manifest. */
export function podSpec(manifest: any): any {
  return manifest.kind === 'Job' ? manifest.spec.template.spec : manifest.spec;
}

/** The container (or initContainer) of a Pod or Job manifest with the given name. */
export function container(manifest: any, name: string): any {
  const spec = podSpec(manifest);
  const found = [...spec.containers, ...spec.initContainers ?? []].find((c: any) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

/** The value of one `-flag=value` argument of a step container (the first, if repeated), or undefined. */
export function flag(c: any, name: string): string | undefined {
  const read = readWrapperArgs(c.command, c.args);
  if (!read) throw new Error(`container ${c.name} does not run through the wrapper`);
  return read.flags.get(name)?.[0];
}

/**
 * The kubelet's expansion of `$(VAR)` in command and args (k8s.io/kubernetes
 * third_party/forked/golang/expansion): `$$` is `$`, `$(name)` of a defined variable its value,
 * anything else stays as written.
 */
export function kubeletExpand(input: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 === input.length) {
      out += input[i];
      continue;
    }
    const next = input[i + 1];
    const close = input.indexOf(')', i + 2);
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(' && close >= 0) {
      const name = input.slice(i + 2, close);
      out += name in env ? env[name] : `$(${name})`;
      i = close;
    } else {
      out += `$${next}`;
      i += 1;
    }
  }
  return out;
}
