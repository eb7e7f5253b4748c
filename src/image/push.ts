/**
 * `cdk8s-steps image push`'s work: the entrypoint image of this package (./build.ts), copied to a
 * registry unchanged, so that its digest there is the one `image build` prints. Only skopeo copies
 * an OCI image index with its digest kept (`skopeo copy --all --preserve-digests`, skopeo >= 1.9):
 * podman 4.3's `manifest push` and docker rewrite it. Not part of the jsii API.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildEntrypointImage, packageVersion, writeImageLayout } from './build';
import { EntrypointImage } from './layout';
import { parseImageReference } from '../image-reference';

/** What to install to get skopeo, by system. */
export const SKOPEO_INSTALL = 'apt-get install skopeo (Debian 12 / Ubuntu 22.04 and later), dnf install skopeo (Fedora, RHEL), '
  + 'brew install skopeo (macOS), or see https://github.com/containers/skopeo/blob/main/install.md';

/** A push that cannot be done; the message says why and what to do. */
export class ImagePushError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagePushError';
  }
}

export interface PushOptions {
  /** false: the registry speaks plain HTTP or has a certificate that is not trusted (skopeo's --dest-tls-verify=false). Default true. */
  readonly tlsVerify?: boolean;
  /** The image to push (default: this package's, built now). */
  readonly image?: EntrypointImage;
}

export interface PushResult {
  /** `REGISTRY/REPO:TAG@sha256:…`: what to pin. */
  readonly reference: string;
  readonly digest: string;
  /** The line that uses it: `Entrypoint.fromImage('…')`. */
  readonly usage: string;
}

interface Exec { readonly code: number; readonly stdout: string; readonly stderr: string; readonly missing: boolean }

function exec(cmd: string, args: string[]): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: process.env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 }, (error, stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : -1) : 0;
      resolve({ code, stdout, stderr, missing });
    });
  });
}

/**
 * The repository and tag `ref` names (`[registry/]path[:tag]`, the tag defaulting to `version`),
 * checked with the rules and message of `Entrypoint.fromImage`; a digest is refused (the push
 * makes it).
 */
export function pushTarget(ref: string, version: string): { readonly name: string; readonly tag: string } {
  const parsed = parseImageReference(ref, 'cdk8s-steps image push');
  if (parsed.digest !== undefined) {
    throw new ImagePushError(`cdk8s-steps image push: ${ref} names a digest: give the repository (and a tag, if you want another than ${version}), e.g. ${ref.split('@')[0]}; the push prints the digest`);
  }
  const name = parsed.tag === undefined ? ref : ref.slice(0, ref.length - parsed.tag.length - 1);
  return { name, tag: parsed.tag ?? version };
}

/** Pushes the image index to `ref` with skopeo and checks that the registry got its digest. */
export async function pushEntrypointImage(ref: string, options: PushOptions = {}): Promise<PushResult> {
  // The reference is checked before anything is built.
  const { name, tag } = pushTarget(ref, options.image?.tag ?? packageVersion());
  const image = options.image ?? buildEntrypointImage();
  const version = await exec('skopeo', ['--version']);
  if (version.missing) {
    throw new ImagePushError('cdk8s-steps image push needs skopeo, which is not installed (not on PATH): it is the tool that copies an image index with its digest unchanged '
      + `(podman manifest push and docker push rewrite it). Install it: ${SKOPEO_INSTALL}`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-push-'));
  try {
    const layout = path.join(tmp, 'oci');
    writeImageLayout(image, layout);
    const digestFile = path.join(tmp, 'digest');
    const destination = `docker://${name}:${tag}`;
    const args = ['copy', '--all', '--preserve-digests', '--digestfile', digestFile];
    if (options.tlsVerify === false) args.push('--dest-tls-verify=false');
    args.push(`oci:${layout}:${image.tag}`, destination);
    const r = await exec('skopeo', args);
    if (r.code !== 0) {
      const message = (r.stderr || r.stdout).trim();
      const hints = [
        /unauthorized|authentication required|denied/i.test(message) ? `log in first: skopeo login ${name.split('/')[0]} (or podman login)` : '',
        /server gave HTTP response to HTTPS client|http: server gave HTTP/i.test(message) && options.tlsVerify !== false ? 'the registry speaks plain HTTP: add --tls-verify=false' : '',
      ].filter(Boolean);
      throw new ImagePushError(`skopeo could not push to ${name}:${tag} (exit ${r.code}): ${message}${hints.length ? `\n(${hints.join('; ')})` : ''}`);
    }
    const pushed = fs.readFileSync(digestFile, 'utf8').trim();
    if (pushed !== image.index.digest) {
      throw new ImagePushError(`${name}:${tag} got digest ${pushed}, not ${image.index.digest}: the registry changed the image index (skopeo ${version.stdout.trim()}; --preserve-digests needs skopeo >= 1.9)`);
    }
    const reference = `${name}:${tag}@${pushed}`;
    return { reference, digest: pushed, usage: `Entrypoint.fromImage('${reference}')` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
