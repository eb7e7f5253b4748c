/**
 * The entrypoint image as an OCI image layout, computed from the binaries alone: one image per
 * platform (`FROM scratch`-like: the binary at `/entrypoint`, mode 0555, user 65532:65532,
 * `Entrypoint ["/entrypoint"]`, labels that depend on neither git nor time) and an image index
 * over them. The same binaries and version give the same bytes, so the same digests, on every
 * machine: the layer is a deterministic tar (./tar.ts) compressed by pako (pure JS, with zlib's
 * classic hash: the bytes canonical zlib 1.2.13 writes at level 9), and every JSON document is
 * written with a fixed key order and no whitespace. Pure. Not part of the jsii API.
 *
 * Specification: https://github.com/opencontainers/image-spec (image-layout.md, image-index.md,
 * manifest.md, config.md).
 */
import * as crypto from 'crypto';
import { gzip } from 'pako';
import { tarArchive } from './tar';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The label that names the contract version (docs/contract.md) the image's binary speaks. */
export const CONTRACT_LABEL = 'io.cdk8s-steps.contract';
/** Where the binary is in the image, and its mode. */
export const BINARY_PATH = '/entrypoint';
export const BINARY_MODE = 0o555;
/** The non-root user the image runs as (the copy container needs no privilege). */
export const IMAGE_USER = '65532:65532';
/** What the image's `created` field says: the epoch, so that the digest does not depend on time. */
export const IMAGE_CREATED = '1970-01-01T00:00:00Z';

/** One platform's binary. */
export interface BinaryInput {
  /** `linux/amd64` or `linux/arm64`. */
  readonly platform: string;
  readonly data: Uint8Array;
}

export interface EntrypointImageInput {
  /** The package version: the `org.opencontainers.image.version` label and the layout's tag. */
  readonly version: string;
  /** The contract version the binaries speak (the `io.cdk8s-steps.contract` label). */
  readonly contract: number;
  /** The project's source repository (`org.opencontainers.image.source`). */
  readonly source: string;
  /** SPDX licence expression (`org.opencontainers.image.licenses`). */
  readonly licenses: string;
  /** The binaries, in the order of the index. */
  readonly binaries: readonly BinaryInput[];
}

/** A content-addressed blob. */
export interface Blob {
  readonly mediaType: string;
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly data: Buffer;
}

/** One platform's image in the layout. */
export interface PlatformImage {
  readonly platform: string;
  readonly os: string;
  readonly architecture: string;
  readonly manifest: Blob;
  readonly config: Blob;
  /** The compressed layer (what is pushed and pulled). */
  readonly layer: Blob;
  /** The uncompressed layer (the tar). */
  readonly tar: Buffer;
  /** sha256 of the uncompressed layer: the config's `rootfs.diff_ids` entry. */
  readonly diffId: string;
}

/** The whole image: the index and every blob, ready to be written as an OCI image layout. */
export interface EntrypointImage {
  /** The image index: its digest is the one users pin. */
  readonly index: Blob;
  /** The tag in the layout's index.json (`org.opencontainers.image.ref.name`): the version. */
  readonly tag: string;
  readonly platforms: readonly PlatformImage[];
  /** The layout's files: `oci-layout`, `index.json`, `blobs/sha256/<hex>`, by relative path. */
  readonly files: ReadonlyMap<string, Buffer>;
}

