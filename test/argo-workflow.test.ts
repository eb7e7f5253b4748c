/**
 * The pure Argo transformation (src/argo/): one test per mapping row of docs/argo.md. Plans are
 * built directly here, so the rows for conditions and results are covered before their public
 * API exists. Every Workflow built in this file is schema-checked in the last test.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { checkReferences, resolvedTemplate } from './argo-model';
import { expectValidArgo, schemaErrors } from './argo-schema';
import { ArgoStep, WorkflowOptions, buildWorkflow } from '../src/argo/workflow';
import { StepGraph } from '../src/graph/step-graph';
import { Plan, StepPlan } from '../src/plan';

/** What src/pod/transform.ts's restricted() gives a container that sets nothing itself. */
const RESTRICTED = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const built: any[] = [];

function step(name: string, o: Partial<StepPlan> = {}): StepPlan {
  return { name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' }, results: [], resultEnv: [], isFinally: false, ...o };
}

function containers(steps: StepPlan[]): Map<string, ArgoStep> {
  return new Map(steps.map(s => [s.name, { container: { name: s.name, image: 'busybox:1.36', command: ['sh', '-c', `echo ${s.name}`] } }]));
}

function wf(steps: StepPlan[], o: Partial<WorkflowOptions> & { failFast?: boolean } = {}, inputs = containers(steps)): any {
  const { failFast, ...options } = o;
  const plan: Plan = { steps, failFast: failFast ?? false, workspace: true };
  const out = buildWorkflow(plan, inputs, {
    kind: 'Workflow',
    metadata: { generateName: 'test-' },
    workspace: { storage: '1Gi', accessModes: ['ReadWriteOnce'] },
    ...options,
  });
  built.push(out);
  return out;
}

const dag = (w: any, template = 'Cdk8sSteps') => w.spec.templates.find((t: any) => t.name === template).dag;
const task = (w: any, name: string, template = 'Cdk8sSteps') => dag(w, template).tasks.find((t: any) => t.name === name);
const tmpl = (w: any, name: string) => w.spec.templates.find((t: any) => t.name === name);

describe('Argo transformation: the graph', () => {
  test('a diamond: one task per step, depends with explicit results; steps alike share one template', () => {
    const w = wf([step('prepare'), step('left', { dependsOn: ['prepare'] }), step('right', { dependsOn: ['prepare'] }),
      step('join', { dependsOn: ['left', 'right'] })]);
    expect(w.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(w.kind).toBe('Workflow');
    expect(w.metadata).toEqual({ generateName: 'test-' });
    expect(w.spec.entrypoint).toBe('Cdk8sSteps');
    // the four containers differ only in the last element of their command: one template, one parameter
    const arg = (n: string) => ({ arguments: { parameters: [{ name: 'command-2', value: `echo ${n}` }] } });
    expect(dag(w).tasks).toEqual([
      { name: 'prepare', template: 'shared-busybox-sh', ...arg('prepare') },
      { name: 'left', template: 'shared-busybox-sh', depends: 'prepare.Succeeded', ...arg('left') },
      { name: 'right', template: 'shared-busybox-sh', depends: 'prepare.Succeeded', ...arg('right') },
      { name: 'join', template: 'shared-busybox-sh', depends: 'left.Succeeded && right.Succeeded', ...arg('join') },
    ]);
    expect(tmpl(w, 'shared-busybox-sh')).toEqual({
      name: 'shared-busybox-sh',
      inputs: { parameters: [{ name: 'command-2' }] },
      // the container as declared, run directly: no wrapper, no copy initContainer, no state volume;
      // with the same Pod Security Standard restricted defaults as a StepPod's steps; Argo names it main
      container: {
        name: 'main',
        image: 'busybox:1.36',
        command: ['sh', '-c', '{{inputs.parameters.command-2}}'],
        volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
        securityContext: RESTRICTED,
      },
    });
    expect(w.spec.templates.map((t: any) => t.name)).toEqual(['Cdk8sSteps', 'shared-busybox-sh']);
    expect(resolvedTemplate(w, 'left').container.command).toEqual(['sh', '-c', 'echo left']);
    expect(JSON.stringify(w)).not.toMatch(/cdk8s-steps-init|-step_name|cdk8s-steps-state/);
  });

  test('a step whose container has a shape of its own keeps a literal template named after it', () => {
    const steps = [step('a'), step('b', { dependsOn: ['a'] })];
    const inputs = containers(steps);
    inputs.set('b', { container: { ...inputs.get('b')!.container, resources: { requests: { cpu: '2' } } } as any });
    const w = wf(steps, {}, inputs);
    expect(dag(w).tasks).toEqual([{ name: 'a', template: 'a' }, { name: 'b', template: 'b', depends: 'a.Succeeded' }]);
    expect(tmpl(w, 'b').container).toMatchObject({ name: 'b', command: ['sh', '-c', 'echo b'], resources: { requests: { cpu: '2' } } });
    expect(tmpl(w, 'a').inputs).toBeUndefined();
  });

  test('a fan-in waits for every dependency to succeed', () => {
    const w = wf([step('a'), step('b'), step('c'), step('all', { dependsOn: ['a', 'b', 'c'] })]);
    expect(task(w, 'all').depends).toBe('a.Succeeded && b.Succeeded && c.Succeeded');
  });

  test('failFast is always set on the DAG: false by default (Argo\'s default is true), true when asked', () => {
    expect(dag(wf([step('a')])).failFast).toBe(false);
    expect(dag(wf([step('a')], { failFast: true })).failFast).toBe(true);
  });
});

describe('Argo transformation: retries, timeout, onError', () => {
  test('retries -> retryStrategy.limit (retries after the first attempt), on failure, with our backoff', () => {
    const w = wf([step('flaky', { retries: 2 }), step('once')]);
    expect(tmpl(w, 'flaky').retryStrategy).toEqual({ limit: 2, retryPolicy: 'OnFailure', backoff: { duration: '500ms', factor: 2, cap: '30s' } });
    expect(tmpl(w, 'once').retryStrategy).toBeUndefined();
    // shared: the limit is a parameter (Argo's e2e test TestParametrizableLimit)
    const shared = wf([step('f1', { retries: 2 }), step('f2', { retries: 5 })]);
    expect(tmpl(shared, 'shared-busybox-sh').retryStrategy.limit).toBe('{{inputs.parameters.retries}}');
    expect(resolvedTemplate(shared, 'f2').retryStrategy).toEqual({ limit: '5', retryPolicy: 'OnFailure', backoff: { duration: '500ms', factor: 2, cap: '30s' } });
  });

  test('timeout -> the template\'s activeDeadlineSeconds, rounded up to whole seconds (a parameter when steps share the template)', () => {
    const w = wf([step('slow', { timeoutMs: 90_000 }), step('odd', { timeoutMs: 1_500 }), step('free')]);
    expect(resolvedTemplate(w, 'slow').activeDeadlineSeconds).toBe('90');
    expect(resolvedTemplate(w, 'odd').activeDeadlineSeconds).toBe('2');
    expect(resolvedTemplate(w, 'free').activeDeadlineSeconds).toBeUndefined();
    // Argo takes it from a parameter (its e2e test TestParametrizableAds); a template of its own keeps the number
    expect(tmpl(w, 'shared-busybox-sh').activeDeadlineSeconds).toBe('{{inputs.parameters.timeout}}');
    expect(tmpl(w, 'free').activeDeadlineSeconds).toBeUndefined();
    expect(tmpl(wf([step('alone', { timeoutMs: 90_000 })]), 'alone').activeDeadlineSeconds).toBe(90);
  });

  test('onError CONTINUE: dependents run on its Succeeded, Failed or Errored, and no join task is needed', () => {
    const w = wf([step('lint', { continueOnError: true }), step('build'), step('next', { dependsOn: ['lint', 'build'] })]);
    expect(task(w, 'next').depends).toBe('(lint.Succeeded || lint.Failed || lint.Errored) && build.Succeeded');
    expect(dag(w).tasks.map((t: any) => t.name)).toEqual(['lint', 'build', 'next']);
    expect(JSON.stringify(dag(w))).not.toMatch(/continueOn/);
  });

  test('onError CONTINUE without dependents: a no-pod join task keeps its failure from failing the DAG', () => {
    const w = wf([step('a'), step('optional', { dependsOn: ['a'], continueOnError: true })]);
    expect(task(w, 'Continue-optional')).toEqual({
      name: 'Continue-optional',
      template: 'Cdk8sSteps-continue',
      depends: '(optional.Succeeded || optional.Failed || optional.Errored)',
    });
    expect(tmpl(w, 'Cdk8sSteps-continue')).toEqual({ name: 'Cdk8sSteps-continue', suspend: { duration: '1' } });
    expect(wf([step('a')]).spec.templates.map((t: any) => t.name)).not.toContain('Cdk8sSteps-continue');
  });
});

describe('Argo transformation: run conditions', () => {
  const deps = () => [step('ok'), step('lint', { continueOnError: true })];

  test('always: every result of every dependency, Skipped and Omitted included', () => {
    const w = wf([...deps(), step('upload', { dependsOn: ['ok', 'lint'], runIf: { kind: 'always' } })]);
    expect(task(w, 'upload').depends).toBe('(ok.Succeeded || ok.Failed || ok.Errored || ok.Skipped || ok.Omitted)'
      + ' && (lint.Succeeded || lint.Failed || lint.Errored || lint.Skipped || lint.Omitted)');
    expect(task(w, 'upload').when).toBeUndefined();
  });

  test('anyFailed: any dependency that did not succeed (for a CONTINUE one: only one that did not run)', () => {
    const w = wf([...deps(), step('other'), step('notify', { dependsOn: ['ok', 'lint', 'other'], runIf: { kind: 'anyFailed' } })]);
    // every dependency is named: Argo waits for every task its depends names
    expect(task(w, 'notify').depends).toBe('((ok.Failed || ok.Errored || ok.Skipped || ok.Omitted) || (lint.Skipped || lint.Omitted)'
      + ' || (other.Failed || other.Errored || other.Skipped || other.Omitted))');
    expect(task(w, 'notify').when).toBeUndefined();
  });

  test('anyFailed after only a CONTINUE dependency runs if it did not run; without dependencies it is skipped by its condition', () => {
    const w = wf([...deps(), step('n1', { dependsOn: ['lint'], runIf: { kind: 'anyFailed' } }), step('n2', { runIf: { kind: 'anyFailed' } })]);
    expect(task(w, 'n1').depends).toBe('(lint.Skipped || lint.Omitted)');
    expect(task(w, 'n1').when).toBeUndefined();
    expect(task(w, 'n2')).toMatchObject({ when: 'false' });
  });

  test('resultIn / resultNotIn -> when, false when the producer did not succeed', () => {
    const build = step('build', { results: ['channel'] });
    const w = wf([build,
      step('deploy', { dependsOn: ['build'], runIf: { kind: 'resultIn', result: { step: 'build', name: 'channel' }, values: ['stable', 'beta'] } }),
      step('hold', { dependsOn: ['build'], runIf: { kind: 'resultNotIn', result: { step: 'build', name: 'channel' }, values: ['stable'] } })]);
    expect(task(w, 'deploy').depends).toBe('build.Succeeded');
    expect(task(w, 'deploy').when).toBe('{{=tasks["build"].status == \'Succeeded\' && tasks["build"].outputs.parameters["channel"] in ["stable", "beta"]}}');
    expect(task(w, 'hold').when).toBe('{{=tasks["build"].status == \'Succeeded\' && !(tasks["build"].outputs.parameters["channel"] in ["stable"])}}');
  });

  test('src/argo tells a condition that reads a result only through readsResult()/resultReads() (issue 21, item 2)', () => {
    // A kind compared by hand here would let a new result-reading condition through unseen; the
    // helpers in src/plan.ts read RUN_IF_KINDS, and the switches in depends.ts are exhaustive.
    const dir = path.join(__dirname, '..', 'src', 'argo');
    const byHand = fs.readdirSync(dir).flatMap(f => fs.readFileSync(path.join(dir, f), 'utf8').split('\n')
      .map((line, i) => ({ at: `src/argo/${f}:${i + 1}`, line: line.trim() }))
      .filter(({ line }) => /kind\s*[!=]==?\s*'result/.test(line)));
    expect(byHand).toEqual([]);
  });
});

describe('Argo transformation: results', () => {
  test('results -> outputs.parameters read from the results directory the command writes to', () => {
    const w = wf([step('build', { results: ['version', 'channel'] })]);
    const t = tmpl(w, 'build');
    expect(t.outputs.parameters).toEqual([
      { name: 'version', valueFrom: { path: '/cdk8s-steps/steps/build/results/version' } },
      { name: 'channel', valueFrom: { path: '/cdk8s-steps/steps/build/results/channel' } },
    ]);
    expect(t.container.env).toEqual([{ name: 'CDK8S_STEPS_RESULTS', value: '/cdk8s-steps/steps/build/results' }]);
    expect(t.container.volumeMounts).toContainEqual({ name: 'cdk8s-steps-results', mountPath: '/cdk8s-steps/steps/build/results' });
    expect(t.volumes).toEqual([{ name: 'cdk8s-steps-results', emptyDir: {} }]);
  });

  test('resultEnv -> an input parameter set from tasks.<step>.outputs.parameters.<name>, empty when the producer did not succeed', () => {
    const w = wf([step('build', { results: ['version'] }), step('unit', { dependsOn: ['build'] }),
      step('publish', { dependsOn: ['unit'], resultEnv: [{ env: 'VERSION', result: { step: 'build', name: 'version' } }, { env: 'V2', result: { step: 'build', name: 'version' } }] })]);
    expect(task(w, 'publish').arguments).toEqual({ parameters: [{ name: 'result-0', value: '{{=tasks["build"].status == \'Succeeded\' ? tasks["build"].outputs.parameters["version"] : \'\'}}' }] });
    const t = tmpl(w, 'publish');
    expect(t.inputs).toEqual({ parameters: [{ name: 'result-0' }] });
    expect(t.container.env).toEqual([{ name: 'VERSION', value: '{{inputs.parameters.result-0}}' }, { name: 'V2', value: '{{inputs.parameters.result-0}}' }]);
  });

  test('a CONTINUE producer whose result is read gets a default, other producers do not', () => {
    const w = wf([step('probe', { results: ['v'], continueOnError: true }), step('strict', { results: ['v'] }),
      step('use', { dependsOn: ['probe', 'strict'], resultEnv: [{ env: 'A', result: { step: 'probe', name: 'v' } }, { env: 'B', result: { step: 'strict', name: 'v' } }] })]);
    expect(tmpl(w, 'probe').outputs.parameters[0].valueFrom).toEqual({ path: '/cdk8s-steps/steps/probe/results/v', default: '' });
    expect(tmpl(w, 'strict').outputs.parameters[0].valueFrom).toEqual({ path: '/cdk8s-steps/steps/strict/results/v' });
  });
});

describe('Argo transformation: finally steps, workspace, sidecars, placement', () => {
  test('finally steps run in the onExit handler, after the whole DAG, whatever happened', () => {
    const w = wf([step('a'), step('b', { dependsOn: ['a'] }),
      step('teardown', { dependsOn: ['a', 'b'], runIf: { kind: 'always' }, isFinally: true }),
      step('report', { dependsOn: ['a', 'b', 'teardown'], runIf: { kind: 'always' }, isFinally: true })]);
    expect(w.spec.onExit).toBe('Cdk8sSteps-finally');
    expect(dag(w).tasks.map((t: any) => t.name)).toEqual(['a', 'b']);
    expect(dag(w, 'Cdk8sSteps-finally')).toEqual({
      failFast: false,
      tasks: [{ name: 'teardown', template: 'shared-busybox-sh', arguments: { parameters: [{ name: 'command-2', value: 'echo teardown' }] } },
        {
          name: 'report',
          template: 'shared-busybox-sh',
          arguments: { parameters: [{ name: 'command-2', value: 'echo report' }] },
          depends: '(teardown.Succeeded || teardown.Failed || teardown.Errored || teardown.Skipped || teardown.Omitted)',
        }],
    });
    expect(resolvedTemplate(w, 'teardown').container.command).toEqual(['sh', '-c', 'echo teardown']);
  });

  test('workspace: a volumeClaimTemplates entry (with apiVersion and kind) mounted at /workspace; none: nothing', () => {
    const w = wf([step('a')], { workspace: { storage: '10Gi', accessModes: ['ReadWriteMany'], storageClassName: 'nfs' } });
    expect(w.spec.volumeClaimTemplates).toEqual([{
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'workspace' },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'nfs', resources: { requests: { storage: '10Gi' } } },
    }]);
    const none = wf([step('a')], { workspace: undefined });
    expect(none.spec.volumeClaimTemplates).toBeUndefined();
    expect(tmpl(none, 'a').container.volumeMounts).toBeUndefined();
  });

  test('sidecars: in every step\'s template, without the native-sidecar restartPolicy, with the workspace', () => {
    const db = { container: { name: 'db', image: 'postgres:16', restartPolicy: 'Always', volumeMounts: [{ name: 'data', mountPath: '/data' }] }, volumes: [{ name: 'data', emptyDir: {} }] };
    const w = wf([step('a'), step('b', { dependsOn: ['a'] })], { sidecars: [db] });
    for (const name of ['a', 'b']) {
      expect(resolvedTemplate(w, name).sidecars).toEqual([{ name: 'db', image: 'postgres:16', securityContext: RESTRICTED, volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'workspace', mountPath: '/workspace' }] }]);
      expect(resolvedTemplate(w, name).volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    }
  });

  test('node selectors and tolerations per step; workflow-level options pass through', () => {
    const steps = [step('gpu'), step('cpu')];
    const inputs = containers(steps);
    inputs.set('gpu', { ...inputs.get('gpu')!, nodeSelector: { accelerator: 'a100' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] });
    const w = wf(steps, { serviceAccountName: 'runner', activeDeadlineSeconds: 3600, podGC: { strategy: 'OnPodSuccess' }, ttlStrategy: { secondsAfterCompletion: 600 } }, inputs);
    expect(tmpl(w, 'gpu')).toMatchObject({ nodeSelector: { accelerator: 'a100' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(tmpl(w, 'cpu').nodeSelector).toBeUndefined();
    expect(w.spec).toMatchObject({ serviceAccountName: 'runner', activeDeadlineSeconds: 3600, podGC: { strategy: 'OnPodSuccess' }, ttlStrategy: { secondsAfterCompletion: 600 } });
  });

  test('a WorkflowTemplate has the same spec and needs a fixed name', () => {
    const w = wf([step('a')], { kind: 'WorkflowTemplate', metadata: { name: 'ci' } });
    expect(w.kind).toBe('WorkflowTemplate');
    expect(w.metadata).toEqual({ name: 'ci' });
    expect(() => wf([step('a')], { kind: 'WorkflowTemplate' })).toThrow(/WorkflowTemplate is referenced by name/);
  });
});

describe('Argo transformation: Argo\'s own rules, named errors', () => {
  test.each([
    [[step('1st'), step('b', { dependsOn: ['1st'] })], /Step "1st": Argo rejects a DAG task name that begins with a digit/],
    [[step('in'), step('b', { dependsOn: ['in'] })], /Step "in": "in" is a keyword of Argo's depends expressions/],
    [[step('a', { results: ['ver.sion'] })], /Step "a": result "ver.sion" is not a valid Argo parameter name/],
    [[step('a', { results: ['v'] }), step('f', { isFinally: true, runIf: { kind: 'always' }, dependsOn: ['a'], resultEnv: [{ env: 'V', result: { step: 'a', name: 'v' } }] })],
      /Step "f" is a finally step and reads the result "a.v"/],
    [[step('a', { results: ['v'] }), step('b', { dependsOn: ['a'], runIf: { kind: 'resultIn', result: { step: 'a', name: 'v' }, values: ['{{x}}'] } })],
      /Step "b": the value "\{\{x\}\}" of its condition contains/],
  ])('%#: rejected with the step named', (steps, message) => {
    expect(() => wf(steps as StepPlan[])).toThrow(message);
  });

  test('a digit-leading name is fine while no task uses depends (Argo only checks it then)', () => {
    expect(() => wf([step('1st'), step('2nd')])).not.toThrow();
  });

  test('a sidecar named like an Argo container, or a volume named like ours, is rejected', () => {
    expect(() => wf([step('a')], { sidecars: [{ container: { name: 'wait', image: 'x' } }] })).toThrow(/Sidecar "wait": Argo names its own containers main, wait, init/);
    const inputs = containers([step('a')]);
    inputs.set('a', { ...inputs.get('a')!, volumes: [{ name: 'workspace', emptyDir: {} }] });
    expect(() => wf([step('a')], {}, inputs)).toThrow(/Step "a": volume "workspace" has a name this library reserves/);
  });
});

/** The task names a `depends` expression names. */
function dependsNames(expr: string | undefined): Set<string> {
  return new Set([...(expr ?? '').matchAll(/([A-Za-z0-9-]+)\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)/g)].map(m => m[1]));
}

const RUN_IFS = ['allSucceeded', 'always', 'anyFailed'] as const;

describe('Argo transformation: random DAGs', () => {
  const randomPlan = fc.integer({ min: 1, max: 14 }).chain(n => fc.tuple(
    fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
    fc.array(fc.nat(5), { minLength: n, maxLength: n }),
  )).map(([deps, cont]) => deps.map((d, i) => step(`s${i}`, {
    // only earlier steps: acyclic by construction
    dependsOn: i === 0 ? [] : [...new Set(d.map(x => `s${x % i}`))],
    continueOnError: cont[i] % 2 === 1,
    runIf: { kind: RUN_IFS[Math.floor(cont[i] / 2)] },
  })));

  test('the depends graph of the Workflow is the StepGraph for every condition (join tasks aside), and each join hangs off a CONTINUE leaf', () => {
    const sample: any[] = [];
    fc.assert(fc.property(randomPlan, steps => {
      const w = buildWorkflow({ steps, failFast: false, workspace: false }, containers(steps), { kind: 'Workflow', metadata: { generateName: 'p-' } });
      if (sample.length < 25) sample.push(w);
      const graph = StepGraph.fromNodes(steps);
      const tasks: any[] = dag(w).tasks;
      const stepTasks = tasks.filter(t => !t.name.startsWith('Continue-'));
      expect(stepTasks.map(t => t.name)).toEqual(graph.steps);
      for (const t of stepTasks) expect(dependsNames(t.depends)).toEqual(new Set(graph.dependenciesOf(t.name)));
      const joins = tasks.filter(t => t.name.startsWith('Continue-'));
      const continueLeaves = steps.filter(s => s.continueOnError && graph.dependentsOf(s.name).length === 0).map(s => s.name);
      expect(joins.map(j => [...dependsNames(j.depends)][0])).toEqual(continueLeaves);
    }), { numRuns: 200 });
    expectValidArgo(...sample);
  });
});

describe('Argo schema (@kubernetes-models/argo-workflows 2.0.0)', () => {
  test('the validator rejects what Argo rejects: a template container without a name, a claim without kind', () => {
    const [w] = [wf([step('a')])];
    const noName = JSON.parse(JSON.stringify(w));
    delete tmpl(noName, 'a').container.name;
    const noKind = JSON.parse(JSON.stringify(w));
    delete noKind.spec.volumeClaimTemplates[0].kind;
    const errors = schemaErrors([w, noName, noKind]);
    expect(errors[0]).toBeUndefined();
    expect(errors[1]).toMatch(/container must have required property .?name/);
    expect(errors[2]).toMatch(/kind/);
  });

  test('every Workflow built in this file passes the schema, and its templates, tasks and parameters refer to each other as Argo requires', () => {
    expect(built.length).toBeGreaterThan(20);
    expectValidArgo(...built);
    for (const w of built) expect(checkReferences(w)).toEqual([]);
  });
});
