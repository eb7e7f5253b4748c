import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { RunIf, StepPod } from '../src';
import { Plan, RUN_IF_KINDS, RunIfKind, RunIfPlan } from '../src/plan';
import { envNameProblem, resultNameProblem } from '../src/rules/names';
import { runIfProblems } from '../src/rules/step';
import { readWrapperArgs, wrapperArgs } from '../src/wire/args';
import { WRAPPER_PATH } from '../src/wire/layout';
import { RUN_IF_CONDITIONS, runIfCondition } from '../src/wire/run-if';

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
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['stable'])._toPlan())).toEqual([]);
    expect(runIfProblems('deploy', RunIf.always()._toPlan())).toEqual([]);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, [])._toPlan())).toEqual([
      'Step "deploy": runIf resultIn(build.channel) has no values: give at least one value to compare the result with',
    ]);
    expect(runIfProblems('deploy', RunIf.resultNotIn(channel, ['a\0b'])._toPlan())[0]).toMatch(/Step "deploy".*NUL/);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['é'.repeat(2049)])._toPlan())[0])
      .toMatch(/Step "deploy".*4098 bytes long.*at most 4096/);
    expect(runIfProblems('deploy', RunIf.resultIn(channel, ['é'.repeat(2048)])._toPlan())).toEqual([]);
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

describe('the run conditions: the library, its wire and src/wire/run-if-conditions.json (read by the Go tests) list the same', () => {
  const listed = RUN_IF_CONDITIONS.map(c => c.kind).sort();

  test('every kind of the plan is listed, with whether it reads a result', () => {
    expect(Object.keys(RUN_IF_KINDS).sort()).toEqual(listed);
    for (const c of RUN_IF_CONDITIONS) expect(RUN_IF_KINDS[c.kind as RunIfKind]).toEqual({ readsResult: c.readsResult });
  });

  test('every RunIf factory makes a listed kind, and every listed kind has a factory', () => {
    const channel = build().result('channel');
    const factories = Object.getOwnPropertyNames(RunIf).filter(n => typeof (RunIf as unknown as Record<string, unknown>)[n] === 'function');
    const kinds = factories.map(n => ((RunIf as unknown as Record<string, (r: unknown, v: string[]) => RunIf>)[n])(channel, ['x'])._toPlan().kind);
    expect([...new Set(kinds)].sort()).toEqual(listed);
    expect(kinds).toHaveLength(factories.length);
  });

  test('one default condition, written without -run_if; every other kind as its flag', () => {
    expect(RUN_IF_CONDITIONS.filter(c => c.default).map(c => c.kind)).toEqual([RunIf.allSucceeded()._toPlan().kind]);
    const plan = (runIf: RunIfPlan): Plan => ({
      steps: [{ name: 'p', dependsOn: [], retries: 0, continueOnError: false, runIf, results: ['v'], resultEnv: [], isFinally: false }],
      failFast: false,
      workspace: false,
    });
    for (const c of RUN_IF_CONDITIONS) {
      const runIf = (c.readsResult ? { kind: c.kind, result: { step: 'q', name: 'v' }, values: ['x'] } : { kind: c.kind }) as RunIfPlan;
      const p = plan(runIf);
      const flags = readWrapperArgs([WRAPPER_PATH], wrapperArgs(p.steps[0], p, 100, ['true'], []))!.flags;
      expect(flags.get('run_if')).toEqual(c.default ? undefined : [c.flag]);
      expect(flags.get('result')).toEqual(c.readsResult ? ['q.v'] : undefined);
    }
  });

  test('a kind the list lacks is an error that says where to add it', () => {
    expect(() => runIfCondition('sometimes' as RunIfKind)).toThrow(/run condition sometimes is missing from src\/wire\/run-if-conditions.json/);
  });
});
