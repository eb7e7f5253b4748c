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
import { K8sObject, stepHostOf } from '../wire/workload';

/** A Pod or Job made by cdk8s-steps. */
export interface StepWorkload {
  readonly kind: string;
  readonly name: string;
  /** The object as found (a Job keeps its kind; its pod is the template). */
  readonly object: K8sObject;
  /** The pod spec (a Job's template spec). */
  readonly podSpec: K8sObject;
  readonly graph: StepGraphData;
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

/** The step workloads among `docs`; `file` names the input in messages. */
export function stepWorkloads(docs: K8sObject[], file: string): StepWorkload[] {
  const out: StepWorkload[] = [];
  for (const o of docs) {
    const host = stepHostOf(o);
    const annotation = host?.annotations[GRAPH_ANNOTATION];
    if (!host?.pod || annotation === undefined) continue;
    out.push({
      kind: host.kind,
      name: host.name,
      object: o,
      podSpec: host.pod.spec,
      graph: readGraphAnnotation(annotation, `${host.kind} ${host.name} in ${file}`),
    });
  }
  return out;
}

/**
 * The one workload to act on: the one named by `--pod`, or the only one. Errors name what there is.
 */
export function pickWorkload(docs: K8sObject[], file: string, pod: string | undefined): StepWorkload {
  const all = stepWorkloads(docs, file);
  if (all.length === 0) {
    const kinds = [...new Set(docs.map((d) => d.kind ?? '?'))].join(', ');
    throw new CliError(`${file} has no StepPod or StepJob (found: ${kinds}; none carries the ${GRAPH_ANNOTATION} annotation); give a manifest synthesised from a chart with a StepPod or StepJob`);
  }
  if (pod !== undefined) {
    const hit = all.find((w) => w.name === pod);
    if (!hit) throw new CliError(`--pod ${pod} names no StepPod or StepJob in ${file}; it has: ${all.map((w) => w.name).join(', ')}`);
    return hit;
  }
  if (all.length > 1) throw new CliError(`${file} has ${all.length} StepPods/StepJobs (${all.map((w) => w.name).join(', ')}); choose one with --pod NAME`);
  return all[0];
}
