/**
 * A docker-registry of a test's own (Debian's `docker-registry`, the CNCF distribution registry):
 * `docker-registry serve <config>` with its storage in a directory of the test's, plain HTTP on a
 * free 127.0.0.1 port (not the package's default config, which listens on :5000 with htpasswd).
 * podman pulls from it only through an insecure-registry entry: `registriesConf()` writes one for
 * `CONTAINERS_REGISTRIES_CONF`.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { isCI, podmanStatus } from '../src/local';

export class Registry {
  private child?: ChildProcess;
  private log = '';
  /** `127.0.0.1:<port>`, once started. */
  host = '';

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    const config = path.join(this.dir, 'config.yml');
    fs.writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(this.dir, 'data')}`,
      'http:',
      '  addr: 127.0.0.1:0',
      '',
    ].join('\n'));
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.host = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`docker-registry did not say where it listens within 30 s:\n${this.log}`)), 30_000);
      const onData = (d: Buffer) => {
        this.log += d.toString();
        const m = /listening on (127\.0\.0\.1:\d+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry exited with ${code}:\n${this.log}`));
      });
    });
    const status = await httpGet(`http://${this.host}/v2/`).then((r) => r.status);
    if (status !== 200) throw new Error(`the registry at ${this.host} answers /v2/ with ${status}`);
  }

  /** How many times the registry served the manifest `reference` (a digest or tag) of `repository` (its access log, on stderr). */
  manifestGets(repository: string, reference: string): number {
    return this.log.split('\n').filter((l) => l.includes(`"GET /v2/${repository}/manifests/${reference} HTTP`)).length;
  }

  /** Writes a registries.conf that lets podman pull from this registry over plain HTTP, and returns its path. */
  registriesConf(): string {
    const file = path.join(this.dir, 'registries.conf');
    fs.writeFileSync(file, `[[registry]]\nlocation = "${this.host}"\ninsecure = true\n`);
    return file;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/** GET with the OCI manifest media types accepted. */
export function httpGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** Why a test with a registry of its own cannot run here (podman, skopeo or docker-registry missing), or undefined. */
function registryToolsMissing(): string | undefined {
  const p = podmanStatus();
  if (!p.available) return p.reason;
  if (spawnSync('skopeo', ['--version']).error) return 'skopeo is not installed (apt-get install skopeo)';
  if (spawnSync('docker-registry', ['--version']).error) return 'docker-registry is not installed (apt-get install docker-registry)';
  return undefined;
}

/**
 * `describe` for a suite that needs podman, skopeo and docker-registry; without them it is skipped
 * with a loud warning, or, under CI, replaced by a failing test that says what is missing.
 * @param what the suite in messages, e.g. "the image push test"
 * @param file the test file, for the warning
 */
export function registrySuite(what: string, file: string): jest.Describe {
  const missing = registryToolsMissing();
  if (missing === undefined) return describe;
  if (isCI()) {
    test('podman, skopeo and docker-registry are available (required under CI)', () => {
      throw new Error(`${what} needs podman, skopeo and docker-registry under CI: ${missing}`);
    });
  } else {
    console.warn(['', '#'.repeat(76), `# ${what} SKIPPED: ${missing}`, `# ${file} did NOT run. Under CI=true this is a failure.`, '#'.repeat(76), ''].join('\n'));
  }
  return describe.skip;
}