function sha256(data: Uint8Array): string {
  return `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
}

function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), data };
}

/** JSON as the layout stores it: compact, keys in the order written here. */
function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** The labels every platform image carries. */
export function imageLabels(input: Pick<EntrypointImageInput, 'version' | 'contract' | 'source' | 'licenses'>): Record<string, string> {
  return {
    [CONTRACT_LABEL]: String(input.contract),
    'org.opencontainers.image.description': 'The step wrapper of cdk8s-steps: copied into every step pod by its init container',
    'org.opencontainers.image.licenses': input.licenses,
    'org.opencontainers.image.source': input.source,
    'org.opencontainers.image.title': 'cdk8s-steps entrypoint',
    'org.opencontainers.image.version': input.version,
  };
}

/** gzip at level 9 with zlib's classic hash: pure JS, so the same bytes on every machine and Node version. */
export function gzipLayer(tar: Uint8Array): Buffer {
  return Buffer.from(gzip(tar, { level: 9, legacyHash: true }));
}

/** The platform's uncompressed layer and config: everything but the compression (cheap). */
function platformParts(binary: BinaryInput, labels: Record<string, string>) {
  const [os, architecture, ...rest] = binary.platform.split('/');
  if (os !== 'linux' || !architecture || rest.length > 0) {
    throw new Error(`entrypoint image: platform ${JSON.stringify(binary.platform)} is not linux/<architecture>`);
  }
  const tar = tarArchive([{ name: BINARY_PATH.slice(1), mode: BINARY_MODE, data: binary.data }]);
  const diffId = sha256(tar);
  const config = blob(MEDIA_TYPES.config, json({
    created: IMAGE_CREATED,
    architecture,
    os,
    config: { User: IMAGE_USER, Entrypoint: [BINARY_PATH], Labels: labels },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  }));
  return { platform: binary.platform, os, architecture, tar, diffId, config };
}

/**
 * The config of `platform`'s image, without compressing its layer: its digest is the image ID a
 * container engine gives the image, so it tells whether an engine already has it.
 */
export function platformConfig(input: EntrypointImageInput, platform: string): Blob {
  const binary = input.binaries.find((b) => b.platform === platform);
  if (!binary) throw new Error(`the entrypoint image has no ${platform} (it has ${input.binaries.map((b) => b.platform).join(', ')})`);
  return platformParts(binary, imageLabels(input)).config;
}

function platformImage(binary: BinaryInput, labels: Record<string, string>): PlatformImage {
  const parts = platformParts(binary, labels);
  const layer = blob(MEDIA_TYPES.layer, gzipLayer(parts.tar));
  const manifest = blob(MEDIA_TYPES.manifest, json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: parts.config.mediaType, digest: parts.config.digest, size: parts.config.data.length },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.data.length }],
  }));
  return { ...parts, manifest, layer };
}

/** The multi-platform entrypoint image of `input`. */
export function entrypointImage(input: EntrypointImageInput): EntrypointImage {
  if (input.binaries.length === 0) throw new Error('entrypoint image: no binaries');
  const platforms = new Set(input.binaries.map((b) => b.platform));
  if (platforms.size !== input.binaries.length) throw new Error('entrypoint image: a platform is given twice');
  const labels = imageLabels(input);
  const images = input.binaries.map((b) => platformImage(b, labels));
  const index = blob(MEDIA_TYPES.index, json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: images.map((p) => ({
      mediaType: p.manifest.mediaType,
      digest: p.manifest.digest,
      size: p.manifest.data.length,
      platform: { architecture: p.architecture, os: p.os },
    })),
  }));
  const files = layoutFiles({ mediaType: index.mediaType, digest: index.digest, size: index.data.length },
    input.version, [index, ...images.flatMap((p) => [p.manifest, p.config, p.layer])]);
  return { index, tag: input.version, platforms: images, files };
}

/**
 * The files of an OCI image layout holding one platform image of `image` (not the index), named
 * `refName` (`org.opencontainers.image.ref.name`): what `podman load` of its archive names the
 * image. The blobs are the index's own, so the loaded image is byte for byte that platform's.
 */
export function platformLayoutFiles(image: EntrypointImage, platform: string, refName: string): Map<string, Buffer> {
  const p = image.platforms.find((x) => x.platform === platform);
  if (!p) throw new Error(`the entrypoint image has no ${platform} (it has ${image.platforms.map((x) => x.platform).join(', ')})`);
  return layoutFiles({
    mediaType: p.manifest.mediaType,
    digest: p.manifest.digest,
    size: p.manifest.data.length,
    platform: { architecture: p.architecture, os: p.os },
  }, refName, [p.manifest, p.config, p.layer]);
}

/**
 * The files of an OCI image layout: `oci-layout`, an `index.json` naming `top` as `refName`, and
 * the blobs.
 */
function layoutFiles(top: Record<string, unknown>, refName: string, blobs: ReadonlyArray<{ digest: string; data: Buffer }>): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  files.set('index.json', json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': refName } }],
  }));
  for (const b of blobs) files.set(`blobs/sha256/${b.digest.slice('sha256:'.length)}`, b.data);
  return files;
}
