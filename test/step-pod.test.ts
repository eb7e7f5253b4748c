import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import * as fc from 'fast-check';
import { Entrypoint, IStepHost, OnError, ResourceStrategy, Step, StepPod } from '../src';
import { container, flag, podSpec, synthJob, synthPod, validateManifest } from './synth';

const ENTRYPOINT = Entrypoint.fromImage('localhost/cdk8s-steps-entrypoint:dev', { imagePullPolicy: kplus.ImagePullPolicy.NEVER });
const IMAGE = 'alpine:3.20';

/** The seed's 3-step chain (../shared/reference/k8s-ordered-container-execution.txt). */
function seedChain(pod: StepPod): void {
  const one = pod.addStep('one', { image: IMAGE, command: ['sh', '-c', 'echo step one\necho hello world\n'] });
  const two = pod.addStep('two', { image: IMAGE, command: ['sh', '-c', 'echo step two\necho fizz buzz\n'], dependsOn: [one] });
  pod.addStep('three', { image: IMAGE, command: ['sh', '-c', 'echo step three\necho lorem ipsum\n'], dependsOn: [two] });
}

function diamond(pod: IStepHost): Step[] {
  const a = pod.addStep('a', { image: IMAGE, command: ['echo', 'a'] });
  const b = pod.addStep('b', { image: IMAGE, command: ['echo', 'b'], dependsOn: [a] });
  const c = pod.addStep('c', { image: IMAGE, command: ['echo', 'c'], dependsOn: [a] });
  const d = pod.addStep('d', { image: IMAGE, command: ['echo', 'd'], dependsOn: [b, c] });
  return [a, b, c, d];
}

/** The diamond's graph annotation (docs/contract.md, "Graph annotation"). */
const DIAMOND_GRAPH = { version: 2, steps: ['a', 'b', 'c', 'd'], dependsOn: [[], [0], [0], [1, 2]] };

