/**
 * `cdk8s-steps image push` against a real registry, and the local entrypoint image, with podman:
 *  - a registry of our own: Debian's docker-registry (the CNCF distribution registry) started as
 *    `docker-registry serve <config>` on a free 127.0.0.1 port, plain HTTP, in a temporary directory;
 *  - the push refuses plain HTTP without --tls-verify=false (and says so), then pushes the index;
 *    read back with skopeo, it has the digest printed (the one `image build` prints) and both
 *    platforms, and each platform's layer holds the packaged binary byte for byte; a second push
 *    prints the same digest;
 *  - a pod whose entrypoint is pulled from that registry by digest (imagePullPolicy Always) runs
 *    with the local runner: podman pulls plain HTTP through an insecure-registry entry in a
 *    CONTAINERS_REGISTRIES_CONF file of this test's own; the registry served the manifest to it;
 *  - localEntrypointImage() makes the host platform's image from the packaged binary (its image ID
 *    is that platform's config digest in the pushed index), finds it the second time, and a pod
 *    runs with it.
 * Needs podman, skopeo and docker-registry: skipped loudly without them, a failure under CI=true|1.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Entrypoint, StepPod } from '../src';
import { ensureImages, STEP_IMAGE } from './e2e/images';
import { httpGet as get, Registry, registrySuite } from './registry';
import { imageCommand } from '../src/cli/image';
import { buildEntrypointImage } from '../src/image/build';
import { packagedEntrypoint } from '../src/image/packaged';
import { podman, PodResult, runPod } from '../src/local';
import { localEntrypointImage, packagedContractVersion } from '../src/local/entrypoint-image';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layoutReader = require('../entrypoint-image/oci-layout.js');

const REPOSITORY = 'cdk8s-steps/entrypoint';
const POD_TIMEOUT_MS = 120_000;

const suite = registrySuite('the image push test', 'test/image-push.test.ts (push to a real registry, pods pulling the entrypoint)');

/** The file `name` in an uncompressed tar. */
function tarFile(tar: Buffer, name: string): Buffer | undefined {
  for (let off = 0; off + 512 <= tar.length;) {
    const entry = tar.subarray(off, off + 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(off + 124, off + 136).toString('latin1').replace(/\0.*$/s, '') || '0', 8);
    if (entry === '') return undefined;
    if (entry === name) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function capture() {
  const out: string[] = [];
  return { io: { out: { write: (s: string) => { out.push(s); } }, err: { write: () => {} } }, out };
}

/** A two-step pod on the local busybox step image, with `entrypoint`; every container as uid 1000. */
function twoStepPod(entrypoint: Entrypoint): unknown[] {
  const chart = new Chart(Testing.app(), 'push');
  const pod = new StepPod(chart, 'pulled', { entrypoint, securityContext: { user: 1000, group: 1000 } });
  const step = { image: STEP_IMAGE, imagePullPolicy: kplus.ImagePullPolicy.NEVER };
  const a = pod.addStep('a', { ...step, command: ['sh', '-c', 'echo from a > /workspace/a'] });
  pod.addStep('b', { ...step, command: ['sh', '-c', 'test "$(cat /workspace/a)" = "from a" && echo b saw a'], dependsOn: [a] });
  return Testing.synth(chart);
}

function expectRan(r: PodResult): void {
  expect({ phase: r.phase, a: r.report('a').reason, b: r.report('b').reason }).toEqual({ phase: 'Succeeded', a: 'Succeeded', b: 'Succeeded' });
  expect(r.container('b').stdout).toBe('b saw a\n');
}

suite('cdk8s-steps image push to a real registry, and the local entrypoint image', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-image-push-'));
  const registry = new Registry(tmp);
  const image = buildEntrypointImage();
  const pulled: string[] = [];
  let name = '';
  let reference = '';

  beforeAll(async () => {
    await registry.start();
    name = `${registry.host}/${REPOSITORY}`;
    await ensureImages();
  }, 900_000);

  afterAll(async () => {
    await registry.stop();
    for (const ref of pulled) await podman(['rmi', ref], { allowFailure: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a plain-HTTP registry without --tls-verify=false: refused, and the error says what to add', async () => {
    await expect(imageCommand(['push', name], capture().io)).rejects.toThrow(/server gave HTTP response to HTTPS client[\s\S]*add --tls-verify=false/);
  });

  test('push prints the digest reference and the Entrypoint.fromImage line; the digest is image build\'s', async () => {
    const c = capture();
    expect(await imageCommand(['push', name, '--tls-verify=false'], c.io)).toBe(0);
    reference = `${name}:${image.tag}@${image.index.digest}`;
    expect(c.out.join('')).toBe(`pushed ${reference}\nEntrypoint.fromImage('${reference}')\n`);
  });

  test('read back: the index has the printed digest and both platforms, each layer the packaged binary', async () => {
    const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}@${image.index.digest}`]);
    expect(raw.status).toBe(0);
    expect(`sha256:${crypto.createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(image.index.digest);
    const index = JSON.parse(raw.stdout.toString());
    expect(index.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    const packaged = packagedEntrypoint();
    for (const m of index.manifests) {
      const manifest = JSON.parse((await get(`http://${registry.host}/v2/${REPOSITORY}/manifests/${m.digest}`)).body.toString());
      const layer = await get(`http://${registry.host}/v2/${REPOSITORY}/blobs/${manifest.layers[0].digest}`);
      expect(layer.status).toBe(200);
      const binary = tarFile(zlib.gunzipSync(layer.body), 'entrypoint');
      const file = packaged.binaries.find((b) => b.architecture === m.platform.architecture)!.path;
      expect(binary?.equals(fs.readFileSync(file))).toBe(true);
    }
    // The layout image build writes names the same index.
    const dir = path.join(tmp, 'layout');
    await imageCommand(['build', '--out', dir], capture().io);
    expect(layoutReader.describe(dir).digest).toBe(image.index.digest);
  });

  test('a second push prints the same digest', async () => {
    const c = capture();
    await imageCommand(['push', name, '--tls-verify=false'], c.io);
    expect(c.out.join('')).toContain(`pushed ${reference}\n`);
  });

  test('a pod whose entrypoint is pulled from the registry by digest runs', async () => {
    const conf = registry.registriesConf();
    const saved = process.env.CONTAINERS_REGISTRIES_CONF;
    process.env.CONTAINERS_REGISTRIES_CONF = conf;
    const before = registry.manifestGets(REPOSITORY, image.index.digest);
    let r: PodResult | undefined;
    try {
      pulled.push(reference);
      r = await runPod(twoStepPod(Entrypoint.fromImage(reference, { imagePullPolicy: kplus.ImagePullPolicy.ALWAYS })), { timeoutMs: POD_TIMEOUT_MS });
    } finally {
      if (saved === undefined) delete process.env.CONTAINERS_REGISTRIES_CONF;
      else process.env.CONTAINERS_REGISTRIES_CONF = saved;
    }
    expectRan(r!);
    // podman fetched the index from the registry (imagePullPolicy Always), and what it holds under
    // that reference is the host platform's image of the index.
    expect(registry.manifestGets(REPOSITORY, image.index.digest)).toBeGreaterThan(before);
    const host = image.platforms.find((p) => p.architecture === ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch])!;
    const inspected = JSON.parse((await podman(['image', 'inspect', reference])).stdout)[0];
    expect(inspected.Id).toBe(host.config.digest.slice('sha256:'.length));
    expect(inspected.RepoDigests).toContain(`${name}@${image.index.digest}`);
  }, POD_TIMEOUT_MS + 60_000);

  test('localEntrypointImage: made from the packaged binary for the host, found the second time, and a pod runs with it', async () => {
    const first = await localEntrypointImage();
    const host = image.platforms.find((p) => p.platform === first.platform)!;
    expect(first.id).toBe(host.config.digest.slice('sha256:'.length));
    expect(first.contract).toBe(packagedContractVersion());
    // Without its name (the image itself may be in use), it is made again...
    await podman(['untag', first.id, first.reference]);
    const made = await localEntrypointImage();
    expect(made).toEqual({ ...first, built: true });
    // ...and found the next time, building nothing.
    expect(await localEntrypointImage()).toEqual({ ...first, built: false });
    const label = await podman(['image', 'inspect', '--format', '{{index .Labels "io.cdk8s-steps.contract"}}', first.reference]);
    expect(label.stdout.trim()).toBe(String(packagedContractVersion()));

    const local = Entrypoint.fromImage(first.reference, { imagePullPolicy: kplus.ImagePullPolicy.NEVER });
    const r = await runPod(twoStepPod(local), { timeoutMs: POD_TIMEOUT_MS });
    expectRan(r);
  }, POD_TIMEOUT_MS + 60_000);
});
