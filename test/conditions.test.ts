import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { container, flag, kubeletExpand, podSpec, synthJob, synthPod } from './synth';
import { IStepHost, RunIf, Step, StepJob, StepPod } from '../src';

const IMAGE = 'busybox';
const cmd = ['true'];

/** The example: build (results) -> unit -> publish/deploy/upload-reports/notify, teardown. */
function pipeline(pod: IStepHost): Record<string, Step> {
  const build = pod.addStep('build', { image: IMAGE, command: cmd, results: ['version', 'channel'] });
  const unit = pod.addStep('unit', { image: IMAGE, command: cmd, dependsOn: [build] });
  const publish = pod.addStep('publish', { image: IMAGE, command: cmd, dependsOn: [unit], resultEnv: { VERSION: build.result('version') } });
  const deploy = pod.addStep('deploy', { image: IMAGE, command: cmd, dependsOn: [unit], runIf: RunIf.resultIn(build.result('channel'), ['stable', 'beta']) });
  const upload = pod.addStep('upload-reports', { image: IMAGE, command: cmd, dependsOn: [unit], runIf: RunIf.always() });
  const notify = pod.addStep('notify', { image: IMAGE, command: cmd, dependsOn: [unit], runIf: RunIf.anyFailed() });
  const teardown = pod.addFinally('teardown', { image: IMAGE, command: cmd });
  return { build, unit, publish, deploy, upload, notify, teardown };
}

/** The state mounts of a step container, as `volume:path:ro|rw`. */
function stateMounts(m: any, name: string): string[] {
  return container(m, name).volumeMounts
    .filter((v: any) => v.mountPath.startsWith('/cdk8s-steps/steps/'))
    .map((v: any) => `${v.name}:${v.mountPath}:${v.readOnly ? 'ro' : 'rw'}`);
}

describe('the public API', () => {
  test('results, result(), resultEnv, runIf and isFinally as declared', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const s = pipeline(pod);
    expect(s.build.results).toEqual(['version', 'channel']);
    const version = s.build.result('version');
    expect(version.step).toBe(s.build);
    expect(version.name).toBe('version');
    expect(version.path).toBe('/cdk8s-steps/steps/build/results/version');
    expect(s.publish.resultEnv.VERSION.toString()).toBe('build.version');
    expect(s.deploy.runIf.toString()).toBe('resultIn(build.channel, ["stable","beta"])');
    expect(s.unit.runIf.toString()).toBe('allSucceeded');
    expect(s.teardown.runIf.toString()).toBe('always');
    expect(s.teardown.isFinally).toBe(true);
    expect(s.unit.isFinally).toBe(false);
  });

  test('a finally step depends on every other step, including steps added later', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const s = pipeline(pod);
    const late = pod.addStep('late', { image: IMAGE, command: cmd });
    const second = pod.addFinally('cleanup', { image: IMAGE, command: cmd });
    const others = Object.values(s).filter(x => x !== s.teardown);
    expect(s.teardown.dependencies).toEqual([...others, late]);
    expect(second.dependencies).toEqual([...others, late]);
    expect(pod.graph.dependenciesOf('teardown')).toEqual([...others, late].map(x => x.name));
    expect(pod.graph.topologicalOrder().slice(-2).sort()).toEqual(['cleanup', 'teardown']);
  });

  test('result() throws for an undeclared name, naming the step and its results', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const { build, unit } = pipeline(pod);
    expect(() => build.result('digest')).toThrow('Step "build" has no result "digest" (it declares "version", "channel"): add "digest" to its results');
    expect(() => unit.result('x')).toThrow('Step "unit" has no result "x" (it declares none): add "x" to its results');
  });
});

