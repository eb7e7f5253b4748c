/**
 * The pure half of the library: rewrites the PodSpec that cdk8s-plus builds into one whose steps
 * run in dependency order through the entrypoint. Plain data in (the PodSpec and the plan), plain
 * data out: no constructs. Internal: not part of the public API.
 */
import { k8s } from 'cdk8s-plus-33';
import { ResourceMode, peakAssignment, requestGraph, withAssignedRequests, withPodLevelResources } from './resources';
import { isSidecar } from './sidecar';
import { StepGraph } from '../graph/step-graph';
import { Plan, resultProducers } from '../plan';
import { wrapperArgs } from '../wire/args';
import { messageBudget } from '../wire/budget';
import * as layout from '../wire/layout';

/** What the pod target needs besides the plan: how to inject the wrapper and treat resources. */
export interface PodOptions {
  readonly entrypoint: { readonly image: string; readonly binaryPath: string; readonly imagePullPolicy: string };
  readonly resources: ResourceMode;
  /**
   * The plan's graph weighted with what each step container of the spec effectively requests, when
   * the caller has it already (the host's `graph`, read from the same containers): PEAK uses it
   * instead of building the same graph again from `spec.containers`.
   * @default - built from `spec.containers` (`requestGraph`)
   */
  readonly requestGraph?: StepGraph;
}

/** Small explicit resources for the copy container: it copies a ~2 MiB file and exits. */
const INIT_RESOURCES = {
  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
  limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('32Mi') },
};

/**
 * Rewrites `spec` so that its step containers (the containers the plan names) run through the
 * entrypoint in dependency order. Every initContainer with `restartPolicy: Always` is a sidecar
 * and gets the workspace. The input is not modified.
 */
export function injectSteps(spec: k8s.PodSpec, plan: Plan, options: PodOptions): k8s.PodSpec {
  const steps = new Map(plan.steps.map(s => [s.name, s]));
  const workspaceMount = plan.workspace ? [{ name: layout.WORKSPACE_VOLUME, mountPath: layout.WORKSPACE_PATH }] : [];
  const abortMount = plan.failFast ? [{ name: layout.ABORT_VOLUME, mountPath: layout.ABORT_DIR }] : [];
  const binMount = { name: layout.BIN_VOLUME, mountPath: layout.BIN_DIR, readOnly: true };
  // The restricted profile's seccomp setting is written once, on the pod, unless the pod has one:
  // every container that sets none inherits it (the kubelet's getSeccompProfile takes the
  // container's profile, else the pod's), so it is not repeated on each container.
  const securityContext: k8s.PodSecurityContext = spec.securityContext?.seccompProfile !== undefined ? spec.securityContext
    : { ...spec.securityContext, seccompProfile: { type: 'RuntimeDefault' } };
  // every container of the pod: the copy container, the user's initContainers and sidecars, the steps
  const budget = messageBudget(1 + (spec.initContainers?.length ?? 0) + spec.containers.length);
  const assignment = options.resources === 'sum' ? undefined : peakAssignment(options.requestGraph ?? requestGraph(plan, spec.containers));

  const containers = spec.containers.map((container): k8s.Container => {
    const step = steps.get(container.name);
    if (!step) return container;
    return {
      ...container,
      securityContext: restricted(container.securityContext, true),
      command: [layout.WRAPPER_PATH],
      args: wrapperArgs(step, plan, budget, container.command ?? [], container.args ?? []),
      volumeMounts: [
        ...container.volumeMounts ?? [],
        binMount,
        { name: layout.stateVolume(step.name), mountPath: layout.stateDir(step.name) },
        // read-only: the direct dependencies and the producers of the results it reads
        ...[...step.dependsOn, ...resultProducers(step)]
          .map(dep => ({ name: layout.stateVolume(dep), mountPath: layout.stateDir(dep), readOnly: true })),
        ...workspaceMount,
        ...abortMount,
      ],
      // read as the termination message; the policy is Kubernetes' default, File (the API server's
      // SetDefaults_Container sets it), so it is not written
      terminationMessagePath: layout.reportFile(step.name),
      resources: assignment ? withAssignedRequests(container.resources, step.name, assignment) : container.resources,
    };
  });

  const initContainers = (spec.initContainers ?? []).map(c => ({
    ...c,
    securityContext: restricted(c.securityContext, true),
    ...plan.workspace && isSidecar(c) ? { volumeMounts: [...c.volumeMounts ?? [], ...workspaceMount] } : {},
  }));

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
    securityContext,
    initContainers: [copyContainer(options.entrypoint), ...initContainers],
    containers,
    volumes,
  };
  return options.resources === 'pod-level' ? withPodLevelResources(result) : result;
}

/**
 * The security context of a step, a sidecar or another initContainer, made to meet the Pod Security Standard *restricted*
 * wherever the user left a setting out (cdk8s-plus already defaults runAsNonRoot and
 * allowPrivilegeEscalation): all capabilities dropped, the runtime's default seccomp profile
 * unless the pod sets one (`injectSteps` always gives the pod one, so its containers inherit it). A
 * setting the user gave explicitly is kept, also one that loosens it.
 */
export function restricted(sc: k8s.SecurityContext | undefined, podSeccomp: boolean): k8s.SecurityContext {
  return {
    ...sc,
    allowPrivilegeEscalation: sc?.allowPrivilegeEscalation ?? false,
    runAsNonRoot: sc?.runAsNonRoot ?? true,
    capabilities: sc?.capabilities ?? { drop: ['ALL'] },
    ...sc?.seccompProfile || podSeccomp ? {} : { seccompProfile: { type: 'RuntimeDefault' } },
  };
}

/** The uid and gid of the copy container: distroless' "nonroot", so it runs under any pod security context. */
const COPY_USER = 65532;

/** The injected initContainer: copies the wrapper into the shared bin volume. PSS restricted. */
function copyContainer(entrypoint: PodOptions['entrypoint']): k8s.Container {
  return {
    name: layout.INIT_CONTAINER_NAME,
    image: entrypoint.image,
    imagePullPolicy: entrypoint.imagePullPolicy,
    command: [entrypoint.binaryPath, 'cp', entrypoint.binaryPath, layout.WRAPPER_PATH],
    volumeMounts: [{ name: layout.BIN_VOLUME, mountPath: layout.BIN_DIR }],
    resources: INIT_RESOURCES,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: COPY_USER,
      runAsGroup: COPY_USER,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}
