/**
 * The release image, built for real with entrypoint-image/release.sh (podman, offline):
 *  - reproducible: two builds of this commit (the second with an empty Go build cache) give the
 *    same image index digest and the same digest for every platform; a build with another
 *    SOURCE_DATE_EPOCH gives other digests (so the comparison can fail);
 *  - linux/amd64 and linux/arm64, each with the right binary and the OCI labels;
 *  - `release.sh push` copies the index byte for byte, records the pushed digest, and refuses to
 *    move an existing tag or to push a build that is not the recorded one (to a local OCI layout:
 *    no registry here).
 * Needs podman and skopeo: skipped loudly without them, a failure under CI=true|1.
 * Slow (about a minute): one build per beforeAll, with a generous timeout.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCI, podmanStatus, REPO_ROOT, run } from '../src/local';

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
  const podman = podmanStatus();
  if (!podman.available) return podman.reason;
  if (spawnSync('skopeo', ['--version']).error) return 'skopeo is not installed (not on PATH)';
  return undefined;
}

const missing = missingTools();
if (missing !== undefined) {
  if (isCI()) {
    test('podman and skopeo are available (required under CI)', () => {
      throw new Error(`the release image test needs podman and skopeo under CI: ${missing}`);
    });
  } else {
    console.warn([
      '', '#'.repeat(76), `# release image test SKIPPED: ${missing}`,
      '# test/release-image.test.ts (reproducible multi-arch build, push by digest) did NOT run.',
      '# Install: apt-get install -y podman skopeo golang-go. Under CI=true this is a failure.', '#'.repeat(76), '',
    ].join('\n'));
  }
}
const suite = missing === undefined ? describe : describe.skip;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-release-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `release.sh ARGS`, with the record written into the test's directory, never the repo's. */
function release(args: string[], env: NodeJS.ProcessEnv = {}, allowFailure = false) {
  return run('bash', [SCRIPT, ...args], {
    env: { ...process.env, RELEASE_RECORD: path.join(tmp, 'release-image.json'), ...env },
    timeoutMs: BUILD_TIMEOUT_MS,
    allowFailure,
  });
}

async function build(name: string, env: NodeJS.ProcessEnv = {}): Promise<Layout> {
  const out = path.join(tmp, name);
  await release(['build', '--out', out, '--version', VERSION], env);
  const described: Layout = layout.describe(path.join(out, 'oci'));
  expect(fs.readFileSync(path.join(out, 'index-digest'), 'utf8').trim()).toBe(described.digest);
  return described;
}

const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();

suite('release image (entrypoint-image/release.sh)', () => {
  const commitTime = Number(git('log', '-1', '--format=%ct', 'HEAD'));
  let a: Layout;
  let b: Layout;

  beforeAll(async () => {
    a = await build('a');
    b = await build('b', { GOCACHE: path.join(tmp, 'gocache-b') });
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

  test('every platform carries the OCI labels and the commit time', () => {
    const created = new Date(commitTime * 1000).toISOString().replace('.000Z', 'Z');
    for (const p of a.platforms) {
      expect(p.labels).toMatchObject({
        'org.opencontainers.image.source': 'https://github.com/cdk8s-steps/cdk8s-steps',
        'org.opencontainers.image.revision': git('rev-parse', 'HEAD'),
        'org.opencontainers.image.version': VERSION,
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.created': created,
      });
      expect(p.created).toBe(created);
    }
    expect(a.tag).toBe(VERSION);
  });

  test('another SOURCE_DATE_EPOCH gives other digests (the comparison can fail)', async () => {
    const c = await build('c', { SOURCE_DATE_EPOCH: String(commitTime + 1) });
    expect(c.digest).not.toBe(a.digest);
    c.platforms.forEach((p, i) => expect(p.digest).not.toBe(a.platforms[i].digest));
    // A tag that exists is never moved to other bytes.
    const dest = `oci:${path.join(tmp, 'registry')}:${VERSION}`;
    await release(['push', '--out', path.join(tmp, 'a'), dest]);
    const moved = await release(['push', '--out', path.join(tmp, 'c'), dest], {}, true);
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

  test('sizes prints both architectures', async () => {
    const r = await release(['sizes', '--out', path.join(tmp, 'a')]);
    console.log(r.stdout);
    expect(r.stdout).toContain(a.digest);
    for (const p of a.platforms) expect(r.stdout).toMatch(new RegExp(`^${p.platform}\\s+\\d+ B .*${p.digest}$`, 'm'));
  });
});
