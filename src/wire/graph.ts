/**
 * The graph annotation (docs/contract.md, "Graph annotation"), written by the library on the pod
 * (a Job's pod template) and read back by the CLI: version 2
 * `{"version":2,"steps":["a","b"],"dependsOn":[[],[0]]}`, and the version-1 form
 * `{"a":[],"b":["a"]}` written by earlier releases. Pure. Internal.
 */
import { describe, WireError } from './errors';
import { GRAPH_ANNOTATION } from './layout';
import { StepGraph } from '../graph/step-graph';
import { Plan } from '../plan';

/** The format version of the graph annotation written now. */
export const GRAPH_FORMAT_VERSION = 2;

/** The annotation's value for `plan`: step names in declaration order, dependencies as indexes. */
export function graphAnnotation(plan: Plan): string {
  const index = new Map(plan.steps.map((s, i) => [s.name, i]));
  return JSON.stringify({
    version: GRAPH_FORMAT_VERSION,
    steps: plan.steps.map(s => s.name),
    dependsOn: plan.steps.map(s => s.dependsOn.map(d => index.get(d))),
  });
}

/** The steps of one pod, in declaration order, with their direct dependencies by name. */
export interface StepGraphData {
  readonly steps: string[];
  readonly dependsOn: ReadonlyMap<string, string[]>;
}

const AGAIN = 'synthesise the manifest again with cdk8s-steps';

/**
 * Reads the annotation's value back; `where` names the object in messages. Throws a `WireError`
 * for anything the library does not write: not JSON, another version, a graph without steps, a
 * step named twice, a dependency that is not a step, a cycle.
 */
export function readGraphAnnotation(text: unknown, where: string): StepGraphData {
  if (typeof text !== 'string') throw new WireError(`${where}: the ${GRAPH_ANNOTATION} annotation is ${describe(text)}, not a string; ${AGAIN}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new WireError(`${where}: the ${GRAPH_ANNOTATION} annotation is not JSON (${(e as Error).message}); ${AGAIN}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new WireError(`${where}: the ${GRAPH_ANNOTATION} annotation is not a JSON object; ${AGAIN}`);
  const o = v as Record<string, unknown>;
  const graph = 'version' in o ? readVersion2(o, where) : readVersion1(o, where);
  if (graph.steps.length === 0) throw new WireError(`${where}: malformed ${GRAPH_ANNOTATION} annotation: it names no steps; ${AGAIN}`);
  const cycle = StepGraph.fromNodes(graph.steps.map(name => ({ name, dependsOn: graph.dependsOn.get(name) }))).findCycle();
  if (cycle) throw new WireError(`${where}: malformed ${GRAPH_ANNOTATION} annotation: ${cycleText(cycle)}, which the library never writes; ${AGAIN}`);
  return graph;
}

/** A cycle as `findCycle()` returns it (each step a dependency of the next), for a message. */
function cycleText(cycle: string[]): string {
  if (cycle.length === 2) return `step "${cycle[0]}" depends on itself`;
  const path = [...cycle].reverse();
  const shown = path.length <= 13 ? path.join(' -> ')
    : `${path.slice(0, 6).join(' -> ')} -> … ${path.length - 12} more steps … -> ${path.slice(-6).join(' -> ')}`;
  return `its dependencies form a cycle, ${shown} (each step depends on the next)`;
}

function readVersion2(o: Record<string, unknown>, where: string): StepGraphData {
  if (o.version !== GRAPH_FORMAT_VERSION) {
    throw new WireError(`${where}: graph annotation version ${JSON.stringify(o.version)} is not one this cdk8s-steps reads (1 and 2); upgrade cdk8s-steps to the version that synthesised it`);
  }
  const bad = (what: string) => new WireError(`${where}: malformed ${GRAPH_ANNOTATION} annotation: ${what} `
    + `(version 2 wants "steps": names and "dependsOn": one list of indexes per step); ${AGAIN}`);
  const { steps, dependsOn: deps } = o;
  if (!Array.isArray(steps)) throw bad(`"steps" is ${describe(steps)}, not a list`);
  if (!Array.isArray(deps)) throw bad(`"dependsOn" is ${describe(deps)}, not a list`);
  if (steps.length !== deps.length) throw bad(`${steps.length} steps but ${deps.length} lists in "dependsOn"`);
  const dependsOn = new Map<string, string[]>();
  steps.forEach((s: unknown, i: number) => {
    if (typeof s !== 'string') throw bad(`steps[${i}] is ${describe(s)}, not a name`);
    if (dependsOn.has(s)) throw bad(`step "${s}" is named twice`);
    const d: unknown = deps[i];
    if (!Array.isArray(d)) throw bad(`dependsOn[${i}] is ${describe(d)}, not a list of step indexes`);
    d.forEach((x: unknown, j: number) => {
      if (!Number.isInteger(x) || (x as number) < 0) throw bad(`dependsOn[${i}][${j}] is ${describe(x)}, not a step index`);
      if ((x as number) >= steps.length) {
        throw bad(`dependsOn[${i}][${j}] is step index ${x}, out of range: "steps" has ${steps.length} (indexes 0 to ${steps.length - 1})`);
      }
    });
    dependsOn.set(s, d.map((x: number) => steps[x]));
  });
  return { steps: steps as string[], dependsOn };
}

function readVersion1(o: Record<string, unknown>, where: string): StepGraphData {
  const dependsOn = new Map<string, string[]>();
  for (const [step, deps] of Object.entries(o)) {
    if (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string' && d in o)) {
      throw new WireError(`${where}: malformed ${GRAPH_ANNOTATION} annotation at step "${step}" (version 1 wants step -> names of its dependencies); ${AGAIN}`);
    }
    dependsOn.set(step, deps);
  }
  return { steps: [...dependsOn.keys()], dependsOn };
}
