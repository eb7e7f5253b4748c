/**
 * A live Argo Workflow read back, as `kubectl get wf NAME -o json` (or `argo get NAME -o json`)
 * prints it: the graph annotation the StepWorkflow wrote, the Workflow's phase, and the nodes of
 * `status.nodes` that are the steps' tasks. Fields are checked on the way in: a field of the wrong
 * type is a `WireError` naming it. Pure. Internal.
 *
 * The node fields follow `NodeStatus` in Argo's `pkg/apis/workflow/v1alpha1/workflow_types.go`
 * (v4.1.2): `id`, `name`, `displayName`, `type` (`Pod`, `Retry`, `DAG`, `Skipped`, `Suspend`, …),
 * `phase` (`Pending`, `Running`, `Succeeded`, `Skipped`, `Failed`, `Error`, `Omitted`),
 * `boundaryID`, `message`, `startedAt`, `finishedAt`, `children`, `outputs.exitCode` (a string).
 * A DAG task's node is named `<the DAG's node name>.<task>` (`dagContext.taskNodeName` in
 * `workflow/controller/dag.go`); a retried task's node has type `Retry` and one child per attempt,
 * named `<task node>(<n>)` (`executeTemplate` in `workflow/controller/operator.go`); the exit
 * handler's node is `<workflow>.onExit` (`GenerateOnExitNodeName`). A large node status may be
 * stored compressed in `status.compressedNodes` (base64 of gzip, zstd or brotli:
 * `workflow/packer/packer.go`, `util/file/fileutil.go`), and is read from there.
 */
import * as zlib from 'zlib';
import { describe, WireError } from './errors';
import { GRAPH_ANNOTATION } from './layout';
import { K8sObject } from './workload';

/** One node of `status.nodes`, the fields read. */
export interface WorkflowNode {
  readonly id: string;
  readonly name: string;
  readonly displayName?: string;
  readonly type?: string;
  readonly phase?: string;
  readonly boundaryID?: string;
  readonly message?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly children: string[];
  /** `outputs.exitCode`: the main container's exit code, as Argo records it. */
  readonly exitCode?: number;
}

/** A Workflow as `cdk8s-steps status` reads it. */
export interface LiveWorkflow {
  readonly name: string;
  readonly namespace?: string;
  readonly phase?: string;
  readonly message?: string;
  /** The graph annotation's value; undefined when the Workflow has none. */
  readonly graphAnnotation?: string;
  /** Every node, by id. */
  readonly nodes: ReadonlyMap<string, WorkflowNode>;
}

const GIVE = 'give the Workflow as kubectl get wf NAME -o json prints it';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The nodes of `status.compressedNodes`, decompressed as Argo's DecompressContent does. */
function decompressNodes(encoded: string, where: string): unknown {
  const bytes = Buffer.from(encoded, 'base64');
  const z = zlib as typeof zlib & { zstdDecompressSync?: (b: Buffer) => Buffer };
  let text: string;
  try {
    if (bytes.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
      if (!z.zstdDecompressSync) throw new Error(`zstd needs Node.js 22.15 or later (this is ${process.version})`);
      text = z.zstdDecompressSync(bytes).toString('utf8');
    } else if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      text = zlib.gunzipSync(bytes).toString('utf8');
    } else {
      text = zlib.brotliDecompressSync(bytes).toString('utf8');
    }
    return JSON.parse(text);
  } catch (e) {
    throw new WireError(`${where}: status.compressedNodes cannot be read (${(e as Error).message.split('\n')[0]}); give the output of argo get NAME -o json, which expands it`);
  }
}

