/** The step API shared by StepPod and StepJob (IStepHost), and what it relies on in cdk8s-plus. */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { IStepHost, StepJob, StepPod, StepWorkflow, WorkflowKind } from '../src';
import { restrictedViolations } from './pss';
import { container, podSpec, synthJob, synthPod } from './synth';

const IMAGE = 'alpine:3.20';
const hosts: Array<[string, (chart: any) => IStepHost]> = [
  ['StepPod', chart => new StepPod(chart, 'pod')],
  ['StepJob', chart => new StepJob(chart, 'job')],
];

describe.each(hosts)('%s as an IStepHost', (_kind, create) => {
  test('graph is one object until a step or an edge is added', () => {
    const host = create(Testing.chart());
    const a = host.addStep('a', { image: IMAGE, command: ['true'] });
    const g1 = host.graph;
    expect(host.graph).toBe(g1);
    const b = host.addStep('b', { image: IMAGE, command: ['true'] });
    const g2 = host.graph;
    expect(g2).not.toBe(g1);
    expect(g2.steps).toEqual(['a', 'b']);
    expect(host.graph).toBe(g2);
    b.addDependency(a);
    const g3 = host.graph;
    expect(g3).not.toBe(g2);
    expect(g3.dependenciesOf('b')).toEqual(['a']);
    b.addDependency(a); // no new edge: the graph stays
    expect(host.graph).toBe(g3);
  });

  test('graph weighs steps with what cdk8s-plus will write (defaults, limits without requests)', () => {
    const host = create(Testing.chart());
    const a = host.addStep('a', { image: IMAGE, command: ['true'] }); // kplus default: 1000m / 512Mi
    host.addStep('b', { image: IMAGE, command: ['true'], dependsOn: [a], resources: { cpu: { limit: kplus.Cpu.units(3) } } });
    expect(host.graph.peakRequests()).toEqual({ cpu: '3', memory: '512Mi' });
  });

  test('steps lists the steps in the order they were added', () => {
    const host = create(Testing.chart());
    host.addStep('z', { image: IMAGE, command: ['true'] });
    host.addStep('y', { image: IMAGE, command: ['true'] });
    expect(host.steps.map(s => s.name)).toEqual(['z', 'y']);
  });
});

describe('sidecars are found in the spec', () => {
  test.each([['StepPod', synthPod], ['StepJob', synthJob]] as const)('%s: addInitContainer({ restartPolicy: ALWAYS }) gets the workspace like addSidecar', (_kind, synth) => {
    const m = (synth as (build: (h: IStepHost & kplus.AbstractPod) => void) => any)(host => {
      host.addStep('a', { image: IMAGE, command: ['true'] });
      host.addSidecar('db', { image: 'postgres:16' });
      host.addInitContainer({ name: 'cache', image: 'redis:7', restartPolicy: kplus.ContainerRestartPolicy.ALWAYS });
      host.addInitContainer({ name: 'setup', image: IMAGE });
    });
    const ws = { name: 'workspace', mountPath: '/workspace' };
    expect(container(m, 'db').volumeMounts).toContainEqual(ws);
    expect(container(m, 'cache').volumeMounts).toContainEqual(ws);
    expect(container(m, 'setup').volumeMounts ?? []).not.toContainEqual(ws);
    expect(podSpec(m).initContainers.map((c: any) => c.name)).toEqual(['cdk8s-steps-init', 'db', 'cache', 'setup']);
  });
});

/**
 * StepPod and StepJob override cdk8s-plus' internal `_toPodSpec()` (AbstractPod), which its Pod
 * and its Job's pod template call to build the PodSpec. The peer range `cdk8s-plus-33 ^2.5.57`
 * admits versions where that internal hook could change: this fails when it does, for the
 * installed version (CI runs it against the versions it installs).
 */
describe('the cdk8s-plus internal hook StepPod and StepJob override', () => {
  const MARK = 'overridden-by-test';
  const markSpec = (spec: kplus.k8s.PodSpec): kplus.k8s.PodSpec => ({ ...spec, hostname: MARK });
  class MarkedPod extends kplus.Pod {
    public _toPodSpec(): kplus.k8s.PodSpec { return markSpec(super._toPodSpec()); }
  }
  class MarkedJob extends kplus.Job {
    public _toPodSpec(): kplus.k8s.PodSpec { return markSpec(super._toPodSpec()); }
  }

  test('AbstractPod still declares _toPodSpec(), taking no argument', () => {
    expect(typeof (kplus.AbstractPod.prototype as any)._toPodSpec).toBe('function');
    expect((kplus.AbstractPod.prototype as any)._toPodSpec.length).toBe(0);
  });

  test('a Pod and a Job build their PodSpec through _toPodSpec() at synthesis, exactly once', () => {
    const chart = Testing.chart();
    const pod = new MarkedPod(chart, 'pod');
    pod.addContainer({ name: 'a', image: IMAGE });
    const job = new MarkedJob(chart, 'job');
    job.addContainer({ name: 'a', image: IMAGE });
    const calls = jest.spyOn(MarkedPod.prototype, '_toPodSpec');
    const [podManifest, jobManifest] = Testing.synth(chart);
    expect(podManifest.spec.hostname).toBe(MARK);
    expect(jobManifest.spec.template.spec.hostname).toBe(MARK);
    expect(calls).toHaveBeenCalledTimes(1);
  });
});

