/**
 * Above 200 tasks (issue 19 items 2 and 5): the Workflow with nested DAGs and shared templates
 * gives every step the same outcome, and the same container, as the flat mapping of the same
 * steps (one DAG, no nesting: the mapping before issue 19), as Argo's controller would run them
 * (test/argo-model.ts, written from its source). Small random graphs with a low task limit
 * exercise the nesting everywhere; the 1 000-step shapes run at Argo's own limit of 200.
 */
import * as fc from 'fast-check';
import { checkReferences, runWorkflow, Run } from './argo-model';
import { expectValidArgo, schemaErrors } from './argo-schema';
import { random } from './generate';
import { StepLimit } from '../src';
import { MAX_DAG_TASKS, workflowLimitProblems } from '../src/argo/limits';
import { ArgoStep, WorkflowOptions, buildWorkflow } from '../src/argo/workflow';
import { Plan, StepPlan } from '../src/plan';

function step(name: string, o: Partial<StepPlan> = {}): StepPlan {
  return { name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' }, results: [], resultEnv: [], isFinally: false, ...o };
}

/** One shape for all (only the echoed name differs), so every step runs from a shared template. */
function containers(steps: StepPlan[]): Map<string, ArgoStep> {
  return new Map(steps.map(s => [s.name, { container: { name: s.name, image: 'busybox:1.36', command: ['sh', '-c', `echo ${s.name}`] } }]));
}

function build(steps: StepPlan[], maxDagTasks: number, extra: Partial<WorkflowOptions> = {}): any {
  const plan: Plan = { steps, failFast: false, workspace: false };
  return buildWorkflow(plan, containers(steps), { kind: 'Workflow', metadata: { generateName: 'n-' }, maxDagTasks, ...extra });
}

const dagSizes = (w: any) => w.spec.templates.filter((t: any) => t.dag).map((t: any) => t.dag.tasks.length);

/**
 * Both Workflows give every step the same phase and container, and the Workflow the same phase,
 * with two exceptions docs/argo.md states. With both a Failed and an Errored step, Argo's Workflow
 * phase is that of the last failed leaf in name order (assessDAGPhase), and the leaves of a nested
 * DAG have other names: then only "Succeeded or not" is the same. A failed `onError: CONTINUE`
 * step inside a nested DAG is a leaf there behind its join, so a leaf outside that is Omitted does
 * not inherit its failure as in the flat mapping: the nested Workflow can be Succeeded where the
 * flat one is Failed. Returns whether the Workflow phases differ.
 */
function expectSameOutcomes(flat: any, nested: any, run: Run, continueSteps: ReadonlySet<string> = new Set()): boolean {
  const a = runWorkflow(flat, run);
  const b = runWorkflow(nested, run);
  expect(b.steps).toEqual(a.steps);
  expect(b.containers).toEqual(a.containers);
  const ok = (p: string) => p === 'Succeeded';
  if (ok(a.workflow) !== ok(b.workflow)) {
    // the one way "Succeeded or not" can differ: a CONTINUE step failed, and the nested Workflow Succeeded
    const failed = [...run.failing.keys()].filter(s => a.steps.get(s) === run.failing.get(s));
    expect([failed.some(s => continueSteps.has(s)), b.workflow]).toEqual([true, 'Succeeded']);
  } else if (![...run.failing.values()].includes('Error')) {
    expect(b.workflow).toBe(a.workflow);
  }
  return ok(a.workflow) !== ok(b.workflow);
}

const KINDS = ['allSucceeded', 'allSucceeded', 'allSucceeded', 'allSucceeded', 'always', 'anyFailed', 'resultIn', 'resultNotIn'] as const;

/**
 * Random plans that contain what the nesting looks for (twins, chains, layers) and what it must
 * leave alone (other conditions, results read across, CONTINUE steps): each step is a twin of the
 * previous one, its successor in a chain, a layer after the previous group, or random.
 */
const stepSpec = fc.tuple(fc.nat(3), fc.array(fc.nat(), { maxLength: 3 }), fc.nat(KINDS.length - 1), fc.nat(9), fc.nat(9), fc.nat());
const randomPlan = fc.integer({ min: 4, max: 28 }).chain(n => fc.array(stepSpec, { minLength: n, maxLength: n })).map(specs => {
  const steps: StepPlan[] = [];
  const ancestors: Array<Set<number>> = [];
  let groupStart = 0;
  specs.forEach(([mode, picks, kind, cont, res, seed], i) => {
    let deps: number[] = [];
    if (i > 0) {
      if (mode === 0) deps = [...steps[i - 1].dependsOn.map(d => Number(d.slice(1)))]; // twin of the previous step
      else if (mode === 1) deps = [i - 1]; // chain
      else if (mode === 2) deps = Array.from({ length: i - groupStart }, (_, k) => groupStart + k); // a layer after the group
      else deps = [...new Set(picks.map(p => p % i))];
      if (mode !== 0) groupStart = i;
    }
    const anc = new Set<number>(deps.flatMap(d => [d, ...ancestors[d]]));
    ancestors.push(anc);
    const producers = [...anc].filter(a => steps[a].results.length > 0);
    const producer = producers.length > 0 ? steps[producers[seed % producers.length]].name : undefined;
    const k = KINDS[kind];
    let runIf: StepPlan['runIf'];
    if (k === 'resultIn' || k === 'resultNotIn') {
      runIf = producer ? { kind: k, result: { step: producer, name: 'v' }, values: ['a', 'b'] } : { kind: 'allSucceeded' };
    } else {
      // an anyFailed step without dependencies is skipped by its condition: keep a few
      runIf = { kind: deps.length === 0 && k === 'anyFailed' && seed % 2 === 0 ? 'allSucceeded' : k };
    }
    steps.push(step(`s${i}`, {
      dependsOn: deps.map(d => `s${d}`),
      runIf,
      continueOnError: cont < 2,
      results: res < 3 ? ['v'] : [],
      resultEnv: producer && res > 5 ? [{ env: 'V', result: { step: producer, name: 'v' } }] : [],
    }));
  });
  return steps;
});

/** Random failures (Failed or Error) and result values ("a", "b" or another) for a plan. */
function randomRuns(steps: StepPlan[], count: number, seed: number): Run[] {
  const next = random(seed);
  return Array.from({ length: count }, () => ({
    failing: new Map(steps.filter(() => next() < 0.2).map(s => [s.name, next() < 0.75 ? 'Failed' as const : 'Error' as const])),
    results: new Map(steps.filter(s => s.results.length > 0).map(s => [`${s.name}.v`, ['a', 'b', 'c', ''][Math.floor(next() * 4)]])),
  }));
}

describe('nesting keeps every outcome (random graphs, low task limits)', () => {
  test('the nested Workflow gives each step the same phase and container as the flat one, for random failures and results', () => {
    let nested = 0;
    let runs = 0;
    let phaseDiffers = 0;
    const sample: any[] = [];
    fc.assert(fc.property(randomPlan, fc.integer({ min: 2, max: 6 }), fc.nat(), (steps, max, seed) => {
      const flat = build(steps, Infinity);
      const w = build(steps, max);
      expect(dagSizes(flat)).toHaveLength(1);
      expect(checkReferences(w)).toEqual([]);
      if (w.spec.templates.some((t: any) => t.name.startsWith('Cdk8sSteps-part-'))) nested++;
      if (sample.length < 30) sample.push(w);
      const continued = new Set(steps.filter(s => s.continueOnError).map(s => s.name));
      for (const run of randomRuns(steps, 12, seed)) {
        runs++;
        if (expectSameOutcomes(flat, w, run, continued)) phaseDiffers++;
      }
    }), { numRuns: 300 });
    // the documented exception is rare
    expect(phaseDiffers / runs).toBeLessThan(0.02);
    // most random graphs were nested somewhere
    expect(nested).toBeGreaterThan(150);
    expectValidArgo(...sample);
  });

  test('no run at all is needed to see a part: one per chain piece and per group of twins', () => {
    const steps = [step('a'), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['b'] }),
      step('t1', { dependsOn: ['c'] }), step('t2', { dependsOn: ['c'] }), step('t3', { dependsOn: ['c'] }),
      step('z', { dependsOn: ['t1', 't2', 't3'], runIf: { kind: 'always' } })];
    const w = build(steps, 4);
    const entry = w.spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag.tasks;
    expect(entry.map((t: any) => [t.name, t.template, t.depends])).toEqual([
      ['Part-1', 'Cdk8sSteps-part-1', undefined],
      ['Part-2', 'Cdk8sSteps-part-2', 'Part-1.Succeeded'],
      ['z', 'shared-busybox-sh', '(Part-2.Succeeded || Part-2.Failed || Part-2.Errored || Part-2.Skipped || Part-2.Omitted)'],
    ]);
    const part = (n: number) => w.spec.templates.find((t: any) => t.name === `Cdk8sSteps-part-${n}`).dag;
    expect(part(1).tasks.map((t: any) => [t.name, t.depends])).toEqual([['a', undefined], ['b', 'a.Succeeded'], ['c', 'b.Succeeded']]);
    expect(part(2).tasks.map((t: any) => [t.name, t.depends])).toEqual([['t1', undefined], ['t2', undefined], ['t3', undefined]]);
    expect(part(1).failFast).toBe(false);
  });

  test('a result read inside a part from a producer outside comes in as the part\'s input; a producer read outside stays out', () => {
    const steps = [step('build', { results: ['v'] }),
      ...[1, 2, 3].map(i => step(`t${i}`, { dependsOn: ['build'], resultEnv: [{ env: 'V', result: { step: 'build', name: 'v' } }] })),
      step('report', { dependsOn: ['t1', 't2', 't3'] })];
    const w = build(steps, 3);
    const entry = w.spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag.tasks;
    const part = entry.find((t: any) => t.name === 'Part-1');
    expect(part.arguments.parameters).toEqual([{ name: 'result-0', value: '{{=tasks["build"].status == \'Succeeded\' ? tasks["build"].outputs.parameters["v"] : \'\'}}' }]);
    const inner = w.spec.templates.find((t: any) => t.name === 'Cdk8sSteps-part-1');
    expect(inner.inputs.parameters).toEqual([{ name: 'result-0' }]);
    expect(inner.dag.tasks[0].arguments.parameters).toContainEqual({ name: 'result-0', value: '{{inputs.parameters.result-0}}' });
    const run = runWorkflow(w, { failing: new Map(), results: new Map([['build.v', 'x"y\n{z}']]) });
    expect(JSON.parse(run.containers.get('t2')!).env).toContainEqual({ name: 'V', value: 'x"y\n{z}' });
    // the reader of p's result is outside the group: p stays in the entry DAG
    const out = [step('p1', { results: ['v'] }), step('p2'), step('p3'),
      step('r', { dependsOn: ['p1', 'p2', 'p3'], runIf: { kind: 'resultIn', result: { step: 'p1', name: 'v' }, values: ['a'] } })];
    const w2 = build(out, 3);
    expect(w2.spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag.tasks.map((t: any) => t.name)).toEqual(['p1', 'Part-1', 'r']);
    expect(checkReferences(w2)).toEqual([]);
  });
});

