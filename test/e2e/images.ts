/**
 * The two local images the e2e suite runs (no registry is reachable on CI), built from this
 * repository (entrypoint-image/, test/e2e/step-image/); test code, not part of the package:
 *
 *  - the step image `localhost/cdk8s-steps-e2e-step:dev`, by test/e2e/step-image/build.sh (busybox-
 *    static with its applets plus `stamp`, a nanosecond clock; the benchmarks build it the same way);
 *  - the entrypoint image, by entrypoint-image/build.sh --image, from a snapshot of entrypoint-image/.
 *
 * Idempotent: an image is rebuilt only when its inputs changed (a content hash kept in a label of
 * the step image, and in .e2e-work/ for the entrypoint image). Serialised by machine-wide locks so
 * that parallel jest workers (or a benchmark) never build the same image at the same time.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { podman, podmanEnv, REPO_ROOT, run, WORK_DIR, withLock } from '../../src/local';

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

/** The one script that builds the step image (also for the benchmarks and the examples). */
export const STEP_IMAGE_SCRIPT = path.join(REPO_ROOT, 'test', 'e2e', 'step-image', 'build.sh');
const ENTRYPOINT_DIR = path.join(REPO_ROOT, 'entrypoint-image');

export interface BuiltImages {
  readonly step: string;
  readonly entrypoint: string;
  /** What was (re)built in this call; empty when everything was up to date. */
  readonly built: string[];
}

/** Ensures both images exist and are up to date. */
export async function ensureImages(): Promise<BuiltImages> {
  const built: string[] = [];
  const step = await run('bash', [STEP_IMAGE_SCRIPT, STEP_IMAGE], { env: podmanEnv(), timeoutMs: 1_800_000 });
  if (step.stderr.includes(`built ${STEP_IMAGE}`)) built.push(STEP_IMAGE);
  await withLock('images', async () => {
    if (process.env.CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE) {
      if (!await imageId(ENTRYPOINT_IMAGE)) throw new Error(`CDK8S_STEPS_E2E_ENTRYPOINT_IMAGE=${ENTRYPOINT_IMAGE} does not exist locally`);
    } else if (await buildEntrypointImage()) {
      built.push(ENTRYPOINT_IMAGE);
    }
  });
  return { step: STEP_IMAGE, entrypoint: ENTRYPOINT_IMAGE, built };
}

/** Go needs a build cache; without HOME (some CI runners) it has no default one. */
function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOPROXY: 'off' };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = path.join(WORK_DIR, 'gocache');
  return env;
}

/** Removes the image a rebuild replaced, unless something still uses or tags it (no force). */
async function removeIfDangling(oldId: string | undefined, newId: string | undefined): Promise<void> {
  if (oldId && oldId !== newId) await podman(['rmi', oldId], { allowFailure: true });
}

async function imageId(image: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : undefined;
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
