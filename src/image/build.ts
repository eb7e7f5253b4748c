/**
 * `cdk8s-steps image build`'s work, without the command line: the entrypoint image of this
 * package, made from the binaries it carries (./packaged.ts), and written as an OCI image layout.
 * The release builds its image with this same code (entrypoint-image/release.sh build runs
 * `cdk8s-steps image build`), so for one package version the digest printed here is the one
 * `Entrypoint.DEFAULT` pins. Not part of the jsii API.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EntrypointImage, entrypointImage, EntrypointImageInput } from './layout';
import { binariesDir, packagedEntrypoint, readBinary } from './packaged';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACKAGE: { version: string; license: string; repository: { url: string } } = require('../../package.json');

/** A valid image tag (the distribution reference grammar): the layout is tagged with the version. */
const TAG = /^[\w][\w.-]{0,127}$/;

export interface BuildOptions {
  /** Label and tag the image with this version (default: this package's version). */
  readonly version?: string;
  /** Where the binaries are (default: the package's own, see binariesDir()). */
  readonly binariesDir?: string;
}

/** The project's source repository as the image's source label gives it (no `git+`, no `.git`). */
export function sourceUrl(url = PACKAGE.repository.url): string {
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** This package's version. */
export function packageVersion(): string {
  return PACKAGE.version;
}

/** What the entrypoint image is made of: the packaged binaries, their contract, the package's version and labels. */
export function entrypointImageInput(options: BuildOptions = {}): EntrypointImageInput {
  const version = options.version ?? PACKAGE.version;
  if (!TAG.test(version)) {
    throw new Error(`version ${JSON.stringify(version)} cannot tag an image: a tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`);
  }
  const packaged = packagedEntrypoint(options.binariesDir ?? binariesDir());
  return {
    version,
    contract: packaged.contract,
    source: sourceUrl(),
    licenses: PACKAGE.license,
    binaries: packaged.binaries.map((b) => ({ platform: b.platform, data: readBinary(b) })),
  };
}

/** The entrypoint image of the packaged binaries (linux/amd64 and linux/arm64). */
export function buildEntrypointImage(options: BuildOptions = {}): EntrypointImage {
  return entrypointImage(entrypointImageInput(options));
}

/**
 * Writes `image` as an OCI image layout into `dir`, all or nothing: into a sibling directory first,
 * which then replaces `dir`. A `dir` that exists must be empty or an OCI image layout (it is replaced).
 */
export function writeImageLayout(image: EntrypointImage, dir: string): void {
  const target = path.resolve(dir);
  if (fs.existsSync(target)) {
    const stat = fs.statSync(target);
    const entries = stat.isDirectory() ? fs.readdirSync(target) : undefined;
    if (entries === undefined || (entries.length > 0 && !entries.includes('oci-layout'))) {
      throw new Error(`${dir} exists and is not an OCI image layout (no oci-layout file): name a new or empty directory, or remove it`);
    }
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(`${target}.tmp-`);
  try {
    for (const [file, data] of image.files) {
      fs.mkdirSync(path.dirname(path.join(tmp, file)), { recursive: true });
      fs.writeFileSync(path.join(tmp, file), data);
    }
    fs.chmodSync(tmp, 0o755);
    const old = `${target}.old-${process.pid}`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
