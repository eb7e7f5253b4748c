/**
 * The StepWorkflow construct: the step API through IStepHost, its props, the same validation
 * errors as a StepPod, and every synthesised manifest checked against the Argo schema.
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { IStepHost, OnError, PodGcStrategy, RunIf, StepJob, StepPod, StepWorkflow, StepWorkflowProps, WorkflowKind, WorkflowWorkspace } from '../src';
import { expectValidArgo } from './argo-schema';
import { restrictedViolations } from './pss';

const synthesised: any[] = [];

function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

function synthWorkflow(build: (wf: StepWorkflow) => void, props: StepWorkflowProps = {}): any {
  const chart = newChart();
  build(new StepWorkflow(chart, 'wf', props));
  const manifests = Testing.synth(chart);
  expect(manifests).toHaveLength(1);
  synthesised.push(manifests[0]);
  return manifests[0];
}

const image = 'busybox:1.36';
const tmpl = (w: any, name: string) => w.spec.templates.find((t: any) => t.name === name);
const tasks = (w: any) => tmpl(w, 'Cdk8sSteps').dag.tasks;

/** Written once, against the interface both hosts implement. */
function defineSteps(host: IStepHost) {
  const checkout = host.addStep('checkout', { image, command: ['sh', '-c', 'echo src > /workspace/src'] });
  const lint = host.addStep('lint', { image, command: ['true'], dependsOn: [checkout], onError: OnError.CONTINUE });
  const unit = host.addStep('unit', { image, command: ['true'], dependsOn: [checkout], retries: 2, timeout: Duration.minutes(5) });
  host.addStep('package', { image, command: ['true'], dependsOn: [lint, unit] });
}

