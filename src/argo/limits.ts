/**
 * Argo's and Kubernetes' limits, measured on the Workflow we synthesise (issue 18 item 9): what
 * the API server (Argo ≥ 4.0's full CRDs) and the Argo controller would reject later is returned
 * as `LimitProblem`s, which synthesis throws as a `StepLimitError`. Pure: a Workflow object in,
 * problems out. Internal: not part of the public API.
 *
 * The limits (Argo Workflows v4.1.2 source; docs/argo.md "Limits" cites them):
 * - `spec.templates` ≤ 200, `dag.tasks` ≤ 200, `inputs.parameters` ≤ 500:
 *   `+kubebuilder:validation:MaxItems` in `pkg/apis/workflow/v1alpha1/workflow_types.go` (added
 *   with the CEL rules, argo-workflows PR #15028, first released in v4.0.0; the full CRDs are the
 *   default install from 4.0 on). The minimal CRDs and Argo 3.x have no item limits.
 * - `MAX_WORKFLOW_SIZE`, 1 MiB by default (`workflow/packer/packer.go`): the controller refuses to
 *   store a Workflow whose JSON, with its node status compressed (gzip + base64), is larger,
 *   unless node status offloading is on (`workflow/hydrator/hydrator.go`).
 * - etcd's request limit, 1.5 MiB by default, for the object as written.
 *
 * The node status of a run is not known at synthesis: `statusModel()` builds the status a run
 * writes when every task runs once and succeeds (the node fields Argo 4.1 fills, the values each
 * task passes, empty results) and measures it as the controller would. Failures (messages),
 * retries (one more node per attempt) and results (their values) add to it.
 */
import { createHash } from 'crypto';
import { gzipSync } from 'zlib';
import { LimitProblem, STEP_LIMIT_ERROR, StepLimit } from '../limit-problem';

export const MAX_TEMPLATES = 200;
export const MAX_DAG_TASKS = 200;
export const MAX_INPUT_PARAMETERS = 500;
export const MAX_WORKFLOW_SIZE = 1024 * 1024;
export const ETCD_OBJECT_LIMIT = 1.5 * 1024 * 1024;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Where the item limits come from, for the messages. */
const CRD_SOURCE = 'MaxItems in the CRDs Argo Workflows 4.0 and later installs (workflow_types.go)';
/** For every limit: how to opt out where the limit does not apply. */
const OPT_OUT = 'With Argo 3.x or the minimal CRDs (no item limits), checkLimits: false lets it through.';

/** What the limit check knows besides the Workflow. */
export interface LimitContext {
  /** The host's path, for the messages. */
  readonly path: string;
}

