/**
 * What `npm pack` puts in the package, from a checkout as fresh as a clone (no lib/, no binaries/)
 * in which a test run has left its files behind: the `prepack` script compiles lib/ and builds the
 * entrypoint binaries first, and the `files` allow-list keeps sources, tests and test-run leftovers
 * out. The packed tarball, unpacked outside the repository, builds the entrypoint image with no Go,
 * no clone and no network: the digest is the one of the checkout's own binaries.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gitRepo } from './markdown-links';
import { buildEntrypointImage } from '../src/image/build';
import { packagedEntrypoint } from '../src/image/packaged';

const ROOT = path.resolve(__dirname, '..');

/** Leftovers of test runs and builds that must never be published. */
const LEFTOVERS = [
  '.e2e-work/entrypoint-image.json',
  'coverage/lcov.info',
  'test-reports/junit.xml',
  'dist/js/cdk8s-steps@0.0.0.jsii.tgz',
  'bench/out/results.quick.json',
  'entrypoint-image/out/entrypoint-linux-amd64',
  'binaries/entrypoint-linux-riscv64',
  'binaries.tmp-abc/entrypoint-linux-amd64',
];

/**
 * The bundled dependencies and what they bring (the CLI's yaml, dagre and its graphlib, pako,
 * string-width and its four), as package-lock.json marks them (`inBundle`, top level only).
 */
const BUNDLED: string[] = Object.entries<{ inBundle?: boolean }>(JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages)
  .filter(([key, p]) => p.inBundle && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
  .map(([key]) => key.slice('node_modules/'.length));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ALLOWED = new RegExp('^(lib\\/.+\\.(js|d\\.ts|json)|\\.jsii|API\\.md|README\\.md|LICENSE|package\\.json|release-image\\.json|docs\\/.+\\.md'
  + '|binaries\\/entrypoint-linux-(amd64|arm64)|binaries\\/entrypoint\\.json'
  + `|node_modules\\/(${BUNDLED.map(escape).join('|')})\\/.+)$`);

interface Packed { readonly files: string[]; readonly tarball: string; readonly size: number; readonly unpackedSize: number }

/** `npm pack` in `dir` into `dir/packed/`: the file list, the tarball and its sizes. */
function pack(dir: string): Packed {
  const destination = path.join(dir, 'packed');
  fs.mkdirSync(destination);
  const out = execFileSync('npm', ['pack', '--json', '--no-audit', '--no-fund', '--pack-destination', destination], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  // The prepack script's own output comes first; npm's JSON report is the last thing printed.
  const start = out.search(/^\[$/m);
  if (start < 0) throw new Error(`npm pack printed no JSON report:\n${out}`);
  type Report = { files: Array<{ path: string }>; filename: string; size: number; unpackedSize: number };
  const [report] = JSON.parse(out.slice(start)) as Report[];
  const files = report.files.map((f) => f.path).sort();
  return { files, tarball: path.join(destination, report.filename), size: report.size, unpackedSize: report.unpackedSize };
}

describe('npm pack from a fresh checkout', () => {
  let work: string;
  let files: string[];
  let packed: Packed;

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
    expect(fs.existsSync(path.join(work, 'binaries', 'entrypoint.json'))).toBe(false);
    packed = pack(work);
    files = packed.files;
    console.log(`npm pack: ${path.basename(packed.tarball)} ${packed.size} bytes, ${packed.unpackedSize} unpacked, ${files.length} files`);
  }, 600_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('holds the compiled library (built by prepack), the CLI, its jsii manifest and the bundled dependencies', () => {
    expect(files).toEqual(expect.arrayContaining([
      'lib/index.js', 'lib/index.d.ts', 'lib/cli/main.js', '.jsii', 'package.json', 'README.md', 'LICENSE', 'API.md',
      // the run conditions the library and the entrypoint's Go tests both read (src/wire/run-if.ts imports it)
      'lib/wire/run-if-conditions.json',
      ...BUNDLED.map(dep => `node_modules/${dep}/package.json`),
    ]));
  });

  test('holds the entrypoint binaries prepack built, byte for byte those of the checkout (the same sources, the same build)', () => {
    expect(files).toEqual(expect.arrayContaining(['binaries/entrypoint-linux-amd64', 'binaries/entrypoint-linux-arm64', 'binaries/entrypoint.json']));
    const built = packagedEntrypoint(path.join(work, 'binaries'));
    const ours = packagedEntrypoint();
    expect(built.binaries.map((b) => [b.platform, b.sha256])).toEqual(ours.binaries.map((b) => [b.platform, b.sha256]));
  });

  test('unpacked outside the repository, its CLI builds the entrypoint image with no Go and no clone: the same digest', () => {
    const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-unpacked-'));
    try {
      execFileSync('tar', ['-xzf', packed.tarball, '-C', unpacked]);
      const pkg = path.join(unpacked, 'package');
      expect(fs.existsSync(path.join(pkg, 'entrypoint-image'))).toBe(false);
      // Only node on PATH: no go, no podman, no skopeo.
      const bin = path.join(unpacked, 'bin');
      fs.mkdirSync(bin);
      fs.symlinkSync(process.execPath, path.join(bin, 'node'));
      const out = execFileSync(process.execPath, [path.join(pkg, 'lib', 'cli', 'main.js'), 'image', 'build', '--out', path.join(unpacked, 'oci')], {
        cwd: unpacked,
        encoding: 'utf8',
        env: { PATH: bin, HOME: unpacked },
      });
      expect(out.trim()).toBe(buildEntrypointImage().index.digest);
    } finally {
      fs.rmSync(unpacked, { recursive: true, force: true });
    }
  });

  test('holds nothing from test runs, tests, sources or tooling', () => {
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    for (const leftover of LEFTOVERS) expect(files).not.toContain(leftover);
    expect(files.filter((f) => /^(test|src|examples|bench|scripts|projenrc|entrypoint-image|packed)\//.test(f))).toEqual([]);
  });
});
