/**
 * Image references of the entrypoint: `Entrypoint.fromImage` accepts tags and digests and rejects
 * malformed references with an InvalidImageReferenceError; `Entrypoint.DEFAULT` is pinned by the
 * release record and is the unpublished :0.0.0 tag in a development build.
 */
import { Entrypoint } from '../src';
import { synthPod } from './synth';
import { InvalidImageReferenceError, parseImageReference } from '../src/image-reference';
import { loadReleaseRecord, PUBLISHED_REPOSITORY, releaseImage } from '../src/release-image';

const SHA = 'sha256:' + '0123456789abcdef'.repeat(4);

/** The error thrown by fn, which must be an InvalidImageReferenceError. */
function rejection(fn: () => unknown): InvalidImageReferenceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidImageReferenceError);
    expect((e as Error).name).toBe('InvalidImageReferenceError');
    return e as InvalidImageReferenceError;
  }
  throw new Error('expected an InvalidImageReferenceError, nothing was thrown');
}

describe('Entrypoint.fromImage accepts', () => {
  test.each([
    ['ghcr.io/cdk8s-steps/entrypoint:1.2.3', { domain: 'ghcr.io', path: 'cdk8s-steps/entrypoint', tag: '1.2.3', digest: undefined }],
    [`ghcr.io/cdk8s-steps/entrypoint:1.2.3@${SHA}`, { domain: 'ghcr.io', path: 'cdk8s-steps/entrypoint', tag: '1.2.3', digest: SHA }],
    [`ghcr.io/cdk8s-steps/entrypoint@${SHA}`, { domain: 'ghcr.io', path: 'cdk8s-steps/entrypoint', tag: undefined, digest: SHA }],
    ['localhost:5000/a/b__c.d-e---f:Dev_Tag-1.0', { domain: 'localhost:5000', path: 'a/b__c.d-e---f', tag: 'Dev_Tag-1.0', digest: undefined }],
    ['localhost/cdk8s-steps-entrypoint:dev', { domain: 'localhost', path: 'cdk8s-steps-entrypoint', tag: 'dev', digest: undefined }],
    ['busybox', { domain: undefined, path: 'busybox', tag: undefined, digest: undefined }],
    ['Registry.Example.COM:443/team/ep:V1', { domain: 'Registry.Example.COM:443', path: 'team/ep', tag: 'V1', digest: undefined }],
    ['[::1]:5000/ep:1', { domain: '[::1]:5000', path: 'ep', tag: '1', digest: undefined }],
    [`ep@sha512:${'ab'.repeat(64)}`, { domain: undefined, path: 'ep', tag: undefined, digest: `sha512:${'ab'.repeat(64)}` }],
  ])('%s', (image, parsed) => {
    expect(parseImageReference(image)).toEqual(parsed);
    expect(Entrypoint.fromImage(image).image).toBe(image);
  });
});

describe('Entrypoint.fromImage rejects, saying how to fix it', () => {
  test.each([
    ['uppercase in the repository path', 'ghcr.io/Cdk8s-Steps/entrypoint:1.2.3', /repository path "Cdk8s-Steps\/entrypoint" has uppercase letters.*use "cdk8s-steps\/entrypoint"/],
    ['uppercase in a path without registry', 'MyOrg/ep:1', /repository path "MyOrg\/ep" has uppercase.*only tags may have uppercase/],
    ['a digest too short', `ghcr.io/a/ep:1@${SHA.slice(0, -1)}`, /sha256 digest has 63 hex digits, not 64\. Copy the whole digest/],
    ['a digest too long', `ghcr.io/a/ep:1@${SHA}0`, /sha256 digest has 65 hex digits, not 64/],
    ['uppercase hex in the digest', `ghcr.io/a/ep@${SHA.toUpperCase().replace('SHA256', 'sha256')}`, /"A" at hex position 10.*Write the hex digits in lowercase/],
    ['a non-hex digest', `ghcr.io/a/ep@sha256:${'g'.repeat(64)}`, /"g" at hex position 0, not a lowercase hex digit/],
    ['a digest without algorithm', `ghcr.io/a/ep@${'a'.repeat(64)}`, /is not <algorithm>:<hex>.*sha256:<64 lowercase hex digits>/],
    ['an unsupported algorithm', `ghcr.io/a/ep@md5:${'a'.repeat(32)}`, /digest algorithm "md5" is not supported.*Use a sha256 digest/],
    ['a space', 'ghcr.io/a/ep :1', /whitespace at position 12.*Remove the spaces/],
    ['a trailing newline', 'ghcr.io/a/ep:1\n', /whitespace at position 14/],
    ['an empty string', '', /it is empty.*ghcr\.io\/owner\/image:1\.2\.3/],
    ['only spaces', '   ', /it is empty/],
    ['a bad tag', 'ghcr.io/a/ep:-dev', /tag "-dev" is not valid.*does not start with "\." or "-"/],
    ['an empty tag', 'ghcr.io/a/ep:', /tag "" is not valid/],
    ['two @', `ghcr.io/a/ep@${SHA}@${SHA}`, /more than one "@"/],
    ['a doubled slash', 'ghcr.io/a//ep:1', /has an empty component.*Remove the doubled/],
    ['a bad separator', 'ghcr.io/a/ep.-x:1', /component "ep\.-x" is not valid/],
    ['a bad registry', 'bad_host.io/ep:1', /registry "bad_host\.io" is not a valid host name/],
    ['a missing name', ':1', /the repository name is missing/],
    ['a name over 255 characters', `ghcr.io/${'a'.repeat(250)}:1`, /the name is 258 characters long\. Use at most 255/],
  ])('%s', (_what, image, message) => {
    const e = rejection(() => Entrypoint.fromImage(image));
    expect(e.message).toMatch(/^InvalidImageReferenceError: Entrypoint\.fromImage: invalid image reference /);
    expect(e.message).toMatch(message);
    expect(e.reference).toBe(image);
  });
});

