/**
 * The resource half of the pod transformation: what each step container requests under
 * `ResourceStrategy.PEAK`, and the pod-level requests of `POD_LEVEL`. Pure: PodSpec data in and out.
 * Internal: not part of the public API.
 */
import { k8s } from 'cdk8s-plus-33';
import { aggregateRequest } from './pod-level';
import { isSidecar } from './sidecar';
import { formatQuantity, parseQuantity } from '../graph/quantity';
import { StepGraph } from '../graph/step-graph';
import { Plan } from '../plan';

/** How the pod's requests account for steps that never run at once (the values of `ResourceStrategy`). */
export type ResourceMode = 'peak' | 'sum' | 'pod-level';

/**
 * The outcome of PEAK, per shareable resource: the steps of one heaviest concurrent set. They keep
 * what they effectively request; every other step that requests the resource requests an explicit 0.
 */
export type PeakAssignment = ReadonlyMap<string, ReadonlySet<string>>;

/** Resources whose requests PEAK may lower: the API requires request == limit for the others. */
const SHAREABLE = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** Resources a pod-level `spec.resources` may carry. */
const POD_LEVEL = ['cpu', 'memory'];

/** Resource requirements as cdk8s-plus holds them (`k8s.Quantity`) or as a manifest writes them (strings). */
export interface AnyResourceRequirements {
  readonly requests?: { readonly [name: string]: k8s.Quantity | string | number };
  readonly limits?: { readonly [name: string]: k8s.Quantity | string | number };
}

/**
 * What a container effectively requests: its requests, and for a resource with a limit but no
 * request the limit (Kubernetes copies it). As plain quantity strings. The one place of the rule:
 * the pod transformation, the host's graph and the benchmarks read it here.
 */
export function effectiveRequests(resources: AnyResourceRequirements | undefined): Record<string, string> {
  const text = (q: k8s.Quantity | string | number) => String(typeof q === 'object' ? q.value : q);
  const result: Record<string, string> = {};
  for (const [name, q] of Object.entries(resources?.limits ?? {})) result[name] = text(q);
  for (const [name, q] of Object.entries(resources?.requests ?? {})) result[name] = text(q);
  return result;
}

/** The graph of the plan's steps, weighted with what each step's container in `containers` requests. */
export function requestGraph(plan: Plan, containers: k8s.Container[]): StepGraph {
  const byName = new Map(containers.map(c => [c.name, c]));
  return StepGraph.fromNodes(plan.steps.map(step => ({
    name: step.name,
    dependsOn: step.dependsOn,
    requests: effectiveRequests(byName.get(step.name)?.resources),
  })));
}

/** PEAK's assignment for the steps of `graph` (see `PeakAssignment`). */
export function peakAssignment(graph: StepGraph): PeakAssignment {
  const result = new Map<string, ReadonlySet<string>>();
  for (const [resource, peak] of graph._peaks()) {
    if (SHAREABLE.has(resource)) result.set(resource, peak.members);
  }
  return result;
}

/**
 * The resources of step `step` under `assignment`: a kept step writes its effective request
 * explicitly (a limit-only resource included), any other step requests 0. Limits stay as given.
 */
export function withAssignedRequests(resources: k8s.ResourceRequirements | undefined, step: string,
  assignment: PeakAssignment): k8s.ResourceRequirements | undefined {
  const effective = effectiveRequests(resources);
  const requests: Record<string, k8s.Quantity> = { ...resources?.requests };
  let changed = false;
  for (const [resource, kept] of assignment) {
    if (effective[resource] === undefined) continue; // requests nothing of it: nothing to lower
    requests[resource] = k8s.Quantity.fromString(kept.has(step) ? effective[resource] : '0');
    changed = true;
  }
  return changed ? { ...resources, requests } : resources;
}

/**
 * Adds pod-level requests (cpu, memory) equal to the aggregate Kubernetes requires them to cover:
 * the largest of all regular containers plus every sidecar, and of each initContainer (the copy
 * container and user ones included) plus the sidecars started before it.
 */
export function withPodLevelResources(spec: k8s.PodSpec): k8s.PodSpec {
  const totals: Record<string, k8s.Quantity> = {};
  const requestOf = (c: k8s.Container, resource: string) => {
    const q = effectiveRequests(c.resources)[resource];
    return q === undefined ? undefined : parseQuantity(q);
  };
  for (const resource of POD_LEVEL) {
    const all = [...spec.initContainers ?? [], ...spec.containers];
    if (all.every(c => requestOf(c, resource) === undefined)) continue;
    const total = aggregateRequest(
      (spec.initContainers ?? []).map(c => ({ request: requestOf(c, resource) ?? 0n, sidecar: isSidecar(c) })),
      spec.containers.map(c => requestOf(c, resource) ?? 0n));
    totals[resource] = k8s.Quantity.fromString(formatQuantity(resource, total));
  }
  return Object.keys(totals).length === 0 ? spec : { ...spec, resources: { requests: totals } };
}
