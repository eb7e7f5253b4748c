import { Testing } from 'cdk8s';
import { expectValidArgo } from './argo-schema';
import { restrictedViolations } from './pss';
import { validateManifest } from './synth';
import { CiPipeline } from '../examples/ci-pipeline';
import { JobWithDb } from '../examples/job-with-db';
import { LocalDiamond } from '../examples/local-diamond';
import { buildApp } from '../examples/main';
import { SeedChain } from '../examples/seed-chain';
import { TestReport } from '../examples/test-report';

describe('examples', () => {
  test('the app synthesises one valid manifest per chart', () => {
    const app = buildApp(Testing.app());
    expect(app.charts.map(c => c.node.id)).toEqual(['seed-chain', 'ci-pipeline', 'job-with-db', 'local-diamond', 'test-report', 'ci-on-argo']);
    for (const chart of app.charts) {
      const manifests = Testing.synth(chart);
      expect(manifests.length).toBeGreaterThanOrEqual(1);
      manifests.filter(m => m.apiVersion !== 'argoproj.io/v1alpha1').forEach(validateManifest);
      expectValidArgo(...manifests.filter(m => m.apiVersion === 'argoproj.io/v1alpha1'));
    }
  });

  test('every example meets the Pod Security Standard restricted', () => {
    const app = buildApp(Testing.app());
    for (const chart of app.charts) {
      for (const manifest of Testing.synth(chart)) expect([chart.node.id, restrictedViolations(manifest)]).toEqual([chart.node.id, []]);
    }
  });

  test('the seed chain is one -> two -> three', () => {
    const chart = new SeedChain(Testing.app(), 'seed');
    expect(chart.pod.graph.topologicalOrder()).toEqual(['one', 'two', 'three']);
    expect(chart.pod.graph.dependenciesOf('three')).toEqual(['two']);
  });

  test('the CI pipeline fans out after install and in before build', () => {
    const graph = new CiPipeline(Testing.app(), 'ci').pod.graph;
    expect(graph.dependentsOf('install').sort()).toEqual(['lint', 'typecheck', 'unit']);
    expect(graph.dependenciesOf('build')).toEqual(['unit', 'lint', 'typecheck']);
    // unit (2 CPU) + lint (1) + typecheck (1) can run at once
    expect(graph.peakRequests().cpu).toBe('4');
  });

  test('the database job has a native sidecar and a chain of steps', () => {
    const chart = new JobWithDb(Testing.app(), 'db');
    const [job] = Testing.synth(chart);
    const init = job.spec.template.spec.initContainers;
    expect(init.map((c: any) => [c.name, c.restartPolicy])).toEqual([['cdk8s-steps-init', undefined], ['db', 'Always']]);
    expect(chart.job.graph.topologicalOrder()).toEqual(['wait-for-db', 'migrate', 'seed', 'check']);
  });

  test('the local diamond uses only local images, never pulled', () => {
    const [pod] = Testing.synth(new LocalDiamond(Testing.app(), 'local'));
    const all = [...pod.spec.initContainers, ...pod.spec.containers];
    for (const c of all) {
      expect(c.image).toMatch(/^localhost\//);
      expect(c.imagePullPolicy).toBe('Never');
    }
  });

  test('the test report: conditions, a finally step, results through resultEnv, local images only', () => {
    const chart = new TestReport(Testing.app(), 'report');
    const [pod] = Testing.synth(chart);
    validateManifest(pod);
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      expect(c.image).toMatch(/^localhost\//);
      expect(c.imagePullPolicy).toBe('Never');
    }
    const byName = Object.fromEntries(chart.pod.steps.map(s => [s.name, s]));
    expect(Object.fromEntries(chart.pod.steps.map(s => [s.name, s.runIf.toString()]))).toEqual({
      'build': 'allSucceeded',
      'test': 'allSucceeded',
      'publish': 'allSucceeded',
      'upload-reports': 'always',
      'notify': 'anyFailed',
      'deploy': 'resultIn(build.channel, ["stable","beta"])',
      'deploy-canary': 'resultIn(build.channel, ["canary"])',
      'teardown': 'always',
    });
    expect(byName.teardown.isFinally).toBe(true);
    expect(chart.pod.graph.dependenciesOf('teardown')).toHaveLength(7);
    expect(byName.build.results).toEqual(['version', 'channel']);
    expect(Object.keys(byName.notify.resultEnv)).toEqual(['VERSION']);
  });
});
