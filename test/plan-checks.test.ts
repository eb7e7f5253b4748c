import { Plan, StepPlan } from '../src/plan';
import { conditionProblems, resultReads } from '../src/plan-checks';

function step(name: string, extra: Partial<StepPlan> = {}): StepPlan {
  return { name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' }, results: [], resultEnv: [], isFinally: false, ...extra };
}

function plan(...steps: StepPlan[]): Plan {
  return { steps, failFast: false, workspace: true };
}

const build = step('build', { results: ['version', 'channel'] });
const unit = step('unit', { dependsOn: ['build'] });

describe('conditionProblems', () => {
  test('a valid plan has none: direct and transitive readers, finally steps', () => {
    expect(conditionProblems(plan(
      build, unit,
      step('publish', { dependsOn: ['unit'], resultEnv: [{ env: 'VERSION', result: { step: 'build', name: 'version' } }] }),
      step('deploy', { dependsOn: ['build'], runIf: { kind: 'resultIn', result: { step: 'build', name: 'channel' }, values: ['x'] } }),
      step('teardown', {
        dependsOn: ['build', 'unit'],
        runIf: { kind: 'always' },
        isFinally: true,
        resultEnv: [{ env: 'V', result: { step: 'build', name: 'version' } }],
      }),
    ))).toEqual([]);
  });

  test('a reader that does not depend on the producer', () => {
    expect(conditionProblems(plan(build, unit,
      step('lint', { resultEnv: [{ env: 'VERSION', result: { step: 'build', name: 'version' } }] }),
    ))).toEqual([
      'Step "lint" reads result build.version (resultEnv VERSION), but does not depend on "build", directly or transitively, '
      + 'so the value may not exist yet: add "build" (or a step that depends on it) to its dependsOn',
    ]);
    // a dependent of the reader does not count
    const errors = conditionProblems(plan(build,
      step('gate', { runIf: { kind: 'resultNotIn', result: { step: 'build', name: 'channel' }, values: ['x'] } }),
      step('after', { dependsOn: ['gate', 'build'] }),
    ));
    expect(errors).toEqual([expect.stringMatching(/^Step "gate" reads result build.channel \(runIf resultNotIn\), but does not depend on "build"/)]);
  });

  test('an undeclared result, an unknown producer, its own result', () => {
    expect(conditionProblems(plan(build, step('u', { dependsOn: ['build'], resultEnv: [{ env: 'X', result: { step: 'build', name: 'digest' } }] }))))
      .toEqual(['Step "u" reads result build.digest (resultEnv X), but "build" does not declare it (results: version, channel): add "digest" to its results']);
    expect(conditionProblems(plan(step('u', { resultEnv: [{ env: 'X', result: { step: 'gone', name: 'v' } }] }))))
      .toEqual([expect.stringMatching(/"gone" is not a step of this pod/)]);
    expect(conditionProblems(plan(step('self', { results: ['v'], resultEnv: [{ env: 'X', result: { step: 'self', name: 'v' } }] }))))
      .toEqual([expect.stringMatching(/^Step "self" reads result self.v .*cannot read its own result/)]);
  });

  test('invalid and repeated result names', () => {
    expect(conditionProblems(plan(step('b', { results: ['Version', 'ok', 'ok'] })))).toEqual([
      expect.stringMatching(/^Step "b" declares result "Version", an invalid name: .*lower-case/),
      'Step "b" declares result "ok" twice: declare it once',
    ]);
  });

  test('resultEnv names: invalid, reserved, clashing with the step\'s own env', () => {
    const reader = step('u', {
      dependsOn: ['build'],
      resultEnv: [
        { env: '1X', result: { step: 'build', name: 'version' } },
        { env: 'CDK8S_STEPS_RESULTS', result: { step: 'build', name: 'version' } },
        { env: 'HOME', result: { step: 'build', name: 'version' } },
      ],
    });
    expect(conditionProblems(plan(build, reader), new Map([['u', ['HOME', 'OTHER']]]))).toEqual([
      expect.stringMatching(/^Step "u": resultEnv name "1X" cannot be used: .*not start with a digit/),
      expect.stringMatching(/^Step "u": resultEnv name "CDK8S_STEPS_RESULTS" cannot be used: .*set by the step wrapper/),
      'Step "u" sets HOME in its env and in resultEnv: rename one of them',
    ]);
  });

  test('finally steps: none other, a condition other than always, a step that waits for one', () => {
    expect(conditionProblems(plan(step('teardown', { runIf: { kind: 'always' }, isFinally: true }))))
      .toEqual([expect.stringMatching(/^Finally step "teardown" would run after every other step, but there is none/)]);
    expect(conditionProblems(plan(build, step('t', { dependsOn: ['build'], runIf: { kind: 'anyFailed' }, isFinally: true }))))
      .toEqual([expect.stringMatching(/^Finally step "t" has runIf anyFailed: a finally step runs whatever happened/)]);
    expect(conditionProblems(plan(build, step('t', { dependsOn: ['build'], runIf: { kind: 'always' }, isFinally: true }), step('late', { dependsOn: ['t'] }))))
      .toEqual([expect.stringMatching(/^Step "late" depends on finally step "t", which runs after every other step/)]);
  });
});

test('resultReads lists resultEnv entries and the condition', () => {
  const s = step('s', {
    resultEnv: [{ env: 'A', result: { step: 'p', name: 'a' } }],
    runIf: { kind: 'resultIn', result: { step: 'q', name: 'b' }, values: ['1'] },
  });
  expect(resultReads(s)).toEqual([
    { by: 'resultEnv A', result: { step: 'p', name: 'a' } },
    { by: 'runIf resultIn', result: { step: 'q', name: 'b' } },
  ]);
});
