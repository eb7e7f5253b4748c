import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import * as fc from 'fast-check';
import { podSpec, synthPod } from './synth';
import { ResourceStrategy, Step } from '../src';
import { parseQuantity } from '../src/graph/quantity';
import { InitRequest, aggregateRequest } from '../src/pod/pod-level';

/**
 * Kubernetes' PodRequests (k8s.io/component-helpers/resource/helpers.go), transcribed for one
 * resource: regular containers summed, sidecars added to it as they come, each init container's
 * need is its request plus the sidecars so far (a sidecar's: the sidecars so far, itself included),
 * and the pod needs the larger of the two totals.
 */
function kubernetesPodRequest(init: InitRequest[], regular: bigint[]): bigint {
  let reqs = regular.reduce((a, b) => a + b, 0n);
  let restartable = 0n;
  let initReqs = 0n;
  for (const c of init) {
    let containerReqs: bigint;
    if (c.sidecar) {
      reqs += c.request;
      restartable += c.request;
      containerReqs = restartable;
    } else {
      containerReqs = c.request + restartable;
    }
    if (containerReqs > initReqs) initReqs = containerReqs;
  }
  return reqs > initReqs ? reqs : initReqs;
}

describe('aggregateRequest', () => {
  test('examples: the copy container alone, a big user init, a sidecar before an init', () => {
    expect(aggregateRequest([{ request: 10n, sidecar: false }], [5n])).toBe(10n);
    expect(aggregateRequest([{ request: 10n, sidecar: false }, { request: 300n, sidecar: false }], [100n, 100n])).toBe(300n);
    expect(aggregateRequest([{ request: 50n, sidecar: true }, { request: 100n, sidecar: false }], [20n])).toBe(150n);
    expect(aggregateRequest([{ request: 100n, sidecar: false }, { request: 50n, sidecar: true }], [20n])).toBe(100n);
    expect(aggregateRequest([], [])).toBe(0n);
  });

  test('equals Kubernetes\' rule on random pods', () => {
    const request = fc.bigInt({ min: 0n, max: 10n ** 12n });
    fc.assert(fc.property(
      fc.array(fc.record({ request, sidecar: fc.boolean() }), { maxLength: 8 }),
      fc.array(request, { maxLength: 8 }),
      (init, regular) => {
        expect(aggregateRequest(init, regular)).toBe(kubernetesPodRequest(init, regular));
      },
    ), { numRuns: 2000 });
  });
});

describe('POD_LEVEL on synthesised pods', () => {
  const cpuMillis = fc.integer({ min: 0, max: 4000 });
  const memMi = fc.integer({ min: 0, max: 4096 });
  const container = fc.record({ cpu: cpuMillis, mem: memMi });
  const resources = (c: { cpu: number; mem: number }) => ({
    cpu: { request: kplus.Cpu.millis(c.cpu), limit: kplus.Cpu.millis(c.cpu + 100) },
    memory: { request: Size.mebibytes(c.mem), limit: Size.mebibytes(c.mem + 64) },
  });
  /** Nano-units of a quantity in the manifest (what the API server compares). */
  const nanos = (v: string | undefined) => v === undefined ? 0n : parseQuantity(v);

  test('pod-level requests equal Kubernetes\' aggregate of every container, on random pods', () => {
    fc.assert(fc.property(
      // steps: each depends on a random subset of the earlier ones
      fc.array(fc.record({ res: container, deps: fc.array(fc.nat(), { maxLength: 3 }) }), { minLength: 1, maxLength: 6 }),
      // initContainers in the order they are added: user init containers and sidecars mixed
      fc.array(fc.record({ res: container, sidecar: fc.boolean() }), { maxLength: 4 }),
      (steps, inits) => {
        const m = synthPod(pod => {
          const added: Step[] = [];
          steps.forEach((s, i) => added.push(pod.addStep(`s${i}`, {
            image: 'busybox',
            command: ['true'],
            resources: resources(s.res),
            dependsOn: i === 0 ? [] : [...new Set(s.deps.map(d => added[d % i]))],
          })));
          inits.forEach((c, i) => c.sidecar
            ? pod.addSidecar(`side${i}`, { image: 'busybox', resources: resources(c.res) })
            : pod.addInitContainer({ name: `init${i}`, image: 'busybox', resources: resources(c.res) }));
        }, { resourceStrategy: ResourceStrategy.POD_LEVEL });
        const spec = podSpec(m);
        expect(spec.initContainers[0].name).toBe('cdk8s-steps-init');
        for (const resource of ['cpu', 'memory']) {
          const expected = kubernetesPodRequest(
            spec.initContainers.map((c: any) => ({ request: nanos(c.resources?.requests?.[resource]), sidecar: c.restartPolicy === 'Always' })),
            spec.containers.map((c: any) => nanos(c.resources?.requests?.[resource])));
          expect(nanos(spec.resources.requests[resource])).toBe(expected);
        }
      },
    ), { numRuns: 40 });
  });

  test('a pod of one small step requests at least the copy container, and a big user init container', () => {
    const small = { cpu: { request: kplus.Cpu.millis(5) }, memory: { request: Size.mebibytes(8) } };
    expect(podSpec(synthPod(pod => pod.addStep('a', { image: 'busybox', command: ['true'], resources: small }),
      { resourceStrategy: ResourceStrategy.POD_LEVEL })).resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' } });
    expect(podSpec(synthPod(pod => {
      pod.addStep('a', { image: 'busybox', command: ['true'], resources: small });
      pod.addSidecar('db', { image: 'postgres', resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(100) } } });
      pod.addInitContainer({ name: 'migrate', image: 'busybox', resources: { cpu: { request: kplus.Cpu.millis(2000) }, memory: { request: Size.mebibytes(1024) } } });
    }, { resourceStrategy: ResourceStrategy.POD_LEVEL })).resources).toEqual({ requests: { cpu: '2100m', memory: '1124Mi' } });
  });
});