/** setup -> n - 2 tests -> report */
function fanOutIn(n: number): StepPlan[] {
  const tests = Array.from({ length: n - 2 }, (_, i) => step(`test-${i}`, { dependsOn: ['setup'] }));
  return [step('setup'), ...tests, step('report', { dependsOn: tests.map(t => t.name) })];
}

function chain(n: number): StepPlan[] {
  return Array.from({ length: n }, (_, i) => step(`s${i}`, { dependsOn: i > 0 ? [`s${i - 1}`] : [] }));
}

/**
 * A random graph of stages that nests: each stage is a chain, a fan-out/fan-in or a group of
 * twins, after the previous stage; some steps CONTINUE, some read a result of the first step, a
 * few `always` steps watch a stage.
 */
function randomStages(n: number, seed: number): StepPlan[] {
  const next = random(seed);
  const steps: StepPlan[] = [step('init', { results: ['v'] })];
  let last = ['init'];
  while (steps.length < n) {
    const size = Math.min(n - steps.length, 1 + Math.floor(next() * 300));
    const base = steps.length;
    const name = (i: number) => `x${base + i}`;
    const o = () => ({ continueOnError: next() < 0.05, resultEnv: next() < 0.1 ? [{ env: 'V', result: { step: 'init', name: 'v' } }] : [] });
    const kind = Math.floor(next() * 3);
    if (kind === 0) {
      for (let i = 0; i < size; i++) steps.push(step(name(i), { dependsOn: i === 0 ? last : [name(i - 1)], ...o() }));
      last = [name(size - 1)];
    } else {
      for (let i = 0; i < size; i++) steps.push(step(name(i), { dependsOn: last, ...o() }));
      last = Array.from({ length: size }, (_, i) => name(i));
    }
    if (next() < 0.3 && steps.length < n) {
      steps.push(step(`w${steps.length}`, { dependsOn: last, runIf: { kind: next() < 0.5 ? 'always' : 'anyFailed' } }));
    }
  }
  return steps;
}

