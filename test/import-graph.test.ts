/**
 * The import graph of the sources: no cycle in src/ (type-only imports count: a cycle of types is
 * still two modules that cannot be understood one without the other), and no product code (src/,
 * bench/, scripts/) that imports from test/. Every import is read with TypeScript's own scanner
 * (`import`, `import type`, `export ... from`, `require`, `import()`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

/** Every .ts file under `dir` (declaration files and node_modules excluded). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'out') out.push(...sources(p));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The files `file` imports that exist in the repository (package imports left out). */
function importsOf(file: string): string[] {
  const specs = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map(f => f.fileName);
  return specs.filter(s => s.startsWith('.')).flatMap(s => {
    const base = path.resolve(path.dirname(file), s);
    const hit = [base, `${base}.ts`, path.join(base, 'index.ts')].find(c => fs.existsSync(c) && fs.statSync(c).isFile());
    return hit ? [hit] : [];
  });
}

/** The import cycles among `files` (strongly connected components with more than one file, or a self-import), as relative paths. */
function importCycles(files: string[], root: string): string[][] {
  const graph = new Map(files.map(f => [f, importsOf(f).filter(i => files.includes(i))]));
  // Tarjan's algorithm, iterative
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const start of files) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next); low.set(start, next); next++;
    stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const edges = graph.get(top.node)!;
      if (top.edge < edges.length) {
        const to = edges[top.edge++];
        if (!index.has(to)) {
          index.set(to, next); low.set(to, next); next++;
          stack.push(to); onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        if (component.length > 1 || edges.includes(top.node)) cycles.push(component.map(f => path.relative(root, f)).sort());
      }
    }
  }
  return cycles;
}

describe('import graph', () => {
  test('the cycle finder finds a cycle whose one edge is type-only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport interface A { b?: B }\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import { C } from './c';\nexport class B { c?: C }\n");
      fs.writeFileSync(path.join(dir, 'c.ts'), "export { A } from './a';\nexport class C {}\n");
      fs.writeFileSync(path.join(dir, 'd.ts'), "import { C } from './c';\nexport const d = new C();\n");
      expect(importCycles(sources(dir), dir)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('src/ has no import cycle, type-only imports included', () => {
    expect(importCycles(sources(path.join(ROOT, 'src')), ROOT)).toEqual([]);
  });

  test('product code (src/, bench/, scripts/) imports nothing from test/', () => {
    const test = path.join(ROOT, 'test') + path.sep;
    const offending = ['src', 'bench', 'scripts'].flatMap(dir => sources(path.join(ROOT, dir)))
      .flatMap(file => importsOf(file).filter(i => i.startsWith(test)).map(i => `${path.relative(ROOT, file)} -> ${path.relative(ROOT, i)}`));
    expect(offending).toEqual([]);
  });
});
