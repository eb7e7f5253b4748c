/**
 * Figure 5's second floor: the StepPod's finished PodSpec written by cdk8s-plus, with no construct
 * work. A plain `kplus.Pod` (same construct path, so the same name and labels; the StepPod's
 * annotations added as strings) whose `_toPodSpec` returns the PodSpec the StepPod's returned, as
 * it is, every time. Synthesising it pays what any cdk8s-plus Pod pays to write that spec — cdk8s'
 * resolve and sanitize of the spec as cdk8s-plus hands it over (`k8s.Quantity` objects, fields left
 * `undefined`), `KubePod.toJson`'s `toJson_*` conversion, the YAML — and nothing of building
 * containers, validating, PEAK or the transformation. Its YAML is checked to be the StepPod's.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepPod } from '../src';

/** A Pod whose spec is fixed: cdk8s-plus' `_toKube` (scheduling, serialisation) still runs. */
class FixedSpecPod extends kplus.Pod {
  constructor(scope: Construct, id: string, private readonly fixed: kplus.k8s.PodSpec) {
    super(scope, id, { restartPolicy: kplus.RestartPolicy.NEVER });
  }

  /** @internal */
  public _toPodSpec(): kplus.k8s.PodSpec {
    return this.fixed;
  }
}

/**
 * The kplus floor of `build()`'s StepPod (its chart's id must be 'bench' and the pod's 'pod', as
 * the benchmarks build them): a function that constructs and synthesises it, checked to write the
 * StepPod's YAML byte for byte.
 */
export function kplusFloorOf(build: () => App): () => string {
  const app = build();
  const pod = app.node.findAll().find((c): c is StepPod => c instanceof StepPod);
  if (!pod || pod.node.path !== 'bench/pod') throw new Error('kplusFloorOf: expected a StepPod at bench/pod');
  const spec = pod._toPodSpec();
  const annotations = Object.entries(pod.metadata.toJson().annotations ?? {}) as Array<[string, string]>;
  const synth = () => {
    const floorApp = new App();
    const floor = new FixedSpecPod(new Chart(floorApp, 'bench'), 'pod', spec);
    for (const [key, value] of annotations) floor.metadata.addAnnotation(key, value);
    return floorApp.synthYaml();
  };
  if (synth() !== app.synthYaml()) throw new Error('the kplus floor\'s YAML differs from the StepPod\'s: it would not measure the same object');
  return synth;
}