describe('synthesis', () => {
  test('the seed chain (snapshot)', () => {
    const manifest = synthPod(seedChain, { entrypoint: ENTRYPOINT });
    validateManifest(manifest);
    expect(manifest).toMatchSnapshot();
  });

  test('a diamond (snapshot)', () => {
    const manifest = synthPod(diamond, { entrypoint: ENTRYPOINT });
    validateManifest(manifest);
    expect(manifest).toMatchSnapshot();
  });

  test('each step runs its own command verbatim through the wrapper', () => {
    const m = synthPod(pod => {
      const a = pod.addStep('a', { image: IMAGE, command: ['sh', '-c', 'echo "$HOME" && exit 3'], args: ['--x', 'y z'] });
      pod.addStep('b', { image: IMAGE, command: ['make'], dependsOn: [a], timeout: Duration.seconds(90), retries: 2, onError: OnError.CONTINUE });
    }, { failFast: true });
    const a = container(m, 'a');
    expect(a.command).toEqual(['/cdk8s-steps/bin/entrypoint']);
    expect(a.args).toEqual([
      '-contract=2',
      '-step=a',
      '-budget=4096',
      '-fail_fast',
      '-entrypoint=sh', '--', '-c', 'echo "$HOME" && exit 3', '--x', 'y z',
    ]);
    const b = container(m, 'b');
    expect(b.args).toEqual([
      '-contract=2',
      '-step=b',
      '-wait=a',
      '-budget=4096',
      '-timeout=90s', '-retries=2', '-on_error=continue',
      '-fail_fast',
      '-entrypoint=make', '--',
    ]);
    expect(b.terminationMessagePath).toBe('/cdk8s-steps/steps/b/report');
    // left to Kubernetes' default, File (pkg/apis/core/v1/defaults.go SetDefaults_Container): the kubelet reads the path
    expect(b.terminationMessagePolicy).toBeUndefined();
  });

  test('state: own volume read-write, direct dependencies read-only, nothing else', () => {
    const m = synthPod(diamond);
    const mounts = (name: string) => container(m, name).volumeMounts
      .filter((v: any) => v.mountPath.startsWith('/cdk8s-steps/steps/'))
      .map((v: any) => `${v.name}:${v.mountPath}:${v.readOnly ? 'ro' : 'rw'}`);
    expect(mounts('a')).toEqual(['cdk8s-steps-state-a:/cdk8s-steps/steps/a:rw']);
    expect(mounts('d')).toEqual([
      'cdk8s-steps-state-d:/cdk8s-steps/steps/d:rw',
      'cdk8s-steps-state-b:/cdk8s-steps/steps/b:ro',
      'cdk8s-steps-state-c:/cdk8s-steps/steps/c:ro',
    ]);
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(container(m, name).volumeMounts).toContainEqual({ name: 'cdk8s-steps-bin', mountPath: '/cdk8s-steps/bin', readOnly: true });
      expect(container(m, name).volumeMounts).toContainEqual({ name: 'workspace', mountPath: '/workspace' });
    }
    const volumes = podSpec(m).volumes.map((v: any) => v.name);
    expect(volumes).toEqual(['cdk8s-steps-bin', 'cdk8s-steps-state-a', 'cdk8s-steps-state-b', 'cdk8s-steps-state-c',
      'cdk8s-steps-state-d', 'workspace']);
    for (const v of podSpec(m).volumes) expect(v.emptyDir).toEqual({});
  });

  test('every internal mount lives under /cdk8s-steps/ and the abort volume exists only with failFast', () => {
    const plain = synthPod(diamond, { workspace: false });
    const all = (m: any) => [...podSpec(m).containers, ...podSpec(m).initContainers].flatMap((c: any) => c.volumeMounts ?? []);
    expect(all(plain).every((v: any) => v.mountPath.startsWith('/cdk8s-steps/'))).toBe(true);
    expect(podSpec(plain).volumes.map((v: any) => v.name)).not.toContain('cdk8s-steps-abort');
    const ff = synthPod(diamond, { failFast: true });
    expect(container(ff, 'b').volumeMounts).toContainEqual({ name: 'cdk8s-steps-abort', mountPath: '/cdk8s-steps/abort' });
  });

  test('long step names get distinct state volumes of at most 63 characters', () => {
    const long1 = 'x'.repeat(60) + 'abc';
    const long2 = 'x'.repeat(60) + 'abd';
    const m = synthPod(pod => {
      const a = pod.addStep(long1, { image: IMAGE, command: ['true'] });
      pod.addStep(long2, { image: IMAGE, command: ['true'], dependsOn: [a] });
    });
    validateManifest(m);
    const names = podSpec(m).volumes.map((v: any) => v.name).filter((n: string) => n.startsWith('cdk8s-steps-state-'));
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(63);
  });

  test('the pod never restarts a step, and records the graph in an annotation', () => {
    const m = synthPod(diamond);
    expect(m.spec.restartPolicy).toBe('Never');
    expect(JSON.parse(m.metadata.annotations['cdk8s-steps/graph'])).toEqual(DIAMOND_GRAPH);
  });

  test('the injected initContainer copies the binary first and meets PSS restricted', () => {
    const m = synthPod(pod => {
      seedChain(pod);
      pod.addSidecar('db', { image: 'postgres:16', portNumber: 5432 });
    }, { entrypoint: Entrypoint.fromImage('example.com/ep:1', { binaryPath: '/ko-app/entrypoint' }) });
    const [init, db] = m.spec.initContainers;
    expect(init.name).toBe('cdk8s-steps-init');
    expect(db.name).toBe('db');
    expect(init.image).toBe('example.com/ep:1');
    expect(init.command).toEqual(['/ko-app/entrypoint', 'cp', '/ko-app/entrypoint', '/cdk8s-steps/bin/entrypoint']);
    expect(init.volumeMounts).toEqual([{ name: 'cdk8s-steps-bin', mountPath: '/cdk8s-steps/bin' }]);
    assertRestricted(init);
    expect(init.resources.requests).toEqual({ cpu: '10m', memory: '16Mi' });
    expect(init.resources.limits).toEqual({ cpu: '100m', memory: '32Mi' });
  });

  test('a sidecar is a native sidecar with the workspace, after the copy container', () => {
    const m = synthPod(pod => {
      seedChain(pod);
      pod.addSidecar('db', { image: 'postgres:16', portNumber: 5432 });
    });
    validateManifest(m);
    const db = container(m, 'db');
    expect(db.restartPolicy).toBe('Always');
    expect(db.volumeMounts).toContainEqual({ name: 'workspace', mountPath: '/workspace' });
    expect(db.command).toBeUndefined();
    expect(m.spec.containers.map((c: any) => c.name)).toEqual(['one', 'two', 'three']);
  });

  test('Entrypoint.DEFAULT is the published image tagged with the library version', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = require('../package.json').version;
    expect(Entrypoint.DEFAULT.image).toBe(`ghcr.io/cdk8s-steps/entrypoint:${version}`);
    const m = synthPod(seedChain);
    expect(m.spec.initContainers[0].image).toBe(`ghcr.io/cdk8s-steps/entrypoint:${version}`);
  });

  test('StepJob: same steps in the pod template, restartPolicy Never, backoffLimit 0', () => {
    const m = synthJob(diamond);
    validateManifest(m);
    expect(m.kind).toBe('Job');
    expect(m.spec.backoffLimit).toBe(0);
    const spec = m.spec.template.spec;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.initContainers[0].name).toBe('cdk8s-steps-init');
    expect(flag(container(m, 'd'), 'wait')).toBe('b,c');
    expect(JSON.parse(m.spec.template.metadata.annotations['cdk8s-steps/graph'])).toEqual(DIAMOND_GRAPH);
    expect(synthJob(diamond, { backoffLimit: 3 }).spec.backoffLimit).toBe(3);
  });

  test('edges may be added in any order before synthesis', () => {
    const m = synthPod(pod => {
      const publish = pod.addStep('publish', { image: IMAGE, command: ['echo'] });
      const unit = pod.addStep('unit', { image: IMAGE, command: ['echo'] });
      const lint = pod.addStep('lint', { image: IMAGE, command: ['echo'] });
      publish.addDependency(unit, lint);
      const checkout = pod.addStep('checkout', { image: IMAGE, command: ['echo'] });
      unit.addDependency(checkout);
      lint.addDependency(checkout, checkout);
      expect(pod.graph.topologicalOrder()).toEqual(expect.arrayContaining(['checkout', 'unit', 'lint', 'publish']));
      expect(pod.graph.topologicalOrder()[0]).toBe('checkout');
      expect(lint.dependencies.map(s => s.name)).toEqual(['checkout']);
    });
    expect(flag(container(m, 'publish'), 'wait')).toBe('unit,lint');
  });

  test('property: every step waits for exactly its direct dependencies, and the manifest is valid', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }).chain(n => fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n })),
      fc.boolean(),
      (adjacency, failFast) => {
        const n = adjacency.length;
        const deps = adjacency.map((row, i) => row.slice(0, i).map((on, j) => (on ? `s${j}` : '')).filter(Boolean));
        const m = synthPod(pod => {
          const steps: Step[] = [];
          for (let i = 0; i < n; i++) {
            steps.push(pod.addStep(`s${i}`, { image: IMAGE, command: ['echo', `${i}`], dependsOn: deps[i].map(d => steps[Number(d.slice(1))]) }));
          }
        }, { failFast });
        validateManifest(m);
        for (let i = 0; i < n; i++) {
          const c = container(m, `s${i}`);
          const waits = flag(c, 'wait')?.split(',') ?? [];
          expect(waits).toEqual(deps[i]);
          const roMounts = c.volumeMounts.filter((v: any) => v.readOnly && v.mountPath.startsWith('/cdk8s-steps/steps/'));
          expect(roMounts.map((v: any) => v.mountPath)).toEqual(deps[i].map(d => `/cdk8s-steps/steps/${d}`));
          expect(c.args.slice(0, c.args.indexOf('--')).includes('-fail_fast')).toBe(failFast);
          // copy container + n steps share the kubelet's 12 288 bytes
          expect(flag(c, 'budget')).toBe(String(Math.min(4096, Math.floor(12288 / (n + 1)))));
        }
      }), { numRuns: 60 });
  });
});

