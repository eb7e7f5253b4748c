/**
 * `cdk8s-steps status` on malformed Pod JSON (issue 18, item 12): every field it reads, null, of
 * the wrong type or missing, gives one line that names the field and a non-zero exit, never a
 * JavaScript error from further down; an empty graph annotation is malformed, not a succeeded run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { containerResult, newStepPod, runBin, scratch } from './cli-helpers';
import { statusCommand } from '../src/cli/status';
import { ContainerResult, kubePod } from '../src/local';

const dir = scratch('cdk8s-steps-status-input-');
const T = Date.parse('2026-11-27T10:00:00.000Z');

/** A step container that succeeded, with its times and its report as termination message. */
function ctr(name: string, over: Partial<ContainerResult> = {}): ContainerResult {
  return containerResult(name, {
    startedAtMs: T,
    finishedAtMs: T + 1000,
    terminationMessage: JSON.stringify({ step: name, reason: 'Succeeded', exitCode: 0, startedAt: new Date(T).toISOString(), finishedAt: new Date(T + 900).toISOString(), attempts: 1 }),
    ...over,
  });
}

/** A finished two-step pod as `kubectl get pod -o json` prints it; b still waits for its image. */
function livePod(): any {
  const { chart, pod } = newStepPod('pod');
  const a = pod.addStep('a', { image: 'localhost/step:dev', command: ['true'] });
  pod.addStep('b', { image: 'localhost/step:dev', command: ['true'], dependsOn: [a] });
  const p = kubePod(Testing.synth(chart), [ctr('a'), ctr('b', { state: 'created', exitCode: undefined, terminationMessage: undefined })]);
  p.status.containerStatuses[1].state = { waiting: { reason: 'ImagePullBackOff', message: 'Back-off' } };
  p.status.containerStatuses.push({ ...p.status.containerStatuses[0], name: 'c', state: { running: { startedAt: '2026-11-27T10:00:00Z' } } });
  return p;
}

const MISSING = Symbol('missing');
const GRAPH = 'cdk8s-steps/graph';

/** `o` with the field at `keys` set to `value` (or deleted for MISSING). */
function withField(o: any, keys: Array<string | number>, value: unknown): any {
  const copy = JSON.parse(JSON.stringify(o));
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k];
  const last = keys[keys.length - 1];
  if (value === MISSING) delete at[last];
  else at[last] = value;
  return copy;
}

