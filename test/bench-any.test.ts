/**
 * bench/ is held to src/'s bar on `any` (issue 21, item 5): ESLint's
 * `@typescript-eslint/no-explicit-any` is an error there (.projenrc.ts), so an `any` needs a
 * disable comment, and this test makes that comment say why (`-- reason`, ESLint's own syntax for
 * a directive's description). No installed ESLint plugin checks descriptions
 * (`eslint-comments/require-description` is not a dependency), hence a test.
 */
import * as fs from 'fs';
import * as path from 'path';

const BENCH = path.join(__dirname, '..', 'bench');

/** The disable directives in `text` that allow an `any` without saying why, as `line N: comment`. */
function undescribedAnyDisables(text: string): string[] {
  const found: string[] = [];
  const directive = /\/[/*]\s*eslint-disable(?:-next-line|-line)?(?=[\s*]|$)([^\n]*)/g;
  for (const m of text.matchAll(directive)) {
    const body = m[1].replace(/\*\/.*$/, '');
    const [rules, ...why] = body.split(/\s--\s?/);
    const names = rules.split(',').map(r => r.trim()).filter(r => r !== '');
    const coversAny = names.length === 0 || names.includes('@typescript-eslint/no-explicit-any');
    if (coversAny && why.join(' -- ').trim() === '') {
      found.push(`line ${text.slice(0, m.index).split('\n').length}: ${m[0].trim()}`);
    }
  }
  return found;
}

function benchSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'out' || e.name === 'node_modules' ? [] : benchSources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

test('the check finds an any allowed without a reason, and only that', () => {
  expect(undescribedAnyDisables([
    '// eslint-disable-next-line @typescript-eslint/no-explicit-any',
    'const a: any = 1; // eslint-disable-line @typescript-eslint/no-explicit-any --',
    '/* eslint-disable */',
    '/* eslint-disable no-bitwise, @typescript-eslint/no-explicit-any */',
    '// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain JSON from the synthesiser',
    '/* eslint-disable @typescript-eslint/no-explicit-any -- a JSON tree of unknown shape */',
    '/* eslint-disable no-bitwise */',
    '// eslint-disable-next-line @typescript-eslint/no-require-imports',
  ].join('\n'))).toEqual([
    'line 1: // eslint-disable-next-line @typescript-eslint/no-explicit-any',
    'line 2: // eslint-disable-line @typescript-eslint/no-explicit-any --',
    'line 3: /* eslint-disable */',
    'line 4: /* eslint-disable no-bitwise, @typescript-eslint/no-explicit-any */',
  ]);
});

test('every any in bench/ comes with a comment saying why (issue 21, item 5)', () => {
  const files = benchSources(BENCH);
  expect(files.length).toBeGreaterThan(0);
  const problems = files.flatMap(f => undescribedAnyDisables(fs.readFileSync(f, 'utf8'))
    .map(p => `${path.relative(BENCH, f)} ${p}: add "-- <why an any is needed here>"`));
  expect(problems).toEqual([]);
});
