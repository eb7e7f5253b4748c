/**
 * The pure half of the library: rewrites the PodSpec that cdk8s-plus builds into one whose steps
 * run in dependency order through the entrypoint. Plain data in, plain data out: no constructs,
 * so it can be tested and reasoned about on its own. Internal: not part of the public API.
 */
import { k8s } from 'cdk8s-plus-33';
import { StepGraph } from './graph';
import * as layout from './layout';
import { formatQuantity, parseQuantity } from './quantity';
import { ResourceStrategy } from './resource-strategy';

/** What one step needs from the transformation. */
export interface StepPlan {
  readonly name: string;
  readonly dependsOn: string[];
  /** A Go duration, e.g. "90s". */
  readonly timeout?: string;
  readonly retries: number;
  readonly continueOnError: boolean;
}

/** Everything the transformation needs besides the PodSpec. */
export interface InjectionPlan {
  /** Steps in declaration order; each names a container of the spec. */
  readonly steps: StepPlan[];
  /** Names of the sidecars (initContainers with restartPolicy Always) that get the workspace. */
  readonly sidecars: string[];
  readonly entrypoint: { image: string; binaryPath: string; imagePullPolicy: string };
  readonly failFast: boolean;
  readonly workspace: boolean;
  readonly resourceStrategy: ResourceStrategy;
}

/** Resources whose requests PEAK may lower: the API requires request == limit for the others. */
const SHAREABLE = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** Resources a pod-level `spec.resources` may carry. */
const POD_LEVEL = new Set(['cpu', 'memory']);

/** Small explicit resources for the copy container: it copies a ~2 MiB file and exits. */
const INIT_RESOURCES = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } };

/**
 * What a container effectively requests: its requests, and for a resource with a limit but no
 * request the limit (Kubernetes copies it). As plain quantity strings.
 */
export function effectiveRequests(resources: k8s.ResourceRequirements | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, q] of Object.entries(resources?.limits ?? {})) result[name] = String(q.value);
  for (const [name, q] of Object.entries(resources?.requests ?? {})) result[name] = String(q.value);
  return result;
}

/** The graph of the plan's steps, with what each step's container requests. */
export function planGraph(plan: InjectionPlan, containers: k8s.Container[]): StepGraph {
  const byName = new Map(containers.map(c => [c.name, c]));
  return StepGraph.fromNodes(plan.steps.map(step => ({
    name: step.name,
    dependsOn: step.dependsOn,
    requests: effectiveRequests(byName.get(step.name)?.resources),
  })));
}

/** The JSON recorded in the graph annotation: step -> direct dependencies, in declaration order. */
export function graphAnnotation(steps: StepPlan[]): string {
  return JSON.stringify(Object.fromEntries(steps.map(s => [s.name, s.dependsOn])));
}

/** The wrapper's arguments for one step (see docs/contract.md). */
export function wrapperArgs(step: StepPlan, failFast: boolean, command: string[], args: string[]): string[] {
  const flags = [`-step_name=${step.name}`];
  if (step.dependsOn.length > 0) flags.push(`-wait_file=${step.dependsOn.map(layout.postFile).join(',')}`);
  flags.push(`-post_file=${layout.postFile(step.name)}`, `-termination_path=${layout.reportFile(step.name)}`);
  if (step.timeout) flags.push(`-timeout=${step.timeout}`);
  if (step.retries > 0) flags.push(`-retries=${step.retries}`);
  if (step.continueOnError) flags.push('-on_error=continue');
  if (failFast) flags.push(`-abort_file=${layout.ABORT_FILE}`);
  return [...flags, `-entrypoint=${command[0]}`, '--', ...command.slice(1), ...args];
}

/**
 * Rewrites `spec` so that its step containers run through the entrypoint in dependency order.
 * The input is not modified.
 * @param graph the plan's graph, as `planGraph(plan, spec.containers)` builds it
 */
