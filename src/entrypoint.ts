import * as kplus from 'cdk8s-plus-33';
import { parseImageReference } from './image-reference';
import { loadReleaseRecord, releaseImage } from './release-image';

// The published image is tagged with the library's own version and pinned by the release's digest.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

/**
 * Options for `Entrypoint.fromImage`.
 */
export interface EntrypointOptions {
  /**
   * Path of the entrypoint binary inside the image.
   * @default '/entrypoint'
   */
  readonly binaryPath?: string;

  /**
   * Pull policy of the injected copy container.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
}

/**
 * The image that provides the step wrapper binary. An initContainer copies the binary out of it
 * into every pod, so step images need nothing of it.
 */
export class Entrypoint {
  /**
   * The project's published image of this library's version, pinned by digest.
   *
   * `ghcr.io/cdk8s-steps/entrypoint:<version>@sha256:<digest>`, where `<digest>` is the digest
   * of the multi-arch (linux/amd64, linux/arm64) image index that the release built and pushed
   * together with this package: every pod runs the bytes this version was released with, even
   * if the tag were moved. See docs/release.md.
   *
   * A development build of the library (version 0.0.0, e.g. a git checkout) names
   * `ghcr.io/cdk8s-steps/entrypoint:0.0.0`: no image is published under that tag. Synthesis works
   * and warns once per App on stderr (`CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING=1` silences it),
   * but pods cannot pull it: push the image of the binaries the package carries with
   * `npx cdk8s-steps image push REGISTRY/REPO` and use the reference it prints,
   * `Entrypoint.fromImage('REGISTRY/REPO:0.0.0@sha256:...')`, or use a released version.
   */
  public static readonly DEFAULT: Entrypoint = Entrypoint.fromImage(releaseImage(VERSION, loadReleaseRecord()));

  /**
   * An entrypoint image of your own: a mirror, a pinned digest, or a local build.
   *
   * `image` is a reference `[registry/]path[:tag][@sha256:<64 hex digits>]`, e.g.
   * `registry.example.com/mirror/entrypoint:1.2.3@sha256:...`. A malformed reference
   * (uppercase in the repository path, a digest of the wrong length or not lowercase hex,
   * whitespace, empty) throws an error that says how to fix it; its `name`, and the start of its
   * message, is `InvalidImageReferenceError` (match on that: jsii cannot export a subclass of
   * `Error` to the other languages).
   */
  public static fromImage(image: string, options: EntrypointOptions = {}): Entrypoint {
    return new Entrypoint(
      image,
      options.binaryPath ?? '/entrypoint',
      options.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT,
    );
  }

  private constructor(
    /** The image reference. */
    public readonly image: string,
    /** Path of the binary inside the image. */
    public readonly binaryPath: string,
    /** Pull policy of the copy container. */
    public readonly imagePullPolicy: kplus.ImagePullPolicy,
  ) {
    parseImageReference(image, 'Entrypoint.fromImage');
    if (!binaryPath.startsWith('/')) {
      throw new Error(`Entrypoint.fromImage: binaryPath "${binaryPath}" must be an absolute path inside the image`);
    }
  }
}
