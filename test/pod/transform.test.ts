/** The pure pod transformation on its own: plain PodSpec and plan in, PodSpec out, no constructs. */
import { k8s } from 'cdk8s-plus-33';
import { Plan, StepPlan } from '../../src/plan';
import { injectSteps, PodOptions } from '../../src/pod/transform';

const OPTIONS: PodOptions = {
  entrypoint: { image: 'example.com/ep:1', binaryPath: '/entrypoint', imagePullPolicy: 'Never' },
  resources: 'sum',
};

function step(name: string, dependsOn: string[] = [], extra: Partial<StepPlan> = {}): StepPlan {
  return {
    name,
    dependsOn,
    retries: 0,
    continueOnError: false,
    runIf: { kind: 'allSucceeded' },
    results: [],
    resultEnv: [],
    isFinally: false,
    ...extra,
  };
}

function plan(steps: StepPlan[], extra: Partial<Plan> = {}): Plan {
  return { steps, failFast: false, workspace: true, ...extra };
}

const q = (v: string) => k8s.Quantity.fromString(v);
const cpu = (request?: string, limit?: string): k8s.ResourceRequirements => ({
  ...request ? { requests: { cpu: q(request) } } : {},
  ...limit ? { limits: { cpu: q(limit) } } : {},
});
const containerOf = (name: string, resources?: k8s.ResourceRequirements): k8s.Container =>
  ({ name, image: 'busybox', command: ['sh', '-c', `echo ${name}`], resources });
const requestsOf = (spec: k8s.PodSpec) => spec.containers.map(c => c.resources?.requests?.cpu?.value);