describe('synthesis', () => {
  test.each([
    ['StepPod', (b: (h: IStepHost) => void) => synthPod(b)],
    ['StepJob', (b: (h: IStepHost) => void) => synthJob(b)],
  ])('%s: readers mount the producer read-only, even a transitive one; finally steps mount everything', (_, synth) => {
    const m = synth(pipeline);
    expect(stateMounts(m, 'publish')).toEqual([
      'cdk8s-steps-state-publish:/cdk8s-steps/steps/publish:rw',
      'cdk8s-steps-state-unit:/cdk8s-steps/steps/unit:ro',
      'cdk8s-steps-state-build:/cdk8s-steps/steps/build:ro',
    ]);
    expect(stateMounts(m, 'deploy')).toEqual([
      'cdk8s-steps-state-deploy:/cdk8s-steps/steps/deploy:rw',
      'cdk8s-steps-state-unit:/cdk8s-steps/steps/unit:ro',
      'cdk8s-steps-state-build:/cdk8s-steps/steps/build:ro',
    ]);
    // no result read: only the direct dependency
    expect(stateMounts(m, 'notify')).toEqual([
      'cdk8s-steps-state-notify:/cdk8s-steps/steps/notify:rw',
      'cdk8s-steps-state-unit:/cdk8s-steps/steps/unit:ro',
    ]);
    expect(stateMounts(m, 'teardown')).toEqual([
      'cdk8s-steps-state-teardown:/cdk8s-steps/steps/teardown:rw',
      ...['build', 'unit', 'publish', 'deploy', 'upload-reports', 'notify']
        .map(n => `cdk8s-steps-state-${n}:/cdk8s-steps/steps/${n}:ro`),
    ]);
    // the producer writes its own results: read-write, once
    expect(stateMounts(m, 'build')).toEqual(['cdk8s-steps-state-build:/cdk8s-steps/steps/build:rw']);
    expect(podSpec(m).volumes.filter((v: any) => v.name.startsWith('cdk8s-steps-state-'))).toHaveLength(7);
  });

  test('flags of the contract: -run_if, -result, -value, -results, -result_env, -after', () => {
    const m = synthPod(pipeline);
    /** The wrapper flags between -budget and -entrypoint: the condition and result flags. */
    const flags = (name: string) => {
      const args: string[] = container(m, name).args;
      return args.slice(args.findIndex(a => a.startsWith('-budget=')) + 1, args.findIndex(a => a.startsWith('-entrypoint=')));
    };
    expect(flags('build')).toEqual(['-results=version,channel']);
    expect(flags('unit')).toEqual([]);
    expect(flags('publish')).toEqual(['-result_env=VERSION=build.version']);
    expect(flags('deploy')).toEqual(['-run_if=result_in', '-result=build.channel', '-value=stable', '-value=beta']);
    expect(flags('upload-reports')).toEqual(['-run_if=always']);
    expect(flags('notify')).toEqual(['-run_if=any_failed']);
    expect(flags('teardown')).toEqual(['-run_if=always']);
    // a producer that is not a direct dependency is waited for with -after, not judged
    expect(flag(container(m, 'publish'), 'wait')).toBe('unit');
    expect(flag(container(m, 'publish'), 'after')).toBe('build');
    expect(flag(container(m, 'deploy'), 'after')).toBe('build');
    expect(flag(container(m, 'notify'), 'after')).toBeUndefined();
    expect(flag(container(m, 'teardown'), 'wait')).toBe('build,unit,publish,deploy,upload-reports,notify');
    expect(flag(container(m, 'teardown'), 'after')).toBeUndefined();
  });

  test('values reach the wrapper verbatim, one flag each: commas, spaces, leading dashes, empty, $', () => {
    const m = synthPod(pod => {
      const b = pod.addStep('b', { image: IMAGE, command: cmd, results: ['v'] });
      pod.addStep('c', {
        image: IMAGE,
        command: ['echo', '$(X)'],
        dependsOn: [b],
        runIf: RunIf.resultNotIn(b.result('v'), ['a,b', ' x ', '-y', '', 'é=1', '$(HOME)', 'a$$b$']),
        resultEnv: { A: b.result('v'), B: b.result('v') },
      });
    });
    const args: string[] = container(m, 'c').args;
    expect(args.slice(args.indexOf('-run_if=result_not_in'))).toEqual([
      '-run_if=result_not_in', '-result=b.v', '-value=a,b', '-value= x ', '-value=-y', '-value=', '-value=é=1',
      // escaped for the kubelet's $(VAR) expansion, which turns $$ into $
      '-value=$$(HOME)', '-value=a$$$$b$$',
      '-result_env=A=b.v', '-result_env=B=b.v', '-entrypoint=echo', '--', '$(X)',
    ]);
    expect(flag(container(m, 'c'), 'after')).toBeUndefined();
  });

  test('any value survives the kubelet\'s $(VAR) expansion of args', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('$', '(', ')', 'a', 'b'), maxLength: 12 }), value => {
      const m = synthPod(pod => {
        const b = pod.addStep('b', { image: IMAGE, command: cmd, results: ['v'] });
        pod.addStep('c', { image: IMAGE, command: cmd, dependsOn: [b], envVariables: { a: { value: 'EXPANDED' } }, runIf: RunIf.resultIn(b.result('v'), [value]) });
      });
      const arg = container(m, 'c').args.find((x: string) => x.startsWith('-value='));
      expect(kubeletExpand(arg, { a: 'EXPANDED' })).toBe(`-value=${value}`);
    }), { numRuns: 60 });
  });

  test('a producer read directly and through resultEnv is mounted once', () => {
    const m = synthPod(pod => {
      const b = pod.addStep('b', { image: IMAGE, command: cmd, results: ['v'] });
      pod.addStep('c', { image: IMAGE, command: cmd, dependsOn: [b], resultEnv: { V: b.result('v') }, runIf: RunIf.resultNotIn(b.result('v'), ['x']) });
    });
    expect(stateMounts(m, 'c')).toEqual(['cdk8s-steps-state-c:/cdk8s-steps/steps/c:rw', 'cdk8s-steps-state-b:/cdk8s-steps/steps/b:ro']);
  });
});

