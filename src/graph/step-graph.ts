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
  /** Step names in declaration order, and each one's position in it. */
  private readonly names: string[];
  private readonly index = new Map<string, number>();
  /** Per step (by position): direct dependencies and direct dependents, without repeats. */
  private readonly deps: number[][];
  private readonly dependents: number[][];
  /** Kahn's order of the steps that can be ordered; all of them when the graph is acyclic. */
  private orderCache?: number[];

  private constructor(nodes: StepGraphNode[]) {
    for (const node of nodes) {
      if (this.nodes.has(node.name)) throw new Error(`Step "${node.name}" is declared twice: step names must be unique`);
      this.index.set(node.name, this.nodes.size);
      this.nodes.set(node.name, node);
    }
    this.names = [...this.nodes.keys()];
    this.dependents = this.names.map(() => []);
    this.deps = nodes.map((node, i) => [...new Set(node.dependsOn ?? [])].map(dep => {
      const d = this.index.get(dep);
      if (d === undefined) throw new Error(`Step "${node.name}" depends on "${dep}", which is not a step of this graph`);
      this.dependents[d].push(i);
      return d;
    }));
  }

  /**
   * Kahn's algorithm over arrays (no recursion: a 100 000-step chain orders; graphlib 3's
   * `alg.topsort` and `alg.findCycles` recurse once per step and overflow the stack at ~8 000 and
   * ~3 000 steps, measured with graphlib 3.0.4 on Node 20). Steps on or behind a cycle are left out.
   */
  private order(): number[] {
    if (!this.orderCache) {
      // Kahn's algorithm; among the steps ready at the same time, the one declared first goes
      // first (a binary min-heap of positions: O((steps + edges) log steps), no recursion).
      const waiting = Int32Array.from(this.deps, d => d.length);
      const ready = new MinHeap();
      waiting.forEach((w, i) => { if (w === 0) ready.push(i); });
      const out: number[] = [];
      while (ready.size > 0) {
        const step = ready.pop();
        out.push(step);
        for (const next of this.dependents[step]) if (--waiting[next] === 0) ready.push(next);
      }
      this.orderCache = out;
    }
    return this.orderCache;
  }

  /** Step names, in the order they were declared. */
  public get steps(): string[] {
    return [...this.names];
  }

  /** Direct dependencies of a step, in the order they were declared. */
  public dependenciesOf(name: string): string[] {
    return this.deps[this.position(name)].map(d => this.names[d]);
  }

  /** Direct dependents of a step: the steps that wait for it, in declaration order. */
  public dependentsOf(name: string): string[] {
    return this.dependents[this.position(name)].map(d => this.names[d]);
  }

  /**
   * A cycle of the graph as a path that returns to its start (`['a', 'b', 'a']`: b depends on a and
   * a on b), each step a dependency of the next, or undefined when the graph is acyclic. A step
   * that depends on itself is a cycle of one.
   */
  public findCycle(): string[] | undefined {
    const ordered = this.order();
    if (ordered.length === this.names.length) return undefined;
    // Every step Kahn's algorithm could not order waits for another such step: following those
    // dependencies must come back to a step already on the path.
    const done = new Uint8Array(this.names.length);
    for (const i of ordered) done[i] = 1;
    const seenAt = new Map<number, number>();
    const path: number[] = [];
    let current = done.indexOf(0);
    while (!seenAt.has(current)) {
      seenAt.set(current, path.length);
      path.push(current);
      current = this.deps[current].find(d => !done[d])!;
    }
    const cycle = [...path.slice(seenAt.get(current)), current].reverse();
    return cycle.map(i => this.names[i]);
  }

  /**
   * Every step after all of its dependencies; among steps whose dependencies are all before them,
   * declaration order. Throws, naming the cycle, when there is one.
   */
  public topologicalOrder(): string[] {
    this.assertAcyclic();
    return this.order().map(i => this.names[i]);
  }

  /**
   * Throws an error that names the cycle (`a -> b -> a`) when the graph has one; the middle of a
   * cycle longer than 12 steps is elided.
   */
  public assertAcyclic(): void {
    const cycle = this.findCycle();
    if (!cycle) return;
    let how: string;
    if (cycle.length === 2) {
      how = `step "${cycle[0]}" depends on itself`;
    } else {
      const path = [...cycle].reverse();
      const shown = path.length <= 13 ? path.join(' -> ')
        : `${path.slice(0, 6).join(' -> ')} -> … ${path.length - 12} more steps … -> ${path.slice(-6).join(' -> ')}`;
      how = `the steps form a cycle: ${shown} (each step depends on the next)`;
    }
    throw new Error(`Dependency cycle: ${how}. Remove one of these dependencies.`);
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
    const names = this.names;
    const edges: Array<[number, number]> = [];
    this.deps.forEach((deps, i) => { for (const d of deps) edges.push([d, i]); });
    const requests = names.map(n => this.nodes.get(n)!.requests ?? {});
    const resources = new Set<string>();
    for (const r of requests) for (const resource in r) resources.add(resource);
    const peaks = new Map<string, { total: bigint; members: Set<string> }>();
    const antichains = new Map<string, Antichain>();
    // most steps request the same few quantities (cdk8s-plus' defaults): parse each text once
    const parsed = new Map<string, bigint>();
    for (const resource of [...resources].sort()) {
      const nanos = requests.map((r, i) => {
        const q = r[resource];
        if (q === undefined) return 0n;
        let v = parsed.get(q);
        if (v === undefined) {
          try {
            v = parseQuantity(q);
          } catch (e) {
            throw new Error(`Step "${names[i]}" requests ${resource}: ${(e as Error).message}`);
          }
          parsed.set(q, v);
        }
        return v;
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

  private position(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) {
      const listed = this.names.length > 20 ? `${this.names.slice(0, 20).join(', ')}, …` : this.names.join(', ') || 'none';
      throw new Error(`There is no step named "${name}" (steps: ${listed})`);
    }
    return i;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A binary min-heap of numbers (step positions). */
class MinHeap {
  private readonly items: number[] = [];

  public get size(): number {
    return this.items.length;
  }

  public push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const parent = Math.floor((i - 1) / 2);
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  public pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