/** Every limit `workflow` breaks, item limits first (templates, tasks per DAG, parameters), then sizes. */
export function workflowLimitProblems(workflow: any, context: LimitContext): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const over = (limit: StepLimit, what: string, size: number, maximum: number, unit: string, remedy: string) => {
    problems.push({
      limit,
      size,
      maximum,
      message: `${STEP_LIMIT_ERROR}: ${context.path}: ${what}, ${size - maximum} ${unit} over ${remedy}`,
    });
  };
  const templates: any[] = workflow.spec?.templates ?? [];
  if (templates.length > MAX_TEMPLATES) {
    const shapes = templates.filter(t => t.container).length;
    over(StepLimit.WORKFLOW_TEMPLATES, `the Workflow has ${templates.length} templates`, templates.length, MAX_TEMPLATES, 'templates',
      `Argo's limit of ${MAX_TEMPLATES} per Workflow (spec.templates, ${CRD_SOURCE}). Steps share one template when their `
      + `containers differ only in values (image, elements of command and args, env values, timeout, retries); ${shapes} `
      + 'container shapes remain. Give steps alike the same resources, env names, mounts and placement, or split the steps '
      + `into several StepWorkflows. ${OPT_OUT}`);
  }
  const containers = new Set(templates.filter(t => t.container).map(t => t.name));
  for (const t of templates) {
    const tasks = t.dag?.tasks?.length ?? 0;
    if (tasks > MAX_DAG_TASKS) {
      const steps = t.dag.tasks.filter((x: any) => containers.has(x.template)).length;
      over(StepLimit.DAG_TASKS, `the DAG template "${t.name}" has ${tasks} tasks`, tasks, MAX_DAG_TASKS, 'tasks',
        `Argo's limit of ${MAX_DAG_TASKS} per DAG (dag.tasks, ${CRD_SOURCE}). ${steps} of them are steps that cannot move into a `
        + 'nested DAG without changing an outcome: cdk8s-steps nests chains and groups of steps with the same dependencies and '
        + 'dependents that run when all their dependencies succeeded; steps with other conditions, producers whose results are read '
        + 'outside their group and steps with dependencies of their own stay (docs/argo.md, "Above 200 tasks"). Give more steps '
        + `the same dependencies, or split the steps into several StepWorkflows. ${OPT_OUT}`);
    }
    const params = t.inputs?.parameters?.length ?? 0;
    if (params > MAX_INPUT_PARAMETERS) {
      over(StepLimit.TEMPLATE_PARAMETERS, `the template "${t.name}" has ${params} input parameters`, params, MAX_INPUT_PARAMETERS,
        'parameters', `Argo's limit of ${MAX_INPUT_PARAMETERS} per template (inputs.parameters, ${CRD_SOURCE}). They carry the `
        + 'values that differ between the steps of one shape (elements of command and args, env values) and the results read '
        + `into the environment: pass long lists through a file in /workspace instead. ${OPT_OUT}`);
    }
  }
  const written = bytes(JSON.stringify(workflow));
  const status = statusModel(workflow);
  const uncompressed = written + status.fixed + status.nodesJson;
  const total = uncompressed <= MAX_WORKFLOW_SIZE ? uncompressed : written + status.fixed + status.nodesCompressed;
  if (total > MAX_WORKFLOW_SIZE) {
    over(StepLimit.WORKFLOW_SIZE, `the Workflow with the node status of one run is about ${total} bytes (${kib(total)}: ${written} bytes `
      + `written + ${status.fixed + status.nodesCompressed} bytes of status with its ${status.nodes} nodes compressed, as the controller `
      + 'stores them)', total, MAX_WORKFLOW_SIZE, 'bytes',
    `Argo's MAX_WORKFLOW_SIZE of ${MAX_WORKFLOW_SIZE} bytes (${kib(MAX_WORKFLOW_SIZE)}; workflow/packer/packer.go): the controller would `
      + 'fail the run. Fewer steps, shorter names, commands and values bring it under; a controller with a larger MAX_WORKFLOW_SIZE '
      + 'or with node status offloading (docs/argo.md, "Size") takes more: then set checkLimits: false.');
  }
  if (written > ETCD_OBJECT_LIMIT) {
    over(StepLimit.OBJECT_SIZE, `the ${workflow.kind} object is ${written} bytes (${kib(written)})`, written, ETCD_OBJECT_LIMIT, 'bytes',
      `etcd's limit of ${ETCD_OBJECT_LIMIT} bytes (${kib(ETCD_OBJECT_LIMIT)}) per object: the API server would reject it whatever Argo's `
      + 'settings. Fewer steps, shorter names, commands and values bring it under, or split the steps into several StepWorkflows.');
  }
  return problems;
}

/** The status of one run, measured the way `workflow/packer/packer.go` measures it. */
export interface StatusModel {
  /** Nodes in `status.nodes`. */
  readonly nodes: number;
  /** `status.nodes` as JSON, in bytes. */
  readonly nodesJson: number;
  /** `status.compressedNodes`: the same JSON gzipped and base64-encoded, in bytes. */
  readonly nodesCompressed: number;
  /** Everything else in the status (phase, times, `taskResultsCompletionStatus`), in bytes. */
  readonly fixed: number;
}

