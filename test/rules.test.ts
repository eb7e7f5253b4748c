import { Plan, StepPlan, resultReads } from '../src/plan';
import { newContainerNameProblem, objectNameProblem, sidecarOptionsNameProblem } from '../src/rules/names';
import { planProblems } from '../src/rules/plan';
import { StepDraft, stepProblems, undeclaredResultProblem } from '../src/rules/step';
import { INIT_CONTAINER_NAME } from '../src/wire/layout';

function step(name: string, extra: Partial<StepPlan> = {}): StepPlan {
  return { name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' }, results: [], resultEnv: [], isFinally: false, ...extra };
}

function plan(...steps: StepPlan[]): Plan {
  return { steps, failFast: false, workspace: true };
}

const build = step('build', { results: ['version', 'channel'] });
const unit = step('unit', { dependsOn: ['build'] });

describe('planProblems', () => {
  test('a valid plan has none: direct and transitive readers, finally steps', () => {
    expect(planProblems(plan(
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
    expect(planProblems(plan(build, unit,
      step('lint', { resultEnv: [{ env: 'VERSION', result: { step: 'build', name: 'version' } }] }),
    ))).toEqual([
      'Step "lint" reads result build.version (resultEnv VERSION), but does not depend on "build", directly or transitively, '
      + 'so the value may not exist yet: add "build" (or a step that depends on it) to its dependsOn',
    ]);
    // a dependent of the reader does not count
    const errors = planProblems(plan(build,
      step('gate', { runIf: { kind: 'resultNotIn', result: { step: 'build', name: 'channel' }, values: ['x'] } }),
      step('after', { dependsOn: ['gate', 'build'] }),
    ));
    expect(errors).toEqual([expect.stringMatching(/^Step "gate" reads result build.channel \(runIf resultNotIn\), but does not depend on "build"/)]);
  });

  test('an undeclared result, an unknown producer, its own result', () => {
    expect(planProblems(plan(build, step('u', { dependsOn: ['build'], resultEnv: [{ env: 'X', result: { step: 'build', name: 'digest' } }] }))))
      .toEqual(['Step "u" reads result build.digest (resultEnv X), but "build" does not declare it (results: version, channel): add "digest" to its results']);
    expect(planProblems(plan(step('u', { resultEnv: [{ env: 'X', result: { step: 'gone', name: 'v' } }] }))))
      .toEqual([expect.stringMatching(/"gone" is not a step of this pod/)]);
    expect(planProblems(plan(step('self', { results: ['v'], resultEnv: [{ env: 'X', result: { step: 'self', name: 'v' } }] }))))
      .toEqual([expect.stringMatching(/^Step "self" reads result self.v .*cannot read its own result/)]);
  });

  test('resultEnv names: reserved, clashing with the env the step\'s container has now', () => {
    const reader = step('u', {
      dependsOn: ['build'],
      resultEnv: [
        { env: 'CDK8S_STEPS_RESULTS', result: { step: 'build', name: 'version' } },
        { env: 'HOME', result: { step: 'build', name: 'version' } },
      ],
    });
    expect(planProblems(plan(build, reader), new Map([['u', ['HOME', 'OTHER']]]))).toEqual([
      expect.stringMatching(/^Step "u": resultEnv name "CDK8S_STEPS_RESULTS" cannot be used: .*set by the step wrapper/),
      'Step "u": HOME is set both in env and in resultEnv: rename one of them',
    ]);
  });

  test('a container env that sets a name the wrapper reserves', () => {
    expect(planProblems(plan(build), new Map([['build', ['PATH', 'CDK8S_STEPS_RESULTS', 'CDK8S_STEPS_X']]]))).toEqual([
      'Step "build" sets CDK8S_STEPS_RESULTS in its env: names starting with CDK8S_STEPS_ are set by the step wrapper; rename it',
      'Step "build" sets CDK8S_STEPS_X in its env: names starting with CDK8S_STEPS_ are set by the step wrapper; rename it',
    ]);
  });

  test('finally steps: none other, a step that waits for one', () => {
    expect(planProblems(plan(step('teardown', { runIf: { kind: 'always' }, isFinally: true }))))
      .toEqual([expect.stringMatching(/^Finally step "teardown" would run after every other step, but there is none/)]);
    expect(planProblems(plan(build, step('t', { dependsOn: ['build'], runIf: { kind: 'always' }, isFinally: true }), step('late', { dependsOn: ['t'] }))))
      .toEqual([expect.stringMatching(/^Step "late" depends on finally step "t", which runs after every other step/)]);
  });
});

function draft(extra: Partial<StepDraft> = {}): StepDraft {
  return {
    name: 's',
    command: ['true'],
    placed: false,
    retries: 0,
    results: [],
    env: [],
    resultEnv: [],
    runIf: { kind: 'allSucceeded' },
    runIfForeign: false,
    isFinally: false,
    dependsOnGiven: false,
    ...extra,
  };
}

describe('stepProblems', () => {
  test('valid options have none', () => {
    expect(stepProblems(draft({ results: ['a', 'b'], env: ['HOME'], resultEnv: [{ env: 'V', reads: 'p.v', foreign: false }], timeoutMs: 1500 }))).toEqual([]);
  });

  test('invalid and repeated result names', () => {
    expect(stepProblems(draft({ name: 'b', results: ['Version', 'ok', 'ok'] }))).toEqual([
      expect.stringMatching(/^Step "b": result name "Version" is invalid: .*lower-case/),
      'Step "b": result "ok" is declared twice',
    ]);
  });

  test('envVariables that set a name the wrapper reserves, naming the step', () => {
    expect(stepProblems(draft({ name: 'b', env: ['HOME', 'CDK8S_STEPS_RESULTS'] }))).toEqual([
      'Step "b" sets CDK8S_STEPS_RESULTS in its env: names starting with CDK8S_STEPS_ are set by the step wrapper; rename it',
    ]);
  });

  test('resultEnv: invalid names, not a StepResult, a result of another host', () => {
    expect(stepProblems(draft({
      name: 'u',
      resultEnv: [{ env: '1X', reads: 'p.v', foreign: false }, { env: 'A', foreign: false }, { env: 'B', reads: 'p.v', foreign: true }],
    }))).toEqual([
      expect.stringMatching(/^Step "u": resultEnv name "1X" cannot be used: .*not start with a digit/),
      'Step "u": resultEnv A is not a StepResult: get one with step.result(name)',
      expect.stringMatching(/^Step "u": resultEnv B reads p.v, a result of a step of another pod/),
    ]);
  });

  test('a finally step: with dependsOn, with a condition other than always', () => {
    expect(stepProblems(draft({ name: 't', isFinally: true, dependsOnGiven: true, runIf: { kind: 'anyFailed' } }))).toEqual([
      expect.stringMatching(/^Finally step "t": leave dependsOn out/),
      expect.stringMatching(/^Step "t": a finally step runs whatever happened, so its runIf can only be RunIf.always\(\) \(got anyFailed\)/),
    ]);
  });

  test('placement only where each step is its own pod', () => {
    expect(stepProblems(draft({ placed: true }), 'StepPod')).toEqual([expect.stringMatching(/^Step "s": nodeSelector and tolerations place one step's pod, and in a StepPod/)]);
    expect(stepProblems(draft({ placed: true }))).toEqual([]);
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

describe('names (issue 21, item 2: the constructs call these; issue 18, item 10)', () => {
  const subdomain = (max: number) => `must be a DNS-1123 subdomain of at most ${max} characters: lowercase letters, digits, '-' and '.', `
    + 'starting and ending with a letter or digit';

  test('objectNameProblem: a DNS-1123 subdomain; 253 for a Pod, 63 for a Job and for an Argo Workflow or WorkflowTemplate', () => {
    for (const kind of ['Pod', 'Job', 'Workflow'] as const) {
      expect(objectNameProblem('build.v1', kind)).toBeUndefined();
      expect(objectNameProblem('a'.repeat(63), kind)).toBeUndefined();
      expect(objectNameProblem('My_pod', kind)).toMatch(/^must be a DNS-1123 subdomain/);
    }
    expect(objectNameProblem('a'.repeat(253), 'Pod')).toBeUndefined();
    expect(objectNameProblem('a'.repeat(254), 'Pod')).toBe(subdomain(253));
    expect(objectNameProblem('a'.repeat(64), 'Job')).toBe(`${subdomain(63)} (a Job's name is also the job-name label of its pods)`);
    expect(objectNameProblem('a'.repeat(64), 'Workflow')).toBe(`${subdomain(63)} (Argo rejects Workflow and WorkflowTemplate names over 63 characters)`);
  });

  test('newContainerNameProblem: a DNS-1123 label, not the copy container\'s, not taken', () => {
    const taken = new Set(['build', 'db']);
    expect(newContainerNameProblem('test', 'Step', taken)).toBeUndefined();
    expect(newContainerNameProblem('Build', 'Step', taken)).toBe('Step name "Build" is not a valid container name (a DNS-1123 label): '
      + 'it must consist of lower-case letters, digits and "-", and start and end with a letter or digit');
    expect(newContainerNameProblem('', 'Sidecar', taken)).toBe('Sidecar name "" is not a valid container name (a DNS-1123 label): it is empty');
    expect(newContainerNameProblem('a'.repeat(64), 'Step', taken)).toMatch(/: it is 64 characters long \(at most 63\)$/);
    expect(newContainerNameProblem(INIT_CONTAINER_NAME, 'Sidecar', taken))
      .toBe(`Sidecar name "${INIT_CONTAINER_NAME}" is reserved for the injected copy container: choose another`);
    expect(newContainerNameProblem('db', 'Step', taken)).toBe('Cannot add step "db": a step or sidecar with that name already exists');
    expect(newContainerNameProblem('build', 'Sidecar', taken)).toBe('Cannot add sidecar "build": a step or sidecar with that name already exists');
  });

  test('sidecarOptionsNameProblem: options.name left out or the same', () => {
    expect(sidecarOptionsNameProblem('db', undefined)).toBeUndefined();
    expect(sidecarOptionsNameProblem('db', 'db')).toBeUndefined();
    expect(sidecarOptionsNameProblem('db', 'postgres')).toBe('Sidecar "db": options.name is "postgres"; leave it out, the sidecar name is the container name');
  });

  test('undeclaredResultProblem: Step.result() of a name the step does not declare', () => {
    expect(undeclaredResultProblem('build', 'version', ['version'])).toBeUndefined();
    expect(undeclaredResultProblem('build', 'digest', ['version', 'channel']))
      .toBe('Step "build" has no result "digest" (it declares "version", "channel"): add "digest" to its results');
    expect(undeclaredResultProblem('build', 'digest', [])).toBe('Step "build" has no result "digest" (it declares none): add "digest" to its results');
  });
});
