/**
 * The entrypoint image without a container engine: the deterministic tar (read back by GNU tar),
 * the gzip layer (canonical zlib's bytes, checked with python3's zlib when it is installed), the
 * OCI layout of `image build` (same inputs, same digests; every blob named by its digest; the
 * image's user, entrypoint, labels and file mode), the packaged binaries' locator with its errors,
 * and `cdk8s-steps image build|push`'s command line. podman and a registry: test/image-push.test.ts.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Entrypoint } from '../src';
import { CliError } from '../src/cli/errors';
import { imageCommand } from '../src/cli/image';
import { buildEntrypointImage } from '../src/image/build';
import { CONTRACT_LABEL, entrypointImage, EntrypointImageInput, gzipLayer, platformConfig, platformLayoutFiles } from '../src/image/layout';
import { binariesDir, MissingEntrypointBinariesError, packagedContractVersion, packagedEntrypoint, readBinary } from '../src/image/packaged';
import { pushTarget } from '../src/image/push';
import { tarArchive } from '../src/image/tar';
import { checkContract, ContractMismatchError } from '../src/local/entrypoint-image';
import { CONTRACT_VERSION } from '../src/wire/args';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layoutReader = require('../entrypoint-image/oci-layout.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-image-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha256 = (data: Uint8Array) => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

/** Small stand-ins for the binaries: the layout code does not look inside them. */
function input(overrides: Partial<EntrypointImageInput> = {}): EntrypointImageInput {
  return {
    version: '1.2.3',
    contract: 2,
    source: 'https://github.com/cdk8s-steps/cdk8s-steps',
    licenses: 'Apache-2.0',
    binaries: [
      { platform: 'linux/amd64', data: Buffer.from('\x7fELF amd64 '.repeat(300)) },
      { platform: 'linux/arm64', data: Buffer.from('\x7fELF arm64 '.repeat(300)) },
    ],
    ...overrides,
  };
}

function writeFiles(dir: string, files: ReadonlyMap<string, Buffer>): string {
  for (const [name, data] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
  return dir;
}

describe('tarArchive', () => {
  test('GNU tar reads it back: sorted entries, owner 0/0, mtime 0, the given mode and bytes', () => {
    const file = path.join(tmp, 'a.tar');
    fs.writeFileSync(file, tarArchive([
      { name: 'z/last', mode: 0o644, data: Buffer.from('zz') },
      { name: 'entrypoint', mode: 0o555, data: Buffer.alloc(1000, 7) },
    ]));
    const r = spawnSync('tar', ['--list', '--verbose', '--numeric-owner', '--full-time', '-f', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/))).toEqual([
      ['-r-xr-xr-x', '0/0', '1000', '1970-01-01', '00:00:00', 'entrypoint'],
      ['-rw-r--r--', '0/0', '2', '1970-01-01', '00:00:00', 'z/last'],
    ]);
    const out = path.join(tmp, 'x');
    fs.mkdirSync(out);
    expect(spawnSync('tar', ['-xf', file, '-C', out]).status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'entrypoint'))).toEqual(Buffer.alloc(1000, 7));
  });

  test('the same entries in any order give the same bytes; other bytes, another archive', () => {
    const a = { name: 'a', mode: 0o555, data: Buffer.from('1') };
    const b = { name: 'b', mode: 0o555, data: Buffer.from('2') };
    expect(tarArchive([a, b]).equals(tarArchive([b, a]))).toBe(true);
    expect(tarArchive([a]).equals(tarArchive([{ ...a, data: Buffer.from('3') }]))).toBe(false);
    expect(tarArchive([a]).length).toBe(512 + 512 + 1024);
  });

  test('refuses names it cannot write and a name given twice', () => {
    const data = Buffer.from('x');
    expect(() => tarArchive([{ name: '/abs', mode: 0o555, data }])).toThrow(/"\/abs" must be a relative path/);
    expect(() => tarArchive([{ name: '../up', mode: 0o555, data }])).toThrow(/without "\.\."/);
    expect(() => tarArchive([{ name: 'n'.repeat(101), mode: 0o555, data }])).toThrow(/1 to 100 bytes/);
    expect(() => tarArchive([{ name: 'a', mode: 0o555, data }, { name: 'a', mode: 0o555, data }])).toThrow(/a is in the archive twice/);
    expect(() => tarArchive([{ name: 'a', mode: 0o10000, data }])).toThrow(/not a permission mode/);
  });
});

