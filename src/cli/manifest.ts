/**
 * Reading inputs: a synthesised manifest (YAML or JSON, one or more documents) and the step
 * workloads in it (a Pod or Job carrying the graph annotation), or a Pod / List of Pods as
 * `kubectl get ... -o json` prints them.
 */
import * as fs from 'fs';
import * as YAML from 'yaml';
import { CliError } from './errors';
import { readGraphAnnotation, StepGraphData } from '../wire/graph';
import { GRAPH_ANNOTATION } from '../wire/layout';
import { HostTraits, podTraits, workflowTraits } from '../wire/step-traits';
import { K8sObject, stepHostOf } from '../wire/workload';

/** An object made by cdk8s-steps: a StepPod's Pod, a StepJob's Job, a StepWorkflow's Workflow. */
export interface StepHost {
  /** `Pod`, `Job`, `Workflow` or `WorkflowTemplate`. */
  readonly kind: string;
  /** `metadata.name`, else its `generateName`. */
  readonly name: string;
  /** The object as found (a Job keeps its kind; its pod is the template). */
  readonly object: K8sObject;
  readonly graph: StepGraphData;
  /** What the object says of each step (condition, retries, timeout, onError, finally) and its sidecars. */
  readonly traits: HostTraits;
}

/** A Pod or Job made by cdk8s-steps: one pod runs every step. */
export interface StepWorkload extends StepHost {
  /** The pod spec (a Job's template spec). */
  readonly podSpec: K8sObject;
}

/** How messages name an input file: its path, or `standard input` for `-`. */
export function inputName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/** Reads a file, or standard input for `-`. */
export function readInput(file: string, what = 'a synthesised manifest (cdk8s synth writes dist/*.k8s.yaml)'): string {
  if (file === '-') return fs.readFileSync(0, 'utf8');
  if (!fs.existsSync(file)) throw new CliError(`${file} does not exist; give the path of ${what}`);
  if (fs.statSync(file).isDirectory()) throw new CliError(`${file} is a directory; give one manifest file, e.g. ${file.replace(/\/$/, '')}/<chart>.k8s.yaml`);
  return fs.readFileSync(file, 'utf8');
}

/** Parses YAML (which includes JSON) with one or more documents into objects. */
export function parseDocuments(text: string, file: string): K8sObject[] {
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text) as YAML.Document.Parsed[];
  } catch (e) {
    throw new CliError(`${file} is not YAML or JSON (${oneLine((e as Error).message)}); give a manifest synthesised by cdk8s`);
  }
  const failed = docs.find((d) => d.errors.length > 0);
  if (failed) throw new CliError(`${file} is not YAML or JSON (${oneLine(failed.errors[0].message)}); give a manifest synthesised by cdk8s`);
  const objects = docs.map((d) => d.toJSON()).filter((o) => o !== null && o !== undefined);
  if (objects.length === 0) throw new CliError(`${file} is empty; give a manifest synthesised by cdk8s`);
  if (!objects.every((o) => typeof o === 'object' && !Array.isArray(o))) {
    throw new CliError(`${file} is not a Kubernetes manifest (a document is not an object); give a manifest synthesised by cdk8s`);
  }
  return objects;
}

function oneLine(s: string): string {
  return s.split('\n')[0].trim();
}

/** The objects made by cdk8s-steps among `docs` (Workflows too); `file` names the input in messages. */
export function stepHosts(docs: K8sObject[], file: string): Array<StepHost & { readonly podSpec?: K8sObject }> {
  const out: Array<StepHost & { readonly podSpec?: K8sObject }> = [];
  for (const o of docs) {
    const host = stepHostOf(o);
    const annotation = host?.annotations[GRAPH_ANNOTATION];
    if (!host || annotation === undefined) continue;
    const name = host.name || (typeof o.metadata?.generateName === 'string' ? o.metadata.generateName : '');
    const graph = readGraphAnnotation(annotation, `${host.kind} ${name} in ${file}`);
    out.push({
      kind: host.kind,
      name,
      object: o,
      graph,
      traits: host.pod ? podTraits(graph, host.pod.spec) : workflowTraits(graph, o),
      ...host.pod ? { podSpec: host.pod.spec } : {},
    });
  }
  return out;
}

/** The step workloads (a StepPod's Pod, a StepJob's Job) among `docs`; `file` names the input in messages. */
export function stepWorkloads(docs: K8sObject[], file: string): StepWorkload[] {
  return stepHosts(docs, file).filter((h): h is StepWorkload => h.podSpec !== undefined);
}

