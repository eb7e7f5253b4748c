/** Values the wrapper or the API server would reject at run time are refused at synthesis. */
import { createHash } from 'crypto';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { podSpec, synthPod } from './synth';
import { StepPod } from '../src';

const IMAGE = 'busybox';

describe('command', () => {
  test('an empty command[0]', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('a', { image: IMAGE, command: [''] }))
      .toThrow(/Step "a": command\[0\] is empty; it must name the program to run/);
    expect(() => pod.addStep('a', { image: IMAGE, command: ['', 'x'] })).toThrow(/command\[0\] is empty/);
    expect(pod.containers).toHaveLength(0);
    // empty later arguments are ordinary arguments
    expect(pod.addStep('a', { image: IMAGE, command: ['echo', ''], args: [''] }).name).toBe('a');
  });

  test('a NUL character in the command or the args', () => {
    const pod = new StepPod(Testing.chart(), 'pod');
    expect(() => pod.addStep('a', { image: IMAGE, command: ['sh', '-c', 'a\0b'] }))
      .toThrow('Step "a": the argument "a\\u0000b" contains a NUL character, which no process argument can hold: remove it');
    expect(() => pod.addStep('a', { image: IMAGE, command: ['sh'], args: ['\0'] })).toThrow(/Step "a": the argument .* NUL/);
  });
});

describe('retries and timeout', () => {
  const add = (options: object) => () => new StepPod(Testing.chart(), 'pod').addStep('a', { image: IMAGE, command: ['true'], ...options });

  test.each([1e21, 1001, -1, 0.5, NaN, Infinity])('retries %p', retries => {
    expect(add({ retries })).toThrow(`Step "a": retries must be a whole number from 0 to 1000 (got ${retries})`);
  });

  test('1000 retries are accepted', () => {
    expect(add({ retries: 1000 })().retries).toBe(1000);
  });

  test('a timeout beyond Go\'s duration range, or not a whole number of milliseconds', () => {
    expect(add({ timeout: Duration.days(365 * 600) }))
      .toThrow(/Step "a": timeout must be a whole number of milliseconds up to 9223372036854 \(about 292 years.*got 18921600000000 ms/);
    expect(add({ timeout: Duration.millis(9_223_372_036_855) })).toThrow(/up to 9223372036854/);
    expect(add({ timeout: Duration.millis(1.5) })).toThrow(/Step "a": timeout must be a whole number of milliseconds .*got 1.5 ms/);
    expect(add({ timeout: Duration.millis(9_223_372_036_854) })().timeout!.toMilliseconds()).toBe(9_223_372_036_854);
  });
});

describe('mount paths, after normalisation', () => {
  const vol = (name: string) => kplus.Volume.fromEmptyDir(Testing.chart(), name, name);
  const mountAt = (path: string, props = {}) => () => synthPod(
    pod => pod.addStep('a', { image: IMAGE, command: ['true'], volumeMounts: [{ path, volume: vol('mine') }] }), props);

  test.each(['//cdk8s-steps/bin', '/./cdk8s-steps', '/cdk8s-steps/', '/data/../cdk8s-steps/steps', '/cdk8s-steps//x/'])('%s is under the reserved root', path => {
    expect(mountAt(path)).toThrow(/Container "a" mounts a volume at .* \(that is \/cdk8s-steps.*\), under \/cdk8s-steps\/, which the library reserves/);
  });

  test.each(['/workspace/.', '//workspace', '/./workspace', '/workspace//', '/tmp/../workspace'])('%s is the workspace', path => {
    expect(mountAt(path)).toThrow(/Container "a" mounts a volume at .* \(that is \/workspace\), where the shared workspace goes/);
    expect(mountAt(path, { workspace: false })).not.toThrow();
  });

  test.each(['/workspace/cache', '/workspaces', '/cdk8s-stepsx', '/data'])('%s is allowed', path => {
    expect(mountAt(path)).not.toThrow();
  });
});

test('two step names whose state volumes would have the same name', () => {
  const long = 'x'.repeat(63);
  const lookalike = `${long.slice(0, 36)}-${createHash('sha256').update(long).digest('hex').slice(0, 8)}`;
  const chart = Testing.chart();
  const pod = new StepPod(chart, 'pod');
  pod.addStep(long, { image: IMAGE, command: ['true'] });
  pod.addStep(lookalike, { image: IMAGE, command: ['true'] });
  expect(() => Testing.synth(chart)).toThrow(new RegExp(`Steps "${long}" and "${lookalike}" would both keep their state in volume `
    + `"cdk8s-steps-state-${lookalike}" .*rename one of them`));
});

describe('StepPod.activeDeadline', () => {
  test('synthesised as activeDeadlineSeconds', () => {
    const step = (pod: StepPod) => pod.addStep('a', { image: IMAGE, command: ['true'] });
    expect(podSpec(synthPod(step, { activeDeadline: Duration.minutes(10) })).activeDeadlineSeconds).toBe(600);
    expect(podSpec(synthPod(step)).activeDeadlineSeconds).toBeUndefined();
  });

  test.each([Duration.millis(1500), Duration.millis(500), Duration.seconds(0)])('%p is refused', deadline => {
    expect(() => new StepPod(Testing.chart(), 'pod', { activeDeadline: deadline }))
      .toThrow(/StepPod "test\/pod": activeDeadline must be a whole number of seconds, at least 1/);
  });
});
