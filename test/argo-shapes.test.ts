/**
 * Shared templates (issue 19 item 1): steps whose containers differ only in values run from one
 * template parameterised by inputs.parameters; every step still runs exactly the container a
 * template of its own would give it.
 */
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import * as fc from 'fast-check';
import { checkReferences, resolvedTemplate, runWorkflow, stepTask } from './argo-model';
import { expectValidArgo } from './argo-schema';
import { StepWorkflow } from '../src';
import { substitutable } from '../src/argo/shapes';
import { ArgoStep, buildWorkflow } from '../src/argo/workflow';
import { StepPlan } from '../src/plan';

function step(name: string, o: Partial<StepPlan> = {}): StepPlan {
  return { name, dependsOn: [], retries: 0, continueOnError: false, runIf: { kind: 'allSucceeded' }, results: [], resultEnv: [], isFinally: false, ...o };
}

const built: any[] = [];
function wf(steps: StepPlan[], containers: Map<string, ArgoStep>): any {
  const w = buildWorkflow({ steps, failFast: false, workspace: true }, containers, {
    kind: 'Workflow', metadata: { generateName: 's-' }, workspace: { storage: '1Gi', accessModes: ['ReadWriteOnce'] },
  });
  built.push(w);
  return w;
}
const tmpl = (w: any, name: string) => w.spec.templates.find((t: any) => t.name === name);
/** Argo reads an IntOrString field given as a string ("5") as the number: compare them so. */
function intOrString(t: any): any {
  const num = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  return {
    ...t,
    ...t.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: num(t.activeDeadlineSeconds) } : {},
    ...t.retryStrategy ? { retryStrategy: { ...t.retryStrategy, limit: num(t.retryStrategy.limit) } } : {},
  };
}
const c = (command: string[], o: any = {}): ArgoStep => ({ container: { name: 'x', image: 'busybox:1.36', command, ...o } });

