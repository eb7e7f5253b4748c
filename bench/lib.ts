/** Shared helpers of the TypeScript benchmarks (seeded PRNG, random DAGs, quantities, stats). */
/* eslint-disable no-bitwise */
import { parseQuantity } from '../src/graph/quantity';
import { aggregateRequest } from '../src/pod/pod-level';
import { effectiveRequests } from '../src/pod/resources';
import { isSidecar } from '../src/pod/sidecar';
import { K8sObject } from '../src/wire/workload';

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

export function fmtCpu(cores: number): string {
  return Number.isInteger(cores) ? `${cores}` : `${Math.round(cores * 1000)}m`;
}

export function fmtMem(bytes: number): string {
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}Gi`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}Mi`;
  return `${bytes}`;
}

const NANO = 1_000_000_000n;

/**
 * What the scheduler reserves for a pod (the Kubernetes "effective request"), from a synthesised
 * PodSpec: the library's own rules (`effectiveRequests` per container, `aggregateRequest` over
 * the pod, both tested against Kubernetes' semantics in test/), in cores or bytes. Overhead not
 * included.
 */
export function effectiveRequest(podSpec: K8sObject, resource: string): number {
  const request = (c: K8sObject) => {
    const q = effectiveRequests(c.resources)[resource];
    return q === undefined ? 0n : parseQuantity(q);
  };
  const inits: K8sObject[] = podSpec.initContainers ?? [];
  const containers: K8sObject[] = podSpec.containers ?? [];
  const total = aggregateRequest(inits.map((c) => ({ request: request(c), sidecar: isSidecar(c) })), containers.map(request));
  return Number(total / NANO) + Number(total % NANO) / 1e9;
}
