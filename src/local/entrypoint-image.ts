/**
 * The entrypoint image for a local run, made from the binaries the package carries: the platform
 * image of `cdk8s-steps image build` (../image/build.ts) for podman's architecture, as an OCI
 * archive given to `podman load` (no skopeo, no registry, no Go; podman-remote on macOS streams the
 * archive to its machine, which a path given to `podman pull oci:` would not reach). Its image ID
 * is that platform's config digest in `image build`'s index, and its tag carries it, so a second
 * call finds it without compressing anything and builds nothing. Also: which contract version the
 * packaged binary speaks, and the check that a manifest's `-contract=` matches it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { podman, WORK_DIR, withLock } from './podman';
import { entrypointImageInput } from '../image/build';
import { entrypointImage, platformConfig, platformLayoutFiles } from '../image/layout';
import { binariesDir, packagedContractVersion } from '../image/packaged';
import { tarArchive } from '../image/tar';

export { packagedContractVersion } from '../image/packaged';

/** The repository of the local entrypoint images. */
export const LOCAL_ENTRYPOINT_REPOSITORY = 'localhost/cdk8s-steps-entrypoint';

export interface LocalEntrypointImage {
  /** `localhost/cdk8s-steps-entrypoint:<version>-<12 hex of the image ID>` */
  readonly reference: string;
  /** `linux/amd64` or `linux/arm64`: podman's architecture. */
  readonly platform: string;
  /** The contract version its binary speaks. */
  readonly contract: number;
  /** The podman image ID: the platform image's config digest (without `sha256:`). */
  readonly id: string;
  /** False when the image was already there (nothing was done). */
  readonly built: boolean;
}

export interface LocalEntrypointImageOptions {
  /** Where the binaries are (default: the package's own). */
  readonly binariesDir?: string;
  /** The architecture to make the image for (default: podman's, `podman info`). */
  readonly architecture?: string;
}

/** The manifest's contract version is not the one the packaged binary speaks. */
export class ContractMismatchError extends Error {
  constructor(readonly manifestContract: number, readonly packagedContract: number, where: string) {
    super(`${where} was synthesised for contract ${manifestContract} (its steps pass -contract=${manifestContract}), but the entrypoint `
      + `binary this cdk8s-steps carries speaks contract ${packagedContract}: synthesise it again with this version of cdk8s-steps, `
      + 'or run it with the cdk8s-steps version that synthesised it');
    this.name = 'ContractMismatchError';
  }
}

/** Throws a ContractMismatchError naming both versions when `manifestContract` is not the packaged binary's. */
export function checkContract(manifestContract: number, where: string, packaged = packagedContractVersion()): void {
  if (manifestContract !== packaged) throw new ContractMismatchError(manifestContract, packaged, where);
}

/** podman's architecture (its server's: the machine, or the VM of podman-remote on macOS/Windows), as OCI names it. */
async function podmanArchitecture(): Promise<string> {
  const r = await podman(['version', '--format', '{{if .Server}}{{.Server.OsArch}}{{else}}{{.Client.OsArch}}{{end}}']);
  const [os, arch] = r.stdout.trim().split('/');
  if (os !== 'linux' || !arch) throw new Error(`podman reports its platform as "${r.stdout.trim()}", not linux/<architecture>`);
  return arch;
}

async function imageId(reference: string): Promise<string | undefined> {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', reference], { allowFailure: true });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Makes (or finds) the local entrypoint image for podman's architecture from the packaged binaries
 * and returns its reference. Serialised machine-wide, so parallel runs build it once.
 */
export async function localEntrypointImage(options: LocalEntrypointImageOptions = {}): Promise<LocalEntrypointImage> {
  const architecture = options.architecture ?? await podmanArchitecture();
  const platform = `linux/${architecture}`;
  const input = entrypointImageInput({ binariesDir: options.binariesDir ?? binariesDir() });
  if (!input.binaries.some((b) => b.platform === platform)) {
    throw new Error(`podman runs on ${platform}, and cdk8s-steps carries its entrypoint for ${input.binaries.map((b) => b.platform).join(' and ')} only: `
      + 'build an entrypoint image for this architecture yourself and name it in the manifest (Entrypoint.fromImage)');
  }
  const id = platformConfig(input, platform).digest.slice('sha256:'.length);
  const reference = `${LOCAL_ENTRYPOINT_REPOSITORY}:${input.version}-${id.slice(0, 12)}`;
  const contract = input.contract;
  return withLock('entrypoint-image', async () => {
    if (await imageId(reference) === id) return { reference, platform, contract, id, built: false };
    fs.mkdirSync(WORK_DIR, { recursive: true });
    const archive = path.join(WORK_DIR, `entrypoint-${process.pid}-${id.slice(0, 12)}.tar`);
    // Only this platform's layer is compressed: its blobs do not depend on the other platforms.
    const image = entrypointImage({ ...input, binaries: input.binaries.filter((b) => b.platform === platform) });
    const files = platformLayoutFiles(image, platform, reference);
    fs.writeFileSync(archive, tarArchive([...files].map(([name, data]) => ({ name, mode: 0o644, data }))));
    try {
      await podman(['load', '--quiet', '--input', archive], { timeoutMs: 300_000 });
    } finally {
      fs.rmSync(archive, { force: true });
    }
    const loaded = await imageId(reference);
    if (loaded !== id) throw new Error(`podman load of the entrypoint image's ${platform} archive gave ${reference} image ID ${loaded ?? '(none)'}, not ${id}`);
    return { reference, platform, contract, id, built: true };
  });
}
