/**
 * What `npm pack` puts in the package, from a checkout as fresh as a clone (no lib/) in which a
 * test run has left its files behind: the `prepack` script compiles lib/ first, and the `files`
 * allow-list keeps sources, tests and test-run leftovers out.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gitRepo } from './markdown-links';

const ROOT = path.resolve(__dirname, '..');

/** Leftovers of test runs and builds that must never be published. */
const LEFTOVERS = [
  '.e2e-work/entrypoint-image.json',
  'coverage/lcov.info',
  'test-reports/junit.xml',
  'dist/js/cdk8s-steps@0.0.0.jsii.tgz',
  'bench/out/results.quick.json',
  'entrypoint-image/out/entrypoint-linux-amd64',
];

/** The bundled dependencies (the CLI's yaml and dagre, and dagre's graphlib), as package.json names them. */
const BUNDLED: string[] = [...JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bundledDependencies, '@dagrejs/graphlib'];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ALLOWED = new RegExp('^(lib\\/.+\\.(js|d\\.ts|json)|\\.jsii|API\\.md|README\\.md|LICENSE|package\\.json|release-image\\.json|docs\\/.+\\.md'
  + `|node_modules\\/(${BUNDLED.map(escape).join('|')})\\/.+)$`);

function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  // The prepack script's own output comes first; npm's JSON report is the last thing printed.
  const start = out.search(/^\[$/m);
  if (start < 0) throw new Error(`npm pack printed no JSON report:\n${out}`);
  const [report] = JSON.parse(out.slice(start)) as Array<{ files: Array<{ path: string }> }>;
  return report.files.map((f) => f.path).sort();
}

describe('npm pack from a fresh checkout', () => {
  let work: string;
  let files: string[];

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-pack-'));
    for (const file of gitRepo(ROOT).files) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(work, file));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    for (const leftover of LEFTOVERS) {
      fs.mkdirSync(path.dirname(path.join(work, leftover)), { recursive: true });
      fs.writeFileSync(path.join(work, leftover), '{}\n');
    }
    expect(fs.existsSync(path.join(work, 'lib'))).toBe(false);
    files = packedFiles(work);
  });

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('holds the compiled library (built by prepack), the CLI, its jsii manifest and the bundled dependencies', () => {
    expect(files).toEqual(expect.arrayContaining([
      'lib/index.js', 'lib/index.d.ts', 'lib/cli/main.js', '.jsii', 'package.json', 'README.md', 'LICENSE', 'API.md',
      // the run conditions the library and the entrypoint's Go tests both read (src/wire/run-if.ts imports it)
      'lib/wire/run-if-conditions.json',
      ...BUNDLED.map(dep => `node_modules/${dep}/package.json`),
    ]));
  });

  test('holds nothing from test runs, tests, sources or tooling', () => {
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    for (const leftover of LEFTOVERS) expect(files).not.toContain(leftover);
    expect(files.filter((f) => /^(test|src|examples|bench|scripts|projenrc|entrypoint-image)\//.test(f))).toEqual([]);
  });
});
