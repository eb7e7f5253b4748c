/**
 * The kubelet's rules the local runner follows, without podman: `$(VAR)` expansion (a table of
 * cases from third_party/forked/golang/expansion/expand.go and pkg/kubelet/kubelet_pods.go), the
 * startup probe's schedule and thresholds (pkg/kubelet/prober/worker.go), image pull policies and
 * the `run` options that are read before anything runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { RunIf } from '../src';
import { containerResult } from './cli-helpers';
import { e2ePod, newChart, shStep, synth } from './e2e/fixtures';
import { CliError } from '../src/cli/errors';
import { main, runArgs } from '../src/cli/main';
import { parseTimeout } from '../src/cli/run';
import { escapeDollars, expand, expandContainer, describeUnknown } from '../src/local/expand';
import { parseSubstitutes, pullPolicyOf, resolveImages } from '../src/local/images';
import { kubePod } from '../src/local/kube-pod';
import { preparePlay } from '../src/local/play';
import { ProbeSpecError, runStartupProbe, SidecarStartError, startupProbeOf } from '../src/local/probe';
import { expandsCommand } from '../src/local/runner';
import { ContainerResult } from '../src/local/types';

const env = (vars: Record<string, string>) => (name: string) => vars[name];

describe('expand: the kubelet\'s $(VAR) syntax', () => {
  // [input, variables, result, why]
  const table: Array<[string, Record<string, string>, string, string]> = [
    ['$(FOO)', { FOO: 'bar' }, 'bar', 'a defined variable'],
    ['a-$(FOO)-b', { FOO: 'bar' }, 'a-bar-b', 'inside text'],
    ['$(FOO)$(FOO)', { FOO: 'x' }, 'xx', 'twice'],
    ['$(MISSING)', {}, '$(MISSING)', 'an unresolvable reference stays as written'],
    ['$$', {}, '$', '$$ is one $'],
    ['x$$', {}, 'x$', 'the library\'s doubled $ (-value=x$$) reaches the wrapper as x$'],
    ['$$$', {}, '$$', 'an escaped $ then a lone $ at the end'],
    ['$$$$', {}, '$$', 'two escaped'],
    ['$$(FOO)', { FOO: 'bar' }, '$(FOO)', 'an escaped reference is not expanded'],
    ['$$$(FOO)', { FOO: 'bar' }, '$bar', 'an escaped $ then a reference'],
    ['$', {}, '$', 'a lone $ at the end'],
    ['a$', {}, 'a$', 'a $ at the end'],
    ['$FOO', { FOO: 'bar' }, '$FOO', 'only the $(...) form is a reference'],
    ['${FOO}', { FOO: 'bar' }, '${FOO}', 'nor is ${...}'],
    ['$(FOO', { FOO: 'bar' }, '$(FOO', 'a reference that is not closed'],
    ['$(', {}, '$(', 'just the opener'],
    ['$()', { '': 'empty' }, 'empty', 'the empty name is a name'],
    ['$()', {}, '$()', 'undefined empty name'],
    ['$(A$(B))', { B: 'b' }, '$(A$(B))', 'the name runs to the first ), so it is "A$(B" (undefined)'],
    ['$(FOO)', { FOO: '$(BAR)', BAR: 'x' }, '$(BAR)', 'no recursive expansion'],
    ['$(FOO)', { FOO: '$$' }, '$$', 'a value is not unescaped again'],
    ['$é$(FOO)', { FOO: 'ü' }, '$éü', 'a $ before a multi-byte character keeps the whole character'],
    ['$\u{1F600}', {}, '$\u{1F600}', 'and before one outside the BMP'],
    ['no dollars', {}, 'no dollars', 'nothing to do'],
  ];
  test.each(table)('%j with %j is %j (%s)', (input, vars, result) => {
    expect(expand(input, env(vars))).toBe(result);
  });

  test('podman >= 4.7 expands command and args again: doubling $ after our expansion gives back our result', () => {
    const name = fc.constantFrom('A', 'B', 'FOO', '');
    const text = fc.array(fc.oneof(fc.constantFrom('$', '$$', '(', ')', '$(', 'x', 'é'), name.map((n) => `$(${n})`)), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(fc.property(text, fc.dictionary(name, text), fc.dictionary(name, text), (s, ours, podmans) => {
      const kubelet = expand(s, env(ours));
      expect(expand(escapeDollars(kubelet), env(podmans))).toBe(kubelet);
    }));
  });
});

describe('expandContainer: which variables each field sees (kubelet_pods.go)', () => {
  test('env values see only the entries defined before them; command and args the whole env', () => {
    const c = {
      name: 'c',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '$(A)-$(C)' }, // C is defined later: stays
        { name: 'C', value: '3' },
        { name: 'A', value: '$(A)$(A)' }, // redefined from its earlier value
        { name: 'EMPTY', value: '' },
      ],
      command: ['sh', '-c', 'echo $(A) $(B) $(C) [$(EMPTY)] $$HOME $(NOPE)'],
      args: ['$(B)'],
    };
    const { container, unknown } = expandContainer(c);
    expect(container.env.map((e: any) => [e.name, e.value])).toEqual([['A', '1'], ['B', '1-$(C)'], ['C', '3'], ['A', '11'], ['EMPTY', '']]);
    expect(container.command).toEqual(['sh', '-c', 'echo 11 1-$(C) 3 [] $HOME $(NOPE)']);
    expect(container.args).toEqual(['1-$(C)']);
    expect(unknown).toEqual([]); // NOPE is undefined for a kubelet too
    expect(c.args).toEqual(['$(B)']); // the input is not changed
  });

  test('valueFrom, envFrom and service links: left as written and reported once per variable', () => {
    const c = {
      name: 'b',
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'URL', value: 'http://$(DB_SERVICE_HOST):5432/$(POD)' },
      ],
      args: ['$(POD)', '$(URL)', '$(TYPO)'],
    };
    const { container, unknown } = expandContainer(c);
    expect(container.env[0]).toEqual(c.env[0]); // podman resolves valueFrom itself
    expect(container.env[1].value).toBe('http://$(DB_SERVICE_HOST):5432/$(POD)');
    expect(container.args).toEqual(['$(POD)', 'http://$(DB_SERVICE_HOST):5432/$(POD)', '$(TYPO)']);
    const lines = describeUnknown(unknown);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\$\(DB_SERVICE_HOST\) left as written in b \(env URL\): DB_SERVICE_HOST looks like a service link/);
    expect(lines[1]).toMatch(/^\$\(POD\) left as written in b \(env URL\), b \(args\): POD is set through valueFrom \(fieldRef\)/);
    // enableServiceLinks: false: such a name is simply undefined, as for a kubelet
    expect(describeUnknown(expandContainer(c, { serviceLinks: false }).unknown)).toHaveLength(1);
    // envFrom: any undefined name may come from it
    expect(describeUnknown(expandContainer({ ...c, envFrom: [{ configMapRef: { name: 'cm' } }] }).unknown).join('\n')).toMatch(/TYPO may come from the container's envFrom/);
  });

  test('exec probes: the env entries\' values as written, valueFrom ones empty (ExpandContainerCommandOnlyStatic)', () => {
    const c = {
      name: 's',
      env: [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)b' }, { name: 'P', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      startupProbe: { exec: { command: ['check', '$(B)', '[$(P)]', '$$', '$(NOPE)'] } },
    };
    expect(expandContainer(c).container.startupProbe.exec.command).toEqual(['check', '$(A)b', '[]', '$', '$(NOPE)']);
  });

  test('podman >= 4.7: command and args come out with $ doubled, env values not (podman does not expand them)', () => {
    const c = { name: 'c', env: [{ name: 'V', value: 'x$$' }], args: ['-value=x$$', '$(V)'] };
    const { container } = expandContainer(c, { podmanExpandsCommand: true });
    expect(container.args).toEqual(['-value=x$$', 'x$$']);
    expect(container.env[0].value).toBe('x$');
    expect(expandsCommand('4.3.1')).toBe(false);
    expect(expandsCommand('4.7.0')).toBe(true);
    expect(expandsCommand('5.0.2')).toBe(true);
  });

  test('issue 18 item 1: a result condition on "x$" reaches the wrapper as -value=x$ in the played copy', () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'dollar');
    const a = shStep(pod, 'a', 'printf "x$" > "$CDK8S_STEPS_RESULTS/v"', { results: ['v'] });
    shStep(pod, 'b', 'true', { dependsOn: [a], runIf: RunIf.resultIn(a.result('v'), ['x$']) });
    const manifest = synth(chart);
    const b = manifest.find((o) => o.kind === 'Pod')!.spec.containers.find((c: any) => c.name === 'b');
    expect(b.args).toContain('-value=x$$'); // as synthesised, for the kubelet
    const played = YAML.parse(preparePlay(manifest, 'e2e00000009').yaml);
    expect(played.spec.containers.find((c: any) => c.name === 'b').args).toContain('-value=x$');
    const a4_7 = YAML.parse(preparePlay(manifest, 'e2e00000009', { podmanExpandsCommand: true }).yaml);
    expect(a4_7.spec.containers.find((c: any) => c.name === 'b').args).toContain('-value=x$$');
  });
});

describe('startup probes (worker.go): schedule and thresholds', () => {
  const probe = (p: object) => startupProbeOf({ name: 'db', ports: [{ name: 'pg', containerPort: 5432 }], startupProbe: p })!;

  test('the API\'s defaults, named ports', () => {
    expect(probe({ tcpSocket: { port: 'pg' } })).toEqual({
      action: { kind: 'tcpSocket', port: 5432 }, initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, failureThreshold: 3,
    });
    expect(probe({ httpGet: { port: 8080, path: '/ready', scheme: 'HTTPS', httpHeaders: [{ name: 'X', value: 'y' }] }, periodSeconds: 1, failureThreshold: 30 }).action)
      .toEqual({ kind: 'httpGet', scheme: 'https', port: 8080, path: '/ready', headers: [['X', 'y']] });
    expect(() => probe({ tcpSocket: { port: 'http' } })).toThrow(/sidecar db: startupProbe.tcpSocket.port "http" names no port of the container \(its ports: pg\)/);
    expect(() => probe({ grpc: { port: 9000 } })).toThrow(ProbeSpecError);
    expect(() => probe({ grpc: { port: 9000 } })).toThrow(/does not run a startupProbe of kind grpc; use exec, httpGet or tcpSocket/);
    expect(() => probe({ exec: { command: ['true'] }, successThreshold: 2 })).toThrow(/must be 1/);
    expect(() => probe({ exec: { command: ['true'] }, periodSeconds: 0 })).toThrow(/periodSeconds is 0; give a whole number of at least 1/);
    expect(startupProbeOf({ name: 'x' })).toBeUndefined();
  });

  /** A fake clock: attempts happen at the times the loop sleeps to. */
  function fake(results: boolean[], exitAfter?: number) {
    let now = 1_000;
    const times: number[] = [];
    return {
      times,
      deps: {
        startedAtMs: 1_000,
        now: () => now,
        sleep: async (ms: number) => { now += ms; },
        exited: async () => (exitAfter !== undefined && times.length >= exitAfter ? 1 : undefined),
        attempt: async () => {
          times.push(now - 1_000);
          now += 200; // each attempt takes 200 ms
          const ok = results[times.length - 1] ?? false;
          return { ok, message: ok ? 'ok' : `refused #${times.length}` };
        },
      },
    };
  }

  test('first probe after initialDelaySeconds, then one per period from the start of the previous; the first success passes', async () => {
    const f = fake([false, false, true]);
    await expect(runStartupProbe('db', probe({ exec: { command: ['x'] }, initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 3 }), f.deps)).resolves.toEqual({ attempts: 3 });
    expect(f.times).toEqual([2_000, 3_000, 4_000]);
  });

  test('failureThreshold failures in a row fail it, naming the last failure', async () => {
    const f = fake([false, false, false, true]);
    await expect(runStartupProbe('db', probe({ exec: { command: ['x'] }, periodSeconds: 2, failureThreshold: 3 }), f.deps))
      .rejects.toThrow(/sidecar db: its startup probe failed 3 times in a row \(failureThreshold 3, every 2 s\); the last one: refused #3/);
    expect(f.times).toEqual([0, 2_000, 4_000]);
  });

  test('a sidecar that exits before its probe passed fails it', async () => {
    const f = fake([false, false, false], 1);
    const run = runStartupProbe('db', probe({ exec: { command: ['x'] }, periodSeconds: 1 }), f.deps);
    await expect(run).rejects.toThrow(SidecarStartError);
    await expect(runStartupProbe('db', probe({ exec: { command: ['x'] }, periodSeconds: 1 }), fake([false], 1).deps)).rejects.toThrow(/sidecar db exited with code 1 before its startup probe passed \(1 probe run\)/);
  });
});