describe('resources', () => {
  const cpuRequests = (m: any) => podSpec(m).containers.map((c: any) => c.resources?.requests?.cpu);
  const total = (values: string[]) => values.reduce((s, v) => s + (v.endsWith('m') ? Number(v.slice(0, -1)) : Number(v) * 1000), 0);

  test('PEAK: a 10-step chain of 1-CPU steps requests 1 CPU, not 10', () => {
    const m = synthPod(pod => {
      let prev: Step | undefined;
      for (let i = 0; i < 10; i++) {
        prev = pod.addStep(`s${i}`, {
          image: IMAGE,
          command: ['true'],
          dependsOn: prev ? [prev] : [],
          resources: { cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(2) } },
        });
      }
    });
    validateManifest(m);
    expect(total(cpuRequests(m))).toBe(1000);
    expect(cpuRequests(m).filter((c: string) => c === '0')).toHaveLength(9);
    for (const c of m.spec.containers) expect(c.resources.limits.cpu).toBe('2'); // limits stay
  });

  test('PEAK: a diamond of 1-CPU steps requests 2; memory is computed on its own', () => {
    const m = synthPod(pod => {
      const res = (cpu: number, mem: number) => ({
        cpu: { request: kplus.Cpu.units(cpu) }, memory: { request: Size.mebibytes(mem) },
      });
      const a = pod.addStep('a', { image: IMAGE, command: ['true'], resources: res(1, 4096) });
      const b = pod.addStep('b', { image: IMAGE, command: ['true'], dependsOn: [a], resources: res(1, 100) });
      const c = pod.addStep('c', { image: IMAGE, command: ['true'], dependsOn: [a], resources: res(1, 100) });
      pod.addStep('d', { image: IMAGE, command: ['true'], dependsOn: [b, c], resources: res(1, 100) });
      expect(pod.graph.peakRequests()).toEqual({ cpu: '2', memory: '4Gi' });
    });
    expect(total(cpuRequests(m))).toBe(2000);
    const memory = m.spec.containers.map((c: any) => c.resources.requests.memory);
    expect(memory).toEqual(['4096Mi', '0', '0', '0']);
  });

  test('PEAK counts a limit without a request as the request it becomes', () => {
    const m = synthPod(pod => {
      const a = pod.addStep('a', { image: IMAGE, command: ['true'], resources: { cpu: { limit: kplus.Cpu.units(3) } } });
      pod.addStep('b', { image: IMAGE, command: ['true'], dependsOn: [a], resources: { cpu: { limit: kplus.Cpu.units(1) } } });
    });
    expect(cpuRequests(m)).toEqual(['3', '0']);
  });

  test('SUM leaves requests alone', () => {
    const m = synthPod(pod => {
      let prev: Step | undefined;
      for (let i = 0; i < 4; i++) prev = pod.addStep(`s${i}`, { image: IMAGE, command: ['true'], dependsOn: prev ? [prev] : [] });
    }, { resourceStrategy: ResourceStrategy.SUM });
    expect(cpuRequests(m)).toEqual(['1000m', '1000m', '1000m', '1000m']);
  });

  test('POD_LEVEL adds pod-level requests equal to steps at peak plus sidecars', () => {
    const m = synthPod(pod => {
      diamond(pod);
      pod.addSidecar('db', { image: 'postgres:16', resources: { cpu: { request: kplus.Cpu.millis(250) }, memory: { request: Size.mebibytes(256) } } });
    }, { resourceStrategy: ResourceStrategy.POD_LEVEL });
    validateManifest(m);
    expect(m.spec.resources).toEqual({ requests: { cpu: '2250m', memory: '1280Mi' } });
  });
});

