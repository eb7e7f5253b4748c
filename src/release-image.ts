/**
 * The reference of the project's published entrypoint image. The release (entrypoint-image/
 * release.sh record, run by `npx projen release` before the jsii build) writes
 * `release-image.json` at the package root: repository, version and the digest of the image index
 * it built and then pushes. A development checkout has no such file (version 0.0.0).
 */
import { parseImageReference } from './image-reference';

/** Where the project publishes the entrypoint image. */
export const PUBLISHED_REPOSITORY = 'ghcr.io/cdk8s-steps/entrypoint';

/** The content of release-image.json. */
export interface ReleaseRecord {
  readonly repository: string;
  readonly version: string;
  readonly digest: string;
}

/**
 * `<repository>:<version>@<digest>` from the release record; without one (a development build),
 * `ghcr.io/cdk8s-steps/entrypoint:<version>`, an image that is not published for 0.0.0.
 */
export function releaseImage(version: string, record?: ReleaseRecord): string {
  if (record === undefined) return `${PUBLISHED_REPOSITORY}:${version}`;
  if (record.version !== version) {
    throw new Error(`release-image.json records the entrypoint image of version ${record.version}, but this package is ${version}: `
      + 'run `entrypoint-image/release.sh build && entrypoint-image/release.sh record` again, or delete release-image.json for a development build');
  }
  if (record.digest === undefined) {
    throw new Error('release-image.json has no digest: write it with `entrypoint-image/release.sh record`, never by hand');
  }
  const reference = `${record.repository}:${record.version}@${record.digest}`;
  parseImageReference(reference);
  return reference;
}

/** release-image.json at the package root, if there is one. */
export function loadReleaseRecord(): ReleaseRecord | undefined {
  try {
    // From lib/ (the package) and from src/ (the tests) alike, the file is one level up.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../release-image.json');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}