describe('images and options', () => {
  test('the kubelet\'s default pull policy', () => {
    expect(pullPolicyOf({ image: 'node:22' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ image: 'node' })).toBe('Always');
    expect(pullPolicyOf({ image: 'node:latest' })).toBe('Always');
    expect(pullPolicyOf({ image: 'localhost:5000/node' })).toBe('Always');
    expect(pullPolicyOf({ image: 'localhost:5000/node:1' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ image: 'node@sha256:abc' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ image: 'node', imagePullPolicy: 'Never' })).toBe('Never');
  });

  test('--image FROM=TO', () => {
    expect([...parseSubstitutes(['node:22=localhost/node:dev', 'a=b', 'a=b'])]).toEqual([['node:22', 'localhost/node:dev'], ['a', 'b']]);
    for (const bad of ['node:22', '=x', 'x=', 'a b=c']) expect(() => parseSubstitutes([bad])).toThrow(/--image wants FROM=TO/);
    expect(() => parseSubstitutes(['a=b', 'a=c'])).toThrow(/--image a is given twice, as b and as c/);
  });

  test('--image for an image the pod does not name: refused before podman is asked anything', async () => {
    const spec = { initContainers: [{ name: 'cdk8s-steps-init', image: 'e:1' }], containers: [{ name: 'a', image: 'alpine:3.20' }] };
    await expect(resolveImages(spec, { substitutes: new Map([['node:22', 'busybox']]) }))
      .rejects.toThrow('--image node:22=busybox: no container of the pod runs node:22; the pod\'s images are e:1, alpine:3.20');
  });

  test('--timeout: plain decimal seconds, above 0, at most 2147483 s (2^31 - 1 ms)', () => {
    expect(parseTimeout(undefined)).toBe(600);
    expect(parseTimeout('2147483')).toBe(2_147_483);
    expect(parseTimeout('0.5')).toBe(0.5);
    expect(parseTimeout('007')).toBe(7);
    for (const bad of ['Infinity', '-Infinity', 'NaN', '2147484', '1e10', '1e3', '0x10', '0b11', '0o17', '+5', ' 5', '5 ', '.5', '5.', '1_000', '0', '0.0', '-1', '', 'ten']) {
      expect(() => parseTimeout(bad)).toThrow(`--timeout wants seconds as a plain decimal number (digits, e.g. 90 or 0.5) above 0 and at most 2147483 (2^31 - 1 ms, the longest timer Node has), got "${bad}"`);
    }
  });

  test('run --timeout -1 (a separate word) gets the same message as --timeout=-1; --timeout --keep is a missing value', async () => {
    for (const args of [['--timeout', '-1'], ['--timeout=-1'], ['--timeout', '-0.5'], ['--timeout', '-Infinity']]) {
      const value = args.length === 2 ? args[1] : args[0].slice('--timeout='.length);
      await expect(main(['run', 'no-such.k8s.yaml', ...args])).rejects.toThrow(`--timeout wants seconds as a plain decimal number (digits, e.g. 90 or 0.5) above 0 and at most 2147483 (2^31 - 1 ms, the longest timer Node has), got "${value}"`);
    }
    await expect(main(['run', 'no-such.k8s.yaml', '--timeout', '0x10'])).rejects.toThrow(/got "0x10"$/);
    await expect(main(['run', 'no-such.k8s.yaml', '--timeout', '--keep'])).rejects.toThrow(/^Option '--timeout[^']*' argument is ambiguous/);
    // After `--`, everything is a positional: nothing is rewritten.
    expect(runArgs(['--', '--timeout', '-1', '--build-images'])).toEqual(['--', '--timeout', '-1', '--build-images']);
  });

  test('run --build-images: its own error, naming what replaces it (--image FROM=TO, the tests\' step-image script)', async () => {
    for (const flag of ['--build-images', '--build-images=true']) {
      const e = await main(['run', 'no-such.k8s.yaml', flag]).then(() => undefined, (x: Error) => x);
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
      expect((e as Error).message).toMatch(/^--build-images is gone: `run` builds no image\. Map an image of the manifest to one podman has with --image FROM=TO \(repeatable/);
      expect((e as Error).message).toContain('`bash test/e2e/step-image/build.sh`');
      expect((e as Error).message).not.toMatch(/Unknown option/);
    }
    expect(fs.existsSync(path.join(__dirname, 'e2e', 'step-image', 'build.sh'))).toBe(true); // the script the message names
  });

  test('the run command checks --timeout and --image before it reads anything', async () => {
    await expect(main(['run', 'no-such.k8s.yaml', '--timeout', 'Infinity'])).rejects.toThrow(/^--timeout wants seconds as a plain decimal number .* above 0 and at most 2147483 .*got "Infinity"$/);
    await expect(main(['run', 'no-such.k8s.yaml', '--timeout', '2147484'])).rejects.toThrow(/got "2147484"$/);
    await expect(main(['run', 'no-such.k8s.yaml', '--image', 'node'])).rejects.toThrow(/^--image wants FROM=TO/);
  });
});

describe('kubePod: the status a kubelet writes for a pod with a sidecar', () => {
  test('initialized once the copy container exited 0 and the sidecar started (it runs on); the sidecar does not count for the phase', () => {
    const chart = newChart();
    const pod = e2ePod(chart, 'status');
    pod.addSidecar('db', { image: 'x', command: ['sleep', '9'] });
    shStep(pod, 'a');
    const manifest = synth(chart);
    const c = (name: string, init: boolean, state: string, exitCode?: number): ContainerResult => containerResult(name, {
      init,
      sidecar: name === 'db',
      state,
      exitCode,
      startedAtMs: 1_000,
      finishedAtMs: exitCode === undefined ? undefined : 2_000,
    });
    const running = kubePod(manifest, [c('cdk8s-steps-init', true, 'exited', 0), c('db', true, 'running'), c('a', false, 'running')]);
    expect(running.status.conditions.find((x: any) => x.type === 'Initialized').status).toBe('True');
    expect(running.status.initContainerStatuses.find((x: any) => x.name === 'db')).toMatchObject({ started: true, state: { running: {} } });
    expect(running.status.phase).toBe('Running');
    const done = kubePod(manifest, [c('cdk8s-steps-init', true, 'exited', 0), c('db', true, 'exited', 143), c('a', false, 'exited', 0)]);
    expect(done.status.phase).toBe('Succeeded');
  });
});