describe('Entrypoint.DEFAULT', () => {
  test('follows the package: the unpublished :0.0.0 tag in a development build, the recorded digest in a release', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version: string = require('../package.json').version;
    const record = loadReleaseRecord();
    if (version === '0.0.0' && record === undefined) {
      expect(Entrypoint.DEFAULT.image).toBe('ghcr.io/cdk8s-steps/entrypoint:0.0.0');
    } else {
      // `npx projen release` runs the tests after the bump and release.sh record.
      expect(record).toBeDefined();
      expect(Entrypoint.DEFAULT.image).toBe(`ghcr.io/cdk8s-steps/entrypoint:${version}@${record!.digest}`);
    }
    expect(releaseImage('0.0.0')).toBe('ghcr.io/cdk8s-steps/entrypoint:0.0.0');
    const pod = synthPod((p) => p.addStep('one', { image: 'alpine:3.20', command: ['true'] }));
    expect(pod.spec.initContainers.map((c: any) => c.image)).toContain(Entrypoint.DEFAULT.image);
  });

  test('the package reads release-image.json next to package.json (as published)', () => {
    jest.isolateModules(() => {
      jest.doMock('../package.json', () => ({ version: '1.4.0' }));
      jest.doMock('../release-image.json', () => ({ repository: PUBLISHED_REPOSITORY, version: '1.4.0', digest: SHA }), { virtual: true });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const released: typeof import('../src') = require('../src');
      expect(released.Entrypoint.DEFAULT.image).toBe(`ghcr.io/cdk8s-steps/entrypoint:1.4.0@${SHA}`);
    });
  });

  test('a release names the recorded index digest', () => {
    const record = { repository: PUBLISHED_REPOSITORY, version: '1.4.0', digest: SHA };
    const image = releaseImage('1.4.0', record);
    expect(image).toBe(`ghcr.io/cdk8s-steps/entrypoint:1.4.0@${SHA}`);
    expect(parseImageReference(image)).toEqual({ domain: 'ghcr.io', path: 'cdk8s-steps/entrypoint', tag: '1.4.0', digest: SHA });
    const pod = synthPod((p) => p.addStep('one', { image: 'alpine:3.20', command: ['true'] }), { entrypoint: Entrypoint.fromImage(image) });
    expect(pod.spec.initContainers.map((c: any) => c.image)).toContain(image);
  });

  test('a record of another version is refused, saying what to run', () => {
    const record = { repository: PUBLISHED_REPOSITORY, version: '1.3.0', digest: SHA };
    expect(() => releaseImage('1.4.0', record)).toThrow(/records the entrypoint image of version 1\.3\.0, but this package is 1\.4\.0: run `entrypoint-image\/release\.sh build && entrypoint-image\/release\.sh record`/);
  });

  test('a record with a malformed digest is refused', () => {
    const record = { repository: PUBLISHED_REPOSITORY, version: '1.4.0', digest: 'sha256:abc' };
    expect(() => releaseImage('1.4.0', record)).toThrow(InvalidImageReferenceError);
  });
});
