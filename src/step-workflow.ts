import { ApiObject, ApiObjectMetadata, Duration, JsonPatch, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { workflowLimitProblems } from './argo/limits';
import { ARGO_API_VERSION, ArgoContainer, ArgoStep, buildWorkflow } from './argo/workflow';
import { StepGraph } from './graph/step-graph';
import { LimitProblem, StepLimitError } from './limit-problem';
import { MAX_WORKFLOW_NAME, dnsSubdomainProblem } from './rules/names';
import { Step, StepOptions, StepPlacement } from './step';
import { IStepHost, StepHost } from './step-host';
import { graphAnnotation } from './wire/graph';
import * as layout from './wire/layout';
import { WorkflowWorkspace } from './workflow-workspace';

/** Which Argo object a `StepWorkflow` synthesises. */
export enum WorkflowKind {
  /** A `Workflow`: one run, started when it is created. */
  WORKFLOW = 'Workflow',
  /** A `WorkflowTemplate`: a named definition that runs are submitted from (`argo submit --from`). */
  WORKFLOW_TEMPLATE = 'WorkflowTemplate',
}

/** When Argo deletes the pods of finished steps (Argo `podGC.strategy`). */
export enum PodGcStrategy {
  /** Delete each step's pod when it ends. */
  ON_POD_COMPLETION = 'OnPodCompletion',
  /** Delete each step's pod when it succeeds (failed ones stay for debugging). */
  ON_POD_SUCCESS = 'OnPodSuccess',
  /** Delete the pods when the Workflow ends. */
  ON_WORKFLOW_COMPLETION = 'OnWorkflowCompletion',
  /** Delete the pods when the Workflow succeeds. */
  ON_WORKFLOW_SUCCESS = 'OnWorkflowSuccess',
}

/** How long Argo keeps a finished Workflow (Argo `ttlStrategy`). */
export interface WorkflowTtlStrategy {
  /** @default - not deleted on this account */
  readonly afterCompletion?: Duration;
  /** @default - not deleted on this account */
  readonly afterSuccess?: Duration;
  /** @default - not deleted on this account */
  readonly afterFailure?: Duration;
}

/**
 * Properties of a `StepWorkflow`.
 */
export interface StepWorkflowProps {
  /**
   * Metadata of the Workflow. A `name` here makes it a fixed name (a second `kubectl create`
   * of the same manifest then fails); without one the Workflow gets `generateName`.
   * @default - generateName
   */
  readonly metadata?: ApiObjectMetadata;

  /**
   * Prefix of the generated name of each run, used when `metadata.name` is not set.
   * @default - the name cdk8s generates for the construct, followed by "-"
   */
  readonly generateName?: string;

  /**
   * Emit a `WorkflowTemplate` instead of a `Workflow` (it needs a fixed name).
   * @default WorkflowKind.WORKFLOW
   */
  readonly kind?: WorkflowKind;

  /**
   * Service account of the step pods (Argo's executor needs it to be allowed to report results).
   * @default - the namespace's default service account
   */
  readonly serviceAccountName?: string;

  /**
   * The volume shared by the steps at `/workspace`.
   * @default WorkflowWorkspace.volumeClaim({ storage: Size.gibibytes(1) })
   */
  readonly workspace?: WorkflowWorkspace;

  /**
   * After any step fails, start no step that has not started yet (Argo DAG `failFast`).
   * @default false
   */
  readonly failFast?: boolean;

  /**
   * When Argo deletes the pods of finished steps.
   * @default - Argo's default: pods are kept
   */
  readonly podGC?: PodGcStrategy;

  /**
   * When Argo deletes the finished Workflow.
   * @default - Argo's default: it is kept
   */
  readonly ttlStrategy?: WorkflowTtlStrategy;

  /**
   * Time limit of the whole run (Workflow `activeDeadlineSeconds`).
   * @default - no limit
   */
  readonly activeDeadline?: Duration;

  /**
   * Security context of every step pod.
   * @default - as cdk8s-plus: runAsNonRoot
   */
  readonly securityContext?: kplus.PodSecurityContextProps;

  /**
   * Refuse at synthesis a Workflow that breaks a limit of Argo or Kubernetes: 200 templates per
   * Workflow, 200 tasks per DAG and 500 input parameters per template (the CRDs of Argo 4.0 and
   * later), the controller's `MAX_WORKFLOW_SIZE` of 1 MiB with the node status of a run, and
   * etcd's 1.5 MiB per object. Turn it off only for an Argo that does not have them: Argo 3.x or
   * the minimal CRDs (no item limits), a controller with a larger `MAX_WORKFLOW_SIZE` or with node
   * status offloading (see docs/argo.md). `limitProblems()` measures either way.
   * @default true
   */
  readonly checkLimits?: boolean;
}

/**
 * The same steps as a `StepPod`, as one Argo Workflow (`argoproj.io/v1alpha1`): each step is a
 * DAG task in its own pod, scheduled anywhere in the cluster. Needs the Argo Workflows controller
 * in the cluster; see docs/argo.md for the mapping and where it differs from a StepPod.
 */
export class StepWorkflow extends kplus.AbstractPod implements IStepHost {
  /** The Workflow (or WorkflowTemplate) object. */
  protected readonly apiObject: ApiObject;
  /** The Argo resource type. */
  public readonly resourceType = 'workflows';
  private readonly host: StepHost;
  private readonly placements = new Map<Step, StepPlacement>();
  private readonly workflowKind: WorkflowKind;
  private readonly workspace: WorkflowWorkspace;

  constructor(scope: Construct, id: string, private readonly props: StepWorkflowProps = {}) {
    super(scope, id, { restartPolicy: kplus.RestartPolicy.NEVER, securityContext: props.securityContext, metadata: props.metadata });
    checkWorkflowProps(this.node.path, props);
    const kind = this.workflowKind = props.kind ?? WorkflowKind.WORKFLOW;
    const workspace = this.workspace = props.workspace ?? WorkflowWorkspace.volumeClaim({ storage: Size.gibibytes(1) });
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: ARGO_API_VERSION,
      kind,
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.buildSpec(kind, workspace) }),
    });
    const generateName = this.generateName;
    if (generateName) {
      this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/name'), JsonPatch.add('/metadata/generateName', generateName));
    }
    this.host = new StepHost(this, { failFast: props.failFast, workspace: workspace._claim() !== undefined }, true);
  }

  /** The prefix of each run's name, or undefined when the object has a fixed name. */
  private get generateName(): string | undefined {
    if (this.props.metadata?.name || (this.props.kind ?? WorkflowKind.WORKFLOW) !== WorkflowKind.WORKFLOW) return undefined;
    // cdk8s names have up to 63 characters; Argo takes at most 63 with the 5 a generated name adds
    return this.props.generateName ?? `${this.apiObject.name.slice(0, MAX_GENERATE_NAME - 1).replace(/[-.]+$/, '')}-`;
  }

  /** Metadata of the Workflow object (not of the step pods). */
  public get podMetadata() {
    return this.metadata;
  }

  public get steps(): Step[] { return this.host.steps; }
  public get graph(): StepGraph { return this.host.graph; }
  public addStep(stepName: string, options: StepOptions): Step { return this.host.addStep(stepName, options); }

  /**
   * Adds a finally step: it runs after every other step, whatever happened. In the Workflow it is
   * a task of the `onExit` handler (see docs/argo.md).
   */
  public addFinally(stepName: string, options: StepOptions): Step { return this.host.addFinally(stepName, options); }

  /**
   * Adds a sidecar: Argo runs a copy of it in every step's pod (template `sidecars`), next to the
   * step, and stops it when the step ends.
   * @param sidecarName the sidecar's name (a DNS-1123 label)
   * @param options the container
   */
  public addSidecar(sidecarName: string, options: kplus.ContainerProps): kplus.Container {
    return this.host.addSidecar(sidecarName, options);
  }

  /**
   * The limits of Argo and Kubernetes the Workflow would break, as data (see `checkLimits`): the
   * templates of the Workflow, the tasks of each DAG, the input parameters of each template, the
   * Workflow's size with the node status of a run (`MAX_WORKFLOW_SIZE`) and the object's size
   * (etcd). Empty when it fits.
   */
  public limitProblems(): LimitProblem[] {
    return workflowLimitProblems(this.build(this.workflowKind, this.workspace), { path: this.node.path });
  }

  /**
   * Sets where a step's pod may be scheduled (each step is its own pod in a Workflow), the same as
   * `StepOptions.nodeSelector`/`tolerations` given to `addStep()`; what it sets replaces those.
   */
  public placeStep(step: Step, placement: StepPlacement): void {
    if (!this.host.steps.includes(step)) {
      throw new Error(`Cannot place step "${step.name}": it belongs to another host; place it on the StepWorkflow that added it`);
    }
    this.placements.set(step, placement);
  }

  private buildSpec(kind: WorkflowKind, workspace: WorkflowWorkspace): any {
    const workflow = this.build(kind, workspace);
    if (this.props.checkLimits ?? true) {
      const [first] = workflowLimitProblems(workflow, { path: this.node.path });
      if (first) throw new StepLimitError(first);
    }
    return workflow.spec;
  }

  /** The whole Workflow object as it will be written (metadata as Argo sees it, without cdk8s' additions). */
  private build(kind: WorkflowKind, workspace: WorkflowWorkspace): any {
    const errors = this.host.validate();
    if (errors.length > 0) throw new Error(`${this.node.path}: invalid steps:\n  ${errors.join('\n  ')}`);
    const pod = super._toPodSpec();
    const steps = new Map<string, ArgoStep>(this.host.steps.map(step => {
      const placement = { ...step.placement, ...this.placements.get(step) };
      return [step.name, {
        ...argoContainer(step.container),
        nodeSelector: placement?.nodeSelector,
        tolerations: placement?.tolerations?.map(t => kplus.k8s.toJson_Toleration(t._toKube()) as kplus.k8s.Toleration),
      }];
    }));
    const init = this.initContainers;
    const ttl = this.props.ttlStrategy;
    const workflow = buildWorkflow(this.host.plan(), steps, {
      kind,
      metadata: this.generateName ? { generateName: this.generateName } : { name: this.apiObject.name },
      workspace: workspace._claim(),
      sidecars: init.filter(c => c.restartPolicy === kplus.ContainerRestartPolicy.ALWAYS).map(argoContainer),
      initContainers: init.filter(c => c.restartPolicy !== kplus.ContainerRestartPolicy.ALWAYS).map(argoContainer),
      serviceAccountName: this.props.serviceAccountName,
      activeDeadlineSeconds: this.props.activeDeadline?.toSeconds(),
      podGC: this.props.podGC ? { strategy: this.props.podGC } : undefined,
      ttlStrategy: ttl ? {
        ...ttl.afterCompletion ? { secondsAfterCompletion: ttl.afterCompletion.toSeconds() } : {},
        ...ttl.afterSuccess ? { secondsAfterSuccess: ttl.afterSuccess.toSeconds() } : {},
        ...ttl.afterFailure ? { secondsAfterFailure: ttl.afterFailure.toSeconds() } : {},
      } : undefined,
      pod: {
        securityContext: kplus.k8s.toJson_PodSecurityContext(pod.securityContext),
        imagePullSecrets: pod.imagePullSecrets,
        hostAliases: pod.hostAliases,
        dnsPolicy: pod.dnsPolicy,
        dnsConfig: pod.dnsConfig,
        hostNetwork: pod.hostNetwork,
      },
    });
    // The object as written, for its size: the labels and annotations of the construct, and the
    // graph annotation (a lazy value here) as StepHost writes it.
    const metadata = this.apiObject.metadata.toJson();
    const annotations = { ...strings(metadata.annotations), [layout.GRAPH_ANNOTATION]: graphAnnotation(this.host.plan()) };
    return { ...workflow, metadata: { ...workflow.metadata, labels: strings(metadata.labels), annotations } };
  }
}