describe('gzipLayer', () => {
  const data = Buffer.concat([crypto.createHash('sha512').update('seed').digest(), Buffer.alloc(70_000, 'abc')]);

  test('decompresses to its input, with a gzip header that names no time', () => {
    const gz = gzipLayer(data);
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
    expect(gz.readUInt32LE(4)).toBe(0); // MTIME
  });

  const python = spawnSync('python3', ['-c', 'import zlib'], { encoding: 'utf8' });
  (python.status === 0 ? test : test.skip)('is byte for byte what canonical zlib writes at level 9 (python3 zlib)', () => {
    const file = path.join(tmp, 'gz-input');
    fs.writeFileSync(file, data);
    const r = spawnSync('python3', ['-c', [
      'import sys, zlib',
      'c = zlib.compressobj(9, zlib.DEFLATED, 31)',
      'd = open(sys.argv[1], "rb").read()',
      'sys.stdout.buffer.write(c.compress(d) + c.flush())',
    ].join('\n'), file]);
    expect(r.status).toBe(0);
    expect(gzipLayer(data).equals(r.stdout)).toBe(true);
  });
});

describe('entrypointImage (the OCI layout of image build)', () => {
  const image = entrypointImage(input());

  test('the same inputs give the same bytes; another version, contract or binary gives another digest', () => {
    const again = entrypointImage(input());
    expect(again.index.digest).toBe(image.index.digest);
    expect([...again.files.keys()]).toEqual([...image.files.keys()]);
    for (const [name, data] of image.files) expect(again.files.get(name)!.equals(data)).toBe(true);
    const others = [
      entrypointImage(input({ version: '1.2.4' })),
      entrypointImage(input({ contract: 3 })),
      entrypointImage(input({ binaries: [input().binaries[0], { platform: 'linux/arm64', data: Buffer.from('other') }] })),
    ];
    for (const other of others) expect(other.index.digest).not.toBe(image.index.digest);
    // Only the arm64 binary changed: the amd64 image stays the same.
    expect(others[2].platforms[0].manifest.digest).toBe(image.platforms[0].manifest.digest);
  });

  test('every blob is stored under its digest; the layout reader and skopeo agree on the index', () => {
    for (const [name, data] of image.files) {
      if (name.startsWith('blobs/')) expect(`sha256:${name.split('/')[2]}`).toBe(sha256(data));
    }
    const dir = writeFiles(path.join(tmp, 'layout'), image.files);
    const d = layoutReader.describe(dir);
    expect(d.digest).toBe(image.index.digest);
    expect(d.tag).toBe('1.2.3');
    expect(d.platforms.map((p: any) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    const skopeo = spawnSync('skopeo', ['inspect', '--raw', `oci:${dir}:1.2.3`]);
    if (!skopeo.error) {
      expect(skopeo.status).toBe(0);
      expect(sha256(skopeo.stdout)).toBe(image.index.digest);
    }
  });

  test('each platform: the binary at /entrypoint, mode 0555, user 65532:65532, labels without git or time', () => {
    const dir = path.join(tmp, 'layout');
    input().binaries.forEach((b, i) => {
      const p = layoutReader.describe(dir).platforms[i];
      expect(p.architecture).toBe(b.platform.split('/')[1]);
      expect(p.os).toBe('linux');
      expect(p.user).toBe('65532:65532');
      expect(p.entrypoint).toEqual(['/entrypoint']);
      expect(p.created).toBe('1970-01-01T00:00:00Z');
      expect(p.labels).toEqual({
        [CONTRACT_LABEL]: '2',
        'org.opencontainers.image.description': expect.stringContaining('cdk8s-steps'),
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.source': 'https://github.com/cdk8s-steps/cdk8s-steps',
        'org.opencontainers.image.title': 'cdk8s-steps entrypoint',
        'org.opencontainers.image.version': '1.2.3',
      });
      expect(layoutReader.imageFile(dir, p.digest, 'entrypoint').equals(b.data)).toBe(true);
      const tar = image.platforms[i].tar;
      expect(tar.subarray(100, 107).toString('latin1')).toBe('0000555');
      expect(image.platforms[i].diffId).toBe(sha256(tar));
    });
  });

  test('platformConfig is the config of the full image, without compressing', () => {
    for (const p of image.platforms) expect(platformConfig(input(), p.platform).digest).toBe(p.config.digest);
  });

  test('platformLayoutFiles: one platform image under a full name, the same blobs', () => {
    const files = platformLayoutFiles(image, 'linux/arm64', 'localhost/x:1');
    const index = JSON.parse(files.get('index.json')!.toString());
    expect(index.manifests).toEqual([expect.objectContaining({
      digest: image.platforms[1].manifest.digest,
      annotations: { 'org.opencontainers.image.ref.name': 'localhost/x:1' },
    })]);
    expect([...files.keys()].filter((f) => f.startsWith('blobs/')).sort())
      .toEqual([image.platforms[1].manifest, image.platforms[1].config, image.platforms[1].layer].map((b) => `blobs/sha256/${b.digest.slice(7)}`).sort());
    expect(() => platformLayoutFiles(image, 'linux/s390x', 'x')).toThrow(/has no linux\/s390x \(it has linux\/amd64, linux\/arm64\)/);
  });

  test('refuses a platform that is not linux/<arch>, none, or one twice', () => {
    expect(() => entrypointImage(input({ binaries: [{ platform: 'windows/amd64', data: Buffer.from('x') }] }))).toThrow(/"windows\/amd64" is not linux\/<architecture>/);
    expect(() => entrypointImage(input({ binaries: [] }))).toThrow(/no binaries/);
    expect(() => entrypointImage(input({ binaries: [input().binaries[0], input().binaries[0]] }))).toThrow(/given twice/);
  });
});

describe('the packaged binaries', () => {
  test('are there after the compile, for both platforms, and speak the library\'s contract version', () => {
    const packaged = packagedEntrypoint();
    expect(packaged.binaries.map((b) => b.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(packaged.contract).toBe(CONTRACT_VERSION);
    expect(packagedContractVersion()).toBe(CONTRACT_VERSION);
    const elfMachine: Record<string, number> = { amd64: 62, arm64: 183 };
    for (const b of packaged.binaries) {
      const data = readBinary(b);
      expect(data.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(data.readUInt16LE(18)).toBe(elfMachine[b.architecture]);
    }
  });

  /** A copy of binaries/ to break. */
  function copy(name: string): string {
    const dir = path.join(tmp, name);
    fs.cpSync(binariesDir(), dir, { recursive: true });
    return dir;
  }

  test('missing: the error names the file and, in a checkout, the command that builds them', () => {
    expect(() => packagedEntrypoint(path.join(tmp, 'nowhere'))).toThrow(MissingEntrypointBinariesError);
    expect(() => packagedEntrypoint(path.join(tmp, 'nowhere')))
      .toThrow(/nowhere\/entrypoint\.json does not exist\. This is a checkout of cdk8s-steps in which they were not built yet: run `npx projen compile`.*needs Go/);
    const dir = copy('no-arm64');
    fs.rmSync(path.join(dir, 'entrypoint-linux-arm64'));
    expect(() => packagedEntrypoint(dir)).toThrow(/the linux\/arm64 entrypoint binary .*no-arm64\/entrypoint-linux-arm64 is missing/);
  });

  test('changed after the build: a size or a sha256 that is not the recorded one is refused', () => {
    const dir = copy('changed');
    fs.appendFileSync(path.join(dir, 'entrypoint-linux-amd64'), 'x');
    expect(() => packagedEntrypoint(dir)).toThrow(/has \d+ bytes, but .*entrypoint\.json records \d+/);
    const dir2 = copy('flipped');
    const file = path.join(dir2, 'entrypoint-linux-amd64');
    const data = fs.readFileSync(file);
    data[1000] = 255 - data[1000];
    fs.writeFileSync(file, data);
    expect(() => readBinary(packagedEntrypoint(dir2).binaries[0])).toThrow(/has sha256 [0-9a-f]{64}, not the recorded [0-9a-f]{64}: it was changed after it was built/);
  });
});

test('checkContract: a manifest of another contract version is refused, naming both', () => {
  expect(() => checkContract(CONTRACT_VERSION, 'dist/app.k8s.yaml')).not.toThrow();
  expect(() => checkContract(1, 'dist/app.k8s.yaml', 2)).toThrow(ContractMismatchError);
  expect(() => checkContract(3, 'pod build in dist/app.k8s.yaml', 2))
    .toThrow(/^pod build in dist\/app\.k8s\.yaml was synthesised for contract 3 \(its steps pass -contract=3\), but the entrypoint binary this cdk8s-steps carries speaks contract 2: synthesise it again/);
});

describe('cdk8s-steps image build|push (command line)', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: { write: (s: string) => { out.push(s); } }, err: { write: (s: string) => { err.push(s); } } }, out, err };
  }

  test('build writes the layout of the packaged binaries and prints its index digest', async () => {
    const c = capture();
    const dir = path.join(tmp, 'built');
    expect(await imageCommand(['build', '--out', dir], c.io)).toBe(0);
    const image = buildEntrypointImage();
    expect(c.out.join('')).toBe(`${image.index.digest}\n`);
    expect(layoutReader.describe(dir).digest).toBe(image.index.digest);
    expect(c.err.join('')).toContain(`into ${dir}`);
    // Again into the same directory: replaced, nothing left beside it.
    expect(await imageCommand(['build', '--out', dir], capture().io)).toBe(0);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('built'))).toEqual(['built']);
  });

  test('build refuses a directory that is not an OCI layout, and a version that cannot be a tag', async () => {
    const dir = path.join(tmp, 'not-a-layout');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep-me'), 'x');
    await expect(imageCommand(['build', '--out', dir], capture().io)).rejects.toThrow(/not-a-layout exists and is not an OCI image layout/);
    expect(fs.readdirSync(dir)).toEqual(['keep-me']);
    await expect(imageCommand(['build', '--out', path.join(tmp, 'v'), '--version', '1.0.0+build'], capture().io))
      .rejects.toThrow(/version "1.0.0\+build" cannot tag an image/);
  });

  test('push refuses a malformed reference with the message of Entrypoint.fromImage', async () => {
    for (const bad of ['Registry.example.com/You/Image', 'ghcr.io/x/y:-tag', 'ghcr.io/x y', 'ghcr.io/x/y@sha256:ABC']) {
      let fromImage = '';
      try {
        Entrypoint.fromImage(bad);
      } catch (e) {
        fromImage = (e as Error).message;
      }
      expect(fromImage).toMatch(/^InvalidImageReferenceError: Entrypoint\.fromImage: /);
      const rejection = imageCommand(['push', bad], capture().io);
      await expect(rejection).rejects.toThrow(CliError);
      await expect(rejection).rejects.toThrow(fromImage.replace('Entrypoint.fromImage', 'cdk8s-steps image push'));
    }
  });

  test('push refuses a digest, and takes the tag or the package version', () => {
    expect(() => pushTarget(`ghcr.io/you/e@sha256:${'a'.repeat(64)}`, '0.0.0')).toThrow(/names a digest: give the repository .* e\.g\. ghcr\.io\/you\/e;/);
    expect(pushTarget('localhost:5000/you/e', '1.2.3')).toEqual({ name: 'localhost:5000/you/e', tag: '1.2.3' });
    expect(pushTarget('localhost:5000/you/e:Mine', '1.2.3')).toEqual({ name: 'localhost:5000/you/e', tag: 'Mine' });
  });

  test('push without skopeo says what to install', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'path-'));
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(imageCommand(['push', 'localhost:5000/you/e'], capture().io))
        .rejects.toThrow(/needs skopeo, which is not installed .* apt-get install skopeo .* brew install skopeo/);
    } finally {
      process.env.PATH = saved;
    }
  });

  test('usage errors name what is wrong', async () => {
    await expect(imageCommand([], capture().io)).rejects.toThrow(/image needs a subcommand: build or push/);
    await expect(imageCommand(['pull'], capture().io)).rejects.toThrow(/unknown image subcommand "pull"/);
    await expect(imageCommand(['push'], capture().io)).rejects.toThrow(/image push needs the repository/);
    await expect(imageCommand(['push', 'a/b', 'c/d'], capture().io)).rejects.toThrow(/takes one repository, got a\/b c\/d/);
    await expect(imageCommand(['push', 'a/b', '--tls-verify=no'], capture().io)).rejects.toThrow(/--tls-verify must be true or false, got "no"/);
    await expect(imageCommand(['build', 'dir'], capture().io)).rejects.toThrow(/takes no arguments, got dir \(--out DIR/);
  });
});
