import { Testing } from 'cdk8s';
import { restrictedViolations } from './pss';
import { validateManifest } from './synth';
import { CiPipeline } from '../examples/ci-pipeline';
import { JobWithDb } from '../examples/job-with-db';
import { LocalDiamond } from '../examples/local-diamond';
import { buildApp } from '../examples/main';
import { SeedChain } from '../examples/seed-chain';

describe('examples', () => {
  test('the app synthesises one valid manifest per chart', () => {
    const app = buildApp(Testing.app());
    expect(app.charts.map(c => c.node.id)).toEqual(['seed-chain', 'ci-pipeline', 'job-with-db', 'local-diamond']);
    for (const chart of app.charts) {
      const manifests = Testing.synth(chart);
      expect(manifests.length).toBeGreaterThanOrEqual(1);
      manifests.forEach(validateManifest);
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
});