export function injectSteps(spec: k8s.PodSpec, plan: InjectionPlan, graph = planGraph(plan, spec.containers)): k8s.PodSpec {
  const steps = new Map(plan.steps.map(s => [s.name, s]));
  const sidecars = new Set(plan.sidecars);
  const workspaceMount = plan.workspace ? [{ name: layout.WORKSPACE_VOLUME, mountPath: layout.WORKSPACE_PATH }] : [];
  const abortMount = plan.failFast ? [{ name: layout.ABORT_VOLUME, mountPath: layout.ABORT_DIR }] : [];
  const binMount = { name: layout.BIN_VOLUME, mountPath: layout.BIN_DIR, readOnly: true };

  const requests = plan.resourceStrategy === ResourceStrategy.SUM ? undefined : peakRequests(graph);

  const containers = spec.containers.map((container): k8s.Container => {
    const step = steps.get(container.name);
    if (!step) return container;
    const command = container.command ?? [];
    return {
      ...container,
      command: [layout.WRAPPER_PATH],
      args: wrapperArgs(step, plan.failFast, command, container.args ?? []),
      volumeMounts: [
        ...container.volumeMounts ?? [],
        binMount,
        { name: layout.stateVolume(step.name), mountPath: layout.stateDir(step.name) },
        ...step.dependsOn.map(dep => ({
          name: layout.stateVolume(dep), mountPath: layout.stateDir(dep), readOnly: true,
        })),
        ...workspaceMount,
        ...abortMount,
      ],
      terminationMessagePath: layout.reportFile(step.name),
      terminationMessagePolicy: 'File',
      resources: requests ? withRequests(container.resources, requests.get(step.name)!) : container.resources,
    };
  });

  const initContainers = (spec.initContainers ?? []).map(c => sidecars.has(c.name)
    ? { ...c, volumeMounts: [...c.volumeMounts ?? [], ...workspaceMount] }
    : c);

  const volumes: k8s.Volume[] = [
    ...spec.volumes ?? [],
    { name: layout.BIN_VOLUME, emptyDir: {} },
    ...plan.steps.map(s => ({ name: layout.stateVolume(s.name), emptyDir: {} })),
    ...plan.workspace ? [{ name: layout.WORKSPACE_VOLUME, emptyDir: {} }] : [],
    ...plan.failFast ? [{ name: layout.ABORT_VOLUME, emptyDir: {} }] : [],
  ];

  const result: k8s.PodSpec = {
    ...spec,
    restartPolicy: 'Never',
    initContainers: [copyContainer(plan.entrypoint), ...initContainers],
    containers,
    volumes,
  };
  return plan.resourceStrategy === ResourceStrategy.POD_LEVEL ? withPodLevelResources(result, sidecars) : result;
}

/** The injected initContainer: copies the wrapper into the shared bin volume. PSS restricted. */
function copyContainer(entrypoint: InjectionPlan['entrypoint']): k8s.Container {
  return {
    name: layout.INIT_CONTAINER_NAME,
    image: entrypoint.image,
    imagePullPolicy: entrypoint.imagePullPolicy,
    command: [entrypoint.binaryPath, 'cp', entrypoint.binaryPath, layout.WRAPPER_PATH],
    volumeMounts: [{ name: layout.BIN_VOLUME, mountPath: layout.BIN_DIR }],
    resources: {
      requests: quantities(INIT_RESOURCES.requests),
      limits: quantities(INIT_RESOURCES.limits),
    },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * Per step, the requests PEAK gives it: the steps of one heaviest concurrent set keep what they
 * effectively request, every other step requests 0, so the sum over steps is the peak.
 */
function peakRequests(graph: StepGraph): Map<string, Record<string, string>> {
  const result = new Map(graph.steps.map(name => [name, {} as Record<string, string>]));
  for (const [resource, peak] of graph._peaks()) {
    if (!SHAREABLE.has(resource)) continue;
    for (const name of graph.steps) result.get(name)![resource] = peak.members.has(name) ? '' : '0';
  }
  return result;
}

/** Applies PEAK's requests to one container; '' keeps the effective request, written explicitly. */
function withRequests(resources: k8s.ResourceRequirements | undefined, plan: Record<string, string>) {
  if (Object.keys(plan).length === 0) return resources;
  const effective = effectiveRequests(resources);
  const requests: Record<string, k8s.Quantity> = { ...resources?.requests };
  for (const [resource, value] of Object.entries(plan)) {
    if (effective[resource] === undefined) continue; // requests nothing of it: nothing to lower
    requests[resource] = k8s.Quantity.fromString(value === '' ? effective[resource] : value);
  }
  return { ...resources, requests };
}

/** Adds pod-level requests (cpu, memory) equal to what the containers and sidecars request. */
function withPodLevelResources(spec: k8s.PodSpec, sidecars: Set<string>): k8s.PodSpec {
  const running = [...spec.containers, ...(spec.initContainers ?? []).filter(c => sidecars.has(c.name))];
  const totals: Record<string, k8s.Quantity> = {};
  for (const resource of POD_LEVEL) {
    const values = running.map(c => effectiveRequests(c.resources)[resource]).filter(v => v !== undefined);
    if (values.length === 0) continue;
    const sum = values.reduce((total, v) => total + parseQuantity(v), 0n);
    totals[resource] = k8s.Quantity.fromString(formatQuantity(resource, sum));
  }
  return Object.keys(totals).length === 0 ? spec : { ...spec, resources: { requests: totals } };
}

function quantities(values: Record<string, string>): Record<string, k8s.Quantity> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, k8s.Quantity.fromString(v)]));
}
