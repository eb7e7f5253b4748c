/**
 * The entrypoint binaries the npm package carries (`binaries/` at the package root, written by
 * entrypoint-image/package-binaries.js at compile time): where they are, which contract they speak,
 * and their bytes, checked against the recorded sha256. No Go, no clone, no network at run time.
 * Not part of the jsii API.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The package root (this file is src/image/ or, compiled, lib/image/). */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Where the binaries are looked for: `CDK8S_STEPS_ENTRYPOINT_BINARIES`, else `binaries/` in the package. */
export function binariesDir(): string {
  return process.env.CDK8S_STEPS_ENTRYPOINT_BINARIES || path.join(PACKAGE_ROOT, 'binaries');
}

/** The platforms the package carries a binary for, in index order. */
export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = typeof PLATFORMS[number];

/** One packaged binary. */
export interface PackagedBinary {
  readonly platform: Platform;
  /** `amd64` or `arm64` (the OCI `architecture`). */
  readonly architecture: string;
  readonly path: string;
  readonly size: number;
  /** Hex sha256 of the file, as recorded when it was built. */
  readonly sha256: string;
}

/** What `binaries/entrypoint.json` says. */
export interface PackagedEntrypoint {
  readonly dir: string;
  /** The version of docs/contract.md the binaries speak (their `-contract=`). */
  readonly contract: number;
  /** The Go release that built them, e.g. `go1.19.8`. */
  readonly go: string;
  readonly binaries: readonly PackagedBinary[];
}

/** The packaged binaries are missing or damaged; the message says why and what to do. */
export class MissingEntrypointBinariesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingEntrypointBinariesError';
  }
}

/** How to get the binaries, depending on where this code runs (a clone has entrypoint-image/). */
function remedy(): string {
  if (fs.existsSync(path.join(PACKAGE_ROOT, 'entrypoint-image', 'package-binaries.js'))) {
    return 'This is a checkout of cdk8s-steps in which they were not built yet: run `npx projen compile` '
      + '(or `node entrypoint-image/package-binaries.js`), which needs Go (apt-get install golang-go, brew install go)';
  }
  return 'An installed cdk8s-steps package always carries them: reinstall it (npm install cdk8s-steps)';
}

/**
 * Reads `binaries/entrypoint.json` and checks that every platform's binary is there with its
 * recorded size. Throws a MissingEntrypointBinariesError that names the missing file and the fix.
 */
export function packagedEntrypoint(dir = binariesDir()): PackagedEntrypoint {
  const recordFile = path.join(dir, 'entrypoint.json');
  let record: any;
  try {
    record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  } catch (e) {
    const what = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw new MissingEntrypointBinariesError(`the entrypoint binaries are not where cdk8s-steps looks for them: ${recordFile} ${what}. ${remedy()}`);
  }
  if (!Number.isInteger(record?.contract) || !Array.isArray(record?.platforms)) {
    throw new MissingEntrypointBinariesError(`${recordFile} has no contract version or platform list: it was not written by entrypoint-image/package-binaries.js. ${remedy()}`);
  }
  const binaries = PLATFORMS.map((platform): PackagedBinary => {
    const entry = record.platforms.find((p: any) => p?.platform === platform);
    if (!entry) throw new MissingEntrypointBinariesError(`${recordFile} has no ${platform} binary. ${remedy()}`);
    const file = path.join(dir, String(entry.file));
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new MissingEntrypointBinariesError(`the ${platform} entrypoint binary ${file} is missing. ${remedy()}`);
    }
    if (size !== entry.size) {
      throw new MissingEntrypointBinariesError(`the ${platform} entrypoint binary ${file} has ${size} bytes, but ${recordFile} records ${entry.size}. ${remedy()}`);
    }
    return { platform, architecture: platform.split('/')[1], path: file, size, sha256: String(entry.sha256) };
  });
  return { dir, contract: record.contract, go: String(record.go), binaries };
}

/** The binary's bytes, checked against the recorded sha256. */
export function readBinary(binary: PackagedBinary): Buffer {
  const data = fs.readFileSync(binary.path);
  const actual = crypto.createHash('sha256').update(data).digest('hex');
  if (actual !== binary.sha256) {
    throw new MissingEntrypointBinariesError(`the ${binary.platform} entrypoint binary ${binary.path} has sha256 ${actual}, not the recorded ${binary.sha256}: it was changed after it was built. ${remedy()}`);
  }
  return data;
}

/** The version of docs/contract.md the packaged binaries speak. */
export function packagedContractVersion(dir = binariesDir()): number {
  return packagedEntrypoint(dir).contract;
}
