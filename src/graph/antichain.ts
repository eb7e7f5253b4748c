/**
 * Maximum-weight antichain of a DAG: the heaviest set of steps no two of which are ordered by the
 * dependency relation, i.e. the most that can ever run at the same time. Pure: numbers in,
 * numbers out. Internal: not part of the public API.
 *
 * By Dilworth's theorem in its weighted form (Fulkerson), the heaviest antichain weighs
 * `total - F`, where F is the maximum flow that each step v can pass (up to w(v)) to steps it
 * precedes (each absorbing up to w(u)). The flow network follows the DAG's own edges, with an
 * uncapped edge through every step so that flow reaches everything a step precedes transitively:
 * O(steps + edges) arcs instead of the transitive closure's O(steps^2). The antichain itself is
 * read off the minimum cut.
 */

export interface Antichain {
  /** Total weight of the antichain. */
  readonly weight: number;
  /** members[v] is true for the steps in the antichain. */
  readonly members: boolean[];
}

/**
 * @param weights non-negative safe integers, one per step
 * @param edges [before, after] pairs of step indices; the graph must be acyclic
 */
export function maxWeightAntichain(weights: number[], edges: Array<[number, number]>): Antichain {
  const n = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  if (edges.length === 0 || total === 0) {
    return { weight: total, members: weights.map(w => w > 0) };
  }
  const net = new FlowNetwork(2 + 2 * n, 3 * n + edges.length);
  const source = 0;
  const sink = 1;
  const out = (v: number) => 2 + v; // flow leaving step v towards the steps after it
  const into = (v: number) => 2 + n + v; // flow arriving at step v
  const unbounded = total + 1;
  weights.forEach((w, v) => {
    if (w > 0) {
      net.addArc(source, out(v), w);
      net.addArc(into(v), sink, w);
    }
    net.addArc(into(v), out(v), unbounded);
  });
  for (const [before, after] of edges) net.addArc(out(before), into(after), unbounded);

  const flow = net.maxFlow(source, sink);
  const reached = net.reachableFrom(source);
  const members = weights.map((_, v) => reached[out(v)] && !reached[into(v)]);
  return { weight: total - flow, members };
}

/** Dinic's maximum flow over arrays; iterative so that long chains cannot overflow the stack. */
class FlowNetwork {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly to: Int32Array;
  private readonly cap: Float64Array;
  private arcs = 0;

  constructor(private readonly nodes: number, maxEdges: number) {
    this.head = new Int32Array(nodes).fill(-1);
    this.next = new Int32Array(2 * maxEdges);
    this.to = new Int32Array(2 * maxEdges);
    this.cap = new Float64Array(2 * maxEdges);
  }

  /** Adds an arc and its residual twin (see `twin`). */
  public addArc(from: number, to: number, capacity: number): void {
    this.half(from, to, capacity);
    this.half(to, from, 0);
  }

  private half(from: number, to: number, capacity: number): void {
    this.to[this.arcs] = to;
    this.cap[this.arcs] = capacity;
    this.next[this.arcs] = this.head[from];
    this.head[from] = this.arcs++;
  }

  public maxFlow(source: number, sink: number): number {
    let flow = 0;
    const level = new Int32Array(this.nodes);
    const cursor = new Int32Array(this.nodes);
    const path = new Int32Array(this.nodes); // arcs on the current path
    while (this.levels(source, sink, level)) {
      cursor.set(this.head);
      let depth = 0;
      let node = source;
      for (;;) {
        if (node === sink) {
          let bottleneck = Infinity;
          for (let i = 0; i < depth; i++) bottleneck = Math.min(bottleneck, this.cap[path[i]]);
          let retreat = depth;
          for (let i = depth - 1; i >= 0; i--) {
            this.cap[path[i]] -= bottleneck;
            this.cap[twin(path[i])] += bottleneck;
            if (this.cap[path[i]] === 0) retreat = i;
          }
          flow += bottleneck;
          depth = retreat;
          node = depth === 0 ? source : this.to[path[depth - 1]];
          continue;
        }
        let arc = cursor[node];
        while (arc !== -1 && !(this.cap[arc] > 0 && level[this.to[arc]] === level[node] + 1)) arc = this.next[arc];
        cursor[node] = arc;
        if (arc !== -1) {
          path[depth++] = arc;
          node = this.to[arc];
        } else {
          if (depth === 0) break;
          level[node] = -1; // dead end for this phase
          depth--;
          node = depth === 0 ? source : this.to[path[depth - 1]];
        }
      }
    }
    return flow;
  }

  /** Breadth-first levels over arcs with capacity left; false when the sink is out of reach. */
  private levels(source: number, sink: number, level: Int32Array): boolean {
    level.fill(-1);
    level[source] = 0;
    const queue = new Int32Array(this.nodes);
    let tail = 0;
    queue[tail++] = source;
    for (let headIdx = 0; headIdx < tail; headIdx++) {
      const u = queue[headIdx];
      for (let arc = this.head[u]; arc !== -1; arc = this.next[arc]) {
        const v = this.to[arc];
        if (this.cap[arc] > 0 && level[v] < 0) {
          level[v] = level[u] + 1;
          queue[tail++] = v;
        }
      }
    }
    return level[sink] >= 0;
  }

  /** Nodes reachable from `source` over arcs with capacity left (the source side of a min cut). */
  public reachableFrom(source: number): boolean[] {
    const level = new Int32Array(this.nodes);
    this.levels(source, source, level);
    return Array.from(level, l => l >= 0);
  }
}

/** Arcs are added in pairs (2k, 2k + 1): each one's residual twin is the other of its pair. */
function twin(arc: number): number {
  return arc % 2 === 0 ? arc + 1 : arc - 1;
}
