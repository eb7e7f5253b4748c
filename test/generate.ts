/** Generators of large step graphs for the limit tests (test-side only). */
import { IStepHost, Step } from '../src';

/** A deterministic pseudo-random generator (Park-Miller), so sizes are reproducible. */
export function random(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

/** Step name number `i`, exactly `length` characters long (a DNS-1123 label). */
export function stepName(i: number, length: number): string {
  const id = `s${i}`;
  if (length < id.length + 1) throw new Error(`names of ${length} characters cannot number step ${i}`);
  return `${'x'.repeat(length - id.length - 1)}-${id}`.replace(/^-/, 'x');
}

/** Plain options of one generated step. */
const options = (dependsOn: Step[]) => ({ image: 'busybox:1.36', command: ['sh', '-c', 'true'], dependsOn });

/**
 * A random DAG of `n` steps in which every step from the fourth on depends on `inDegree` distinct
 * earlier steps (the first ones on all earlier steps): average in-degree ~`inDegree`.
 */
export function randomDag(host: IStepHost, n: number, nameLength: number, inDegree = 3, seed = 1): Step[] {
  const next = random(seed);
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<Step>();
    while (deps.size < Math.min(i, inDegree)) deps.add(steps[Math.floor(next() * i)]);
    steps.push(host.addStep(stepName(i, nameLength), options([...deps])));
  }
  return steps;
}

/** `n - 1` independent steps and one that depends on all of them. */
export function fanIn(host: IStepHost, n: number, nameLength: number): Step[] {
  const sources = Array.from({ length: n - 1 }, (_, i) => host.addStep(stepName(i, nameLength), options([])));
  return [...sources, host.addStep(stepName(n - 1, nameLength), options(sources))];
}