describe('isolation and Pod Security Standard restricted (issue 9)', () => {
  test('shareProcessNamespace is refused: a step could fake another\'s completion through /proc', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod', { shareProcessNamespace: true });
    pod.addStep('a', { image: IMAGE, command: ['true'] });
    expect(() => Testing.synth(chart)).toThrow(/sets shareProcessNamespace: .*fake its completion\. Leave shareProcessNamespace out/);
  });

  test('the copy container runs as its own non-root user under a root pod security context', () => {
    const chart = Testing.chart(); // a root pod fails restricted on purpose: no synthPod here
    new StepPod(chart, 'pod', { securityContext: { user: 0, ensureNonRoot: false } })
      .addStep('a', { image: IMAGE, command: ['true'], securityContext: { user: 1000 } });
    const [m] = Testing.synth(chart);
    expect(container(m, 'cdk8s-steps-init').securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true });
  });

  test('a root pod whose steps keep runAsNonRoot is refused (the kubelet would never start them), naming each one', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod', { securityContext: { user: 0, ensureNonRoot: false } });
    pod.addStep('a', { image: IMAGE, command: ['true'] });
    pod.addStep('b', { image: IMAGE, command: ['true'], securityContext: { ensureNonRoot: false } }); // root, on purpose
    pod.addStep('c', { image: IMAGE, command: ['true'], securityContext: { user: 1000 } });
    pod.addSidecar('db', { image: 'postgres:16' });
    let message = '';
    try { Testing.synth(chart); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/Step "a" would run as root \(the pod's securityContext.user is 0\) with runAsNonRoot true, which the kubelet refuses.*Set securityContext: \{ ensureNonRoot: false \} on it/);
    expect(message).toMatch(/Sidecar "db" would run as root/);
    expect(message).not.toMatch(/"b" would run as root|"c" would run as root/);

    // A step's own user 0 under a non-root pod too.
    const chart2 = Testing.chart();
    new StepPod(chart2, 'pod').addStep('x', { image: IMAGE, command: ['true'], securityContext: { user: 0 } });
    expect(() => Testing.synth(chart2)).toThrow(/Step "x" would run as root \(its securityContext.user is 0\)/);
  });

  test('steps and sidecars meet restricted by default; StepPod and StepJob', () => {
    for (const synth of [synthPod, synthJob] as Array<(b: (h: any) => void) => any>) {
      const m = synth(host => {
        host.addStep('a', { image: IMAGE, command: ['true'] });
        host.addSidecar('db', { image: 'postgres:16' });
        host.addInitContainer({ name: 'cache', image: 'redis:7', restartPolicy: kplus.ContainerRestartPolicy.ALWAYS });
      });
      expect(restrictedViolations(m)).toEqual([]);
      expect(container(m, 'a').securityContext).toMatchObject({ capabilities: { drop: ['ALL'] } });
      // the seccomp profile once, on the pod: every container that sets none inherits it
      expect(podSpec(m).securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const name of ['a', 'db', 'cache']) expect(container(m, name).securityContext.seccompProfile).toBeUndefined();
    }
  });

  test('a step loosened explicitly stays loosened (and the pod then fails restricted)', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    pod.addStep('a', { image: IMAGE, command: ['true'], securityContext: { capabilities: { add: [kplus.Capability.SYS_ADMIN] } } });
    pod.addStep('b', { image: IMAGE, command: ['true'], securityContext: { seccompProfile: { type: kplus.SeccompProfileType.UNCONFINED } } });
    const [m] = Testing.synth(chart);
    expect(container(m, 'a').securityContext.capabilities).toEqual({ add: ['SYS_ADMIN'] });
    expect(container(m, 'b').securityContext.seccompProfile).toEqual({ type: 'Unconfined' });
    expect(restrictedViolations(m)).toEqual([
      'container a: adds capability SYS_ADMIN', 'container a: does not drop ALL capabilities',
      'container b: seccompProfile Unconfined', 'container b: seccompProfile is Unconfined',
    ]);
  });
});

