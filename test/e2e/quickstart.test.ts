/**
 * The README's Quick start, performed as written, in a fresh directory outside the repository:
 * the blocks are taken from README.md (test/readme-blocks.ts), so the two cannot drift.
 *
 *  1. the project: the block's commands as they are (npm from the registry or its cache);
 *  2. cdk8s-steps: instead of cloning GitHub and `npm pack` there (no GitHub here), this checkout
 *     is packed (`npm pack --ignore-scripts`: its lib/ and binaries/ were built by `projen compile`,
 *     and must be newer than the sources) into ../cdk8s-steps/, and the block's `npm install`
 *     line runs unchanged;
 *  3. main.ts: the block;
 *  4. `npx cdk8s synth` (it warns about Entrypoint.DEFAULT), then `npx cdk8s-steps run`, with
 *     `--image` mapping the README's images to the local busybox step image (no registry is
 *     reachable here): the sidecar starts (httpGet probe), the entrypoint comes from the package,
 *     the steps succeed, the table is the README's;
 *  5. `image push` to a docker-registry of the test's own (plain HTTP: --tls-verify=false), the
 *     printed `Entrypoint.fromImage(…)` put into main.ts as the README says, synth again: the pod
 *     names the pushed image, and a local run runs it (no stand-in from the package);
 *  6. stops before `kubectl apply` (no cluster here).
 * Needs podman, skopeo, docker-registry and npm's registry or cache: skipped loudly without the
 * tools, a failure under CI=true|1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { ensureImages, STEP_IMAGE } from './images';
import { podman } from '../../src/local';
import { BinResult, spawnCollect } from '../cli-helpers';
import { commands, quickStart } from '../readme-blocks';
import { Registry, registrySuite } from '../registry';

const ROOT = path.resolve(__dirname, '..', '..');

const suite = registrySuite('the Quick start test', 'test/e2e/quickstart.test.ts');

/** Runs `script` with sh in `cwd`, as a user's shell would. */
function sh(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<BinResult> {
  return spawnCollect('sh', ['-ec', script], { cwd, env, timeoutMs });
}

async function ok(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<BinResult> {
  const r = await sh(script, cwd, env);
  if (r.code !== 0) throw new Error(`\`${script}\` in ${cwd} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The newest modification time under `dir` of the files `keep` accepts. */
function newest(dir: string, keep: (f: string) => boolean): { file: string; ms: number } {
  let best = { file: '', ms: 0 };
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (keep(p) && fs.statSync(p).mtimeMs > best.ms) best = { file: p, ms: fs.statSync(p).mtimeMs };
    }
  };
  walk(dir);
  return best;
}

/** The checkout's package, as `npm pack` in a clone makes it (lib/ and binaries/ come from `projen compile`). */
async function packCheckout(into: string): Promise<string> {
  const src = newest(path.join(ROOT, 'src'), (f) => /\.(ts|json)$/.test(f));
  const lib = path.join(ROOT, 'lib', path.relative(path.join(ROOT, 'src'), src.file).replace(/\.ts$/, '.js'));
  if (!fs.existsSync(lib) || fs.statSync(lib).mtimeMs < src.ms || !fs.existsSync(path.join(ROOT, 'binaries', 'entrypoint.json'))) {
    throw new Error(`${path.relative(ROOT, lib)} is missing or older than ${path.relative(ROOT, src.file)}, or binaries/ is not built: run \`CI=1 npx projen compile\` first (.ci/run does)`);
  }
  fs.mkdirSync(into, { recursive: true });
  const r = await ok(`npm pack --ignore-scripts --pack-destination ${JSON.stringify(into)}`, ROOT, process.env);
  const name = r.stdout.trim().split('\n').pop()!;
  return path.join(into, name);
}

/** Every image a manifest's pod names, but the entrypoint copy container's. */
function podImages(file: string): { entrypoint: string; others: string[] } {
  const pod = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON()).find((o) => o?.kind === 'Pod');
  const init: any[] = pod.spec.initContainers ?? [];
  const entrypoint = init.find((c) => c.name === 'cdk8s-steps-init').image;
  const others = [...init.filter((c) => c.name !== 'cdk8s-steps-init'), ...pod.spec.containers].map((c: any) => c.image);
  return { entrypoint, others: [...new Set(others)] };
}

