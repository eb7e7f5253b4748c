/**
 * A pod whose entrypoint is `Entrypoint.DEFAULT` of a version that was never released gets one
 * warning per cdk8s App at synthesis, on stderr, saying how to make and use an image; an image of
 * one's own, a StepWorkflow and a released (digest-pinned) version warn nothing.
 */
import { QUIET_ENV } from '../src/entrypoint-warning';

const RELEASED_DIGEST = `sha256:${'ab'.repeat(32)}`;

let writes: string[];
let spy: jest.SpyInstance;
beforeEach(() => {
  delete process.env[QUIET_ENV];
  writes = [];
  spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
    writes.push(String(chunk));
    return true;
  });
});
afterEach(() => spy.mockRestore());

/** The library as a package of `version` with (or without) a release record, loaded afresh. */
function library(version: string, record?: object): { cdk8s: typeof import('cdk8s'); steps: typeof import('../src') } {
  let loaded: any;
  jest.isolateModules(() => {
    jest.doMock('../package.json', () => ({ ...jest.requireActual('../package.json'), version }));
    if (record) jest.doMock('../release-image.json', () => record, { virtual: true });
    else jest.doMock('../release-image.json', () => { throw Object.assign(new Error('not found'), { code: 'MODULE_NOT_FOUND' }); }, { virtual: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = { cdk8s: require('cdk8s'), steps: require('../src') };
  });
  jest.dontMock('../package.json');
  jest.dontMock('../release-image.json');
  return loaded;
}

/** An App with a StepPod and a StepJob, each with one step, synthesised twice. */
function synthTwoPods(lib: ReturnType<typeof library>, entrypoint?: unknown): void {
  const app = new lib.cdk8s.App({ outdir: '/nonexistent' });
  const chart = new lib.cdk8s.Chart(app, 'chart');
  const props = entrypoint ? { entrypoint: entrypoint as any } : {};
  new lib.steps.StepPod(chart, 'build', props).addStep('a', { image: 'busybox:1.36', command: ['true'] });
  new lib.steps.StepJob(chart, 'deploy', props).addStep('a', { image: 'busybox:1.36', command: ['true'] });
  app.synthYaml();
  app.synthYaml();
}

const warnings = () => writes.filter((w) => w.includes('cdk8s-steps: warning:'));

describe('a development build (0.0.0)', () => {
  const lib = library('0.0.0');

  test('warns once per App with two pods, naming both and how to make and use an image', () => {
    synthTwoPods(lib);
    expect(warnings()).toHaveLength(1);
    const [w] = warnings();
    expect(w).toContain('2 pods use (chart/build, chart/deploy) Entrypoint.DEFAULT, ghcr.io/cdk8s-steps/entrypoint:0.0.0, an image that is not published');
    expect(w).toContain('npx cdk8s-steps image push REGISTRY/REPO');
    expect(w).toContain("Entrypoint.fromImage('REGISTRY/REPO:0.0.0@sha256:...')");
    // Another App warns for itself.
    synthTwoPods(lib);
    expect(warnings()).toHaveLength(2);
  });

  test('an image of one\'s own warns nothing', () => {
    synthTwoPods(lib, lib.steps.Entrypoint.fromImage('registry.example.com/you/entrypoint:0.0.0'));
    expect(warnings()).toEqual([]);
  });

  test('a StepWorkflow (no entrypoint image) warns nothing', () => {
    const app = new lib.cdk8s.App({ outdir: '/nonexistent' });
    const chart = new lib.cdk8s.Chart(app, 'chart');
    new lib.steps.StepWorkflow(chart, 'wf').addStep('a', { image: 'busybox:1.36', command: ['true'] });
    app.synthYaml();
    expect(warnings()).toEqual([]);
  });

  test(`${QUIET_ENV}=1 silences it`, () => {
    process.env[QUIET_ENV] = '1';
    synthTwoPods(lib);
    expect(warnings()).toEqual([]);
  });
});

test('a version without a release record (a tag without a digest) warns', () => {
  const lib = library('1.2.3');
  expect(lib.steps.Entrypoint.DEFAULT.image).toBe('ghcr.io/cdk8s-steps/entrypoint:1.2.3');
  synthTwoPods(lib);
  expect(warnings()).toHaveLength(1);
  expect(warnings()[0]).toContain('ghcr.io/cdk8s-steps/entrypoint:1.2.3, an image that is not published: this cdk8s-steps (1.2.3)');
});

test('a released version, pinned by digest, warns nothing', () => {
  const lib = library('1.2.3', { repository: 'ghcr.io/cdk8s-steps/entrypoint', version: '1.2.3', digest: RELEASED_DIGEST });
  expect(lib.steps.Entrypoint.DEFAULT.image).toBe(`ghcr.io/cdk8s-steps/entrypoint:1.2.3@${RELEASED_DIGEST}`);
  synthTwoPods(lib);
  expect(warnings()).toEqual([]);
});
