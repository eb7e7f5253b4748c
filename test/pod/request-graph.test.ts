/**
 * PEAK reads the host's graph (`StepHost.graph`, built from the `kplus.Container` objects) instead of
 * building the same graph again from the PodSpec's containers. That is right only while both weigh
 * every step alike: these tests synthesise pods with every kind of request cdk8s-plus writes and
 * check the host's rewrite against the pure transformation building its graph from the spec.
 */
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { ResourceStrategy, Step, StepPod } from '../../src';
import { StepGraph } from '../../src/graph/step-graph';
import { Plan } from '../../src/plan';
import { injectSteps, PodOptions } from '../../src/pod/transform';

process.env.CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING = '1';

const RESOURCES: Array<kplus.ContainerResources | undefined> = [
  undefined, // cdk8s-plus' defaults
  { cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) } },
  { cpu: { limit: kplus.Cpu.units(2) } }, // limit only: the request is the limit
  { memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } },
  { memory: { limit: Size.mebibytes(300) }, ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(3) } },
  { cpu: { request: kplus.Cpu.millis(1500) }, ephemeralStorage: { limit: Size.gibibytes(5) } },
];

/** A pod whose steps cycle through RESOURCES, in a graph with parallel branches. */
function pod(strategy: ResourceStrategy): { pod: StepPod; chart: Chart } {
  const chart = new Chart(new App(), 'c');
  const p = new StepPod(chart, 'pod', { resourceStrategy: strategy, checkLimits: false });
  const steps: Step[] = [];
  for (let i = 0; i < 18; i++) {
    const dependsOn = i < 3 ? [] : [steps[i - 3], ...i % 4 === 0 ? [steps[i - 2]] : []];
    steps.push(p.addStep(`s${i}`, { image: 'busybox', command: ['true'], resources: RESOURCES[i % RESOURCES.length], dependsOn }));
  }
  return { pod: p, chart };
}

const OPTIONS = (resources: PodOptions['resources']): PodOptions => ({
  entrypoint: { image: 'example.com/ep:1', binaryPath: '/entrypoint', imagePullPolicy: 'IfNotPresent' },
  resources,
});

describe('PEAK from the host graph', () => {
  test.each([ResourceStrategy.PEAK, ResourceStrategy.POD_LEVEL])('%s: the synthesised requests are those of the graph built from the spec', (strategy) => {
    const { pod: p } = pod(strategy);
    const plain = kplus.Pod.prototype._toPodSpec.call(p);
    const plan: Plan = (p as unknown as { host: { plan(): Plan } }).host.plan();
    const fromSpec = injectSteps(plain, plan, OPTIONS(strategy === ResourceStrategy.PEAK ? 'peak' : 'pod-level'));
    const synthesised = p._toPodSpec();
    expect(synthesised.containers.map(c => c.resources)).toEqual(fromSpec.containers.map(c => c.resources));
    expect(synthesised.resources).toEqual(fromSpec.resources);
    // and the rewrite did lower some requests (the test would pass vacuously otherwise)
    expect(synthesised.containers.some(c => c.resources?.requests?.cpu?.value === '0')).toBe(true);
  });

  test('a given requestGraph is what PEAK reads', () => {
    const spec = {
      containers: ['a', 'b'].map(name => ({ name, image: 'busybox', command: ['true'], resources: { requests: { cpu: kplus.k8s.Quantity.fromString('1') } } })),
    };
    const plan: Plan = {
      steps: ['a', 'b'].map(name => ({ name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' as const }, results: [], resultEnv: [], isFinally: false })),
      failFast: false,
      workspace: true,
    };
    // the spec's own graph keeps both (they run at once); a graph saying a is heavier and b runs after it keeps only a
    const graph = StepGraph.fromNodes([{ name: 'a', requests: { cpu: '2' } }, { name: 'b', dependsOn: ['a'], requests: { cpu: '1' } }]);
    const cpus = (out: kplus.k8s.PodSpec) => out.containers.map(c => c.resources?.requests?.cpu?.value);
    expect(cpus(injectSteps(spec, plan, OPTIONS('peak')))).toEqual(['1', '1']);
    expect(cpus(injectSteps(spec, plan, { ...OPTIONS('peak'), requestGraph: graph }))).toEqual(['1', '0']);
  });
});
