/**
 * entrypoint-image/package-binaries.js, which every compile runs: it builds both binaries with
 * build.sh and records their contract version (asked of the binary), size and sha256; it builds
 * nothing when the Go sources, build.sh and the Go version are unchanged and the files intact; a
 * changed source or a damaged binary is rebuilt; without Go it says what to install, and needs
 * nothing when nothing changed. Runs on a copy of entrypoint-image/ in a temporary directory.
 * Needs Go: skipped loudly without it, a failure under CI=true|1.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packagedEntrypoint, readBinary } from '../src/image/packaged';
import { isCI } from '../src/local';
import { CONTRACT_VERSION } from '../src/wire/args';

const ROOT = path.resolve(__dirname, '..');
const goMissing = spawnSync('go', ['version']).error !== undefined;
if (goMissing) {
  if (isCI()) test('go is available (required under CI)', () => { throw new Error('go is not installed: apt-get install golang-go'); });
  else console.warn('\n# test/package-binaries.test.ts SKIPPED: go is not installed (apt-get install golang-go). Under CI=true this is a failure.\n');
}
const suite = goMissing ? describe.skip : describe;

suite('entrypoint-image/package-binaries.js', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-package-binaries-'));
  const src = path.join(tmp, 'entrypoint-image');
  const out = path.join(tmp, 'binaries');
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    fs.mkdirSync(src);
    for (const f of fs.readdirSync(path.join(ROOT, 'entrypoint-image'))) {
      if (/\.go$|^go\.(mod|sum)$|^build\.sh$|^package-binaries\.js$/.test(f)) fs.copyFileSync(path.join(ROOT, 'entrypoint-image', f), path.join(src, f));
    }
  });

  /** A PATH with node only: no go. */
  const nodeOnly = path.join(tmp, 'node-only');
  fs.mkdirSync(nodeOnly);
  fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));

  function pack(env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [path.join(src, 'package-binaries.js'), '--out', out], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
    return { code: r.status, stderr: r.stderr };
  }
  const mtime = () => fs.statSync(path.join(out, 'entrypoint-linux-amd64')).mtimeMs;

  test('builds both binaries and records their contract version, size and sha256', () => {
    const r = pack();
    expect(r.stderr).toMatch(/built linux\/amd64 \+ linux\/arm64 into .*binaries \(contract \d+, go/);
    expect(r.code).toBe(0);
    const packaged = packagedEntrypoint(out);
    expect(packaged.contract).toBe(CONTRACT_VERSION);
    for (const b of packaged.binaries) expect(readBinary(b).length).toBe(b.size);
    // The same bytes as the checkout's own binaries (the same sources, the same Go).
    expect(packaged.binaries.map((b) => b.sha256)).toEqual(packagedEntrypoint().binaries.map((b) => b.sha256));
  }, 600_000);

  test('builds nothing when nothing changed, even without Go', () => {
    const before = mtime();
    expect(pack().stderr).toMatch(/is up to date \(contract \d+, go/);
    expect(pack({ PATH: nodeOnly }).stderr).toMatch(/is up to date/);
    expect(mtime()).toBe(before);
  });

  test('a test file is not an input; a changed source is, and so is a damaged binary', () => {
    fs.appendFileSync(path.join(src, 'flags_test.go'), '\n// a change to a test\n');
    expect(pack().stderr).toMatch(/is up to date/);
    fs.appendFileSync(path.join(src, 'main.go'), '\n// a change to a source\n');
    expect(pack().stderr).toMatch(/built linux\/amd64 \+ linux\/arm64/);
    fs.appendFileSync(path.join(out, 'entrypoint-linux-arm64'), 'x');
    expect(pack().stderr).toMatch(/built linux\/amd64 \+ linux\/arm64/);
    expect(() => readBinary(packagedEntrypoint(out).binaries[1])).not.toThrow();
  }, 600_000);

  test('without Go, a change is an error that says what to install; the old binaries stay', () => {
    fs.appendFileSync(path.join(src, 'main.go'), '\n// another change\n');
    const r = pack({ PATH: nodeOnly });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Go is needed to build the entrypoint binaries .* apt-get install golang-go; macOS: brew install go/);
    expect(packagedEntrypoint(out).binaries).toHaveLength(2);
    expect(fs.readdirSync(tmp).sort()).toEqual(['binaries', 'entrypoint-image', 'node-only']);
  });
});