/** The plain string entries of a label or annotation map. */
function strings(map: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([, v]) => typeof v === 'string'));
}

/** A cdk8s-plus container as plain JSON, with the volumes its mounts name. */
function argoContainer(c: kplus.Container): ArgoContainer {
  return {
    container: kplus.k8s.toJson_Container(c._toKube()) as kplus.k8s.Container,
    volumes: c.mounts.map(m => kplus.k8s.toJson_Volume(m.volume._toKube()) as kplus.k8s.Volume),
  };
}

/** A generated name appends 5 characters to `generateName` (Argo's limit, MAX_WORKFLOW_NAME, holds for the whole name). */
const MAX_GENERATE_NAME = MAX_WORKFLOW_NAME - 5;
/** Why Argo's limit applies to the generated name, for the message. */
const ARGO_NAME_NOTE = ` (Argo rejects Workflow names over ${MAX_WORKFLOW_NAME} characters, and the generated name adds 5)`;

/** Checks the Workflow-level props at construction, naming the prop and how to fix it. */
function checkWorkflowProps(path: string, props: StepWorkflowProps): void {
  const fail = (what: string, problem: string) => {
    throw new Error(`StepWorkflow "${path}": ${what} ${problem}`);
  };
  const seconds = (what: string, d: Duration | undefined, min: number) => {
    if (d === undefined) return;
    const s = d.toSeconds({ integral: false });
    if (!Number.isInteger(s) || s < min) {
      fail(what, `must be a whole number of seconds${min > 0 ? ' above zero' : ''} (got ${s} s)`
        + (what === 'activeDeadline' ? '; 0 would stop the run at once (it is how `argo terminate` stops one): leave it out for no limit' : ''));
    }
  };
  if (props.generateName !== undefined) {
    const p = dnsSubdomainProblem(props.generateName, true, MAX_WORKFLOW_NAME);
    if (p) fail(`generateName "${props.generateName}"`, p + ARGO_NAME_NOTE);
  }
  if (props.serviceAccountName !== undefined) {
    const p = dnsSubdomainProblem(props.serviceAccountName, false, 253);
    if (p) fail(`serviceAccountName "${props.serviceAccountName}"`, p);
  }
  seconds('activeDeadline', props.activeDeadline, 1);
  seconds('ttlStrategy.afterCompletion', props.ttlStrategy?.afterCompletion, 0);
  seconds('ttlStrategy.afterSuccess', props.ttlStrategy?.afterSuccess, 0);
  seconds('ttlStrategy.afterFailure', props.ttlStrategy?.afterFailure, 0);
}
