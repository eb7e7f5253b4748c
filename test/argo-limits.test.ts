/**
 * Argo's and Kubernetes' limits on a StepWorkflow (issue 18 item 9): a Workflow that the API
 * server (Argo ≥ 4.0's full CRDs) or the Argo controller would reject is refused at synthesis
 * with a named StepLimitError, and limitProblems() returns the same problems as data.
 */
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { RunIf, Step, StepLimit, StepPod, StepWorkflow, StepWorkflowProps } from '../src';
import { schemaErrors } from './argo-schema';
import { randomDag } from './generate';
import { MAX_WORKFLOW_SIZE, statusModel, workflowLimitProblems } from '../src/argo/limits';

const image = 'busybox:1.36';

function workflow(build: (wf: StepWorkflow) => void, props: StepWorkflowProps = {}): { chart: Chart; wf: StepWorkflow } {
  const chart = Testing.chart();
  const wf = new StepWorkflow(chart, 'wf', props);
  build(wf);
  return { chart, wf };
}

function synthError(chart: Chart): string {
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  return 'synthesised';
}

/** Steps whose containers differ in their resources: each needs a template of its own. */
function distinctShapes(wf: StepWorkflow, n: number): Step[] {
  return Array.from({ length: n }, (_, i) => wf.addStep(`s${i}`, {
    image, command: ['true'], resources: { cpu: { request: kplus.Cpu.millis(100 + i), limit: kplus.Cpu.millis(2000) } },
  }));
}

