/**
 * The release image, built for real with entrypoint-image/release.sh (Go and node, offline):
 *  - reproducible: two builds of this commit (the second with an empty Go build cache) give the
 *    same image index digest and the same digest for every platform; a build of another version
 *    gives other digests (so the comparison can fail);
 *  - it is `cdk8s-steps image build`'s image: the digest release.sh records is the one `image
 *    build` prints for that version from the package's own binaries, and the binary in each
 *    platform's layer is byte for byte the packaged one;
 *  - linux/amd64 and linux/arm64, each with the right binary, its user and entrypoint, and labels
 *    that depend on neither git nor time;
 *  - `release.sh push` copies the index byte for byte, records the pushed digest, and refuses to
 *    move an existing tag or to push a build that is not the recorded one (to a local OCI layout;
 *    the push to a registry is test/image-push.test.ts);
 *  - `release.sh check` fails when the npm tarball does not carry the image's binaries.
 * Needs Go, skopeo and a compiled lib/ (npx projen compile): skipped loudly without them, a
 * failure under CI=true|1. About a minute (the empty Go cache), one build per beforeAll.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildEntrypointImage } from '../src/image/build';
import { binariesDir, packagedEntrypoint } from '../src/image/packaged';
import { isCI, REPO_ROOT, run } from '../src/local';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layout = require('../entrypoint-image/oci-layout.js');

const SCRIPT = path.join(REPO_ROOT, 'entrypoint-image', 'release.sh');
const VERSION = '9.8.7';
const BUILD_TIMEOUT_MS = 10 * 60_000;

interface Platform {
  platform: string;
  digest: string;
  architecture: string;
  created: string;
  labels: Record<string, string>;
  user: string;
  entrypoint: string[];
}
interface Layout { digest: string; tag: string; platforms: Platform[] }

function missingTools(): string | undefined {
  if (spawnSync('go', ['version']).error) return 'go is not installed (not on PATH)';
  if (spawnSync('skopeo', ['--version']).error) return 'skopeo is not installed (not on PATH)';
  if (!fs.existsSync(path.join(REPO_ROOT, 'lib', 'cli', 'main.js'))) return 'lib/cli/main.js does not exist: run npx projen compile first';
  return undefined;
}

const missing = missingTools();
if (missing !== undefined) {
  if (isCI()) {
    test('go, skopeo and lib/ are available (required under CI)', () => {
      throw new Error(`the release image test needs go, skopeo and a compiled lib/ under CI: ${missing}`);
    });
  } else {
    console.warn([
      '', '#'.repeat(76), `# release image test SKIPPED: ${missing}`,
      '# test/release-image.test.ts (reproducible multi-arch build, push by digest) did NOT run.',
      '# Install: apt-get install -y skopeo golang-go; npx projen compile. Under CI=true this is a failure.', '#'.repeat(76), '',
    ].join('\n'));
  }
}
const suite = missing === undefined ? describe : describe.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-release-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * `release.sh ARGS`, with the record written into the test's directory, never the repo's, and the
 * binaries built into `bin-<name>` of the test's directory, never the package's binaries/.
 */
function release(args: string[], env: NodeJS.ProcessEnv = {}, allowFailure = false, name = 'a') {
  return run('bash', [SCRIPT, ...args], {
    env: { ...process.env, RELEASE_RECORD: path.join(tmp, 'release-image.json'), CDK8S_STEPS_ENTRYPOINT_BINARIES: path.join(tmp, `bin-${name}`), ...env },
    timeoutMs: BUILD_TIMEOUT_MS,
    allowFailure,
  });
}

async function build(name: string, env: NodeJS.ProcessEnv = {}, version = VERSION): Promise<Layout> {
  const out = path.join(tmp, name);
  await release(['build', '--out', out, '--version', version], env, false, name);
  const described: Layout = layout.describe(path.join(out, 'oci'));
  expect(fs.readFileSync(path.join(out, 'index-digest'), 'utf8').trim()).toBe(described.digest);
  return described;
}