describe('shared templates', () => {
  test('a value with "{{" or "}}" stays literal in its shape: steps that differ there do not share', () => {
    const steps = [step('a'), step('b'), step('c'), step('d')];
    const w = wf(steps, new Map([
      ['a', c(['sh', '-c', 'echo {{workflow.name}}', 'x'])],
      ['b', c(['sh', '-c', 'echo {{workflow.name}}', 'y'])],
      ['c', c(['sh', '-c', 'echo }} one'])],
      ['d', c(['sh', '-c', 'echo }} two'])],
    ]));
    // a and b share (their "{{" element is the same, literal); c and d cannot
    expect(stepTask(w, 'a').template).toBe(stepTask(w, 'b').template);
    const shared = tmpl(w, stepTask(w, 'a').template);
    expect(shared.container.command).toEqual(['sh', '-c', 'echo {{workflow.name}}', '{{inputs.parameters.command-3}}']);
    expect(stepTask(w, 'c').template).toBe('c');
    expect(stepTask(w, 'd').template).toBe('d');
    expect(tmpl(w, 'c').container.command).toEqual(['sh', '-c', 'echo }} one']);
    // no value with a tag ever goes into a parameter
    for (const t of w.spec.templates.flatMap((x: any) => x.dag?.tasks ?? [])) {
      for (const p of t.arguments?.parameters ?? []) expect(p.value).not.toMatch(/\{\{|\}\}/);
    }
  });

  test.each([
    ['plain text, quotes and backslashes', 'a "b" \\c', true],
    ['newline, tab, carriage return, backspace, form feed', 'a\nb\tc\rd\be\f', true],
    ['non-ASCII in the Basic Multilingual Plane', 'grüße ✓ 東京', true],
    ['an empty string', '', true],
    ['"{{"', 'a{{b', false],
    ['"}}"', 'a}}b', false],
    ['a bell (Go quotes it \\a, not JSON)', 'a\u0007b', false],
    ['a vertical tab (\\v)', 'a\u000bb', false],
    ['NUL (\\x00)', 'a\u0000b', false],
    ['DEL (\\x7f)', 'a\u007fb', false],
    ['a character outside the BMP', 'rocket 🚀', false],
  ])('substitutable: %s', (_, value, expected) => {
    expect(substitutable(value)).toBe(expected);
  });

  test('resources, env names and placement are part of a shape; env values, image, timeout and retries are values', () => {
    const steps = [step('a', { timeoutMs: 1000, retries: 1 }), step('b', { timeoutMs: 5000, retries: 3 }), step('c'), step('d'), step('e')];
    const env = (v: string) => [{ name: 'MODE', value: v }, { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
    const w = wf(steps, new Map([
      ['a', c(['make'], { image: 'golang:1.22', env: env('fast') })],
      ['b', c(['make'], { image: 'golang:1.23', env: env('slow') })],
      ['c', c(['make'], { resources: { limits: { cpu: '1' } } })],
      ['d', c(['make'], { resources: { limits: { cpu: '2' } } })],
      ['e', c(['make'], { env: [{ name: 'OTHER', value: 'fast' }] })],
    ]));
    expect(stepTask(w, 'a').template).toBe('shared-make');
    expect(stepTask(w, 'b').template).toBe('shared-make');
    expect(tmpl(w, 'shared-make').inputs.parameters.map((p: any) => p.name)).toEqual(['image', 'env-MODE', 'retries', 'timeout']);
    expect(stepTask(w, 'b').arguments.parameters).toEqual([
      { name: 'image', value: 'golang:1.23' }, { name: 'env-MODE', value: 'slow' }, { name: 'retries', value: '3' }, { name: 'timeout', value: '5' },
    ]);
    expect(resolvedTemplate(w, 'b').container.env).toEqual(env('slow'));
    expect(['c', 'd', 'e'].map(s => stepTask(w, s).template)).toEqual(['c', 'd', 'e']);
  });

  test('producers of one shape share a template: the results directory is a parameter, outputs read from it', () => {
    const steps = [step('p1', { results: ['v'] }), step('p2', { results: ['v'] }),
      step('r', { dependsOn: ['p1', 'p2'], resultEnv: [{ env: 'A', result: { step: 'p1', name: 'v' } }, { env: 'B', result: { step: 'p2', name: 'v' } }] })];
    const w = wf(steps, new Map([['p1', c(['produce'])], ['p2', c(['produce'])], ['r', c(['read'])]]));
    const t = tmpl(w, 'shared-busybox-produce');
    expect(t.outputs.parameters).toEqual([{ name: 'v', valueFrom: { path: '{{inputs.parameters.results}}/v' } }]);
    expect(resolvedTemplate(w, 'p2')).toMatchObject({
      outputs: { parameters: [{ name: 'v', valueFrom: { path: '/cdk8s-steps/steps/p2/results/v' } }] },
      container: { env: [{ name: 'CDK8S_STEPS_RESULTS', value: '/cdk8s-steps/steps/p2/results' }] },
    });
    expect(resolvedTemplate(w, 'p2').container.volumeMounts).toContainEqual({ name: 'cdk8s-steps-results', mountPath: '/cdk8s-steps/steps/p2/results' });
    const run = runWorkflow(w, { failing: new Map(), results: new Map([['p1.v', 'one'], ['p2.v', 'two']]) });
    expect(JSON.parse(run.containers.get('r')!).env).toEqual([{ name: 'A', value: 'one' }, { name: 'B', value: 'two' }]);
  });

  test('a shared template never takes the name of a step, and names say what the shape runs', () => {
    // the step "shared-busybox-sh" has a shape of its own (resources): the shared template of b and c is named around it
    const w = wf([step('shared-busybox-sh'), step('b'), step('c')], new Map([
      ['shared-busybox-sh', c(['sh', '-c', '1'], { resources: { limits: { cpu: '1' } } })], ['b', c(['sh', '-c', '2'])], ['c', c(['sh', '-c', '3'])],
    ]));
    expect(['shared-busybox-sh', 'b', 'c'].map(s => stepTask(w, s).template)).toEqual(['shared-busybox-sh', 'shared-busybox-sh-2', 'shared-busybox-sh-2']);
    // the image's name without registry, tag or digest; an image that differs is a parameter, not part of the name
    const image = 'registry.example.com:5000/tools/busybox:1.36@sha256:abc';
    const reg = wf([step('x'), step('y')], new Map([['x', c(['/bin/run', '1'], { image })], ['y', c(['/bin/run', '2'], { image })]]));
    expect(stepTask(reg, 'x').template).toBe('shared-busybox-run');
    const img = wf([step('x'), step('y')], new Map([['x', c(['run'], { image: 'a:1' })], ['y', c(['run'], { image: 'b:1' })]]));
    expect(stepTask(img, 'x').template).toBe('shared-run');
    expect(tmpl(img, 'shared-run').container.image).toBe('{{inputs.parameters.image}}');
  });

  test('a shape needing more than 500 parameters is not shared (Argo\'s limit per template)', () => {
    const args = (k: string) => Array.from({ length: 501 }, (_, i) => `${k}${i}`);
    const w = wf([step('a'), step('b')], new Map([['a', c(['echo'], { args: args('a') })], ['b', c(['echo'], { args: args('b') })]]));
    expect([stepTask(w, 'a').template, stepTask(w, 'b').template]).toEqual(['a', 'b']);
  });

  test('property: every step runs the container (and template) a template of its own would give it', () => {
    const word = fc.constantFrom('a', 'b', 'x y', 'q"uote', 'back\\slash', 'new\nline', '{{tag}}', 'x}}', '\u0007', 'ü', '🚀', '');
    const container = fc.record({
      image: fc.constantFrom('busybox:1.36', 'alpine:3.20'),
      command: fc.array(word, { minLength: 1, maxLength: 3 }),
      args: fc.option(fc.array(word, { maxLength: 3 }), { nil: undefined }),
      env: fc.option(fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C.D'), word), { maxLength: 2 }), { nil: undefined }),
    });
    const sample: any[] = [];
    fc.assert(fc.property(fc.array(fc.tuple(container, fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 10 }), specs => {
      const steps = specs.map(([, timeout, results], i) => step(`s${i}`, {
        timeoutMs: timeout > 0 ? timeout * 1000 : undefined, retries: timeout, results: results ? ['v'] : [],
      }));
      const inputs = new Map<string, ArgoStep>(specs.map(([spec], i) => [`s${i}`, {
        container: {
          name: `s${i}`,
          image: spec.image,
          command: spec.command,
          args: spec.args,
          env: spec.env ? [...new Map(spec.env).entries()].map(([name, value]) => ({ name, value })) : undefined,
        },
      }]));
      const w = wf(steps, inputs);
      expect(checkReferences(w)).toEqual([]);
      if (sample.length < 20) sample.push(w);
      steps.forEach((s, i) => {
        const alone = wf([s], new Map([[s.name, inputs.get(s.name)!]])).spec.templates.find((t: any) => t.name === s.name);
        const { name: _n, container: { name: _c, ...own }, ...rest } = alone;
        const { name: _n2, container: { name: _c2, ...shared }, ...rest2 } = intOrString(resolvedTemplate(w, s.name));
        expect([i, { ...rest2, container: shared }]).toEqual([i, { ...rest, container: own }]);
      });
    }), { numRuns: 150 });
    expectValidArgo(...sample);
  });

  test('through the public API: 1 000 tests that differ in one argument and one env value share one template', () => {
    const chart = Testing.chart();
    const w = new StepWorkflow(chart, 'wf');
    const setup = w.addStep('setup', { image: 'busybox:1.36', command: ['sh', '-c', 'true'] });
    for (let i = 0; i < 1000; i++) {
      w.addStep(`test-${i}`, {
        image: 'busybox:1.36',
        command: ['run-test'],
        args: [`suite-${i % 7}`, `case-${i}`],
        dependsOn: [setup],
        envVariables: { SHARD: kplus.EnvValue.fromValue(String(i % 4)) },
      });
    }
    const [manifest] = Testing.synth(chart);
    const containerTemplates = manifest.spec.templates.filter((t: any) => t.container);
    expect(containerTemplates.map((t: any) => t.name)).toEqual(['setup', 'shared-busybox-run-test']);
    // the task names are the step names (what argo get lists); the values differ per task
    expect(containerTemplates[1].inputs.parameters.map((p: any) => p.name)).toEqual(['args-0', 'args-1', 'env-SHARD']);
    expect(resolvedTemplate(manifest, 'test-42').container).toMatchObject({ args: ['suite-0', 'case-42'], env: [{ name: 'SHARD', value: '2' }] });
    expect(w.limitProblems()).toEqual([]);
    built.push(manifest);
  });

  test('every Workflow built here passes the schema', () => {
    expectValidArgo(...built.slice(0, 40), ...built.slice(-3));
  });
});
