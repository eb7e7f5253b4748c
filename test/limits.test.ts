/** Kubernetes' limits are checked at synthesis (issue 8): a pod the cluster would reject is never written. */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { IStepHost, StepJob, StepLimit, StepPod } from '../src';
import { fanIn, randomDag } from './generate';
import { synthPod } from './synth';
import { statusBound } from '../src/pod/limits';

const IMAGE = 'busybox:1.36';
/** The parts every limit error must have: its name, the remedy, the numbers. */
const NAMED = /StepLimitError: .*bytes over Kubernetes' limit of \d+ bytes.*Fewer steps per pod, shorter step names, or a StepJob per stage/;

function synthError(build: (host: IStepHost) => void, kind: 'pod' | 'job' = 'pod'): string {
  const chart = Testing.chart();
  build(kind === 'pod' ? new StepPod(chart, 'p') : new StepJob(chart, 'j'));
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  return 'synthesised';
}

describe('limits', () => {
  test('one exec argument above 128 KiB (MAX_ARG_STRLEN) names the container and the argument', () => {
    const message = synthError(pod => pod.addStep('big', { image: IMAGE, command: ['echo', 'x'.repeat(131072)] }));
    expect(message).toMatch(NAMED);
    expect(message).toMatch(/argument \d+ of container "big" .*one exec argument, MAX_ARG_STRLEN\) is 131073 bytes/);
    // the largest argument that fits
    expect(() => synthPod(pod => pod.addStep('big', { image: IMAGE, command: ['echo', 'x'.repeat(131071)] }))).not.toThrow();
  });

  test('all arguments and environment of a container above what execve takes', () => {
    const chunk = 'y'.repeat(100 * 1024);
    const message = synthError(pod => pod.addStep('wide', {
      image: IMAGE, command: ['echo', ...Array(10).fill(chunk)], envVariables: { BIG: kplus.EnvValue.fromValue(chunk) },
    }));
    expect(message).toMatch(NAMED);
    expect(message).toMatch(/the command line and environment of container "wide" \(what execve takes; we allow 1 MiB/);
  });

  test('annotations above 256 KiB in total, ours and the user\'s together', () => {
    const message = synthError(host => {
      host.addStep('a', { image: IMAGE, command: ['true'] });
      (host as StepJob).podMetadata.addAnnotation('example.com/notes', 'n'.repeat(256 * 1024 - 40));
    }, 'job');
    expect(message).toMatch(NAMED);
    expect(message).toMatch(/test\/j: the total size of the pod's annotations is \d+ bytes/);
  });

  test('a 1 000-step random DAG with 63-character names fails on the object size, and says how to apply', () => {
    const message = synthError(pod => randomDag(pod, 1000, 63));
    expect(message).toMatch(NAMED);
    expect(message).toMatch(/the pod object with the status the kubelet adds \(\d+ bytes written \+ at most \d+ bytes of status; etcd stores objects up to 1.5 MiB\)/);
    expect(message).toMatch(/client-side `kubectl apply` .* above 256 KiB; use `kubectl apply --server-side` or `kubectl create`/);
  });

  test('a 2 000-step fan-in with 63-character names fails with the named error, never YAML the cluster rejects', () => {
    expect(synthError(pod => fanIn(pod, 2000, 63))).toMatch(NAMED);
  });

  test('checkLimits: false lets a runner that never stores the pod in etcd (podman) synthesise it', () => {
    const chart = Testing.chart();
    randomDag(new StepPod(chart, 'p', { checkLimits: false }), 1000, 63);
    expect(Testing.synth(chart)).toHaveLength(1);
  });

  test('a 300-step random DAG with 30-character names fits every limit', () => {
    expect(synthError(pod => randomDag(pod, 300, 30))).toBe('synthesised');
  });

  test('the status bound of a container grows with its termination-message budget and its mounts', () => {
    const c = { name: 'a', image: IMAGE, volumeMounts: [{ name: 'v', mountPath: '/v' }] };
    expect(statusBound(c, 4096, true)).toBeGreaterThan(2 * 4096);
    expect(statusBound(c, 4096, false)).toBeGreaterThan(6 * 4096);
    expect(statusBound({ ...c, volumeMounts: [] }, 12, true)).toBeLessThan(statusBound(c, 12, true));
  });

  test('limitProblems() returns the problems as data before synthesis; synthesis throws the first with the same message', () => {
    const chart = Testing.chart();
    const pod = new StepPod(chart, 'p');
    randomDag(pod, 1000, 63);
    const problems = pod.limitProblems();
    expect(problems.map(p => p.limit)).toEqual([StepLimit.OBJECT_SIZE]);
    const [object] = problems;
    expect(object.size).toBeGreaterThan(object.maximum);
    expect(object.maximum).toBe(1.5 * 1024 * 1024);
    expect(object.message.startsWith('StepLimitError: test/p: the pod object')).toBe(true);
    expect(object.message).toContain(`${object.size - object.maximum} bytes over`);
    const thrown = synthError(host => randomDag(host, 1000, 63));
    expect(thrown).toContain(object.message);
    // cdk8s prints the error with `${e}`: the name appears once, leading our part
    expect(thrown.split('StepLimitError').length - 1).toBe(1);
  });

  test('limitProblems() is empty for a pod that fits, and measures with checkLimits: false too', () => {
    const fits = new StepJob(Testing.chart(), 'j');
    randomDag(fits, 50, 10);
    expect(fits.limitProblems()).toEqual([]);
    const unchecked = new StepPod(Testing.chart(), 'p', { checkLimits: false });
    unchecked.addStep('big', { image: IMAGE, command: ['echo', 'x'.repeat(131072)] });
    expect(unchecked.limitProblems()).toEqual([expect.objectContaining({ limit: StepLimit.EXEC_ARGUMENT, size: 131073, maximum: 131072 })]);
  });

  test('limitProblems() lists every broken limit, not only the first', () => {
    const pod = new StepPod(Testing.chart(), 'p');
    pod.addStep('big', { image: IMAGE, command: ['echo', 'x'.repeat(131072)] });
    pod.podMetadata.addAnnotation('example.com/notes', 'n'.repeat(256 * 1024));
    expect(pod.limitProblems().map(p => p.limit)).toEqual([StepLimit.EXEC_ARGUMENT, StepLimit.ANNOTATIONS]);
  });

  test('limitProblems() throws, like synthesis, for steps that cannot be synthesised at all', () => {
    const pod = new StepPod(Testing.chart(), 'p');
    const a = pod.addStep('a', { image: IMAGE, command: ['true'] });
    const b = pod.addStep('b', { image: IMAGE, command: ['true'], dependsOn: [a] });
    a.addDependency(b);
    expect(() => pod.limitProblems()).toThrow(/cycle|each step depends on the next/);
  });
});