describe('bad input is named and nothing is written', () => {
  const addTo = (build: (pod: StepPod) => void, props = {}) => () => synthPod(build, props);

  test('a dependency cycle lists the cycle', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    const a = pod.addStep('a', { image: IMAGE, command: ['true'] });
    const b = pod.addStep('b', { image: IMAGE, command: ['true'], dependsOn: [a] });
    const c = pod.addStep('c', { image: IMAGE, command: ['true'], dependsOn: [b] });
    a.addDependency(c);
    expect(() => Testing.synth(chart)).toThrow(/the steps form a cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c)/);
    expect(pod.node.validate().join('\n')).toMatch(/cycle/);
    expect(() => pod.graph.topologicalOrder()).toThrow(/cycle/);
  });

  test('a self-dependency', () => {
    const chart = Testing.chart();
    const a = new StepPod(chart, 'pod').addStep('a', { image: IMAGE, command: ['true'] });
    expect(() => a.addDependency(a)).toThrow(/Step "a" cannot depend on itself/);
  });

  test('a dependency on a step of another pod', () => {
    const chart = Testing.chart();
    const x = new StepPod(chart, 'one').addStep('x', { image: IMAGE, command: ['true'] });
    const other = new StepPod(chart, 'two');
    expect(() => other.addStep('y', { image: IMAGE, command: ['true'], dependsOn: [x] }))
      .toThrow(/Step "y" cannot depend on "x": "x" belongs to another pod/);
    expect(other.steps).toHaveLength(0); // nothing half-added
    expect(other.containers).toHaveLength(0);
  });

  test('duplicate names: steps, sidecars, the injected container, plain init containers', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod');
    pod.addStep('a', { image: IMAGE, command: ['true'] });
    expect(() => pod.addStep('a', { image: IMAGE, command: ['true'] })).toThrow(/Cannot add step "a": a step or sidecar with that name already exists/);
    expect(() => pod.addSidecar('a', { image: IMAGE })).toThrow(/Cannot add sidecar "a"/);
    expect(() => pod.addStep('cdk8s-steps-init', { image: IMAGE, command: ['true'] })).toThrow(/reserved for the injected copy container/);
    pod.addInitContainer({ name: 'a', image: IMAGE });
    expect(() => Testing.synth(chart)).toThrow(/Container name "a" is used twice/);
  });

  test.each(['Build', 'a_b', '-a', 'a-', '', 'x'.repeat(64)])('a step name that is not a DNS-1123 label: %p', name => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep(name, { image: IMAGE, command: ['true'] })).toThrow(/is not a valid container name \(a DNS-1123 label\)/);
    expect(() => pod.addSidecar(name, { image: IMAGE })).toThrow(/Sidecar name .* is not a valid container name/);
  });

  test('a step without a command says why and how to fix it', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('build', { image: IMAGE })).toThrow(/Step "build" has no command.*cannot be known at synth time.*command: \['npm', 'test'\]/);
    expect(() => pod.addStep('build', { image: IMAGE, command: [] })).toThrow(/Step "build" has no command/);
    // nothing half-added: the name is still free
    expect(pod.addStep('build', { image: IMAGE, command: ['make'] }).name).toBe('build');
    expect(pod.containers.map(c => c.name)).toEqual(['build']);
  });

  test.each([kplus.RestartPolicy.ALWAYS, kplus.RestartPolicy.ON_FAILURE])('restartPolicy %s', policy => {
    expect(addTo(seedChain, { restartPolicy: policy })).toThrow(new RegExp(`has restartPolicy ${policy}: steps need Never`));
  });

  test('a user volume mount under the reserved root, or on the workspace', () => {
    const vol = (name: string) => kplus.Volume.fromEmptyDir(Testing.chart(), name, name);
    expect(addTo(pod => pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: '/cdk8s-steps/x', volume: vol('mine') }] })))
      .toThrow(/Container "a" mounts a volume at \/cdk8s-steps\/x, under \/cdk8s-steps\/, which the library reserves/);
    expect(addTo(pod => { pod.addStep('a', { image: IMAGE, command: ['true'] }); pod.addSidecar('s', { image: IMAGE, volumeMounts: [{ path: '/cdk8s-steps', volume: vol('m2') }] }); }))
      .toThrow(/Container "s" mounts a volume at \/cdk8s-steps/);
    expect(addTo(pod => pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: '/workspace', volume: vol('mine') }] })))
      .toThrow(/mounts a volume at \/workspace, where the shared workspace goes/);
    expect(addTo(pod => pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: '/workspace', volume: vol('mine') }] }), { workspace: false }))
      .not.toThrow();
    expect(addTo(pod => pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path: '/data', volume: vol('cdk8s-steps-bin') }] })))
      .toThrow(/Volume "cdk8s-steps-bin" has a name the library reserves/);
  });

  test('negative or fractional retries, zero timeout', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('a', { image: IMAGE, command: ['true'], retries: -1 })).toThrow(/Step "a": retries must be a whole number from 0 to 1000 \(got -1\)/);
    expect(() => pod.addStep('a', { image: IMAGE, command: ['true'], retries: 1.5 })).toThrow(/retries must be a whole number/);
    expect(() => pod.addStep('a', { image: IMAGE, command: ['true'], timeout: Duration.seconds(0) })).toThrow(/Step "a": timeout must be longer than zero/);
    expect(() => Duration.seconds(-1)).toThrow(/cannot be negative/); // cdk8s refuses negative durations itself
    expect(pod.containers).toHaveLength(0);
  });

  test('a pod with no steps', () => {
    expect(addTo(() => undefined)).toThrow(/has no steps: add at least one with addStep\(\)/);
  });

  test('a plain container next to steps', () => {
    expect(addTo(pod => { seedChain(pod); pod.addContainer({ name: 'web', image: 'nginx' }); }))
      .toThrow(/Container "web" was added with addContainer\(\): in a StepPod every container is a step/);
  });

  test('options.name that disagrees with the step name', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('a', { name: 'b', image: IMAGE, command: ['true'] })).toThrow(/Step "a": options.name is "b"/);
  });

  test('every error is reported, and the App writes nothing', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'pod', { restartPolicy: kplus.RestartPolicy.ALWAYS });
    pod.addContainer({ name: 'web', image: 'nginx' });
    const errors = pod.node.validate();
    expect(errors).toHaveLength(3); // no steps, restartPolicy, plain container
    expect(() => chart.toJson()).toThrow(/Validation failed[^]*has no steps/);
  });
});

function assertRestricted(c: any): void {
  // Pod Security Standards, "restricted" profile, for one container
  const sc = c.securityContext;
  expect(sc.runAsNonRoot).toBe(true);
  expect(sc.allowPrivilegeEscalation).toBe(false);
  expect(sc.privileged).not.toBe(true);
  expect(sc.capabilities.drop).toEqual(['ALL']);
  expect(sc.capabilities.add ?? []).toEqual([]);
  expect(['RuntimeDefault', 'Localhost']).toContain(sc.seccompProfile.type);
  expect(sc.readOnlyRootFilesystem).toBe(true);
  expect(sc.runAsUser).not.toBe(0);
}