describe('StepWorkflow', () => {
  test('run conditions, results and finally steps reach the Workflow through the public API', () => {
    const w = synthWorkflow(wf => {
      const build = wf.addStep('build', { image, command: ['true'], results: ['version', 'channel'] });
      const unit = wf.addStep('unit', { image, command: ['true'], dependsOn: [build] });
      wf.addStep('publish', { image, command: ['true'], dependsOn: [unit], resultEnv: { VERSION: build.result('version') } });
      wf.addStep('deploy', { image, command: ['true'], dependsOn: [unit], runIf: RunIf.resultIn(build.result('channel'), ['stable']) });
      wf.addStep('upload', { image, command: ['true'], dependsOn: [unit], runIf: RunIf.always() });
      wf.addFinally('teardown', { image, command: ['true'] });
    });
    const task = (name: string) => tasks(w).find((t: any) => t.name === name);
    expect(task('upload').depends).toMatch(/unit\.Succeeded \|\| unit\.Failed/);
    expect(task('deploy').when).toMatch(/tasks\["build"\]\.outputs\.parameters\["channel"\] in \["stable"\]/);
    expect(tmpl(w, 'build').outputs.parameters.map((p: any) => p.name)).toEqual(['version', 'channel']);
    expect(tmpl(w, 'publish').container.env).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'VERSION' })]));
    expect(w.spec.onExit).toBe('Cdk8sSteps-finally');
    expect(tasks(w).map((t: any) => t.name)).not.toContain('teardown');
  });

  test('the same defineSteps builds a StepPod and a StepWorkflow with the same graph', () => {
    const chart = newChart();
    const pod = new StepPod(chart, 'pod');
    const wf = new StepWorkflow(chart, 'wf', { workspace: WorkflowWorkspace.volumeClaim({ storage: Size.gibibytes(10), storageClassName: 'standard' }) });
    defineSteps(pod);
    defineSteps(wf);
    expect(wf.graph.steps).toEqual(pod.graph.steps);
    for (const s of pod.graph.steps) expect(wf.graph.dependenciesOf(s)).toEqual(pod.graph.dependenciesOf(s));
    const [podManifest, w] = Testing.synth(chart);
    synthesised.push(w);
    expect(podManifest.kind).toBe('Pod');
    expect(w).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' });
    expect(w.metadata.name).toBeUndefined();
    expect(w.metadata.generateName).toMatch(/^test-wf-c\w+-$/);
    // the graph is recorded as on the pod, for tools that read it back
    expect(w.metadata.annotations['cdk8s-steps/graph']).toBe(podManifest.metadata.annotations['cdk8s-steps/graph']);
    expect(tasks(w).map((t: any) => [t.name, t.depends])).toEqual([
      ['checkout', undefined], ['lint', 'checkout.Succeeded'], ['unit', 'checkout.Succeeded'],
      ['package', '(lint.Succeeded || lint.Failed || lint.Errored) && unit.Succeeded'],
    ]);
    expect(tmpl(w, 'unit')).toMatchObject({ retryStrategy: { limit: 2 }, activeDeadlineSeconds: 300 });
    expect(w.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '10Gi' } } });
  });

  test('each step runs its container as cdk8s-plus builds it, command untouched', () => {
    const w = synthWorkflow(wf => wf.addStep('build', {
      image,
      command: ['make'],
      args: ['all'],
      envVariables: { CI: kplus.EnvValue.fromValue('1') },
      resources: { cpu: { request: kplus.Cpu.millis(250) } },
    }));
    const c = tmpl(w, 'build').container;
    expect(c).toMatchObject({ name: 'build', image, command: ['make'], args: ['all'], env: [{ name: 'CI', value: '1' }], imagePullPolicy: 'Always' });
    expect(c.resources.requests.cpu).toBe('250m');
    expect(c.securityContext.runAsNonRoot).toBe(true);
    expect(w.spec.securityContext.runAsNonRoot).toBe(true);
  });

  test('props: fixed name, service account, podGC, ttlStrategy, activeDeadline, failFast, no workspace', () => {
    const w = synthWorkflow(wf => wf.addStep('a', { image, command: ['true'] }), {
      metadata: { name: 'nightly' },
      serviceAccountName: 'runner',
      podGC: PodGcStrategy.ON_POD_SUCCESS,
      ttlStrategy: { afterSuccess: Duration.hours(1), afterFailure: Duration.days(1) },
      activeDeadline: Duration.hours(2),
      failFast: true,
      workspace: WorkflowWorkspace.none(),
    });
    expect(w.metadata.name).toBe('nightly');
    expect(w.metadata.generateName).toBeUndefined();
    expect(w.spec).toMatchObject({
      serviceAccountName: 'runner',
      podGC: { strategy: 'OnPodSuccess' },
      activeDeadlineSeconds: 7200,
      ttlStrategy: { secondsAfterSuccess: 3600, secondsAfterFailure: 86400 },
    });
    expect(tmpl(w, 'Cdk8sSteps').dag.failFast).toBe(true);
    expect(w.spec.volumeClaimTemplates).toBeUndefined();
  });

  test('the default generateName leaves room for the 5 characters Kubernetes adds, within Argo\'s 63', () => {
    const chart = new Chart(Testing.app(), 'a-chart-with-a-rather-long-name-for-its-workflows');
    new StepWorkflow(new Construct(chart, 'nested-construct-with-a-long-id'), 'the-workflow-itself').addStep('a', { image, command: ['true'] });
    const [w] = Testing.synth(chart);
    expect(w.metadata.generateName).toMatch(/^[a-z0-9][-a-z0-9.]*[a-z0-9]-$/);
    expect(w.metadata.generateName.length + 5).toBeLessThanOrEqual(63);
  });

  test('a WorkflowTemplate instead, with a fixed name; generateName when asked', () => {
    const t = synthWorkflow(wf => wf.addStep('a', { image, command: ['true'] }), { kind: WorkflowKind.WORKFLOW_TEMPLATE });
    expect(t.kind).toBe('WorkflowTemplate');
    expect(t.metadata.name).toMatch(/^test-wf-c\w+$/);
    const w = synthWorkflow(wf => wf.addStep('a', { image, command: ['true'] }), { generateName: 'ci-' });
    expect(w.metadata.generateName).toBe('ci-');
  });

  test('a sidecar runs next to every step; node selectors and tolerations per step', () => {
    const w = synthWorkflow(wf => {
      wf.addSidecar('db', { image: 'postgres:16', portNumber: 5432 });
      const gpu = wf.addStep('train', { image, command: ['true'] });
      wf.addStep('report', { image, command: ['true'], dependsOn: [gpu] });
      wf.placeStep(gpu, { nodeSelector: { accelerator: 'a100' }, tolerations: [kplus.NodeTaintQuery.exists('nvidia.com/gpu')] });
    });
    for (const s of ['train', 'report']) {
      expect(tmpl(w, s).sidecars.map((c: any) => c.name)).toEqual(['db']);
      expect(tmpl(w, s).sidecars[0].restartPolicy).toBeUndefined();
    }
    expect(tmpl(w, 'train')).toMatchObject({ nodeSelector: { accelerator: 'a100' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] });
    expect(tmpl(w, 'report').nodeSelector).toBeUndefined();
  });

  test('node selectors and tolerations through the step props; placeStep replaces what it sets', () => {
    const w = synthWorkflow(wf => {
      const train = wf.addStep('train', {
        image,
        command: ['true'],
        nodeSelector: { accelerator: 'a100' },
        tolerations: [kplus.NodeTaintQuery.is('nvidia.com/gpu', 'present', { effect: kplus.TaintEffect.NO_SCHEDULE })],
      });
      const big = wf.addStep('big', { image, command: ['true'], dependsOn: [train], nodeSelector: { pool: 'small' } });
      wf.placeStep(big, { nodeSelector: { pool: 'highmem' } });
      wf.addStep('report', { image, command: ['true'], dependsOn: [big] });
    });
    expect(tmpl(w, 'train')).toMatchObject({
      nodeSelector: { accelerator: 'a100' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' }],
    });
    expect(tmpl(w, 'big').nodeSelector).toEqual({ pool: 'highmem' });
    expect(tmpl(w, 'big').tolerations).toBeUndefined();
    expect(tmpl(w, 'report').nodeSelector).toBeUndefined();
    // The container itself carries no placement fields.
    expect(Object.keys(tmpl(w, 'train').container)).not.toEqual(expect.arrayContaining(['nodeSelector']));
  });

  test('a StepPod or StepJob refuses a step placed on its own node, naming the step and the way out', () => {
    const chart = newChart();
    const pod = new StepPod(chart, 'pod');
    expect(() => pod.addStep('train', { image, command: ['true'], nodeSelector: { accelerator: 'a100' } }))
      .toThrow(/Step "train": nodeSelector and tolerations place one step's pod, and in a StepPod every step runs in the same pod.*scheduling.*StepWorkflow/);
    expect(() => new StepJob(chart, 'job').addStep('train', { image, command: ['true'], tolerations: [kplus.NodeTaintQuery.exists('x')] }))
      .toThrow(/Step "train": .*in a StepJob every step runs in the same pod/);
    expect(pod.steps).toHaveLength(0);
  });

  test('Workflow-level props are checked at construction, naming the prop', () => {
    const make = (props: StepWorkflowProps) => () => new StepWorkflow(newChart(), 'wf', props);
    expect(make({ activeDeadline: Duration.seconds(0) })).toThrow(/activeDeadline must be a whole number of seconds above zero \(got 0 s\); 0 would stop the run at once/);
    expect(make({ activeDeadline: Duration.millis(1500) })).toThrow(/activeDeadline must be a whole number of seconds above zero \(got 1.5 s\)/);
    expect(make({ ttlStrategy: { afterSuccess: Duration.millis(500) } })).toThrow(/ttlStrategy.afterSuccess must be a whole number of seconds \(got 0.5 s\)/);
    expect(make({ generateName: 'Bad_Name-' })).toThrow(/generateName "Bad_Name-" must be a DNS-1123 subdomain/);
    // Argo's Workflow names have at most 63 characters, and a generated name adds 5
    expect(make({ generateName: `${'a'.repeat(58)}-` })).toThrow(/at most 58 characters: [^(]*\(Argo rejects Workflow names over 63 characters/);
    expect(make({ generateName: `${'a'.repeat(57)}-` })).not.toThrow();
    expect(make({ serviceAccountName: 'Bad Name' })).toThrow(/serviceAccountName "Bad Name" must be a DNS-1123 subdomain/);
    expect(make({ generateName: 'nightly-', serviceAccountName: 'argo-runner', activeDeadline: Duration.hours(1), ttlStrategy: { afterCompletion: Duration.seconds(0) } }))
      .not.toThrow();
  });

  test('a plain initContainer runs before every step; a plain container is refused as in a StepPod', () => {
    const w = synthWorkflow(wf => {
      wf.addInitContainer({ name: 'fetch', image, command: ['true'] });
      wf.addStep('a', { image, command: ['true'] });
    });
    expect(tmpl(w, 'a').initContainers.map((c: any) => c.name)).toEqual(['fetch']);
    expect(tmpl(w, 'a').sidecars).toBeUndefined();
    expect(() => synthWorkflow(wf => { wf.addStep('a', { image, command: ['true'] }); wf.addContainer({ name: 'b', image }); }))
      .toThrow(/Container "b" was added with addContainer\(\): in a StepWorkflow every container is a step/);
  });

  test('the same validation errors as a StepPod', () => {
    const expectSameError = (build: (host: IStepHost) => void, message: RegExp) => {
      for (const make of [(c: Chart) => new StepPod(c, 'h'), (c: Chart) => new StepWorkflow(c, 'h')]) {
        const chart = newChart();
        const host = make(chart);
        expect(() => { build(host); Testing.synth(chart); }).toThrow(message);
      }
    };
    expectSameError(h => {
      const a = h.addStep('a', { image, command: ['true'] });
      const b = h.addStep('b', { image, command: ['true'], dependsOn: [a] });
      a.addDependency(b);
    }, /cycle/);
    expectSameError(() => undefined, /has no steps: add at least one with addStep\(\)/);
    expectSameError(h => h.addStep('Bad_Name', { image, command: ['true'] }), /Step name "Bad_Name" is not a valid container name/);
    expectSameError(h => h.addStep('a', { image }), /Step "a" has no command/);
    expectSameError(h => { h.addStep('a', { image, command: ['true'] }); h.addStep('a', { image, command: ['true'] }); }, /step or sidecar with that name already exists/);
    const chart = newChart();
    const other = new StepPod(chart, 'other').addStep('x', { image, command: ['true'] });
    expect(() => new StepWorkflow(chart, 'wf').addStep('y', { image, command: ['true'], dependsOn: [other] })).toThrow(/belongs to another pod/);
  });

  test('Argo\'s own rules are checked at synth, naming the step', () => {
    expect(() => synthWorkflow(wf => {
      const a = wf.addStep('1st', { image, command: ['true'] });
      wf.addStep('b', { image, command: ['true'], dependsOn: [a] });
    })).toThrow(/Step "1st": Argo rejects a DAG task name that begins with a digit/);
    expect(() => synthWorkflow(wf => { wf.addStep('a', { image, command: ['true'] }); wf.addSidecar('main', { image }); }))
      .toThrow(/Sidecar "main": Argo names its own containers/);
  });

  test('placeStep only takes steps of this workflow', () => {
    const chart = newChart();
    const step = new StepPod(chart, 'pod').addStep('a', { image, command: ['true'] });
    expect(() => new StepWorkflow(chart, 'wf').placeStep(step, {})).toThrow(/Cannot place step "a": it belongs to another host/);
  });

  test('every Workflow synthesised above passes the Argo schema and the restricted Pod Security Standard', () => {
    expect(synthesised.length).toBeGreaterThanOrEqual(6);
    expectValidArgo(...synthesised);
    for (const w of synthesised) {
      const name = w.metadata.name ?? w.metadata.generateName;
      expect([name, restrictedViolations(w)]).toEqual([name, []]);
    }
  });
});