const TIME = '2026-01-01T00:00:00Z';
/** A time `seconds` after the start of the run, as Kubernetes writes it. */
const time = (seconds: number) => new Date(Date.parse(TIME) + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The status a run of `workflow` writes when every task runs once and succeeds: one node per
 * DAG, task and retry (as `workflow/controller/dag.go` and `operator.go` create them), with the
 * fields Argo 4.1 fills for a finished node. IDs and names as the controller makes them
 * (`Workflow.NodeID`: the workflow name and a 32-bit hash of the node name).
 */
export function statusModel(workflow: any): StatusModel {
  const name: string = workflow.metadata?.name ?? `${workflow.metadata?.generateName ?? 'workflow-'}x7k2q`;
  const byName = new Map<string, any>((workflow.spec?.templates ?? []).map((t: any) => [t.name, t]));
  const nodes: Record<string, any> = {};
  const pods: string[] = [];
  const nodeId = (n: string) => (n === name ? name : `${name}-${hash32(n)}`);
  // Times, durations and hosts differ from node to node in a real run, which makes the status
  // compress less than identical values would: vary them (deterministically).
  let count = 0;
  const base = (nodeName: string, display: string, type: string, template: string | undefined, boundary?: string) => {
    const i = count++;
    return {
      id: nodeId(nodeName),
      name: nodeName,
      displayName: display,
      type,
      ...template ? { templateName: template, templateScope: `local/${name}` } : {},
      phase: 'Succeeded',
      ...boundary ? { boundaryID: boundary } : {},
      startedAt: time(i * 3),
      finishedAt: time(i * 3 + (i * 7919) % 3600),
      progress: '1/1',
      resourcesDuration: { cpu: (i * 131) % 1000, memory: (i * 2029) % 100000 },
    };
  };
  /** Adds the nodes of running `template` as `nodeName`; returns the node's ID. */
  const run = (nodeName: string, display: string, template: any, boundary: string | undefined, args: any[]): string => {
    const inputs = (template?.inputs?.parameters ?? []).map((p: any) => ({
      name: p.name,
      value: String(args.find(a => a.name === p.name)?.value ?? p.value ?? '').replace(/\{\{=.*\}\}/s, ''),
    }));
    if (template?.dag) {
      const node: any = { ...base(nodeName, display, 'DAG', template.name, boundary), ...inputs.length ? { inputs: { parameters: inputs } } : {} };
      nodes[node.id] = node;
      const tasks: any[] = template.dag.tasks;
      const ids = new Map(tasks.map(t => [t.name, run(`${nodeName}.${t.name}`, t.name, byName.get(t.template), node.id, t.arguments?.parameters ?? [])]));
      const dependents = new Map<string, string[]>();
      for (const t of tasks) {
        for (const d of dependsNames(t.depends)) dependents.set(d, [...dependents.get(d) ?? [], ids.get(t.name)!]);
      }
      node.children = tasks.filter(t => dependsNames(t.depends).length === 0).map(t => ids.get(t.name));
      for (const t of tasks) {
        const child = nodes[ids.get(t.name)!];
        const next = dependents.get(t.name);
        if (next) child.children = [...child.children ?? [], ...next];
      }
      node.outboundNodes = tasks.filter(t => !dependents.has(t.name)).map(t => ids.get(t.name));
      return node.id;
    }
    if (template?.suspend) {
      const node = base(nodeName, display, 'Suspend', template.name, boundary);
      nodes[node.id] = node;
      return node.id;
    }
    const pod = (podName: string, podDisplay: string) => {
      const node: any = {
        ...base(podName, podDisplay, 'Pod', template?.name, boundary),
        hostNodeName: `ip-10-0-${count % 8}-${(count * 37) % 250}.eu-west-1.compute.internal`,
        ...inputs.length ? { inputs: { parameters: inputs } } : {},
        outputs: {
          ...template?.outputs?.parameters ? {
            parameters: template.outputs.parameters.map((p: any) => ({ name: p.name, value: '', valueFrom: p.valueFrom })),
          } : {},
          exitCode: '0',
        },
        taskResultSynced: true,
      };
      nodes[node.id] = node;
      pods.push(node.id);
      return node.id;
    };
    if (template?.retryStrategy) {
      const retry: any = { ...base(nodeName, display, 'Retry', template.name, boundary) };
      nodes[retry.id] = retry;
      retry.children = [pod(`${nodeName}(0)`, `${display}(0)`)];
      return retry.id;
    }
    return pod(nodeName, display);
  };
  run(name, name, byName.get(workflow.spec?.entrypoint), undefined, []);
  if (workflow.spec?.onExit) run(`${name}.onExit`, `${name}.onExit`, byName.get(workflow.spec.onExit), undefined, []);
  const json = JSON.stringify(nodes);
  const compressed = Buffer.from(gzipSync(json)).toString('base64');
  const rest = {
    phase: 'Succeeded',
    startedAt: TIME,
    finishedAt: TIME,
    progress: `${pods.length}/${pods.length}`,
    resourcesDuration: { cpu: 1, memory: 1 },
    conditions: [{ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' }],
    artifactRepositoryRef: { default: true, artifactRepository: {} },
    taskResultsCompletionStatus: Object.fromEntries(pods.map(id => [id, true])),
  };
  return {
    nodes: Object.keys(nodes).length,
    nodesJson: bytes(json) + bytes('"nodes":,'),
    nodesCompressed: bytes(compressed) + bytes('"compressedNodes":"",'),
    fixed: bytes(JSON.stringify({ status: rest })),
  };
}

/** The task names a `depends` expression names. */
export function dependsNames(expr: string | undefined): string[] {
  return [...new Set([...(expr ?? '').matchAll(/([A-Za-z0-9][-A-Za-z0-9]*)\.(?:Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)\b/g)].map(m => m[1]))];
}

/**
 * A 32-bit hash of a node name, written in decimal like `Workflow.NodeID`'s FNV-32a: the same
 * length and spread of digits, which is what the size of the (compressed) status depends on.
 */
function hash32(s: string): number {
  return parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16);
}