/** The final table's rows as [step, reason, exit]. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^STEP\s+REASON\s+EXIT\s+DURATION/.test(l));
  if (header < 0) throw new Error(`no table in:\n${text}`);
  const rows: string[][] = [];
  for (const l of lines.slice(header + 1)) {
    if (!l.trim()) break;
    rows.push(l.split(/\s+/).slice(0, 3));
  }
  return rows;
}

suite('the README Quick start, performed as written in a fresh directory', () => {
  const qs = quickStart();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-quickstart-'));
  const project = path.join(work, 'hello-steps');
  const registry = new Registry(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-quickstart-registry-')));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // npm from its cache where it can, quietly (npm's own settings, not the README's commands)
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
    CDK8S_CHECK_UPGRADE: 'false', // as the README says, for an offline cdk8s synth
  };
  // A user sees the warning about Entrypoint.DEFAULT (the test task silences it for the other tests).
  delete env.CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING;
  const pulled: string[] = [];
  let mapped: string[] = [];

  beforeAll(async () => {
    await Promise.all([ensureImages(), registry.start()]);
  }, 900_000);

  afterAll(async () => {
    await registry.stop();
    for (const ref of pulled) await podman(['rmi', ref], { allowFailure: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('1-4: a project, the packed tarball, the pipeline, synth, and a local run with its sidecar', async () => {
    // 1. the block as it is, from an empty directory
    expect(commands(qs.project)[0]).toBe('mkdir hello-steps && cd hello-steps && npm init -y');
    await ok(qs.project.text, work, env);
    expect(fs.existsSync(path.join(project, 'cdk8s.yaml'))).toBe(true);

    // 2. clone + pack replaced by packing this checkout to where the block's install line looks
    const [clone, pack, install] = commands(qs.install);
    expect(clone).toMatch(/^git clone \S+ \.\.\/cdk8s-steps$/);
    expect(pack).toMatch(/^\(cd \.\.\/cdk8s-steps && npm ci && npm pack\)$/);
    expect(install).toMatch(/^npm install \.\.\/cdk8s-steps\/cdk8s-steps-[\d.]+\.tgz$/);
    const tarball = await packCheckout(path.join(work, 'cdk8s-steps'));
    expect(path.basename(tarball)).toBe(path.basename(install.split(' ').pop()!));
    await ok(install, project, env);

    // 3. the pipeline
    fs.writeFileSync(path.join(project, 'main.ts'), qs.pipeline.text);

    // 4. synth, then run with the README's images mapped to the local busybox image
    const [synth, run] = commands(qs.run);
    expect([synth, run]).toEqual(['npx cdk8s synth', expect.stringMatching(/^npx cdk8s-steps run dist\/\S+\.k8s\.yaml$/)]);
    const synthesised = await ok(synth, project, env);
    expect(synthesised.stderr + synthesised.stdout).toMatch(/uses Entrypoint.DEFAULT, ghcr.io\/cdk8s-steps\/entrypoint:0.0.0, an image that is not published/);
    const manifest = path.join(project, run.split(' ').pop()!);
    const images = podImages(manifest);
    expect(images.entrypoint).toBe('ghcr.io/cdk8s-steps/entrypoint:0.0.0');
    mapped = images.others.map((i) => `--image ${i}=${STEP_IMAGE}`);
    const r = await sh(`${run} ${mapped.join(' ')}`, project, env);
    const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect({ code: r.code, why }).toEqual({ code: 0, why });
    expect(r.stderr).toMatch(/entrypoint image ghcr.io\/cdk8s-steps\/entrypoint:0.0.0 \(imagePullPolicy IfNotPresent\): not in podman and not pullable \(.*\); this run uses localhost\/cdk8s-steps-entrypoint:0.0.0-[0-9a-f]{12}, made from the entrypoint binary this cdk8s-steps carries/);
    expect(r.stderr).toMatch(/sidecar web started: its startup probe \(httpGet http:\/\/<pod IP>:8080\/health\) passed on attempt \d+/);
    expect(r.stderr).toContain('sidecar web stopped after the steps ended (exit code 0)');
    expect(r.stdout).toContain('serve  | <h1>hello</h1>\n');
    // the table the README shows (its durations are elided)
    expect(tableRows(r.stdout)).toEqual(tableRows(qs.table.text));
    const left = await podman(['pod', 'ls', '--format', '{{.Name}}']);
    expect(left.stdout.split('\n').filter((n) => n.startsWith('hello-site-'))).toEqual([]);
  }, 900_000);

  test('5: image push to a registry, Entrypoint.fromImage in main.ts, synth again; a local run pulls the pushed entrypoint; stops before kubectl apply', async () => {
    const [push] = commands(qs.push);
    expect(push).toBe('npx cdk8s-steps image push registry.example.com/you/cdk8s-steps-entrypoint');
    const pushed = await ok(`${push.replace('registry.example.com', registry.host)} --tls-verify=false`, project, env);
    const line = /^Entrypoint\.fromImage\('([^']+)'\)$/m.exec(pushed.stdout);
    expect(line).not.toBeNull();
    const reference = line![1];
    expect(reference).toMatch(new RegExp(`^${registry.host.replace(/\./g, '\\.')}/you/cdk8s-steps-entrypoint:0\\.0\\.0@sha256:[0-9a-f]{64}$`));

    // What the README says to do with that line.
    const main = path.join(project, 'main.ts');
    const before = fs.readFileSync(main, 'utf8');
    const anchors = ["import { StepPod } from 'cdk8s-steps';", "new StepPod(chart, 'site', { "];
    for (const a of anchors) expect(before).toContain(a);
    fs.writeFileSync(main, before
      .replace(anchors[0], "import { Entrypoint, StepPod } from 'cdk8s-steps';")
      .replace(anchors[1], `${anchors[1]}entrypoint: ${line![0]}, `));

    const [synth, apply] = commands(qs.apply);
    expect(apply).toMatch(/^kubectl apply -f dist\/\S+\.k8s\.yaml$/);
    const synthesised = await ok(synth, project, env);
    expect(synthesised.stderr).not.toContain('Entrypoint.DEFAULT');
    const manifest = path.join(project, apply.split(' ').pop()!);
    expect(podImages(manifest).entrypoint).toBe(reference);

    // A run has that entrypoint (podman pulls it over plain HTTP through an insecure entry; it may
    // have it already: podman finds an image by digest whatever its name, and the image step 4 made
    // from the package has the pushed index's digest).
    pulled.push(reference);
    const r = await sh(`${commands(qs.run)[1]} ${mapped.join(' ')}`, project, { ...env, CONTAINERS_REGISTRIES_CONF: registry.registriesConf() });
    const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect({ code: r.code, why }).toEqual({ code: 0, why });
    expect(r.stderr).not.toContain('made from the entrypoint binary');
    expect((await podman(['image', 'exists', reference], { allowFailure: true })).code).toBe(0);
    // (kubectl apply is where a cluster would take over: none here.)
  }, 600_000);
});
