import { Graph, alg } from '@dagrejs/graphlib';
import { Antichain, maxWeightAntichain } from './antichain';
import { formatQuantity, parseQuantity, toSafeIntegers } from './quantity';

/**
 * One step as the graph sees it: a name, its direct dependencies and what it requests.
 */
export interface StepGraphNode {
  /** Step name. */
  readonly name: string;

  /**
   * Names of the steps that must finish before this one starts.
   * @default - no dependencies
   */
  readonly dependsOn?: string[];

  /**
   * Resource requests of the step, as Kubernetes quantities, e.g. `{ cpu: '500m', memory: '1Gi' }`.
   * @default - requests nothing
   */
  readonly requests?: { [resource: string]: string };
}

/**
 * The dependency graph of a set of steps: order, validation, resource peaks and diagrams.
 *
 * Pure data: it knows nothing about cdk8s, so it can be built and inspected on its own.
 * `StepPod.graph` and `StepJob.graph` return one for their steps.
 */
export class StepGraph {
  /** Builds a graph from plain nodes. Throws when a dependency names no node of the graph. */
  public static fromNodes(nodes: StepGraphNode[]): StepGraph {
    return new StepGraph(nodes);
  }

  private readonly nodes = new Map<string, StepGraphNode>();
  /** Direct dependencies per step, without repeats. */
  private readonly deps = new Map<string, string[]>();
  private lib?: Graph;

  private constructor(nodes: StepGraphNode[]) {
    for (const node of nodes) {
      if (this.nodes.has(node.name)) throw new Error(`Step "${node.name}" is declared twice: step names must be unique`);
      this.nodes.set(node.name, node);
    }
    for (const node of nodes) {
      const deps = [...new Set(node.dependsOn ?? [])];
      const unknown = deps.find(dep => !this.nodes.has(dep));
      if (unknown !== undefined) {
        throw new Error(`Step "${node.name}" depends on "${unknown}", which is not a step of this graph`);
      }
      this.deps.set(node.name, deps);
    }
  }

  /** The graphlib graph, built on first use (synthesis of a valid graph never needs it). */
  private get graph(): Graph {
    if (!this.lib) {
      this.lib = new Graph({ directed: true });
      for (const name of this.nodes.keys()) this.lib.setNode(name);
      for (const [name, deps] of this.deps) for (const dep of deps) this.lib.setEdge(dep, name);
    }
    return this.lib;
  }

  /** Kahn's algorithm over arrays: true when every step can be ordered after its dependencies. */
  private isAcyclic(): boolean {
    const names = this.steps;
    const index = new Map(names.map((n, i) => [n, i]));
    const dependents: number[][] = names.map(() => []);
    const waiting = new Int32Array(names.length);
    names.forEach((name, i) => {
      for (const dep of this.dependenciesOf(name)) {
        dependents[index.get(dep)!].push(i);
        waiting[i]++;
      }
    });
    const ready = names.map((_, i) => i).filter(i => waiting[i] === 0);
    for (let k = 0; k < ready.length; k++) {
      for (const next of dependents[ready[k]]) if (--waiting[next] === 0) ready.push(next);
    }
    return ready.length === names.length;
  }

  /** Step names, in the order they were declared. */
  public get steps(): string[] {
    return [...this.nodes.keys()];
  }

  /** Direct dependencies of a step, in the order they were declared. */
  public dependenciesOf(name: string): string[] {
    this.node(name);
    return [...this.deps.get(name)!];
  }

  /** Direct dependents of a step: the steps that wait for it. */
  public dependentsOf(name: string): string[] {
    this.node(name);
    return (this.graph.successors(name) ?? []) as string[];
  }

  /**
   * A cycle of the graph as a path that returns to its start (`['a', 'b', 'a']`: b depends on a and
   * a on b), each step a dependency of the next, or undefined when the graph is acyclic. A step
   * that depends on itself is a cycle of one.
   */
  public findCycle(): string[] | undefined {
    if (this.isAcyclic()) return undefined;
    const component = new Set(alg.findCycles(this.graph)[0]);
    // Inside a strongly connected component every step has a successor in the component:
    // walking successors must come back to a step already on the path.
    let current = [...component][0];
    const path: string[] = [];
    const seen = new Map<string, number>();
    while (!seen.has(current)) {
      seen.set(current, path.length);
      path.push(current);
      current = ((this.graph.successors(current) ?? []) as string[]).find(s => component.has(s))!;
    }
    return [...path.slice(seen.get(current)), current];
  }

