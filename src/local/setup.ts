/**
 * Builds the two local images the e2e suite and `cdk8s-steps run --build-images` run (no registry
 * is reachable on CI); needs a clone of the repository (entrypoint-image/, podman/step-image/):
 *
 *  - the step image `localhost/cdk8s-steps-e2e-step:dev`: busybox-static with its applet symlinks
 *    plus `stamp`, a tiny static Go helper giving a nanosecond clock (podman/step-image/stamp.go),
 *    tarred and `podman import`ed with PATH=/bin (an imported image has no PATH otherwise);
 *  - the entrypoint image `localhost/cdk8s-steps-entrypoint:dev`, built by entrypoint-image/build.sh.
 *
 * Idempotent: an image is rebuilt only when its inputs changed (a content hash kept in a label of
 * the step image, and in .e2e-work/ for the entrypoint image). Serialised by a machine-wide lock so
 * that parallel jest workers (or a benchmark) never build the same image at the same time.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { podman, podmanEnv, REPO_ROOT, run, WORK_DIR, withLock } from './podman';

export const STEP_IMAGE = 'localhost/cdk8s-steps-e2e-step:dev';
/**
 * The entrypoint image the scenarios run. CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE runs them against another
 * local image instead (not built here; e.g. a deliberately broken one, to see the suite fail).
 */
export const ENTRYPOINT_IMAGE = process.env.CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE
  // Builds this worktree's entrypoint under another tag: parallel checkouts then do not rebuild
  // each other's :dev image under a running suite.
  || process.env.CDK8S_STEPS_E2E_BUILD_ENTRYPOINT_AS
  || 'localhost/cdk8s-steps-entrypoint:dev';

const STEP_IMAGE_DIR = path.join(REPO_ROOT, 'podman', 'step-image');
const ENTRYPOINT_DIR = path.join(REPO_ROOT, 'entrypoint-image');
const HASH_LABEL = 'io.cdk8s-steps.e2e.inputs';
/** Bump to force a rebuild of the step image when the way it is built changes. */
const STEP_IMAGE_RECIPE = 'step-image v3: busybox applets + stamp in /bin, /tmp, ENV PATH=/bin';

export interface BuiltImages {
  readonly step: string;
  readonly entrypoint: string;
  /** What was (re)built in this call; empty when everything was up to date. */
  readonly built: string[];
}

/** Ensures both images exist and are up to date. */
export async function ensureImages(): Promise<BuiltImages> {
  requireSources();
  return withLock('images', async () => {
    const built: string[] = [];
    if (await buildStepImage()) built.push(STEP_IMAGE);
    if (process.env.CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE) {
      if (!await imageId(ENTRYPOINT_IMAGE)) throw new Error(`CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE=${ENTRYPOINT_IMAGE} does not exist locally`);
    } else if (await buildEntrypointImage()) {
      built.push(ENTRYPOINT_IMAGE);
    }
    return { step: STEP_IMAGE, entrypoint: ENTRYPOINT_IMAGE, built };
  });
}

/** The image sources ship in the repository, not in the npm package. */
function requireSources(): void {
  for (const dir of [STEP_IMAGE_DIR, ENTRYPOINT_DIR]) {
    if (!fs.existsSync(dir)) {
      throw new Error(`${dir} does not exist: the local images are built from a clone of the cdk8s-steps repository (git clone, npm ci, then run this from there)`);
    }
  }
}

/** Go needs a build cache; without HOME (some CI runners) it has no default one. */
function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOPROXY: 'off' };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = path.join(WORK_DIR, 'gocache');
  return env;
}

/** Finds busybox-static: a statically linked busybox (a dynamic one cannot run in an empty rootfs). */
export function findStaticBusybox(): string {
  const candidates = [process.env.CDK8S_STEPS_BUSYBOX, '/bin/busybox', '/usr/bin/busybox'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (fs.existsSync(c) && isStaticElf(fs.realpathSync(c))) return fs.realpathSync(c);
  }
  throw new Error(`no statically linked busybox found (looked at ${candidates.join(', ')}): apt-get install -y busybox-static`);
}