function status(input: unknown): { code?: number; error?: Error; out: string } {
  const file = path.join(dir, `pod-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  let out = '';
  try {
    return { code: statusCommand(file, { output: 'table' }, (s) => { out += s; }), out };
  } catch (e) {
    return { error: e as Error, out };
  }
}

describe('status on malformed Pod JSON: one line naming the field, non-zero exit', () => {
  test('the pod the table mutates reads fine (so each row fails for its own field)', () => {
    const r = status(livePod());
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^b +pending \(ImagePullBackOff\)/m);
  });

  const cases: Array<[string, Array<string | number>, unknown, RegExp]> = [
    ['metadata', ['metadata'], null, /metadata is null, not an object/],
    ['metadata', ['metadata'], 'x', /metadata is the string "x", not an object/],
    ['metadata', ['metadata'], MISSING, /metadata is missing, not an object/],
    ['metadata.name', ['metadata', 'name'], null, /metadata.name is null, not a string/],
    ['metadata.name', ['metadata', 'name'], 7, /metadata.name is a number 7, not a string/],
    ['metadata.name', ['metadata', 'name'], MISSING, /metadata.name is missing, not a string/],
    ['metadata.namespace', ['metadata', 'namespace'], null, /pod [\w-]+: metadata.namespace is null, not a string/],
    ['metadata.annotations', ['metadata', 'annotations'], null, /metadata.annotations is null, not an object/],
    ['metadata.annotations', ['metadata', 'annotations'], ['x'], /metadata.annotations is a list, not an object/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], 3, /metadata.annotations\["cdk8s-steps\/graph"\] is a number 3, not a string/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], null, /metadata.annotations\["cdk8s-steps\/graph"\] is null, not a string/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{}', /malformed cdk8s-steps\/graph annotation: it names no steps/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":[],"dependsOn":[]}', /it names no steps/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":"a","dependsOn":[]}', /"steps" is the string "a", not a list/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","a"],"dependsOn":[[],[]]}', /step "a" is named twice/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","b"],"dependsOn":[[1],[0]]}',
      /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: its dependencies form a cycle, (a -> b -> a|b -> a -> b) \(each step depends on the next\)/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","b"],"dependsOn":[[0],[]]}',
      /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: step "a" depends on itself/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"a":["b"],"b":["a"]}', /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: its dependencies form a cycle/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","b"],"dependsOn":[[],[5]]}',
      /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: dependsOn\[1\]\[0\] is step index 5, out of range: "steps" has 2 \(indexes 0 to 1\)/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","b"],"dependsOn":[[],["a"]]}',
      /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: dependsOn\[1\]\[0\] is the string "a", not a step index/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '{"version":2,"steps":["a","b"],"dependsOn":[[],{}]}',
      /^pod [\w-]+: malformed cdk8s-steps\/graph annotation: dependsOn\[1\] is an object, not a list of step indexes/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '[]', /annotation is not a JSON object/],
    ['the graph annotation', ['metadata', 'annotations', GRAPH], '', /annotation is not JSON/],
    ['status', ['status'], null, /status is null, not an object/],
    ['status', ['status'], [], /status is a list, not an object/],
    ['status.phase', ['status', 'phase'], 3, /status.phase is a number 3, not a string/],
    ['status.containerStatuses', ['status', 'containerStatuses'], {}, /status.containerStatuses is an object, not a list/],
    ['status.containerStatuses', ['status', 'containerStatuses'], null, /status.containerStatuses is null, not a list/],
    ['status.containerStatuses', ['status', 'containerStatuses'], 'x', /status.containerStatuses is the string "x", not a list/],
    ['a container status', ['status', 'containerStatuses', 0], null, /status.containerStatuses\[0\] is null, not a container status/],
    ['a container status', ['status', 'containerStatuses', 0], 'a', /status.containerStatuses\[0\] is the string "a", not a container status/],
    ['its name', ['status', 'containerStatuses', 0, 'name'], null, /status.containerStatuses\[0\].name is null, not a string/],
    ['its name', ['status', 'containerStatuses', 0, 'name'], 1, /status.containerStatuses\[0\].name is a number 1, not a string/],
    ['its name', ['status', 'containerStatuses', 0, 'name'], MISSING, /status.containerStatuses\[0\].name is missing, not a string/],
    ['its state', ['status', 'containerStatuses', 0, 'state'], null, /status.containerStatuses\[0\].state is null, not an object/],
    ['its state', ['status', 'containerStatuses', 0, 'state'], 'done', /status.containerStatuses\[0\].state is the string "done", not an object/],
    ['terminated', ['status', 'containerStatuses', 0, 'state', 'terminated'], null, /state.terminated is null, not an object/],
    ['exitCode', ['status', 'containerStatuses', 0, 'state', 'terminated', 'exitCode'], '0', /terminated.exitCode is the string "0", not an integer/],
    ['exitCode', ['status', 'containerStatuses', 0, 'state', 'terminated', 'exitCode'], null, /terminated.exitCode is null, not an integer/],
    ['exitCode', ['status', 'containerStatuses', 0, 'state', 'terminated', 'exitCode'], MISSING, /terminated.exitCode is missing, not an integer/],
    ['exitCode', ['status', 'containerStatuses', 0, 'state', 'terminated', 'exitCode'], 1.5, /terminated.exitCode is a number 1.5, not an integer/],
    ['the termination message', ['status', 'containerStatuses', 0, 'state', 'terminated', 'message'], 3, /terminated.message is a number 3, not a string/],
    ['the termination message', ['status', 'containerStatuses', 0, 'state', 'terminated', 'message'], null, /terminated.message is null, not a string/],
    ['the termination message', ['status', 'containerStatuses', 0, 'state', 'terminated', 'message'], { reason: 'Succeeded' }, /terminated.message is an object, not a string/],
    ['startedAt', ['status', 'containerStatuses', 0, 'state', 'terminated', 'startedAt'], 3, /terminated.startedAt is a number 3, not a time/],
    ['finishedAt', ['status', 'containerStatuses', 0, 'state', 'terminated', 'finishedAt'], {}, /terminated.finishedAt is an object, not a time/],
    ['waiting', ['status', 'containerStatuses', 1, 'state', 'waiting'], 'x', /status.containerStatuses\[1\].state.waiting is the string "x", not an object/],
    ['waiting.reason', ['status', 'containerStatuses', 1, 'state', 'waiting', 'reason'], 5, /state.waiting.reason is a number 5, not a string/],
    ['running', ['status', 'containerStatuses', 2, 'state', 'running'], null, /status.containerStatuses\[2\].state.running is null, not an object/],
    ['running.startedAt', ['status', 'containerStatuses', 2, 'state', 'running', 'startedAt'], false, /state.running.startedAt is a boolean false, not a time/],
    ['status.initContainerStatuses', ['status', 'initContainerStatuses'], {}, /status.initContainerStatuses is an object, not a list/],
    ['an init container status', ['status', 'initContainerStatuses', 0], null, /status.initContainerStatuses\[0\] is null, not a container status/],
  ];

  test.each(cases)('%s: %j = %p', (_what, keys, value, field) => {
    const r = status(withField(livePod(), keys, value));
    expect(r.code).toBeUndefined();
    const message = r.error!.message;
    expect(message).toMatch(field);
    expect(message).not.toMatch(/\n/);
    expect(message).not.toMatch(/is not a function|Cannot read propert|undefined/);
    expect(message).toMatch(/(kubectl get pod|synthesise the manifest again|upgrade cdk8s-steps)/);
  });

  test.each([
    ['items null', { kind: 'List', items: null }, /items is null, not a list/],
    ['items a string', { kind: 'PodList', items: 'x' }, /items is the string "x", not a list/],
    ['an item null', { kind: 'List', items: [null] }, /items\[0\] of .* is null, not an object/],
    ['a pod item with no name', { kind: 'List', items: [{ kind: 'Pod', metadata: {} }] }, /items\[0\] of .*: metadata.name is missing, not a string/],
  ])('a List: %s', (_what, input, field) => {
    const r = status(input);
    expect(r.error?.message).toMatch(field);
    expect(r.error?.message).not.toMatch(/\n/);
  });

  test('a time that was never set is null in the API: read as no time, not as malformed', () => {
    const r = status(withField(livePod(), ['status', 'containerStatuses', 0, 'state', 'terminated', 'startedAt'], null));
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(3);
  });

  test('through the bin: the line on stderr, exit 2; an empty graph annotation is not "the run succeeded"', async () => {
    const bad = await runBin(['status', '-'], { input: JSON.stringify(withField(livePod(), ['status', 'containerStatuses', 0], null)) });
    expect({ code: bad.code, stdout: bad.stdout, lines: bad.stderr.trim().split('\n').length }).toEqual({ code: 2, stdout: '', lines: 1 });
    expect(bad.stderr).toMatch(/^cdk8s-steps: pod [\w-]+: status.containerStatuses\[0\] is null, not a container status \(an object\); give the Pod as kubectl get pod NAME -o json prints it\n$/);
    const empty = await runBin(['status', '-'], { input: JSON.stringify(withField(livePod(), ['metadata', 'annotations', GRAPH], '{}')) });
    expect(empty.code).toBe(2);
    expect(empty.stdout).not.toMatch(/succeeded/);
    expect(empty.stderr).toMatch(/^cdk8s-steps: pod [\w-]+: malformed cdk8s-steps\/graph annotation: it names no steps; synthesise the manifest again with cdk8s-steps\n$/);
  });
});
