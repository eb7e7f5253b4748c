/**
 * The harness's manifest adaptation for podman 4.3 (no podman needed): what is changed in the
 * played copy, and that nothing else is. ($(VAR) expansion: test/local-kubelet.test.ts.)
 */
import * as YAML from 'yaml';
import { e2ePod, newChart, shStep, synth } from './fixtures';
import { parseStamps, preparePlay } from '../../src/local';

const LONG = 'x'.repeat(64);

function pod(extra: Record<string, any> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', annotations: { 'cdk8s-steps.io/graph': LONG, 'short': 'ok' }, labels: { app: 'x' } },
    spec: {
      restartPolicy: 'Never',
      initContainers: [{ name: 'init', image: 'i', volumeMounts: [{ name: 'bin', mountPath: '/b' }] }],
      containers: [
        { name: 'a', image: 'i', volumeMounts: [{ name: 'bin', mountPath: '/b', readOnly: true }, { name: 'cfg', mountPath: '/c' }, { name: 'ws', mountPath: '/workspace' }] },
        { name: 'b', image: 'i', volumeMounts: [{ name: 'ws', mountPath: '/workspace' }] },
      ],
      volumes: [{ name: 'bin', emptyDir: {} }, { name: 'ws', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cm' } }],
      ...extra,
    },
  };
}

describe('preparePlay', () => {
  test('drops only the annotations podman 4.3 rejects (> 63 characters) and keeps the rest', () => {
    const plan = preparePlay(pod(), 'e2e00000001');
    const played = YAML.parse(plan.yaml);
    expect(plan.droppedAnnotations).toEqual(['cdk8s-steps.io/graph']);
    expect(played.metadata.annotations).toEqual({ short: 'ok' });
    expect(played.metadata.labels).toEqual({ app: 'x' });
  });

  test('an annotation of exactly 63 characters is kept', () => {
    const m = pod();
    m.metadata.annotations['cdk8s-steps.io/graph'] = 'y'.repeat(63);
    expect(preparePlay(m, 'e2e00000001').droppedAnnotations).toEqual([]);
  });

  test('gives emptyDir volumes a per-run name, consistently in every mount; other volumes untouched', () => {
    const plan = preparePlay(pod(), 'e2e00000001');
    const played = YAML.parse(plan.yaml);
    expect(played.spec.volumes.map((v: any) => v.name)).toEqual(['e2e00000001-bin', 'e2e00000001-ws', 'cfg']);
    expect(played.spec.initContainers[0].volumeMounts).toEqual([{ name: 'e2e00000001-bin', mountPath: '/b' }]);
    expect(played.spec.containers[0].volumeMounts).toEqual([
      { name: 'e2e00000001-bin', mountPath: '/b', readOnly: true },
      { name: 'cfg', mountPath: '/c' },
      { name: 'e2e00000001-ws', mountPath: '/workspace' },
    ]);
    expect(played.spec.containers[1].volumeMounts).toEqual([{ name: 'e2e00000001-ws', mountPath: '/workspace' }]);
    expect(played.metadata.name).toBe('p-e2e00000001');
    expect(played.spec.restartPolicy).toBe('Never');
  });

  test('does not modify its input', () => {
    const m = pod();
    const before = JSON.stringify(m);
    preparePlay(m, 'e2e00000001');
    expect(JSON.stringify(m)).toBe(before);
  });

  test('runs a Job as the pod of its template', () => {
    const p = pod();
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', annotations: { a: LONG } },
      spec: { backoffLimit: 0, template: { metadata: { labels: { t: '1' } }, spec: p.spec } },
    };
    const played = YAML.parse(preparePlay(YAML.stringify(job), 'e2e00000002').yaml);
    expect(played.kind).toBe('Pod');
    expect(played.metadata.name).toBe('j-e2e00000002');
    expect(played.metadata.labels).toEqual({ t: '1' });
    expect(played.metadata.annotations).toBeUndefined();
    expect(played.spec.containers.map((c: any) => c.name)).toEqual(['a', 'b']);
  });

  test('a native sidecar is played as a plain init container without what podman 4.3 refuses on one; the runner keeps its probe', () => {
    const m = pod();
    const probe = { httpGet: { port: 8080, path: '/health' }, periodSeconds: 1 };
    (m.spec.initContainers as any[]).push({
      name: 'db',
      image: 'postgres',
      restartPolicy: 'Always',
      startupProbe: probe,
      readinessProbe: { tcpSocket: { port: 8080 } },
      lifecycle: { preStop: { exec: { command: ['x'] } } },
      volumeMounts: [{ name: 'ws', mountPath: '/workspace' }],
    });
    const plan = preparePlay(m, 'e2e00000001', { images: new Map([['db', 'localhost/db:dev']]) });
    const played = YAML.parse(plan.yaml).spec.initContainers[1];
    expect(played).toEqual({ name: 'db', image: 'localhost/db:dev', imagePullPolicy: 'Never', volumeMounts: [{ name: 'e2e00000001-ws', mountPath: '/workspace' }] });
    expect(plan.sidecars.map((s) => [s.name, s.startupProbe])).toEqual([['db', probe]]);
    expect(plan.notes).toEqual(['sidecar db: its readinessProbe and lifecycle are not run locally (podman 4.3 refuses them on an init container; the runner runs only startup probes)']);
    expect(plan.terminationGracePeriodSeconds).toBe(30);
  });

  test('a StepPod with addSidecar(): the sidecar stays in its place among the init containers', () => {
    const chart = newChart();
    const stepPod = e2ePod(chart, 'with-db');
    shStep(stepPod, 'a');
    stepPod.addSidecar('db', { image: 'postgres:16', portNumber: 5432 });
    const manifest = synth(chart);
    const spec = manifest.find((o) => o.kind === 'Pod')!.spec;
    expect(spec.initContainers.find((c: any) => c.name === 'db')).toMatchObject({ restartPolicy: 'Always', startupProbe: { tcpSocket: { port: 5432 } } });
    const plan = preparePlay(manifest, 'e2e00000003');
    expect(plan.initContainers.map((c) => c.name)).toEqual(spec.initContainers.map((c: any) => c.name));
    expect(plan.sidecars.map((c) => c.name)).toEqual(['db']);
    expect(plan.initContainers.find((c) => c.name === 'db')!.startupProbe).toBeUndefined();
  });

  test('wants exactly one Pod or Job', () => {
    expect(() => preparePlay([pod(), pod()], 'e2e00000001')).toThrow(/exactly one Pod or Job in the manifest, found 2/);
    expect(() => preparePlay({ kind: 'Service' }, 'e2e00000001')).toThrow(/found 0/);
    expect(() => preparePlay([pod(), { kind: 'Service' }], 'e2e00000001')).toThrow(/would not run Service/);
  });
});

describe('parseStamps', () => {
  test('keeps nanosecond precision and file order, ignores junk', () => {
    const s = parseStamps('a.start 1795742110583288927\nnoise\nb.end 1795742110583288928\n\n');
    expect(s).toEqual([
      { label: 'a.start', ns: 1795742110583288927n },
      { label: 'b.end', ns: 1795742110583288928n },
    ]);
  });
});
