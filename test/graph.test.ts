import * as fc from 'fast-check';
import { StepGraph, StepGraphNode } from '../src';

const chain = (n: number, cpu = '1'): StepGraphNode[] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}`, dependsOn: i ? [`s${i - 1}`] : [], requests: { cpu } }));

describe('StepGraph', () => {
  test('topological order puts every step after its dependencies', () => {
    const g = StepGraph.fromNodes([
      { name: 'publish', dependsOn: ['unit', 'lint'] },
      { name: 'unit', dependsOn: ['checkout'] },
      { name: 'lint', dependsOn: ['checkout'] },
      { name: 'checkout' },
    ]);
    const order = g.topologicalOrder();
    expect(order).toHaveLength(4);
    expect(order[0]).toBe('checkout');
    expect(order[3]).toBe('publish');
    expect(g.steps).toEqual(['publish', 'unit', 'lint', 'checkout']);
    expect(g.dependenciesOf('publish')).toEqual(['unit', 'lint']);
    expect(g.dependentsOf('checkout').sort()).toEqual(['lint', 'unit']);
  });

  test('unknown names are errors that name the step', () => {
    expect(() => StepGraph.fromNodes([{ name: 'a', dependsOn: ['ghost'] }])).toThrow(/"a" depends on "ghost"/);
    expect(() => StepGraph.fromNodes([{ name: 'a' }, { name: 'a' }])).toThrow(/"a" is declared twice/);
    expect(() => StepGraph.fromNodes([{ name: 'a' }]).dependenciesOf('b')).toThrow(/no step named "b"/);
  });

  test('a cycle is reported as a path', () => {
    const g = StepGraph.fromNodes([
      { name: 'a', dependsOn: ['c'] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['b'] }, { name: 'd' },
    ]);
    const cycle = g.findCycle()!;
    expect(cycle[0]).toBe(cycle[cycle.length - 1]);
    expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
    expect(() => g.topologicalOrder()).toThrow(/cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c) \(each step depends on the next\)\./);
  });

  test('a self-dependency is a cycle of one', () => {
    const g = StepGraph.fromNodes([{ name: 'a', dependsOn: ['a'] }]);
    expect(g.findCycle()).toEqual(['a', 'a']);
    expect(() => g.assertAcyclic()).toThrow(/step "a" depends on itself/);
  });

  test('random cyclic graphs are always rejected and the cycle is a real one', () => {
    fc.assert(fc.property(randomDag(12), fc.nat(), fc.nat(), (nodes, x, y) => {
      // close a cycle: make an ancestor depend on a descendant (or a step on itself)
      const g0 = StepGraph.fromNodes(nodes);
      const order = g0.topologicalOrder();
      const late = order[Math.max(x % order.length, y % order.length)];
      const early = order[Math.min(x % order.length, y % order.length)];
      const withCycle = pathExists(nodes, early, late) ? nodes.map(n => n.name === early
        ? { ...n, dependsOn: [...n.dependsOn ?? [], late] } : n) : nodes.map(n => n.name === late
        ? { ...n, dependsOn: [...n.dependsOn ?? [], late] } : n);
      const g = StepGraph.fromNodes(withCycle);
      const cycle = g.findCycle();
      expect(cycle).toBeDefined();
      for (let i = 0; i + 1 < cycle!.length; i++) {
        // each step on the path is a dependency of the next one
        expect(g.dependentsOf(cycle![i])).toContain(cycle![i + 1]);
      }
      expect(() => g.topologicalOrder()).toThrow(/Dependency cycle/);
    }));
  });

  describe('peakRequests', () => {
    test('a chain needs its largest step', () => {
      expect(StepGraph.fromNodes(chain(10)).peakRequests()).toEqual({ cpu: '1' });
      const mixed = chain(3).map((n, i) => ({ ...n, requests: { cpu: ['250m', '1500m', '1'][i], memory: ['1Gi', '512Mi', '2Gi'][i] } }));
      expect(StepGraph.fromNodes(mixed).peakRequests()).toEqual({ cpu: '1500m', memory: '2Gi' });
    });

    test('a diamond needs its two middle steps', () => {
      const diamond = StepGraph.fromNodes([
        { name: 'a', requests: { cpu: '1' } },
        { name: 'b', dependsOn: ['a'], requests: { cpu: '1' } },
        { name: 'c', dependsOn: ['a'], requests: { cpu: '1' } },
        { name: 'd', dependsOn: ['b', 'c'], requests: { cpu: '1' } },
      ]);
      expect(diamond.peakRequests()).toEqual({ cpu: '2' });
    });

    test('a wide fan-out needs every branch at once', () => {
      const nodes: StepGraphNode[] = [{ name: 'root', requests: { cpu: '4' } }];
      for (let i = 0; i < 20; i++) nodes.push({ name: `leaf${i}`, dependsOn: ['root'], requests: { cpu: '500m' } });
      expect(StepGraph.fromNodes(nodes).peakRequests()).toEqual({ cpu: '10' });
    });

    test('a heavy step on one branch can outweigh a wider set', () => {
      // a -> b -> c and a -> d: {b, d} = 1.1, {c, d} = 8.1; c alone dominates the chain
      const g = StepGraph.fromNodes([
        { name: 'a', requests: { cpu: '100m' } },
        { name: 'b', dependsOn: ['a'], requests: { cpu: '100m' } },
        { name: 'c', dependsOn: ['b'], requests: { cpu: '8' } },
        { name: 'd', dependsOn: ['a'], requests: { cpu: '100m' } },
      ]);
      expect(g.peakRequests()).toEqual({ cpu: '8100m' });
    });

    test('matches brute force on small random DAGs', () => {
      fc.assert(fc.property(randomDag(9, true), nodes => {
        const g = StepGraph.fromNodes(nodes);
        const milli = (q?: string) => (q === undefined ? 0 : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
        const expected = bruteForcePeak(nodes, n => milli(n.requests?.cpu));
        const got = milli(g.peakRequests().cpu ?? '0');
        expect(got).toBe(expected);
      }), { numRuns: 300 });
    });

    test('a large graph stays fast enough to compute at all', () => {
      const nodes: StepGraphNode[] = [];
      for (let i = 0; i < 2000; i++) {
        const deps = i > 3 ? [`s${i - 1}`, `s${(i * 7) % i}`, `s${(i * 13) % i}`] : [];
        nodes.push({ name: `s${i}`, dependsOn: [...new Set(deps)], requests: { cpu: `${(i % 5) + 1}00m`, memory: '64Mi' } });
      }
      const peak = StepGraph.fromNodes(nodes).peakRequests();
      expect(Object.keys(peak).sort()).toEqual(['cpu', 'memory']);
    });
  });

  test('toMermaid and toDot list every step and edge', () => {
    const g = StepGraph.fromNodes([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['a', 'b'] }]);
    expect(g.toMermaid()).toBe([
      'flowchart TD', '  s0["a"]', '  s1["b"]', '  s2["c"]', '  s0 --> s1', '  s0 --> s2', '  s1 --> s2', '',
    ].join('\n'));
    expect(g.toDot()).toContain('"a" -> "c";');
    expect(g.toDot()).toContain('"b" -> "c";');
    expect(g.toDot().match(/->/g)).toHaveLength(3);
  });
});

/** Random DAGs: each step may depend on earlier ones only. */
function randomDag(maxSize: number, withRequests = false): fc.Arbitrary<StepGraphNode[]> {
  return fc.integer({ min: 1, max: maxSize }).chain(n => fc.tuple(
    fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
    fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: n, maxLength: n }),
  ).map(([adj, cpu]) => Array.from({ length: n }, (_unused, i) => ({
    name: `n${i}`,
    dependsOn: Array.from({ length: i }, (_none, j) => j).filter(j => adj[i][j]).map(j => `n${j}`),
    requests: withRequests ? { cpu: `${cpu[i]}m` } : undefined,
  }))));
}

function pathExists(nodes: StepGraphNode[], from: string, to: string): boolean {
  // is `to` reachable from `from` following dependents?
  const dependents = new Map<string, string[]>();
  for (const n of nodes) for (const d of n.dependsOn ?? []) dependents.set(d, [...dependents.get(d) ?? [], n.name]);
  const stack = [from];
  const seen = new Set<string>();
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === to && cur !== from) return true;
    for (const next of dependents.get(cur) ?? []) if (!seen.has(next)) { seen.add(next); stack.push(next); }
  }
  return false;
}

/** Largest weight of a set of pairwise unordered steps, by trying every subset. */
function bruteForcePeak(nodes: StepGraphNode[], weight: (n: StepGraphNode) => number): number {
  const n = nodes.length;
  const reach = nodes.map(a => nodes.map(b => pathExists(nodes, a.name, b.name)));
  let best = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    const members = nodes.map((_, i) => i).filter(i => Math.floor(mask / 2 ** i) % 2 === 1);
    if (members.some(i => members.some(j => reach[i][j]))) continue;
    best = Math.max(best, members.reduce((s, i) => s + weight(nodes[i]), 0));
  }
  return best;
}

describe('StepGraph at scale: no recursion on the graph size', () => {
  const longChain = (n: number): StepGraphNode[] =>
    Array.from({ length: n }, (_, i) => ({ name: `s${i}`, dependsOn: i ? [`s${i - 1}`] : [] }));

  test('a 100 000-step chain orders', () => {
    const g = StepGraph.fromNodes(longChain(100_000));
    const order = g.topologicalOrder();
    expect(order).toHaveLength(100_000);
    expect(order[0]).toBe('s0');
    expect(order[99_999]).toBe('s99999');
    expect(g.findCycle()).toBeUndefined();
  });

  test('a cycle through 10 000 steps is reported as a cycle, its middle elided', () => {
    const nodes = longChain(10_000);
    nodes[0] = { name: 's0', dependsOn: ['s9999'] };
    const g = StepGraph.fromNodes(nodes);
    const cycle = g.findCycle()!;
    expect(cycle).toHaveLength(10_001);
    expect(cycle[0]).toBe(cycle[10_000]);
    for (let i = 0; i + 1 < cycle.length; i++) expect(g.dependenciesOf(cycle[i + 1])).toContain(cycle[i]);
    let message = '';
    try { g.assertAcyclic(); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/^Dependency cycle: the steps form a cycle: (s\d+ -> ){6}… 9989 more steps …( -> s\d+){6} \(each step depends on the next\)\. Remove one of these dependencies\.$/);
    expect(message.length).toBeLessThan(300);
    expect(() => g.topologicalOrder()).toThrow(/9989 more steps/);
  });

  test('a step behind a cycle is not mistaken for part of it', () => {
    const g = StepGraph.fromNodes([
      { name: 'tail', dependsOn: ['b'] }, { name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] },
    ]);
    expect(new Set(g.findCycle())).toEqual(new Set(['a', 'b']));
  });
});