describe('bad input: named errors', () => {
  const synthError = (build: (pod: StepPod) => void) => {
    const chart = Testing.chart();
    build(new StepPod(chart, 'pod'));
    return () => Testing.synth(chart);
  };

  test('a result read by a step that does not depend on its producer, also not transitively', () => {
    expect(synthError(pod => {
      const build = pod.addStep('build', { image: IMAGE, command: cmd, results: ['version'] });
      pod.addStep('lint', { image: IMAGE, command: cmd });
      pod.addStep('publish', { image: IMAGE, command: cmd, dependsOn: [pod.steps[1]], resultEnv: { VERSION: build.result('version') } });
    })).toThrow(/Step "publish" reads result build.version \(resultEnv VERSION\), but does not depend on "build", directly or transitively.*add "build" \(or a step that depends on it\) to its dependsOn/);
    expect(synthError(pod => {
      const build = pod.addStep('build', { image: IMAGE, command: cmd, results: ['channel'] });
      pod.addStep('deploy', { image: IMAGE, command: cmd, runIf: RunIf.resultIn(build.result('channel'), ['stable']) });
    })).toThrow(/Step "deploy" reads result build.channel \(runIf resultIn\), but does not depend on "build"/);
  });

  test('a dependency added later makes it valid (checked at synthesis, not at addStep)', () => {
    const m = synthPod(pod => {
      const build = pod.addStep('build', { image: IMAGE, command: cmd, results: ['version'] });
      const publish = pod.addStep('publish', { image: IMAGE, command: cmd, resultEnv: { VERSION: build.result('version') } });
      publish.addDependency(build);
    });
    expect(stateMounts(m, 'publish')).toContain('cdk8s-steps-state-build:/cdk8s-steps/steps/build:ro');
  });

  test.each([
    [['Version'], /Step "b": result name "Version" is invalid: .*lower-case/],
    [['-v'], /Step "b": result name "-v" is invalid: .*start and end/],
    [[''], /Step "b": result name "" is invalid: it is empty/],
    [['x'.repeat(64)], /Step "b": result name "x{64}" is invalid: it is 64 characters long/],
    [['v', 'v'], /Step "b": result "v" is declared twice/],
  ])('invalid result names %j', (results, error) => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('b', { image: IMAGE, command: cmd, results })).toThrow(error);
    expect(pod.steps).toEqual([]);
  });

  test.each([
    ['1VERSION', /Step "c": resultEnv name "1VERSION" cannot be used: .*not start with a digit/],
    ['MY-VAR', /Step "c": resultEnv name "MY-VAR" cannot be used/],
    ['A=B', /Step "c": resultEnv name "A=B" cannot be used/],
    ['CDK8S_STEPS_RESULTS', /Step "c": resultEnv name "CDK8S_STEPS_RESULTS" cannot be used: .*set by the step wrapper/],
    ['HOME', /Step "c": HOME is set both in env and in resultEnv: rename one of them/],
  ])('resultEnv name %j', (env, error) => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const b = pod.addStep('b', { image: IMAGE, command: cmd, results: ['v'] });
    expect(() => pod.addStep('c', {
      image: IMAGE, command: cmd, dependsOn: [b], envVariables: { HOME: { value: '/h' } }, resultEnv: { [env]: b.result('v') },
    })).toThrow(error);
  });

  test('a result of another pod', () => {
    const chart = Testing.chart();
    const one = new StepPod(chart, 'one');
    const two = new StepPod(chart, 'two');
    const b = one.addStep('b', { image: IMAGE, command: cmd, results: ['v'] });
    expect(() => two.addStep('c', { image: IMAGE, command: cmd, resultEnv: { V: b.result('v') } }))
      .toThrow(/Step "c": resultEnv V reads b.v, a result of a step of another pod/);
    expect(() => two.addStep('d', { image: IMAGE, command: cmd, runIf: RunIf.resultIn(b.result('v'), ['x']) }))
      .toThrow(/Step "d": runIf reads b.v, a result of a step of another pod/);
  });

  test('resultIn / resultNotIn with no values', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const b = pod.addStep('b', { image: IMAGE, command: cmd, results: ['channel'] });
    expect(() => pod.addStep('deploy', { image: IMAGE, command: cmd, dependsOn: [b], runIf: RunIf.resultIn(b.result('channel'), []) }))
      .toThrow('Step "deploy": runIf resultIn(b.channel) has no values: give at least one value to compare the result with');
    expect(() => pod.addStep('deploy', { image: IMAGE, command: cmd, dependsOn: [b], runIf: RunIf.resultNotIn(b.result('channel'), []) }))
      .toThrow(/Step "deploy": runIf resultNotIn\(b.channel\) has no values/);
  });

  test('addFinally on a pod with no other steps', () => {
    expect(synthError(pod => pod.addFinally('teardown', { image: IMAGE, command: cmd })))
      .toThrow(/Finally step "teardown" would run after every other step, but there is none: add the work with addStep\(\)/);
    const chart = Testing.chart();
    new StepJob(chart, 'job').addFinally('teardown', { image: IMAGE, command: cmd });
    expect(() => Testing.synth(chart)).toThrow(/Finally step "teardown" would run after every other step/);
  });

  test.each([
    ['anyFailed', RunIf.anyFailed()],
    ['allSucceeded', RunIf.allSucceeded()],
  ])('runIf %s on a finally step', (kind, runIf) => {
    const pod = new StepPod(Testing.chart(), 'pod');
    pod.addStep('a', { image: IMAGE, command: cmd });
    expect(() => pod.addFinally('teardown', { image: IMAGE, command: cmd, runIf }))
      .toThrow(`Step "teardown": a finally step runs whatever happened, so its runIf can only be RunIf.always() (got ${kind})`);
    expect(pod.addFinally('ok', { image: IMAGE, command: cmd, runIf: RunIf.always() }).runIf.toString()).toBe('always');
  });

  test('dependsOn on a finally step, and a step that waits for one', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    const a = pod.addStep('a', { image: IMAGE, command: cmd });
    expect(() => pod.addFinally('t', { image: IMAGE, command: cmd, dependsOn: [a] }))
      .toThrow(/Finally step "t": leave dependsOn out; a finally step waits for every step that is not a finally step/);
    const t = pod.addFinally('t', { image: IMAGE, command: cmd });
    expect(() => t.addDependency(a)).toThrow(/Step "t" is a finally step: it already waits for every other step/);
    expect(synthError(p => {
      p.addStep('x', { image: IMAGE, command: cmd });
      const fin = p.addFinally('fin', { image: IMAGE, command: cmd });
      p.addStep('after', { image: IMAGE, command: cmd, dependsOn: [fin] });
    })).toThrow(/Step "after" depends on finally step "fin", which runs after every other step/);
  });
});