  /**
   * Every step after all of its dependencies. Throws, naming the cycle, when there is one.
   */
  public topologicalOrder(): string[] {
    this.assertAcyclic();
    return alg.topsort(this.graph) as string[];
  }

  /** Throws an error that names the cycle (`a -> b -> a`) when the graph has one. */
  public assertAcyclic(): void {
    const cycle = this.findCycle();
    if (cycle) {
      const how = cycle.length === 2
        ? `step "${cycle[0]}" depends on itself`
        : `the steps form a cycle: ${[...cycle].reverse().join(' -> ')} (each step depends on the next)`;
      throw new Error(`Dependency cycle: ${how}. Remove one of these dependencies.`);
    }
  }

  /**
   * The largest total request, per resource, of any set of steps that can run at the same time
   * (a maximum-weight antichain of the dependency order): what the pod really needs for its steps.
   * For a chain that is the largest single step; for independent steps, their sum.
   *
   * @returns quantities per resource, e.g. `{ cpu: '2', memory: '1Gi' }`
   */
  public peakRequests(): { [resource: string]: string } {
    const result: { [resource: string]: string } = {};
    for (const [resource, peak] of this._peaks()) result[resource] = formatQuantity(resource, peak.total);
    return result;
  }

  /**
   * Per resource: the peak in nano-units and the steps of one heaviest antichain.
   * @internal
   */
  public _peaks(): Map<string, { total: bigint; members: Set<string> }> {
    this.assertAcyclic();
    const names = this.steps;
    const index = new Map(names.map((n, i) => [n, i]));
    const edges: Array<[number, number]> = [];
    for (const name of names) {
      for (const dep of this.dependenciesOf(name)) edges.push([index.get(dep)!, index.get(name)!]);
    }
    const resources = new Set(names.flatMap(n => Object.keys(this.nodes.get(n)!.requests ?? {})));
    const peaks = new Map<string, { total: bigint; members: Set<string> }>();
    const antichains = new Map<string, Antichain>();
    for (const resource of [...resources].sort()) {
      const nanos = names.map(n => {
        const q = this.nodes.get(n)!.requests?.[resource];
        try {
          return q === undefined ? 0n : parseQuantity(q);
        } catch (e) {
          throw new Error(`Step "${n}" requests ${resource}: ${(e as Error).message}`);
        }
      });
      const { scaled, scale } = toSafeIntegers(nanos);
      // Resources whose requests are proportional (the same default on every step, say) share
      // one antichain: compute each distinct weight pattern once.
      const unit = scaled.reduce(gcd, 0) || 1;
      const pattern = scaled.map(w => w / unit).join(',');
      let antichain = antichains.get(pattern);
      if (!antichain) {
        antichain = maxWeightAntichain(scaled.map(w => w / unit), edges);
        antichains.set(pattern, antichain);
      }
      const members = antichain.members;
      peaks.set(resource, {
        total: BigInt(antichain.weight) * BigInt(unit) * scale,
        members: new Set(names.filter((_, i) => members[i])),
      });
    }
    return peaks;
  }

  /** A Mermaid flowchart of the steps (paste it into Markdown that renders Mermaid). */
  public toMermaid(): string {
    const ids = new Map(this.steps.map((n, i) => [n, `s${i}`]));
    const lines = ['flowchart TD'];
    for (const name of this.steps) lines.push(`  ${ids.get(name)}["${name}"]`);
    for (const name of this.steps) {
      for (const dep of this.dependenciesOf(name)) lines.push(`  ${ids.get(dep)} --> ${ids.get(name)}`);
    }
    return lines.join('\n') + '\n';
  }

  /** A Graphviz DOT digraph of the steps. */
  public toDot(): string {
    const lines = ['digraph steps {', '  rankdir=LR;'];
    for (const name of this.steps) lines.push(`  "${name}";`);
    for (const name of this.steps) {
      for (const dep of this.dependenciesOf(name)) lines.push(`  "${dep}" -> "${name}";`);
    }
    lines.push('}');
    return lines.join('\n') + '\n';
  }

  private node(name: string): StepGraphNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`There is no step named "${name}" (steps: ${this.steps.join(', ') || 'none'})`);
    return node;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
