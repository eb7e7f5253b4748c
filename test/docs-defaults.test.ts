/**
 * What README "Defaults" states: the cdk8s-plus defaults a step inherits, what cdk8s-steps changes,
 * and that the PostgreSQL sidecar of examples/job-with-db.ts meets what the postgres image needs
 * under those defaults. If cdk8s-plus changes a default, the README is wrong and this fails.
 */
import { Testing } from 'cdk8s';
import { POSTGRES_UID, JobWithDb } from '../examples/job-with-db';
import { ResourceStrategy, StepPod } from '../src';

function synthOneStep(resourceStrategy: ResourceStrategy): any {
  const chart = Testing.chart();
  const pod = new StepPod(chart, 'pod', { resourceStrategy });
  pod.addStep('a', { image: 'busybox:1.36', command: ['true'] });
  pod.addStep('b', { image: 'busybox:1.36', command: ['true'] });
  const [manifest] = Testing.synth(chart);
  return manifest;
}

const step = (manifest: any, name: string) => manifest.spec.containers.find((c: any) => c.name === name);

describe('cdk8s-plus defaults every step inherits', () => {
  const a = step(synthOneStep(ResourceStrategy.SUM), 'a');

  test('requests 1 CPU / 512Mi, limits 1.5 CPU / 2Gi', () => {
    expect(a.resources).toEqual({ requests: { cpu: '1000m', memory: '512Mi' }, limits: { cpu: '1500m', memory: '2048Mi' } });
  });

  test('read-only root filesystem, non-root, no privilege escalation', () => {
    expect(a.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false });
  });

  test('imagePullPolicy Always', () => {
    expect(a.imagePullPolicy).toBe('Always');
  });
});

describe('what cdk8s-steps changes', () => {
  const manifest = synthOneStep(ResourceStrategy.PEAK);

  test('PEAK (the default) lowers requests of steps that never run together; limits stay', () => {
    // a and b have no edge: both can run at once, so both keep their request.
    expect(step(manifest, 'a').resources.requests.cpu).toBe('1000m');
    expect(step(manifest, 'b').resources.limits).toEqual({ cpu: '1500m', memory: '2048Mi' });
  });

  test('restartPolicy Never, and the copy container pulls IfNotPresent with small requests', () => {
    expect(manifest.spec.restartPolicy).toBe('Never');
    const init = manifest.spec.initContainers.find((c: any) => c.name === 'cdk8s-steps-init');
    expect(init.imagePullPolicy).toBe('IfNotPresent');
    expect(init.resources.requests).toEqual({ cpu: '10m', memory: '16Mi' });
  });
});

describe('the PostgreSQL sidecar of examples/job-with-db.ts starts under those defaults', () => {
  const [job] = Testing.synth(new JobWithDb(Testing.app(), 'db'));
  const spec = job.spec.template.spec;
  const db = spec.initContainers.find((c: any) => c.name === 'db');
  const env = Object.fromEntries(db.env.map((e: any) => [e.name, e.value]));
  const emptyDirMount = (path: string) => db.volumeMounts.find((m: any) =>
    m.mountPath === path && spec.volumes.find((v: any) => v.name === m.name)?.emptyDir !== undefined);

  test('it keeps the read-only root and runs as the image\'s own postgres user (uid/gid 999 in postgres:16)', () => {
    expect(db.image).toBe('postgres:16');
    expect(db.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(db.securityContext.runAsUser ?? spec.securityContext.runAsUser).toBe(POSTGRES_UID);
    expect(db.securityContext.runAsGroup ?? spec.securityContext.runAsGroup).toBe(POSTGRES_UID);
    expect(POSTGRES_UID).toBe(999);
  });

  test('its data directory and socket directory are writable emptyDirs, PGDATA a subdirectory of the first', () => {
    expect(emptyDirMount('/var/lib/postgresql/data')).toBeDefined();
    expect(emptyDirMount('/var/run/postgresql')).toBeDefined();
    expect(env.PGDATA).toMatch(/^\/var\/lib\/postgresql\/data\/[^/]+$/);
  });

  test('it has the password the image needs to initialise, and a startup probe so steps wait for it', () => {
    expect(env.POSTGRES_PASSWORD).toBeTruthy();
    expect(db.restartPolicy).toBe('Always');
    expect(db.startupProbe.tcpSocket.port).toBe(5432);
  });
});
