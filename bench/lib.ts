/** Shared helpers of the TypeScript benchmarks (seeded PRNG, random DAGs, quantities, stats). */
/* eslint-disable no-bitwise */

/** mulberry32: a small seeded PRNG, so every run builds the same graphs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dag {
  readonly n: number;
  /** deps[j] = the steps j depends on (all < j, so the order 0..n-1 is topological). */
  readonly deps: number[][];
  readonly edges: number;
}

/**
 * A random DAG of n steps with average in-degree `inDegree` (exactly inDegree*n distinct edges
 * when the graph is big enough): each edge picks a step j uniformly and one of its predecessors
 * i < j uniformly. Fixed seed: the same graph on every run.
 */
export function randomDag(n: number, inDegree: number, seed: number): Dag {
  const r = rng(seed);
  const maxEdges = (n * (n - 1)) / 2;
  const m = Math.min(Math.round(inDegree * n), maxEdges);
  const sets: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  let placed = 0;
  while (placed < m) {
    const j = 1 + Math.floor(r() * (n - 1));
    const i = Math.floor(r() * j);
    if (!sets[j].has(i)) {
      sets[j].add(i);
      placed++;
    }
  }
  return { n, deps: sets.map((s) => [...s].sort((a, b) => a - b)), edges: m };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Kubernetes quantity → number (cpu in cores, memory/storage in bytes). */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null) return 0;
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) throw new Error(`bad quantity ${q}`);
  const mult: Record<string, number> = {
    '': 1,
    'n': 1e-9,
    'u': 1e-6,
    'm': 1e-3,
    'k': 1e3,
    'M': 1e6,
    'G': 1e9,
    'T': 1e12,
    'P': 1e15,
    'E': 1e18,
    'Ki': 1024,
    'Mi': 1024 ** 2,
    'Gi': 1024 ** 3,
    'Ti': 1024 ** 4,
    'Pi': 1024 ** 5,
    'Ei': 1024 ** 6,
  };
  if (!(m[2] in mult)) throw new Error(`bad quantity suffix ${q}`);
  return parseFloat(m[1]) * mult[m[2]];
}

export function fmtCpu(cores: number): string {
  return Number.isInteger(cores) ? `${cores}` : `${Math.round(cores * 1000)}m`;
}

export function fmtMem(bytes: number): string {
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}Gi`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}Mi`;
  return `${bytes}`;
}

/**
 * What the scheduler reserves for a pod (the Kubernetes "effective request"): the larger of
 * (a) the sum over app containers plus all restartable (sidecar) init containers and (b) for each
 * plain init container, its request plus the sidecars started before it. Overhead not included.
 */
export function effectiveRequest(podSpec: any, resource: string): number {
  const req = (c: any) => parseQuantity(c?.resources?.requests?.[resource] ?? c?.resources?.limits?.[resource]);
  let sidecars = 0;
  let initMax = 0;
  for (const c of podSpec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') {
      sidecars += req(c);
    } else {
      initMax = Math.max(initMax, req(c) + sidecars);
    }
  }
  const app = (podSpec.containers ?? []).reduce((s: number, c: any) => s + req(c), 0) + sidecars;
  return Math.max(app, initMax);
}

/** The pod spec of a synthesised Pod or Job object. */
export function podSpecOf(obj: any): any {
  return obj.kind === 'Job' ? obj.spec.template.spec : obj.spec;
}
