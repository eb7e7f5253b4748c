/**
 * Every TypeScript block of the README is a complete program (issue 17 item 6: no undefined
 * `chart` or `postgres`): each one, on its own, type-checks strictly against this checkout's
 * `cdk8s-steps` (its import resolved to src/), with nothing else in scope. The Quick start's
 * pipeline is also run, in test/e2e/quickstart.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { readmeBlocks } from './readme-blocks';

const ROOT = path.resolve(__dirname, '..');

describe('the README\'s TypeScript blocks', () => {
  const blocks = readmeBlocks().filter((b) => b.lang === 'ts');

  test('there are some, and each imports what it uses (a program, not a fragment)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const b of blocks) expect({ line: b.line, imports: /^import /m.test(b.text) }).toEqual({ line: b.line, imports: true });
  });

  test('each type-checks on its own (strict), with cdk8s-steps from src/', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.readme-programs-'));
    try {
      const files = blocks.map((b) => {
        const file = path.join(dir, `readme-line-${b.line}.ts`);
        fs.writeFileSync(file, b.text);
        return file;
      });
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        noUnusedLocals: false,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        baseUrl: ROOT,
        paths: { 'cdk8s-steps': ['src/index.ts'] },
      });
      const problems = ts.getPreEmitDiagnostics(program)
        .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)))
        .map((d) => {
          const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
          const block = Number(/readme-line-(\d+)/.exec(d.file!.fileName)![1]);
          return `README.md:${block + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
