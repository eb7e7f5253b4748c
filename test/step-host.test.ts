/** The step API shared by StepPod and StepJob (IStepHost), and what it relies on in cdk8s-plus. */
import { createHash } from 'crypto';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { IStepHost, StepJob, StepPod } from '../src';
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

  test('steps and sidecars meet restricted by default; StepPod and StepJob', () => {
    for (const synth of [synthPod, synthJob] as Array<(b: (h: any) => void) => any>) {
      const m = synth(host => {
        host.addStep('a', { image: IMAGE, command: ['true'] });
        host.addSidecar('db', { image: 'postgres:16' });
        host.addInitContainer({ name: 'cache', image: 'redis:7', restartPolicy: kplus.ContainerRestartPolicy.ALWAYS });
      });
      expect(restrictedViolations(m)).toEqual([]);
      expect(container(m, 'a').securityContext).toMatchObject({ capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
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

describe('every value is checked at synthesis (issue 9)', () => {
  const newPod = () => new StepPod(Testing.chart(), 'pod');

  test('an empty command[0]', () => {
    expect(() => newPod().addStep('a', { image: IMAGE, command: [''] })).toThrow(/Step "a": command\[0\] is empty/);
  });

  test('a timeout beyond what a Go duration holds, retries beyond 1 000 or not a plain integer', () => {
    expect(() => newPod().addStep('a', { image: IMAGE, command: ['true'], timeout: Duration.days(365 * 600) }))
      .toThrow(/Step "a": timeout is longer than the entrypoint can represent/);
    expect(() => newPod().addStep('a', { image: IMAGE, command: ['true'], timeout: Duration.days(365 * 290) })).not.toThrow();
    expect(() => newPod().addStep('a', { image: IMAGE, command: ['true'], retries: 1e21 })).toThrow(/retries must be a whole number from 0 to 1000 \(got 1e\+21\)/);
    expect(() => newPod().addStep('a', { image: IMAGE, command: ['true'], retries: 1001 })).toThrow(/from 0 to 1000/);
    expect(() => newPod().addStep('a', { image: IMAGE, command: ['true'], retries: 1000 })).not.toThrow();
  });

  test.each(['//cdk8s-steps/bin', '/./cdk8s-steps', '/cdk8s-steps/', '/x/../cdk8s-steps/steps'])('a reserved path written another way: %p', p => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: p, volume: kplus.Volume.fromEmptyDir(chart, 'v', 'mine') }] });
    expect(() => Testing.synth(chart)).toThrow(/mounts a volume at .*, under \/cdk8s-steps\/, which the library reserves/);
  });

  test.each(['/workspace/.', '//workspace', '/./workspace', '/workspace//'])('the workspace path written another way: %p', p => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: p, volume: kplus.Volume.fromEmptyDir(chart, 'v', 'mine') }] });
    expect(() => Testing.synth(chart)).toThrow(/where the shared workspace goes/);
  });

  test('two step names whose state volumes would collide after the long-name hash', () => {
    const b = 'x'.repeat(63);
    const a = `${b.slice(0, 36)}-${createHash('sha256').update(b).digest('hex').slice(0, 8)}`;
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    pod.addStep(b, { image: IMAGE, command: ['true'] });
    pod.addStep(a, { image: IMAGE, command: ['true'] });
    expect(() => Testing.synth(chart)).toThrow(new RegExp(`Steps "${b}" and "${a}" would share the state volume`));
  });
});

describe('StepPod activeDeadline (issue 9)', () => {
  test('synthesised as activeDeadlineSeconds, rounded up to whole seconds', () => {
    const one = (props: any) => synthPod(pod => { pod.addStep('a', { image: IMAGE, command: ['true'] }); }, props);
    expect(one({ activeDeadline: Duration.minutes(10) }).spec.activeDeadlineSeconds).toBe(600);
    expect(one({ activeDeadline: Duration.millis(1500) }).spec.activeDeadlineSeconds).toBe(2);
    expect(one({}).spec.activeDeadlineSeconds).toBeUndefined();
    expect(() => new StepPod(Testing.chart(), 'p', { activeDeadline: Duration.seconds(0) })).toThrow(/activeDeadline must be longer than zero/);
  });
});