/** Every host, with metadata given (a StepWorkflow runs without the Argo controller here: synthesis only). */
const named: Array<[string, (chart: any, name?: string) => IStepHost]> = [
  ['StepPod', (chart, name) => new StepPod(chart, 'pod', name !== undefined ? { metadata: { name } } : {})],
  ['StepJob', (chart, name) => new StepJob(chart, 'job', name !== undefined ? { metadata: { name } } : {})],
  ['StepWorkflow', (chart, name) => new StepWorkflow(chart, 'wf', name !== undefined ? { metadata: { name } } : {})],
];

describe.each(named)('%s: names Kubernetes refuses are refused at synthesis, naming the field (issue 18, item 10)', (kind, create) => {
  const synthWith = (name: string) => {
    const chart = Testing.chart();
    create(chart, name).addStep('a', { image: IMAGE, command: ['true'] });
    return () => Testing.synth(chart);
  };

  test.each(['MyPod', 'my_pod', 'pod-', '-pod', 'a..b', ''])('metadata.name %j', (name) => {
    expect(synthWith(name)).toThrow(new RegExp(`${kind} "[^"]+": metadata.name "${name.replace(/\./g, '\\.')}" must be a DNS-1123 subdomain of at most \\d+ characters`));
  });

  test('valid names synthesise, dots included', () => {
    for (const name of ['my-pod', 'build.v1', 'x'.repeat(63)]) expect(synthWith(name)).not.toThrow();
  });

  test('the longest name: 63 for a Job (its name becomes its pods\' job-name label) and a Workflow (Argo\'s limit), else 253', () => {
    const max = kind === 'StepPod' ? 253 : 63;
    const why = ({
      StepPod: '',
      StepJob: ' \\(a Job\'s name is also the job-name label of its pods\\)',
      StepWorkflow: ' \\(Argo rejects Workflow and WorkflowTemplate names over 63 characters\\)',
    } as Record<string, string>)[kind];
    expect(synthWith('a'.repeat(max))).not.toThrow();
    expect(synthWith('a'.repeat(max + 1))).toThrow(new RegExp(`metadata.name "a{${max + 1}}" must be a DNS-1123 subdomain of at most ${max} characters`
      + `: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit${why}`));
  });
});

test('a WorkflowTemplate\'s name: at most 63 characters too (Argo validates it like a Workflow\'s, issue 18, item 10)', () => {
  const synthWith = (name: string) => {
    const chart = Testing.chart();
    new StepWorkflow(chart, 'wf', { kind: WorkflowKind.WORKFLOW_TEMPLATE, metadata: { name } }).addStep('a', { image: IMAGE, command: ['true'] });
    return () => Testing.synth(chart);
  };
  expect(synthWith('a'.repeat(63))).not.toThrow();
  expect(synthWith('a'.repeat(64))).toThrow(/StepWorkflow "[^"]+": metadata.name "a{64}" must be a DNS-1123 subdomain of at most 63 characters.*\(Argo rejects Workflow and WorkflowTemplate names over 63 characters\)/);
});

describe.each(named)('%s: a step may not set the wrapper\'s CDK8S_STEPS_* variables (issue 18, item 8)', (_kind, create) => {
  test('in envVariables: refused at addStep(), naming the step and the variable; nothing is added', () => {
    const host = create(Testing.chart());
    expect(() => host.addStep('build', { image: IMAGE, command: ['true'], envVariables: { CDK8S_STEPS_RESULTS: kplus.EnvValue.fromValue('/tmp') } }))
      .toThrow('Step "build" sets CDK8S_STEPS_RESULTS in its env: names starting with CDK8S_STEPS_ are set by the step wrapper; rename it');
    expect(host.steps).toEqual([]);
  });

  test('added to the container later: refused at synthesis', () => {
    const chart = Testing.chart();
    const step = create(chart).addStep('build', { image: IMAGE, command: ['true'], envVariables: { CDK8S_STEPSX: kplus.EnvValue.fromValue('ok') } });
    expect(() => Testing.synth(chart)).not.toThrow();
    step.container.env.addVariable('CDK8S_STEPS_ANYTHING', kplus.EnvValue.fromValue('x'));
    expect(() => Testing.synth(chart)).toThrow(/Step "build" sets CDK8S_STEPS_ANYTHING in its env: names starting with CDK8S_STEPS_ are set by the step wrapper/);
  });
});