/** A uniformly random DAG: every step depends on up to `inDegree` random earlier ones (test/generate.ts's shape). */
function uniformDag(n: number, seed: number, inDegree = 3): StepPlan[] {
  const next = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<number>();
    while (deps.size < Math.min(i, inDegree)) deps.add(Math.floor(next() * i));
    return step(`s${i}`, { dependsOn: [...deps].map(d => `s${d}`) });
  });
}

describe('Argo\'s limits at 1 000 and 2 000 steps', () => {
  const within = (w: any) => {
    expect(checkReferences(w)).toEqual([]);
    expect(Math.max(...dagSizes(w))).toBeLessThanOrEqual(MAX_DAG_TASKS);
    expect(w.spec.templates.length).toBeLessThanOrEqual(200);
    expect(workflowLimitProblems(w, { path: 't' })).toEqual([]);
  };
  const failures = (steps: StepPlan[], picks: string[][]): Run[] => [
    ...picks.map(names => ({ failing: new Map(names.map(s => [s, 'Failed' as const])) })),
    ...randomRuns(steps, 4, steps.length),
  ];

  test('a fan-out/fan-in of 1 000 (setup -> 998 tests -> report): valid, within the limits, the same outcomes as flat', () => {
    const steps = fanOutIn(1000);
    const w = build(steps, MAX_DAG_TASKS);
    within(w);
    expect(w.spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag.tasks.map((t: any) => t.name))
      .toEqual(['setup', 'Part-1', 'Part-2', 'Part-3', 'Part-4', 'Part-5', 'report']);
    const flat = build(steps, Infinity);
    for (const run of failures(steps, [[], ['setup'], ['test-0'], ['test-997', 'test-400'], ['report']])) expectSameOutcomes(flat, w, run);
  });

  test('a chain of 1 000: valid, within the limits, the same outcomes as flat', () => {
    const steps = chain(1000);
    const w = build(steps, MAX_DAG_TASKS);
    within(w);
    expect(dagSizes(w)).toEqual([5, 200, 200, 200, 200, 200]);
    const flat = build(steps, Infinity);
    for (const run of failures(steps, [[], ['s0'], ['s199'], ['s200'], ['s999'], ['s500', 's501']])) expectSameOutcomes(flat, w, run);
  });

  test('random staged graphs of 200 to 2 000 steps: valid (schema), within the limits, the same outcomes as flat', () => {
    const built: any[] = [];
    for (const [n, seed] of [[200, 1], [500, 2], [1000, 3], [1000, 4], [2000, 5]]) {
      const steps = randomStages(n, seed);
      const w = build(steps, MAX_DAG_TASKS);
      within(w);
      const flat = build(steps, Infinity);
      const continued = new Set(steps.filter(s => s.continueOnError).map(s => s.name));
      for (const run of randomRuns(steps, 3, seed)) expectSameOutcomes(flat, w, run, continued);
      built.push(w);
    }
    expectValidArgo(...built);
  });

  test('uniformly random DAGs of 200 to 2 000 steps (average in-degree 3): a valid Workflow or a named limit error, never an invalid one', () => {
    const outcomes: string[] = [];
    const candidates: any[] = [];
    for (const [n, seed] of [[200, 11], [400, 12], [1000, 13], [2000, 14]]) {
      const w = build(uniformDag(n, seed), MAX_DAG_TASKS);
      expect(checkReferences(w)).toEqual([]);
      const problems = workflowLimitProblems(w, { path: 'test/wf' });
      if (problems.length === 0) {
        candidates.push(w);
        outcomes.push('valid');
      } else {
        expect(problems.map(p => p.limit)).toContain(StepLimit.DAG_TASKS);
        expect(problems[0].message).toMatch(/^StepLimitError: test\/wf: the DAG template "Cdk8sSteps" has \d+ tasks, \d+ tasks over Argo's limit of 200/);
        // what the API server would say about the same object
        expect(schemaErrors([w])[0]).toMatch(/must NOT have more than 200 items/);
        outcomes.push('limit');
      }
    }
    expect(outcomes.slice(1)).toEqual(['limit', 'limit', 'limit']);
    if (candidates.length > 0) expectValidArgo(...candidates);
  });

  test('a fan-out/fan-in and a chain of 2 000 fit too, and pass the schema', () => {
    const ws = [fanOutIn(2000), chain(2000)].map(steps => build(steps, MAX_DAG_TASKS));
    ws.forEach(within);
    expectValidArgo(...ws);
  });
});
