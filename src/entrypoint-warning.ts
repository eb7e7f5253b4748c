/**
 * The warning for a pod whose entrypoint image cannot be pulled: `Entrypoint.DEFAULT` of a version
 * that was never released (0.0.0, or a version without the digest a release records) names
 * `ghcr.io/cdk8s-steps/entrypoint:<version>`, which is not published. One warning per cdk8s App,
 * on stderr, at synthesis (a validation of the App), naming every StepPod/StepJob that uses it and
 * how to make and use an image. Released versions pin the image by digest and warn nothing.
 * Internal: not exported from the package.
 */
import { IConstruct } from 'constructs';
import { Entrypoint } from './entrypoint';
import { parseImageReference } from './image-reference';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

/** Set (to anything but an empty string) to silence the warning, e.g. in tests that synthesise many apps. */
export const QUIET_ENV = 'CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING';

/** Per App: the paths of the hosts that use the unpublished default. */
const users = new WeakMap<IConstruct, string[]>();

/** True when `entrypoint` is `Entrypoint.DEFAULT` and names no digest (no release pinned it). */
export function isUnpublishedDefault(entrypoint: Entrypoint): boolean {
  return entrypoint === Entrypoint.DEFAULT && parseImageReference(entrypoint.image).digest === undefined;
}

/** The warning for the hosts at `paths`. */
export function unpublishedDefaultWarning(paths: readonly string[], image = Entrypoint.DEFAULT.image, version = VERSION): string {
  const who = paths.length === 1 ? `${paths[0]} uses` : `${paths.length} pods use (${paths.join(', ')})`;
  return [
    `cdk8s-steps: warning: ${who} Entrypoint.DEFAULT, ${image}, an image that is not published: this cdk8s-steps (${version}) `
      + 'is not a release whose image is pinned by digest, so a cluster cannot pull it. Make an image from the package and use it:',
    '  npx cdk8s-steps image push REGISTRY/REPO        (prints the digest reference)',
    `  new StepPod(chart, 'id', { entrypoint: Entrypoint.fromImage('REGISTRY/REPO:${version}@sha256:...') })`,
    `(${QUIET_ENV}=1 silences this warning.)`,
    '',
  ].join('\n');
}

/**
 * Notes that `host` uses `entrypoint`; when it is the unpublished default, the host's App warns
 * once when it is synthesised (however often it is synthesised).
 */
export function noteEntrypoint(host: IConstruct, entrypoint: Entrypoint): void {
  if (!isUnpublishedDefault(entrypoint)) return;
  const app = host.node.root;
  let paths = users.get(app);
  if (paths === undefined) {
    const list: string[] = [];
    paths = list;
    users.set(app, list);
    let warned = false;
    app.node.addValidation({
      validate: () => {
        if (!warned && !process.env[QUIET_ENV]) {
          warned = true;
          process.stderr.write(unpublishedDefaultWarning(list));
        }
        return [];
      },
    });
  }
  paths.push(host.node.path);
}