describe('StepWorkflow limits', () => {
  test('more than 200 templates: named error with the count, the overshoot and what to do', () => {
    const { chart, wf } = workflow(w => {
      distinctShapes(w, 198);
      w.addFinally('teardown', { image, command: ['true'], resources: { cpu: { request: kplus.Cpu.millis(7), limit: kplus.Cpu.millis(9) } } });
    });
    const problems = wf.limitProblems();
    const templates = problems.find(p => p.limit === StepLimit.WORKFLOW_TEMPLATES)!;
    expect(templates).toBeDefined();
    expect(templates.maximum).toBe(200);
    expect(templates.size).toBeGreaterThan(200);
    expect(templates.message).toMatch(new RegExp(`^StepLimitError: test/wf: the Workflow has ${templates.size} templates, ${templates.size - 200} templates over Argo's limit of 200`));
    expect(templates.message).toMatch(/differ only in values .* container shapes remain/);
    const thrown = synthError(chart);
    expect(thrown).toContain(problems[0].message);
    expect(thrown.split('StepLimitError').length - 1).toBe(1);
  });

  test('more than 200 tasks in a DAG that no nesting can shrink: DAG_TASKS, naming the template', () => {
    // `always` steps depend on every result of their dependency: none can move into a nested DAG
    const { chart, wf } = workflow(w => {
      let prev: Step | undefined;
      for (let i = 0; i < 201; i++) prev = w.addStep(`s${i}`, { image, command: ['true'], dependsOn: prev ? [prev] : [], runIf: RunIf.always() });
    });
    const problems = wf.limitProblems();
    // one shared template: only the DAG is too large
    expect(problems.map(p => p.limit)).toEqual([StepLimit.DAG_TASKS]);
    const tasks = problems[0];
    expect(tasks).toMatchObject({ size: 201, maximum: 200 });
    expect(tasks.message).toMatch(/^StepLimitError: test\/wf: the DAG template "Cdk8sSteps" has 201 tasks, 1 tasks over Argo's limit of 200 per DAG/);
    expect(tasks.message).toMatch(/split the steps into several StepWorkflows/);
    expect(synthError(chart)).toContain(problems[0].message);
  });

  test('more than 500 input parameters in one template: TEMPLATE_PARAMETERS', () => {
    const { wf } = workflow(w => {
      const producers = Array.from({ length: 51 }, (_, i) => w.addStep(`p${i}`, {
        image, command: ['true'], results: Array.from({ length: 10 }, (__, j) => `r${j}`), resources: { cpu: { request: kplus.Cpu.millis(100 + i) } },
      }));
      const resultEnv = Object.fromEntries(producers.flatMap((p, i) => p.results.map((r, j) => [`V_${i}_${j}`, p.result(r)])));
      w.addStep('reader', { image, command: ['true'], dependsOn: producers, resultEnv });
    });
    const problems = wf.limitProblems();
    expect(problems.map(p => p.limit)).toEqual([StepLimit.TEMPLATE_PARAMETERS]);
    expect(problems[0]).toMatchObject({ size: 510, maximum: 500 });
    expect(problems[0].message).toMatch(/the template "reader" has 510 input parameters, 10 parameters over Argo's limit of 500/);
  });

  test('larger than MAX_WORKFLOW_SIZE (1 MiB) with the node status of a run: WORKFLOW_SIZE; above 1.5 MiB also OBJECT_SIZE', () => {
    const big = (n: number) => workflow(w => {
      for (let i = 0; i < n; i++) w.addStep(`s${i}`, { image, command: ['sh', '-c', `echo ${i} ${'x'.repeat(10_000)}`], resources: { cpu: { request: kplus.Cpu.millis(100 + i) } } });
    }).wf;
    const over1 = big(110).limitProblems();
    expect(over1.map(p => p.limit)).toEqual([StepLimit.WORKFLOW_SIZE]);
    expect(over1[0].maximum).toBe(1024 * 1024);
    expect(over1[0].message).toMatch(/the Workflow with the node status of one run is about \d+ bytes .* bytes over Argo's MAX_WORKFLOW_SIZE of 1048576 bytes/);
    expect(over1[0].message).toMatch(/node status offloading/);
    const over15 = big(170).limitProblems();
    expect(over15.map(p => p.limit)).toEqual([StepLimit.WORKFLOW_SIZE, StepLimit.OBJECT_SIZE]);
    expect(over15[1].message).toMatch(/the Workflow object is \d+ bytes .* over etcd's limit of 1572864 bytes/);
    expect(big(90).limitProblems()).toEqual([]);
  });

  test('checkLimits: false synthesises what limitProblems() still reports', () => {
    const { chart, wf } = workflow(w => distinctShapes(w, 205), { checkLimits: false });
    expect(wf.limitProblems().map(p => p.limit)).toContain(StepLimit.WORKFLOW_TEMPLATES);
    expect(Testing.synth(chart)).toHaveLength(1);
  });

  test('a small workflow has no limit problems', () => {
    const { wf } = workflow(w => distinctShapes(w, 20));
    expect(wf.limitProblems()).toEqual([]);
  });
});

describe('the status model of a run', () => {
  const wfOf = (templates: any[], extra: any = {}) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'x-' }, spec: { entrypoint: 'main', templates, ...extra } });
  const pod = (name: string, extra: any = {}) => ({ name, container: { name: 'main', image }, ...extra });

  test('one node per DAG, task, retry and attempt, as the controller creates them', () => {
    const w = wfOf([
      { name: 'main', dag: { tasks: [{ name: 'a', template: 'p' }, { name: 'b', template: 'r', depends: 'a.Succeeded' }, { name: 'c', template: 'inner', depends: 'a.Succeeded' }] } },
      { name: 'inner', dag: { tasks: [{ name: 'd', template: 'p' }] } },
      pod('p'), pod('r', { retryStrategy: { limit: 1 } }),
    ]);
    // main, a, b (Retry) + b(0), c (DAG) + d
    expect(statusModel(w).nodes).toBe(6);
    expect(statusModel({ ...w, spec: { ...w.spec, onExit: 'inner' } }).nodes).toBe(8);
  });

  test('the compressed status is what decides, once the plain one is too large', () => {
    const tasks = Array.from({ length: 150 }, (_, i) => ({ name: `t${i}`, template: 'p' }));
    const w = wfOf([{ name: 'main', dag: { tasks } }, pod('p')]);
    const m = statusModel(w);
    expect(m.nodes).toBe(151);
    expect(m.nodesCompressed).toBeLessThan(m.nodesJson / 3);
    // nothing over the limit: the sizes add up to less than 1 MiB
    expect(workflowLimitProblems(w, { path: 'p' })).toEqual([]);
    expect(JSON.stringify(w).length + m.fixed + m.nodesJson).toBeLessThan(MAX_WORKFLOW_SIZE);
  });
});

describe('the schema of @kubernetes-models/argo-workflows 2.0.0 carries the item limits', () => {
  test('201 templates, 201 tasks and 501 input parameters are rejected; 200, 200 and 500 pass', () => {
    const w = (templates: number, tasks: number, params: number) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: 'x-' },
      spec: {
        entrypoint: 'main',
        templates: [
          { name: 'main', dag: { tasks: Array.from({ length: tasks }, (_, i) => ({ name: `t${i}`, template: 'p0' })) } },
          ...Array.from({ length: templates - 1 }, (_, i) => ({
            name: `p${i}`,
            inputs: i === 0 ? { parameters: Array.from({ length: params }, (__, j) => ({ name: `x${j}`, value: '' })) } : undefined,
            container: { name: 'main', image },
          })),
        ],
      },
    });
    const [ok, templates, tasks, params] = schemaErrors([w(200, 200, 500), w(201, 1, 0), w(2, 201, 0), w(2, 1, 501)]);
    expect(ok).toBeUndefined();
    expect(templates).toMatch(/templates.*must NOT have more than 200 items/);
    expect(tasks).toMatch(/tasks.*must NOT have more than 200 items/);
    expect(params).toMatch(/parameters.*must NOT have more than 500 items/);
  });
});

