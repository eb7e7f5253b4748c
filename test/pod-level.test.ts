import * as fc from 'fast-check';
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