/** Reads the fields of a Workflow `status` uses; `where` names it until its name is known. */
export function readLiveWorkflow(wf: K8sObject, where: string): LiveWorkflow {
  const fail = (path: string, value: unknown, want: string): never => {
    throw new WireError(`${where}: ${path} is ${describe(value)}, not ${want}; ${GIVE}`);
  };
  const str = (o: Record<string, unknown>, key: string, path: string, required = false): string | undefined => {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') fail(path, v, 'a string');
    return v as string;
  };
  /** A `metav1.Time`: a string, or null when never set. */
  const time = (o: Record<string, unknown>, key: string, path: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(path, v, 'a time (an RFC 3339 string, or null)');
    return v as string;
  };
  if (!isObject(wf)) fail('the Workflow', wf, 'an object');
  const metadata = wf.metadata;
  if (!isObject(metadata)) fail('metadata', metadata, 'an object');
  const name = str(metadata, 'name', 'metadata.name', true)!;
  where = `workflow ${name}`;
  const namespace = str(metadata, 'namespace', 'metadata.namespace');
  const annotations = metadata.annotations;
  if (annotations !== undefined && !isObject(annotations)) fail('metadata.annotations', annotations, 'an object');
  const graphAnnotation = annotations === undefined ? undefined : str(annotations, GRAPH_ANNOTATION, `metadata.annotations["${GRAPH_ANNOTATION}"]`);
  const status = wf.status;
  if (status !== undefined && !isObject(status)) fail('status', status, 'an object');
  const s = (status ?? {}) as Record<string, unknown>;
  const phase = str(s, 'phase', 'status.phase');
  const message = str(s, 'message', 'status.message');
  let raw: unknown = s.nodes;
  if ((raw === undefined || (isObject(raw) && Object.keys(raw).length === 0)) && s.compressedNodes !== undefined) {
    raw = decompressNodes(str(s, 'compressedNodes', 'status.compressedNodes')!, where);
  }
  if (raw === undefined && typeof s.offloadNodeStatusVersion === 'string' && s.offloadNodeStatusVersion !== '') {
    throw new WireError(`${where}: its node status is offloaded to the controller's database (status.offloadNodeStatusVersion); give the output of argo get ${name} -o json, which reads it back`);
  }
  if (raw !== undefined && !isObject(raw)) fail('status.nodes', raw, 'an object (node id → node)');
  const nodes = new Map<string, WorkflowNode>();
  for (const [id, n] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const path = `status.nodes["${id}"]`;
    if (!isObject(n)) fail(path, n, 'a node (an object)');
    const node = n as Record<string, unknown>;
    const children = node.children ?? [];
    if (!Array.isArray(children) || !children.every((c) => typeof c === 'string')) fail(`${path}.children`, children, 'a list of node ids');
    const outputs = node.outputs;
    if (outputs !== undefined && outputs !== null && !isObject(outputs)) fail(`${path}.outputs`, outputs, 'an object');
    const exit = isObject(outputs) ? outputs.exitCode : undefined;
    if (exit !== undefined && exit !== null && (typeof exit !== 'string' || !/^-?\d+$/.test(exit))) fail(`${path}.outputs.exitCode`, exit, 'an exit code (a string of digits)');
    const fields: WorkflowNode = {
      id,
      name: str(node, 'name', `${path}.name`, true)!,
      displayName: str(node, 'displayName', `${path}.displayName`),
      type: str(node, 'type', `${path}.type`),
      phase: str(node, 'phase', `${path}.phase`),
      boundaryID: str(node, 'boundaryID', `${path}.boundaryID`),
      message: str(node, 'message', `${path}.message`),
      startedAt: time(node, 'startedAt', `${path}.startedAt`),
      finishedAt: time(node, 'finishedAt', `${path}.finishedAt`),
      children: children as string[],
      exitCode: typeof exit === 'string' ? Number(exit) : undefined,
    };
    nodes.set(id, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as unknown as WorkflowNode);
  }
  return {
    name,
    ...namespace !== undefined ? { namespace } : {},
    ...phase !== undefined ? { phase } : {},
    ...message !== undefined ? { message } : {},
    ...graphAnnotation !== undefined ? { graphAnnotation } : {},
    nodes,
  };
}

/**
 * The node of each step's task: a node whose display name (else the last part of its name) is a
 * step and that is a task of one of the Workflow's DAGs (the entry DAG, a nested `Part-<n>` DAG
 * or the exit handler), not an attempt of a retried task (`step(1)`) nor another template's node.
 * When a step has several (a WorkflowTemplate's runs are separate Workflows, so this is only a
 * hand-edited status), the last started wins.
 */
export function stepNodes(wf: LiveWorkflow, steps: readonly string[]): Map<string, WorkflowNode> {
  const wanted = new Set(steps);
  const out = new Map<string, WorkflowNode>();
  for (const n of wf.nodes.values()) {
    const label = n.displayName ?? n.name.slice(n.name.lastIndexOf('.') + 1);
    if (!wanted.has(label) || n.name !== `${n.name.slice(0, n.name.length - label.length - 1)}.${label}`) continue;
    const boundary = n.boundaryID === undefined ? undefined : wf.nodes.get(n.boundaryID);
    // A task of a DAG: its boundary is a DAG node (the root node has no boundary: the entry DAG).
    if (boundary !== undefined && boundary.type !== undefined && boundary.type !== 'DAG') continue;
    const prev = out.get(label);
    if (!prev || (n.startedAt ?? '') >= (prev.startedAt ?? '')) out.set(label, n);
  }
  return out;
}

/** The attempts of a task node: its own pod, or the children of a `Retry` node. */
export function attemptNodes(wf: LiveWorkflow, node: WorkflowNode): WorkflowNode[] {
  if (node.type !== 'Retry') return node.type === 'Pod' ? [node] : [];
  return node.children.map((id) => wf.nodes.get(id)).filter((c): c is WorkflowNode => c !== undefined && c.type === 'Pod');
}