describe('injectSteps', () => {
  test('wraps step containers, leaves the input untouched, injects the copy container first', () => {
    const spec: k8s.PodSpec = {
      containers: [containerOf('a'), containerOf('b')],
      initContainers: [{ name: 'setup', image: 'busybox' }],
    };
    const before = JSON.stringify(spec);
    const out = injectSteps(spec, plan([step('a'), step('b', ['a'])]), OPTIONS);
    expect(JSON.stringify(spec)).toBe(before);
    expect(out.initContainers!.map(c => c.name)).toEqual(['cdk8s-steps-init', 'setup']);
    expect(out.initContainers![0].command).toEqual(['/entrypoint', 'cp', '/entrypoint', '/cdk8s-steps/bin/entrypoint']);
    expect(out.containers.map(c => c.command)).toEqual([['/cdk8s-steps/bin/entrypoint'], ['/cdk8s-steps/bin/entrypoint']]);
    expect(out.containers[1].args!.slice(-3)).toEqual(['--', '-c', 'echo b']);
    expect(out.restartPolicy).toBe('Never');
  });

  test('every initContainer with restartPolicy Always is a sidecar and gets the workspace; others do not', () => {
    const spec: k8s.PodSpec = {
      containers: [containerOf('a')],
      initContainers: [{ name: 'db', image: 'postgres', restartPolicy: 'Always' }, { name: 'setup', image: 'busybox' }],
    };
    const out = injectSteps(spec, plan([step('a')]), OPTIONS);
    const byName = new Map(out.initContainers!.map(c => [c.name, c]));
    expect(byName.get('db')!.volumeMounts).toEqual([{ name: 'workspace', mountPath: '/workspace' }]);
    expect(byName.get('setup')!.volumeMounts).toBeUndefined();
    const none = injectSteps(spec, plan([step('a')], { workspace: false }), OPTIONS);
    expect(none.initContainers!.find(c => c.name === 'db')!.volumeMounts).toBeUndefined();
  });

  test('PEAK: one heaviest concurrent set keeps its requests, every other step requests an explicit 0', () => {
    const spec: k8s.PodSpec = {
      containers: [containerOf('a', cpu('1')), containerOf('b', cpu('500m')), containerOf('c', cpu('700m')), containerOf('d', cpu(undefined, '2'))],
    };
    // a -> {b, c} -> d: the heaviest concurrent set is {b, c} (1200m) vs a (1) vs d (2, from its limit)
    const out = injectSteps(spec, plan([step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c'])]), { ...OPTIONS, resources: 'peak' });
    expect(requestsOf(out)).toEqual(['0', '0', '0', '2']);
    expect(out.containers[3].resources!.limits!.cpu.value).toBe('2'); // limits stay
    const wide = injectSteps({ containers: [containerOf('a', cpu('1')), containerOf('b', cpu('1'))] },
      plan([step('a'), step('b')]), { ...OPTIONS, resources: 'peak' });
    expect(requestsOf(wide)).toEqual(['1', '1']);
  });

  test('PEAK leaves a container that requests nothing of a resource without a request for it', () => {
    const out = injectSteps({ containers: [containerOf('a', cpu('1')), containerOf('b')] },
      plan([step('a'), step('b', ['a'])]), { ...OPTIONS, resources: 'peak' });
    expect(requestsOf(out)).toEqual(['1', undefined]);
    expect(out.containers[1].resources).toBeUndefined();
  });

  test('SUM leaves requests as given', () => {
    const out = injectSteps({ containers: [containerOf('a', cpu('1')), containerOf('b', cpu('1'))] },
      plan([step('a'), step('b', ['a'])]), OPTIONS);
    expect(requestsOf(out)).toEqual(['1', '1']);
    expect(out.resources).toBeUndefined();
  });

  test('POD_LEVEL: pod requests = steps after PEAK + sidecars, found by restartPolicy', () => {
    const spec: k8s.PodSpec = {
      containers: [containerOf('a', cpu('1')), containerOf('b', cpu('1'))],
      initContainers: [
        { name: 'db', image: 'postgres', restartPolicy: 'Always', resources: { requests: { cpu: q('250m'), memory: q('64Mi') } } },
      ],
    };
    const out = injectSteps(spec, plan([step('a'), step('b', ['a'])]), { ...OPTIONS, resources: 'pod-level' });
    expect(out.resources).toEqual({ requests: { cpu: q('1250m'), memory: q('64Mi') } });
  });

  test('state volumes: one per step; mounts: own rw, direct dependencies ro; abort only with failFast', () => {
    const p = plan([step('a'), step('b', ['a'])], { failFast: true });
    const out = injectSteps({ containers: [containerOf('a'), containerOf('b')] }, p, OPTIONS);
    expect(out.volumes!.map(v => v.name)).toEqual(['cdk8s-steps-bin', 'cdk8s-steps-state-a', 'cdk8s-steps-state-b', 'workspace', 'cdk8s-steps-abort']);
    const mounts = out.containers[1].volumeMounts!.map(m => `${m.name}:${m.mountPath}:${m.readOnly ? 'ro' : 'rw'}`);
    expect(mounts).toEqual([
      'cdk8s-steps-bin:/cdk8s-steps/bin:ro',
      'cdk8s-steps-state-b:/cdk8s-steps/steps/b:rw',
      'cdk8s-steps-state-a:/cdk8s-steps/steps/a:ro',
      'workspace:/workspace:rw',
      'cdk8s-steps-abort:/cdk8s-steps/abort:rw',
    ]);
  });
});

describe('the termination-message budget', () => {
  const argsOf = (spec: k8s.PodSpec, p: Plan) => injectSteps(spec, p, OPTIONS).containers.map(c => c.args!);
  const budgetOf = (args: string[]) => args.find(a => a.startsWith('-budget='));

  test('min(4096, floor(12288 / containers)), counting the copy container, initContainers and sidecars', () => {
    expect(argsOf({ containers: [containerOf('a')] }, plan([step('a')])).map(budgetOf)).toEqual(['-budget=4096']);
    const spec: k8s.PodSpec = {
      containers: [containerOf('a'), containerOf('b')],
      initContainers: [{ name: 'db', image: 'postgres', restartPolicy: 'Always' }, { name: 'setup', image: 'busybox' }],
    };
    // copy + db + setup + a + b = 5 containers: 12288 / 5 = 2457.6
    expect(argsOf(spec, plan([step('a'), step('b')])).map(budgetOf)).toEqual(['-budget=2457', '-budget=2457']);
  });

  test('1 000 steps get 12 bytes each', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `s${i}`);
    const args = argsOf({ containers: names.map(n => containerOf(n)) }, plan(names.map(n => step(n))));
    expect(new Set(args.map(budgetOf))).toEqual(new Set(['-budget=12']));
  });
});

describe('the wire (docs/contract.md, version 2)', () => {
  test('every flag in the contract order, -contract first, names not paths', () => {
    const p = plan([
      step('a'), step('b', ['a']),
      step('c', ['b'], {
        timeoutMs: 1500,
        retries: 2,
        continueOnError: true,
        runIf: { kind: 'resultIn', result: { step: 'a', name: 'channel' }, values: ['x', 'y,z'] },
        results: ['out', 'digest'],
        resultEnv: [{ env: 'V', result: { step: 'a', name: 'version' } }],
      }),
    ], { failFast: true });
    const spec: k8s.PodSpec = { containers: ['a', 'b', 'c'].map(n => ({ ...containerOf(n), args: ['--x', 'y z'] })) };
    const c = injectSteps(spec, p, OPTIONS).containers[2];
    expect(c.args).toEqual([
      '-contract=2', '-step=c', '-wait=b', '-after=a', '-budget=3072', '-timeout=1500ms', '-retries=2',
      '-on_error=continue', '-fail_fast', '-run_if=result_in', '-result=a.channel', '-value=x', '-value=y,z',
      '-results=out,digest', '-result_env=V=a.version', '-entrypoint=sh', '--', '-c', 'echo c', '--x', 'y z',
    ]);
    expect(c.terminationMessagePath).toBe('/cdk8s-steps/steps/c/report');
    const ro = c.volumeMounts!.filter(m => m.readOnly && m.mountPath.startsWith('/cdk8s-steps/steps/')).map(m => m.mountPath);
    expect(ro).toEqual(['/cdk8s-steps/steps/b', '/cdk8s-steps/steps/a']); // the dependency, then the result's producer
  });
});

/**
 * The seccomp profile the kubelet gives a container: its own, else the pod's, else none
 * (kubernetes/kubernetes pkg/kubelet/kuberuntime/helpers.go, `getSeccompProfile`; "none" is
 * Unconfined unless the kubelet runs with SeccompDefault).
 */
function effectiveSeccomp(spec: k8s.PodSpec, c: k8s.Container): string | undefined {
  return (c.securityContext?.seccompProfile ?? spec.securityContext?.seccompProfile)?.type;
}

describe('Pod Security Standard restricted', () => {
  const spec: k8s.PodSpec = {
    containers: [containerOf('a'), { ...containerOf('b'), securityContext: { capabilities: { add: ['NET_ADMIN'] }, allowPrivilegeEscalation: true } },
      { ...containerOf('c'), securityContext: { seccompProfile: { type: 'Unconfined' } } }],
    initContainers: [{ name: 'db', image: 'postgres', restartPolicy: 'Always' }, { name: 'setup', image: 'busybox' }],
    securityContext: { runAsNonRoot: true, fsGroup: 1000 },
  };
  const steps = plan([step('a'), step('b'), step('c')]);
  const all = (out: k8s.PodSpec) => [...out.containers, ...out.initContainers!];

  test('steps, sidecars and initContainers get drop ALL and no privilege escalation where the user left them out; explicit settings are kept', () => {
    const out = injectSteps(spec, steps, OPTIONS);
    const sc = (name: string) => all(out).find(c => c.name === name)!.securityContext;
    const defaults = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
    expect(sc('a')).toEqual(defaults);
    expect(sc('db')).toEqual(defaults);
    expect(sc('b')).toEqual({ ...defaults, capabilities: { add: ['NET_ADMIN'] }, allowPrivilegeEscalation: true }); // explicit: kept
    expect(sc('c')).toEqual({ ...defaults, seccompProfile: { type: 'Unconfined' } }); // explicit: kept
    expect(sc('setup')).toEqual(defaults); // a plain initContainer too
  });

  test('RuntimeDefault is written once, on the pod, and every container that sets no profile gets it, as before', () => {
    const out = injectSteps(spec, steps, OPTIONS);
    expect(out.securityContext).toEqual({ runAsNonRoot: true, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(all(out).filter(c => c.name !== 'cdk8s-steps-init' && c.name !== 'c').map(c => c.securityContext!.seccompProfile))
      .toEqual([undefined, undefined, undefined, undefined]); // not repeated
    // what each container runs with: its own profile when it gives one, RuntimeDefault otherwise
    expect(all(out).map(c => `${c.name}: ${effectiveSeccomp(out, c)}`)).toEqual([
      'a: RuntimeDefault', 'b: RuntimeDefault', 'c: Unconfined',
      'cdk8s-steps-init: RuntimeDefault', 'db: RuntimeDefault', 'setup: RuntimeDefault',
    ]);
    expect(JSON.stringify(spec)).not.toContain('RuntimeDefault'); // the input is not modified
  });

  test('a pod-level profile given is kept, not replaced, and not repeated on the containers', () => {
    const localhost = { type: 'Localhost', localhostProfile: 'profiles/steps.json' };
    const out = injectSteps({ ...spec, securityContext: { seccompProfile: localhost } }, steps, OPTIONS);
    expect(out.securityContext).toEqual({ seccompProfile: localhost });
    expect(all(out).map(c => `${c.name}: ${effectiveSeccomp(out, c)}`)).toEqual([
      'a: Localhost', 'b: Localhost', 'c: Unconfined',
      'cdk8s-steps-init: RuntimeDefault', // the copy container sets its own, whatever the pod says
      'db: Localhost', 'setup: Localhost',
    ]);
  });
});
