/**
 * A Job whose steps test against a PostgreSQL native sidecar (Kubernetes 1.29 or later): the
 * database starts before the steps, serves them all, and does not hold up the Job's completion.
 *
 * It starts under cdk8s-plus' defaults (read-only root filesystem, runAsNonRoot): the pod runs as
 * uid/gid 999, the `postgres` user of the Debian-based `postgres:16` image (its Dockerfile creates
 * it with that id, and initdb needs the user in /etc/passwd); the data directory and the socket
 * directory are writable emptyDirs, PGDATA a subdirectory that initdb creates and owns; and
 * POSTGRES_PASSWORD is set, without which the image refuses to initialise. Checked against the
 * image's documentation and Dockerfile; postgres itself is not run here (no registry to pull it
 * from). Its step graph and sidecar placement are: test/e2e/run.test.ts plays them in podman with a
 * busybox httpd standing in for the database (started and probed before the steps, stopped after).
 */
import { Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { StepJob } from '../src'; // in your project: from 'cdk8s-steps'

/** The uid and gid of the `postgres` user in the Debian-based postgres images. */
export const POSTGRES_UID = 999;

export class JobWithDb extends Chart {
  public readonly job: StepJob;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.job = new StepJob(this, 'integration', {
      securityContext: { user: POSTGRES_UID, group: POSTGRES_UID },
      activeDeadline: Duration.minutes(30),
    });
    const pgdata = kplus.Volume.fromEmptyDir(this, 'pgdata', 'pgdata');
    const pgrun = kplus.Volume.fromEmptyDir(this, 'pgrun', 'pgrun');
    const env = {
      PGHOST: kplus.EnvValue.fromValue('127.0.0.1'),
      PGUSER: kplus.EnvValue.fromValue('postgres'),
      PGPASSWORD: kplus.EnvValue.fromValue('test'),
    };
    this.job.addSidecar('db', {
      image: 'postgres:16',
      portNumber: 5432, // cdk8s-plus adds a TCP startup probe: the steps start once it listens
      envVariables: {
        POSTGRES_PASSWORD: kplus.EnvValue.fromValue('test'),
        PGDATA: kplus.EnvValue.fromValue('/var/lib/postgresql/data/pgdata'),
      },
      volumeMounts: [
        { path: '/var/lib/postgresql/data', volume: pgdata },
        { path: '/var/run/postgresql', volume: pgrun },
      ],
    });
    const ready = this.job.addStep('wait-for-db', {
      image: 'postgres:16',
      command: ['sh', '-c', 'until pg_isready; do sleep 0.2; done'],
      envVariables: env,
      timeout: Duration.minutes(2),
    });
    const migrate = this.job.addStep('migrate', {
      image: 'postgres:16',
      command: ['psql', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)'],
      envVariables: env,
      dependsOn: [ready],
    });
    const seed = this.job.addStep('seed', {
      image: 'postgres:16',
      command: ['psql', '-v', 'ON_ERROR_STOP=1', '-c', "INSERT INTO items (name) VALUES ('a'), ('b')"],
      envVariables: env,
      dependsOn: [migrate],
    });
    this.job.addStep('check', {
      image: 'postgres:16',
      command: ['sh', '-c', 'test "$(psql -tAc "SELECT count(*) FROM items")" = 2 && echo 2 items'],
      envVariables: env,
      dependsOn: [seed],
    });
  }
}