describe('the StepPod\'s limit error recommends StepWorkflow only for a graph it takes', () => {
  const podError = (build: (pod: StepPod) => void) => {
    const pod = new StepPod(Testing.chart(), 'p');
    build(pod);
    const [problem] = pod.limitProblems();
    return problem.message;
  };
  const wide = (i: number) => `echo ${i} ${'w'.repeat(2000)}`;

  test('a fan-out/fan-in too large for a pod: StepWorkflow is recommended (it nests the tests)', () => {
    const message = podError(pod => {
      const setup = pod.addStep('setup', { image, command: ['true'] });
      const tests = Array.from({ length: 900 }, (_, i) => pod.addStep(`test-${i}`, { image, command: ['sh', '-c', wide(i)], dependsOn: [setup] }));
      pod.addStep('report', { image, command: ['true'], dependsOn: tests });
    });
    expect(message).toMatch(/or a StepJob per stage \(or the Argo target, StepWorkflow, which runs each step in its own pod\) bring it under/);
  });

  test('a random DAG too large for a pod and for one Argo DAG: StepWorkflow is not recommended, and the error says why', () => {
    const message = podError(pod => {
      const steps: Step[] = [];
      for (let i = 0; i < 900; i++) {
        const deps = i < 3 ? steps.slice() : [steps[(i * 7) % i], steps[(i * 13) % i], steps[i - 1]];
        steps.push(pod.addStep(`s${i}`, { image, command: ['sh', '-c', wide(i)], dependsOn: [...new Set(deps)] }));
      }
    });
    expect(message).toMatch(/bring it under\. The Argo target, StepWorkflow, would not take this graph: \d+ tasks would stay in one Argo DAG, over Argo's 200/);
    expect(message).not.toMatch(/\(or the Argo target/);
  });
});

describe('StepWorkflow at 1 000 steps, through the public API', () => {
  test('a fan-out/fan-in (setup -> 998 tests -> report) and a chain of 1 000 synthesise valid Workflows within the limits', () => {
    const chart = Testing.chart();
    const fan = new StepWorkflow(chart, 'fan');
    const setup = fan.addStep('setup', { image, command: ['sh', '-c', 'prepare'] });
    const tests = Array.from({ length: 998 }, (_, i) => fan.addStep(`test-${i}`, { image, command: ['sh', '-c', `run ${i}`], dependsOn: [setup] }));
    fan.addStep('report', { image, command: ['sh', '-c', 'report'], dependsOn: tests });
    const chain = new StepWorkflow(chart, 'chain');
    let prev: Step | undefined;
    for (let i = 0; i < 1000; i++) prev = chain.addStep(`s${i}`, { image, command: ['sh', '-c', `step ${i}`], dependsOn: prev ? [prev] : [] });
    expect([fan.limitProblems(), chain.limitProblems()]).toEqual([[], []]);
    const manifests = Testing.synth(chart);
    for (const w of manifests) {
      expect(w.spec.templates.length).toBeLessThanOrEqual(200);
      for (const t of w.spec.templates) if (t.dag) expect(t.dag.tasks.length).toBeLessThanOrEqual(200);
    }
    expect(manifests[0].spec.templates.find((t: any) => t.name === 'Cdk8sSteps').dag.tasks.map((t: any) => t.name))
      .toEqual(['setup', 'Part-1', 'Part-2', 'Part-3', 'Part-4', 'Part-5', 'report']);
    expect(schemaErrors(manifests)).toEqual([undefined, undefined]);
  });

  test('a random DAG of 1 000 (average in-degree 3) is refused with the named DAG_TASKS error', () => {
    const { chart, wf } = workflow(w => randomDag(w, 1000, 10));
    const problems = wf.limitProblems();
    expect(problems.map(p => p.limit)).toEqual([StepLimit.DAG_TASKS]);
    expect(problems[0].message).toMatch(/^StepLimitError: test\/wf: the DAG template "Cdk8sSteps" has \d+ tasks, \d+ tasks over Argo's limit of 200 per DAG .* \d+ of them are steps that cannot move into a nested DAG/);
    expect(synthError(chart)).toContain(problems[0].message);
  });
});
