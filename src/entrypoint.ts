import * as kplus from 'cdk8s-plus-33';

// The published image is tagged with the library's own version.
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
  /** The project's published image, `ghcr.io/cdk8s-steps/entrypoint`, tagged with this library's version. */
  public static readonly DEFAULT: Entrypoint = Entrypoint.fromImage(`ghcr.io/cdk8s-steps/entrypoint:${VERSION}`);

  /** An entrypoint image of your own: a mirror, a pinned digest, or a local build. */
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
    if (!image) throw new Error('Entrypoint.fromImage: the image must not be empty');
    if (!binaryPath.startsWith('/')) {
      throw new Error(`Entrypoint.fromImage: binaryPath "${binaryPath}" must be an absolute path inside the image`);
    }
  }
}