/**
 * What a document is, for messages that list what an input holds: `a Service (web)`, `a Workflow
 * made by cdk8s-steps (ci-)`, `a cdk8s.yaml project file`, not `?`.
 */
export function describeDocument(o: K8sObject): string {
  const has = (...keys: string[]) => keys.every((k) => Object.prototype.hasOwnProperty.call(o, k));
  if (typeof o.kind === 'string') {
    const name = o.metadata?.name ?? o.metadata?.generateName;
    const named = typeof name === 'string' ? ` ${name}` : '';
    const host = stepHostOf(o);
    if (host && host.annotations[GRAPH_ANNOTATION] !== undefined) return `a ${o.kind}${named} made by cdk8s-steps`;
    if (host) return `a ${o.kind}${named} without the ${GRAPH_ANNOTATION} annotation`;
    return `a ${o.kind}${named}`;
  }
  if (has('language') && (has('app') || has('imports'))) return 'a cdk8s.yaml project file (cdk8s synth writes the manifests: give one of dist/*.k8s.yaml)';
  if (typeof o.name === 'string' && (has('dependencies') || has('devDependencies') || has('scripts'))) return 'an npm package.json';
  if (has('apiVersion', 'name', 'version') && !has('kind')) return 'a Helm Chart.yaml (render it first: helm template)';
  if (has('clusters', 'contexts')) return 'a kubeconfig';
  if (has('jobs') && (has('on') || has('true'))) return 'a GitHub Actions workflow';
  if (has('services')) return 'a Docker Compose file';
  if (has('resources') || has('bases') || has('patches')) return 'a kustomization file (render it first: kubectl kustomize)';
  const keys = Object.keys(o);
  return keys.length ? `a document without a kind (keys: ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''})` : 'an empty object';
}

/** What `docs` hold, each kind of document once: for "found: …" in messages. */
export function describeDocuments(docs: K8sObject[]): string {
  const seen = [...new Set(docs.map(describeDocument))];
  return seen.length > 6 ? `${seen.slice(0, 6).join('; ')}; and ${seen.length - 6} more` : seen.join('; ');
}

/**
 * The one workload to act on: the one named by `--pod`, or the only one. Errors name what there is.
 */
export function pickWorkload(docs: K8sObject[], file: string, pod: string | undefined): StepWorkload {
  const all = stepWorkloads(docs, file);
  if (all.length === 0) {
    const workflows = stepHosts(docs, file).filter((h) => h.podSpec === undefined);
    if (workflows.length > 0) {
      throw new CliError(`${file} has no StepPod or StepJob, only ${describeDocuments(workflows.map((w) => w.object))}: a StepWorkflow runs on a cluster with Argo Workflows, not in podman (cdk8s-steps graph draws it)`);
    }
    throw new CliError(`${file} has no StepPod or StepJob (found: ${describeDocuments(docs)}); give a manifest synthesised from a chart with a StepPod or StepJob`);
  }
  return pickByName(all, file, pod, 'StepPod or StepJob', 'StepPods/StepJobs');
}

/** The one object to draw: a StepPod's Pod, a StepJob's Job or a StepWorkflow's Workflow, by `--pod` or the only one. */
export function pickStepHost(docs: K8sObject[], file: string, name: string | undefined): StepHost & { readonly podSpec?: K8sObject } {
  const all = stepHosts(docs, file);
  if (all.length === 0) {
    throw new CliError(`${file} has no StepPod, StepJob or StepWorkflow (found: ${describeDocuments(docs)}); give a manifest synthesised from a chart with one`);
  }
  return pickByName(all, file, name, 'StepPod, StepJob or StepWorkflow', 'objects made by cdk8s-steps');
}

function pickByName<T extends StepHost>(all: T[], file: string, name: string | undefined, what: string, plural: string): T {
  if (name !== undefined) {
    const hit = all.find((w) => w.name === name);
    if (!hit) throw new CliError(`--pod ${name} names no ${what} in ${file}; it has: ${all.map((w) => w.name).join(', ')}`);
    return hit;
  }
  if (all.length > 1) throw new CliError(`${file} has ${all.length} ${plural} (${all.map((w) => `${w.kind} ${w.name}`).join(', ')}); choose one with --pod NAME`);
  return all[0];
}