suite('release image (entrypoint-image/release.sh)', () => {
  let a: Layout;
  let b: Layout;

  beforeAll(async () => {
    a = await build('a');
    b = await build('b', { GOCACHE: path.join(tmp, 'gocache-b') });
    // The Go build cache was empty for b: the binaries were compiled again, to the same bytes.
    expect(fs.readdirSync(path.join(tmp, 'gocache-b')).length).toBeGreaterThan(0);
  }, 2 * BUILD_TIMEOUT_MS);

  test('two builds of one commit have the same index digest and the same digest per platform', () => {
    console.log(`release image: build a ${a.digest}, build b ${b.digest}\n`
      + a.platforms.map((p, i) => `  ${p.platform}: a ${p.digest}, b ${b.platforms[i]?.digest}`).join('\n'));
    expect(b.digest).toBe(a.digest);
    expect(b.platforms.map((p) => [p.platform, p.digest])).toEqual(a.platforms.map((p) => [p.platform, p.digest]));
  });

  test('the index has linux/amd64 and linux/arm64, each with its own binary as /entrypoint', () => {
    expect(a.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    const elfMachine: Record<string, number> = { amd64: 62, arm64: 183 };
    for (const p of a.platforms) {
      const binary: Buffer = layout.imageFile(path.join(tmp, 'a', 'oci'), p.digest, 'entrypoint');
      expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(binary.readUInt16LE(18)).toBe(elfMachine[p.architecture]);
      expect(p.user).toBe('65532:65532');
      expect(p.entrypoint).toEqual(['/entrypoint']);
    }
  });

  test('every platform carries the OCI labels, from package.json and the binaries, none from git or the clock', () => {
    for (const p of a.platforms) {
      expect(p.labels).toEqual({
        'io.cdk8s-steps.contract': String(packagedEntrypoint().contract),
        'org.opencontainers.image.description': expect.stringContaining('cdk8s-steps'),
        'org.opencontainers.image.source': 'https://github.com/cdk8s-steps/cdk8s-steps',
        'org.opencontainers.image.version': VERSION,
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.title': 'cdk8s-steps entrypoint',
      });
      expect(p.created).toBe('1970-01-01T00:00:00Z');
    }
    expect(a.tag).toBe(VERSION);
  });

  test('it is image build\'s image: the recorded digest is what `image build` prints for that version, from the packaged binaries', async () => {
    // In process, from src/, with release.sh's binaries...
    expect(buildEntrypointImage({ version: VERSION, binariesDir: path.join(tmp, 'bin-a') }).index.digest).toBe(a.digest);
    // ...and through the package's bin with the package's own binaries/ (what npm pack ships).
    const r = await run('node', [path.join(REPO_ROOT, 'lib', 'cli', 'main.js'), 'image', 'build', '--out', path.join(tmp, 'cli'), '--version', VERSION],
      { env: { ...process.env, CDK8S_STEPS_ENTRYPOINT_BINARIES: '' } });
    expect(r.stdout.trim()).toBe(a.digest);
  });

  test('the binary in each platform\'s layer is byte for byte the packaged one and release.sh\'s', () => {
    const packaged = packagedEntrypoint(binariesDir());
    for (const p of a.platforms) {
      const inImage: Buffer = layout.imageFile(path.join(tmp, 'a', 'oci'), p.digest, 'entrypoint');
      const file = `entrypoint-linux-${p.architecture}`;
      expect(inImage.equals(fs.readFileSync(path.join(packaged.dir, file)))).toBe(true);
      expect(inImage.equals(fs.readFileSync(path.join(tmp, 'bin-a', file)))).toBe(true);
    }
  });

  test('another version gives other digests (the comparison can fail); a pushed tag is never moved', async () => {
    const c = await build('c', {}, '9.8.8');
    expect(c.digest).not.toBe(a.digest);
    c.platforms.forEach((p, i) => expect(p.digest).not.toBe(a.platforms[i].digest));
    // A tag that exists is never moved to other bytes.
    const dest = `oci:${path.join(tmp, 'registry')}:${VERSION}`;
    await release(['push', '--out', path.join(tmp, 'a'), dest]);
    const moved = await release(['push', '--out', path.join(tmp, 'c'), dest], { RELEASE_RECORD: path.join(tmp, 'no-record.json') }, true);
    expect(moved.code).not.toBe(0);
    expect(moved.stderr).toContain(`already exists with digest ${a.digest}, not ${c.digest}: a published tag is never re-pushed`);
  }, BUILD_TIMEOUT_MS);

  test('push copies the index byte for byte and records the pushed digest', async () => {
    const out = path.join(tmp, 'a');
    const dest = path.join(tmp, 'pushed');
    await release(['push', '--out', out, `oci:${dest}:${VERSION}`]);
    expect(fs.readFileSync(path.join(out, 'pushed-digest'), 'utf8').trim()).toBe(a.digest);
    expect(layout.describe(dest).digest).toBe(a.digest);
    expect(layout.describe(dest).platforms.map((p: Platform) => p.digest)).toEqual(a.platforms.map((p) => p.digest));
  });

  test('push refuses a build whose digest is not the recorded one', async () => {
    const out = path.join(tmp, 'tampered');
    fs.cpSync(path.join(tmp, 'a'), out, { recursive: true });
    const other = `sha256:${'0'.repeat(64)}`;
    fs.writeFileSync(path.join(out, 'index-digest'), `${other}\n`);
    const r = await release(['push', '--out', out, `oci:${path.join(tmp, 'tampered-dest')}:${VERSION}`], {}, true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`got digest ${a.digest}, but the recorded build is ${other}`);
  });

  test('record writes the version and index digest the package reads; never for 0.0.0', async () => {
    await release(['record', '--out', path.join(tmp, 'a')]);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'release-image.json'), 'utf8')))
      .toEqual({ repository: 'ghcr.io/cdk8s-steps/entrypoint', version: VERSION, digest: a.digest });

    const dev = path.join(tmp, 'dev');
    fs.cpSync(path.join(tmp, 'a'), dev, { recursive: true });
    const info = JSON.parse(fs.readFileSync(path.join(dev, 'build.json'), 'utf8'));
    fs.writeFileSync(path.join(dev, 'build.json'), JSON.stringify({ ...info, version: '0.0.0' }));
    const r = await release(['record', '--out', dev], {}, true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('version 0.0.0 is a development build: no image is published for it');
  });

  test('check passes when the tarball pins the digest and carries the image\'s binaries, and fails when a binary differs', async () => {
    // A stand-in package root: the real script, a lib/ that pins the digest, an npm tarball in dist/js.
    const root = path.join(tmp, 'check-root');
    fs.mkdirSync(path.join(root, 'entrypoint-image'), { recursive: true });
    for (const f of ['release.sh', 'oci-layout.js']) fs.copyFileSync(path.join(REPO_ROOT, 'entrypoint-image', f), path.join(root, 'entrypoint-image', f));
    const want = `ghcr.io/cdk8s-steps/entrypoint:${VERSION}@${a.digest}`;
    fs.mkdirSync(path.join(root, 'lib'));
    fs.writeFileSync(path.join(root, 'lib', 'index.js'), `exports.Entrypoint = { DEFAULT: { image: ${JSON.stringify(want)} } };\n`);
    const pkg = path.join(tmp, 'check-pkg', 'package');
    fs.mkdirSync(path.join(pkg, 'binaries'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'release-image.json'), JSON.stringify({ repository: 'ghcr.io/cdk8s-steps/entrypoint', version: VERSION, digest: a.digest }));
    for (const arch of ['amd64', 'arm64']) fs.copyFileSync(path.join(tmp, 'bin-a', `entrypoint-linux-${arch}`), path.join(pkg, 'binaries', `entrypoint-linux-${arch}`));
    const pack = () => {
      fs.mkdirSync(path.join(root, 'dist', 'js'), { recursive: true });
      return run('tar', ['-czf', path.join(root, 'dist', 'js', 'cdk8s-steps.tgz'), '-C', path.dirname(pkg), 'package']);
    };
    const check = () => run('bash', [path.join(root, 'entrypoint-image', 'release.sh'), 'check', '--out', path.join(tmp, 'a')], { allowFailure: true });
    await pack();
    const ok = await check();
    expect(ok.stderr).toContain(`the package pins ${want} and carries its binaries`);
    expect(ok.code).toBe(0);
    fs.appendFileSync(path.join(pkg, 'binaries', 'entrypoint-linux-arm64'), 'x');
    await pack();
    const bad = await check();
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/cdk8s-steps\.tgz's binaries\/entrypoint-linux-arm64 \(sha256 [0-9a-f]{64}\) is not the linux\/arm64 binary of the image/);
  });

  test('sizes prints both architectures', async () => {
    const r = await release(['sizes', '--out', path.join(tmp, 'a')]);
    console.log(r.stdout);
    expect(r.stdout).toContain(a.digest);
    for (const p of a.platforms) expect(r.stdout).toMatch(new RegExp(`^${p.platform}\\s+\\d+ B .*${p.digest}$`, 'm'));
  });
});
