/**
 * The graph annotation read back (docs/contract.md, "Graph annotation"): version 2
 * `{"version":2,"steps":["a","b"],"dependsOn":[[],[0]]}`, and the version-1 form
 * `{"a":[],"b":["a"]}` written by earlier releases.
 */
import { CliError } from './errors';
import { StepGraph } from '../graph/step-graph';

/** The annotation's key, on the Pod (a Job's pod template). */
export const GRAPH_ANNOTATION = 'cdk8s-steps/graph';

/** The steps of one pod, in declaration order, with their direct dependencies by name. */
export interface StepGraphData {
  readonly steps: string[];
  readonly dependsOn: ReadonlyMap<string, string[]>;
}

/** Parses the annotation's value; `where` names the pod in error messages. */
export function parseGraphAnnotation(text: string, where: string): StepGraphData {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${where}: the ${GRAPH_ANNOTATION} annotation is not JSON (${(e as Error).message}); synthesise the manifest again with cdk8s-steps`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`${where}: the ${GRAPH_ANNOTATION} annotation is not a JSON object; synthesise the manifest again with cdk8s-steps`);
  const o = v as Record<string, unknown>;
  if ('version' in o) {
    if (o.version !== 2) {
      throw new CliError(`${where}: graph annotation version ${JSON.stringify(o.version)} is not one this cdk8s-steps reads (1 and 2); upgrade cdk8s-steps to the version that synthesised it`);
    }
    const steps = o.steps;
    const deps = o.dependsOn;
    const bad = () => new CliError(`${where}: malformed ${GRAPH_ANNOTATION} annotation (version 2 wants "steps": names and "dependsOn": one list of indexes per step)`);
    if (!Array.isArray(steps) || !Array.isArray(deps) || steps.length !== deps.length || !steps.every((s) => typeof s === 'string')) throw bad();
    const dependsOn = new Map<string, string[]>();
    steps.forEach((s: string, i: number) => {
      const d = deps[i];
      if (!Array.isArray(d) || !d.every((x) => Number.isInteger(x) && x >= 0 && x < steps.length)) throw bad();
      dependsOn.set(s, d.map((x: number) => steps[x]));
    });
    return { steps, dependsOn };
  }
  const dependsOn = new Map<string, string[]>();
  for (const [step, deps] of Object.entries(o)) {
    if (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string' && d in o)) {
      throw new CliError(`${where}: malformed ${GRAPH_ANNOTATION} annotation at step "${step}" (version 1 wants step -> names of its dependencies)`);
    }
    dependsOn.set(step, deps);
  }
  return { steps: [...dependsOn.keys()], dependsOn };
}

/**
 * The steps in a topological order that keeps declaration order among steps that are ready at the
 * same time: the library's own `StepGraph` order. A cycle (a hand-edited annotation) is an error
 * that names it.
 */
export function topologicalOrder(g: StepGraphData): string[] {
  return StepGraph.fromNodes(g.steps.map((name) => ({ name, dependsOn: g.dependsOn.get(name) ?? [] }))).topologicalOrder();
}
