import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { StepPod } from '../src';
import { RunIf, runIfProblems } from '../src/run-if';
import { envNameProblem, resultNameProblem } from '../src/step-result';

function build() {
  const pod = new StepPod(Testing.chart(), 'pod');
  return pod.addStep('build', { image: 'busybox', command: ['true'], results: ['channel', 'version'] });
}

describe('RunIf', () => {
  test('the kinds without a result', () => {
    expect(RunIf.allSucceeded()._toPlan()).toEqual({ kind: 'allSucceeded' });
    expect(RunIf.always()._toPlan()).toEqual({ kind: 'always' });
    expect(RunIf.anyFailed()._toPlan()).toEqual({ kind: 'anyFailed' });
    expect(RunIf.always().result).toBeUndefined();
  });

  test('resultIn / resultNotIn name the producer and keep the values verbatim, as a copy', () => {
    const channel = build().result('channel');
    const values = ['stable', 'a,b', ' spaced '];
    const yes = RunIf.resultIn(channel, values);
    const no = RunIf.resultNotIn(channel, ['x']);
    values.push('later');
    expect(yes._toPlan()).toEqual({ kind: 'resultIn', result: { step: 'build', name: 'channel' }, values: ['stable', 'a,b', ' spaced '] });
    expect(no._toPlan()).toEqual({ kind: 'resultNotIn', result: { step: 'build', name: 'channel' }, values: ['x'] });
    expect(yes.result).toBe(channel);
    expect(yes.toString()).toBe('resultIn(build.channel, ["stable","a,b"," spaced "])');
  });

  test('problems: no values, NUL, longer than a result can be', () => {
    const channel = build().result('channel');
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['stable']))).toEqual([]);
    expect(runIfProblems('deploy', RunIf.always())).toEqual([]);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, []))).toEqual([
      'Step "deploy": runIf resultIn(build.channel) has no values: give at least one value to compare the result with',
    ]);
    expect(runIfProblems('deploy', RunIf.resultNotIn(channel, ['a\0b']))[0]).toMatch(/Step "deploy".*NUL/);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['é'.repeat(2049)]))[0])
      .toMatch(/Step "deploy".*4098 bytes long.*at most 4096/);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['é'.repeat(2048)]))).toEqual([]);
  });
});

describe('StepResult', () => {
  test('path is under the producer state directory', () => {
    const step = build();
    const r = step.result('version');
    expect(r.step).toBe(step);
    expect(r.name).toBe('version');
    expect(r.path).toBe('/cdk8s-steps/steps/build/results/version');
    expect(r.toString()).toBe('build.version');
  });
});

describe('result names', () => {
  const RULE = /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/;

  test.each(['v', 'version', 'image-digest', 'a_b', '0', 'x'.repeat(63)])('%s is valid', name => {
    expect(resultNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['', /empty/],
    ['x'.repeat(64), /64 characters long \(at most 63\)/],
    ['Version', /lower-case/],
    ['-a', /start and end/],
    ['a_', /start and end/],
    ['a.b', /lower-case/],
    ['a,b', /lower-case/],
    ['a/b', /lower-case/],
  ])('%j is refused', (name, why) => {
    expect(resultNameProblem(name)).toMatch(why);
  });

  test('agree with the documented rule on any string', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', '_', '.', 'A', ','), maxLength: 70 }), name => {
      expect(resultNameProblem(name) === undefined).toBe(RULE.test(name) && name.length <= 63);
    }));
  });
});

describe('environment variable names', () => {
  test.each(['VERSION', '_x', 'a1', 'Image_Digest'])('%s is valid', name => {
    expect(envNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['', /letters, digits/],
    ['1X', /not start with a digit/],
    ['A=B', /letters, digits/],
    ['A-B', /letters, digits/],
    ['A B', /letters, digits/],
    ['CDK8S_STEPS_RESULTS', /set by the step wrapper/],
  ])('%j is refused', (name, why) => {
    expect(envNameProblem(name)).toMatch(why);
  });
});