/** An ELF file without a PT_INTERP program header is statically linked. */
function isStaticElf(file: string): boolean {
  const buf = fs.readFileSync(file);
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false; // 64-bit ELF only
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (buf.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}

async function imageLabel(image: string, label: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', `{{index .Labels "${label}"}}`, image], { allowFailure: true });
  if (r.code !== 0) return undefined;
  const v = r.stdout.trim();
  return v && v !== '<no value>' ? v : undefined;
}

/** Removes the image a rebuild replaced, unless something still uses or tags it (no force). */
async function removeIfDangling(oldId: string | undefined, newId: string | undefined): Promise<void> {
  if (oldId && oldId !== newId) await podman(['rmi', oldId], { allowFailure: true });
}

async function imageId(image: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Builds the step image when missing or out of date. Returns true when it built. */
async function buildStepImage(): Promise<boolean> {
  const busybox = findStaticBusybox();
  const stampSrc = path.join(STEP_IMAGE_DIR, 'stamp.go');
  const inputs = sha256(STEP_IMAGE_RECIPE, fs.readFileSync(busybox), fs.readFileSync(stampSrc));
  if (await imageLabel(STEP_IMAGE, HASH_LABEL) === inputs) return false;

  const dir = path.join(WORK_DIR, 'step-image');
  fs.rmSync(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  const bin = path.join(rootfs, 'bin');
  fs.mkdirSync(bin, { recursive: true });

  // The stamp helper: static, stripped, standard library only (no module proxy needed).
  await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', path.join(bin, 'stamp'), 'stamp.go'], {
    cwd: STEP_IMAGE_DIR, env: { ...goEnv(), CGO_ENABLED: '0' }, timeoutMs: 300_000,
  });

  fs.copyFileSync(busybox, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  const applets = (await run(busybox, ['--list'])).stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && s !== 'stamp');
  for (const applet of applets) fs.symlinkSync('busybox', path.join(bin, applet));
  // No /workspace (nor /cdk8s-steps) in the image: podman copies an image directory's owner into
  // the emptyDir mounted over it, and a root-owned /workspace would not be writable by the steps.
  fs.mkdirSync(path.join(rootfs, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);

  const oldId = await imageId(STEP_IMAGE);
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
  await podman([
    'import',
    '--change', 'ENV PATH=/bin',
    '--change', `LABEL ${HASH_LABEL}=${inputs}`,
    '--message', 'cdk8s-steps e2e step image (busybox-static + stamp)',
    tar, STEP_IMAGE,
  ], { timeoutMs: 300_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  await removeIfDangling(oldId, await imageId(STEP_IMAGE));
  return true;
}

/** Every file under entrypoint-image/ that can change the image (build outputs and dot-files excluded), sorted. */
function entrypointFiles(): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'out' || e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(ENTRYPOINT_DIR);
  return files.sort();
}

/** Hash of the files (paths relative to root, and contents). */
function entrypointInputs(root: string, files: string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    h.update(path.relative(root, f));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

function hostArch(): string {
  switch (process.arch) {
    case 'x64': return 'amd64';
    case 'arm64': return 'arm64';
    default: throw new Error(`unsupported architecture ${process.arch} for the entrypoint image`);
  }
}

/**
 * Builds the entrypoint image with entrypoint-image/build.sh when missing or when any file under
 * entrypoint-image/ changed since the last build made here. Returns true when it built.
 *
 * The build runs on a snapshot copy of entrypoint-image/ in .e2e-work/: build.sh writes its
 * binaries into out/ next to itself, and the suite must not race with someone building or editing
 * in entrypoint-image/ at the same time (the image is built from exactly the files hashed).
 * Only the host architecture is built (ARCHES), the image is for this machine.
 */
async function buildEntrypointImage(): Promise<boolean> {
  const script = path.join(ENTRYPOINT_DIR, 'build.sh');
  if (!fs.existsSync(script)) {
    throw new Error(`${path.relative(REPO_ROOT, script)} does not exist: the entrypoint image cannot be built`);
  }
  const record = path.join(WORK_DIR, `entrypoint-image-${ENTRYPOINT_IMAGE.replace(/[^a-z0-9]+/gi, '_')}.json`);
  const snapshot = path.join(WORK_DIR, 'entrypoint-src');
  fs.rmSync(snapshot, { recursive: true, force: true });
  const copies: string[] = [];
  for (const f of entrypointFiles()) {
    const dst = path.join(snapshot, path.relative(ENTRYPOINT_DIR, f));
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(f, dst);
    fs.chmodSync(dst, fs.statSync(f).mode % 0o1000);
    copies.push(dst);
  }
  const inputs = entrypointInputs(snapshot, copies);
  const id = await imageId(ENTRYPOINT_IMAGE);
  if (id && fs.existsSync(record)) {
    const prev = JSON.parse(fs.readFileSync(record, 'utf8'));
    if (prev.inputs === inputs && prev.id === id) {
      fs.rmSync(snapshot, { recursive: true, force: true });
      return false;
    }
  }
  await run('sh', [path.join(snapshot, 'build.sh'), ...entrypointBuildArgs()], {
    cwd: snapshot,
    env: { ...podmanEnv(), ...goEnv(), ARCHES: hostArch(), ENGINE: 'podman' },
    timeoutMs: 600_000,
  });
  const newId = await imageId(ENTRYPOINT_IMAGE);
  if (!newId) throw new Error(`entrypoint-image/build.sh succeeded but ${ENTRYPOINT_IMAGE} does not exist`);
  await removeIfDangling(id, newId);
  fs.mkdirSync(WORK_DIR, { recursive: true });
  fs.writeFileSync(record, JSON.stringify({ inputs, id: newId }));
  fs.rmSync(snapshot, { recursive: true, force: true });
  return true;
}

/** Arguments that make entrypoint-image/build.sh build the podman image (see its usage). */
function entrypointBuildArgs(): string[] {
  return ['--image', ENTRYPOINT_IMAGE];
}
