/**
 * Static checks of the release path (the workflows cannot run here): the release builds the image
 * with entrypoint-image/release.sh for both platforms, through the compiled `cdk8s-steps image
 * build`, records its digest before the jsii build, pushes only through `release.sh push` (which
 * checks and records the pushed digest) and publishes no package before that; the package carries
 * the binaries the compile builds; CI installs what the tests need, in .ci/run and the workflows
 * alike. `checkRelease` returns the problems found; test/release-workflow.test.ts runs it on the
 * real files and on broken copies.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

export interface ReleaseFiles {
  /** Parsed .github/workflows/*.yml by file name. */
  readonly workflows: Record<string, any>;
  /** .projen/tasks.json's tasks. */
  readonly tasks: Record<string, any>;
  /** entrypoint-image/release.sh */
  readonly script: string;
  /** .ci/run */
  readonly ciRun: string;
  /** package.json */
  readonly packageJson: any;
}

const ROOT = path.resolve(__dirname, '..');
const SCRIPT = 'entrypoint-image/release.sh';
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
/** The packages the tests need on a fresh machine, and what for (.ci/run and the workflows install them). */
const TEST_PACKAGES: Record<string, string> = {
  'podman': 'runs the pods',
  'runc': 'runs the pods',
  'busybox-static': 'makes the step image',
  'golang-go': 'builds and tests the entrypoint',
  'qemu-user-static': 'runs the arm64 entrypoint tests',
  'skopeo': 'pushes the entrypoint image',
  'docker-registry': 'is the registry test/image-push.test.ts pushes to',
  'tmux': 'gives the CLI tests a terminal',
  'chromium': 'renders the CLI\'s SVGs',
};
/** What the npm package must carry besides lib/: the entrypoint binaries and their record. */
const PACKAGED_BINARIES = ['binaries/entrypoint-linux-amd64', 'binaries/entrypoint-linux-arm64', 'binaries/entrypoint.json'];
/** Any way of putting an image into a registry other than release.sh push. */
const PUSH_RUN = /\b(?:docker|podman|buildah)\s+(?:manifest\s+)?push\b|\bskopeo\s+copy\b|\bcrane\s+(?:push|copy)\b|\boras\s+push\b|\bdocker\s+buildx\s+build\b[^\n]*--push/;
const PUSH_ACTION = /docker\/build-push-action|redhat-actions\/push-to-registry|docker\/bake-action/;

export function loadReleaseFiles(root = ROOT): ReleaseFiles {
  const dir = path.join(root, '.github', 'workflows');
  const workflows: Record<string, any> = {};
  for (const f of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    workflows[f] = YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return {
    workflows,
    tasks: JSON.parse(fs.readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf8')).tasks,
    script: fs.readFileSync(path.join(root, SCRIPT), 'utf8'),
    ciRun: fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'),
    packageJson: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')),
  };
}

interface Step { readonly file: string; readonly job: string; readonly index: number; readonly step: any }

function stepsOf(file: string, workflow: any): Step[] {
  return Object.entries<any>(workflow?.jobs ?? {}).flatMap(([job, j]) =>
    (j.steps ?? []).map((step: any, index: number) => ({ file, job, index, step })));
}

const runOf = (s: Step): string => String(s.step.run ?? '');
const where = (s: Step): string => `${s.file} job ${s.job} step ${s.index + 1} (${s.step.name ?? s.step.uses ?? 'unnamed'})`;
const needsOf = (job: any): string[] => (job?.needs === undefined ? [] : [job.needs].flat());

/** Every problem of the release path, as sentences naming the file and what to restore. */
export function checkRelease(f: ReleaseFiles): string[] {
  return [...checkScript(f.script), ...checkPushes(f.workflows), ...checkReleaseWorkflow(f.workflows['release.yml']),
    ...checkTasks(f.tasks), ...checkImageWorkflow(f.workflows['entrypoint-image.yml']), ...checkArm64(f.tasks, f.ciRun),
    ...checkTestPackages(f.workflows, f.ciRun), ...checkPackage(f.packageJson, f.tasks)];
}

/** The package carries the binaries, and every compile (so prepack, and .ci/run before the tests) builds them. */
function checkPackage(packageJson: any, tasks: Record<string, any>): string[] {
  const problems: string[] = [];
  const files: string[] = packageJson?.files ?? [];
  const missing = PACKAGED_BINARIES.filter((f) => !files.includes(f));
  if (missing.length > 0) problems.push(`package.json: files does not list ${missing.join(', ')}: the npm package would not carry the entrypoint`);
  if (!(tasks.compile?.steps ?? []).some((s: any) => /entrypoint-image\/package-binaries\.js/.test(String(s.exec ?? '')))) {
    problems.push('.projen/tasks.json: the compile task does not run entrypoint-image/package-binaries.js, so npm pack and the tests have no binaries');
  }
  if (!/projen compile/.test(String(packageJson?.scripts?.prepack ?? ''))) problems.push('package.json: prepack does not run projen compile');
  return problems;
}

/**
 * The workflow jobs that run the test task (`projen build` in build.yml, `projen release` in
 * release.yml) install, before it, every package .ci/run installs: under CI a missing tool fails
 * its suite instead of skipping it.
 */
function checkTestPackages(workflows: Record<string, any>, ciRun: string): string[] {
  const wanted = /apt-get install -y -qq ([^>\n]*?)\s*(?:>|$)/m.exec(ciRun)?.[1].split(/\s+/).filter(Boolean) ?? [];
  if (wanted.length === 0) return ['.ci/run: no `apt-get install -y -qq <packages>` line to compare the workflows with'];
  const problems: string[] = Object.entries(TEST_PACKAGES).filter(([p]) => !wanted.includes(p))
    .map(([p, why]) => `.ci/run does not install ${p}, which ${why}`);
  for (const [file, command] of [['build.yml', /npx projen build\b/], ['release.yml', /npx projen release\b/]] as const) {
    const steps = stepsOf(file, workflows[file]);
    const runs = steps.find((s) => command.test(runOf(s)));
    if (!runs) continue; // (checked elsewhere for release.yml; build.yml without a build runs no tests)
    const installed = steps.filter((s) => s.job === runs.job && s.index < runs.index)
      .flatMap((s) => /apt-get install([^\n]*)/.exec(runOf(s))?.[1].split(/\s+/) ?? []);
    const missing = wanted.filter((p) => !installed.includes(p));
    if (missing.length > 0) problems.push(`${file}: job ${runs.job} does not install ${missing.join(', ')} before ${where(runs)}, which runs the tests (.ci/run installs them)`);
    const extra = installed.filter((p) => /^[a-z0-9][a-z0-9+.-]+$/.test(p) && !wanted.includes(p));
    if (extra.length > 0) problems.push(`${file}: job ${runs.job} installs ${extra.join(', ')}, which .ci/run does not: keep TEST_PACKAGES (.projenrc.ts) and .ci/run the same list`);
  }
  return problems;
}

function checkScript(script: string): string[] {
  const problems: string[] = [];
  const platforms = /^PLATFORMS=\(([^)]*)\)/m.exec(script)?.[1].split(/\s+/).filter(Boolean) ?? [];
  for (const p of PLATFORMS) {
    if (!platforms.includes(p)) problems.push(`${SCRIPT}: PLATFORMS (${platforms.join(' ') || 'missing'}) drops ${p}; the release image is ${PLATFORMS.join(' + ')}`);
  }
  const build = /^build\(\) \{([\s\S]*?)^\}/m.exec(script)?.[1] ?? '';
  if (!/lib\/cli\/main\.js"? image build\b/.test(build)) {
    problems.push(`${SCRIPT}: build no longer writes the image with the compiled \`cdk8s-steps image build\` (lib/cli/main.js image build), so the release image is not the one users build`);
  }
  if (!/package-binaries\.js"? --force\b/.test(build)) {
    problems.push(`${SCRIPT}: build no longer compiles the binaries afresh (package-binaries.js --force) into the package's binaries/`);
  }
  const push = /^push\(\) \{([\s\S]*?)^\}/m.exec(script)?.[1] ?? '';
  if (!/skopeo copy[^\n]*--preserve-digests[^\n]*--digestfile/.test(push) || !/\[ "\$pushed" = "\$digest" \]/.test(push)) {
    problems.push(`${SCRIPT}: push no longer copies with --preserve-digests --digestfile and compares the pushed digest with the recorded one`);
  }
  return problems;
}

function checkPushes(workflows: Record<string, any>): string[] {
  return Object.entries(workflows).flatMap(([file, w]) => stepsOf(file, w))
    .filter((s) => PUSH_RUN.test(runOf(s)) || PUSH_ACTION.test(String(s.step.uses ?? '')))
    .map((s) => `${where(s)} pushes an image without ${SCRIPT} push, so its digest is neither checked nor recorded`);
}

function checkReleaseWorkflow(release: any): string[] {
  if (!release) return ['.github/workflows/release.yml is missing'];
  const problems: string[] = [];
  const steps = stepsOf('release.yml', release);
  const build = steps.find((s) => /npx projen release\b/.test(runOf(s)));
  if (!build) {problems.push('release.yml: no step runs `npx projen release` (which builds the image and records its digest)');} else if (!steps.some((s) => s.job === build.job && s.index < build.index && /apt-get install[^\n]*\bpodman\b/.test(runOf(s)))) {
    problems.push(`release.yml: job ${build.job} does not install podman before \`npx projen release\` builds the image`);
  }
  const push = steps.find((s) => runOf(s).includes(`${SCRIPT} push`));
  if (!push) return [...problems, `release.yml: no job pushes the image with ${SCRIPT} push`];
  const pushJob = release.jobs[push.job];
  if (build && !needsOf(pushJob).includes(build.job)) {
    problems.push(`release.yml: job ${push.job} pushes without needing ${build.job}, which built and recorded the image`);
  }
  if (steps.some((s) => s.job === push.job && /release\.sh build/.test(runOf(s)))) {
    problems.push(`release.yml: job ${push.job} rebuilds the image instead of pushing the recorded build`);
  }
  if (!/pushed-digest[^\n]*>>\s*"?\$GITHUB_OUTPUT/.test(runOf(push)) || !push.step.id || !String(pushJob.outputs?.digest ?? '').includes(`steps.${push.step.id}.outputs.digest`)) {
    problems.push(`release.yml: job ${push.job} does not record the pushed digest (pushed-digest -> $GITHUB_OUTPUT -> job output digest)`);
  }
  for (const [name, job] of Object.entries<any>(release.jobs)) {
    const publishes = (job.steps ?? []).some((s: any) => /publib/.test(String(s.run ?? '')));
    if (publishes && !needsOf(job).includes(push.job)) {
      problems.push(`release.yml: job ${name} publishes a package (which pins the digest) without waiting for ${push.job}`);
    }
  }
  return problems;
}

function checkTasks(tasks: Record<string, any>): string[] {
  const problems: string[] = [];
  const order = (tasks.release?.steps ?? []).map((s: any) => s.spawn ?? s.exec ?? (s.execArgs ?? []).join(' '));
  const at = (name: string) => order.indexOf(name);
  if (!(at('bump') >= 0 && at('bump') < at('release:image') && at('release:image') < at('build') && at('build') < at('release:image:check'))) {
    problems.push(`.projen/tasks.json: the release task must run bump, release:image, build, release:image:check in that order (it runs ${order.join(', ')})`);
  }
  const execs = (name: string): string[] => (tasks[name]?.steps ?? []).map((s: any) => String(s.exec ?? (s.spawn ? `spawn ${s.spawn}` : '')));
  const image = execs('release:image');
  const compiled = image.findIndex((e) => e === 'spawn compile' || /projen compile/.test(e));
  const built = image.findIndex((e) => e.includes(`${SCRIPT} build`));
  const recorded = image.findIndex((e) => e.includes(`${SCRIPT} record`));
  if (built < 0 || recorded < built) {
    problems.push(`.projen/tasks.json: release:image must run ${SCRIPT} build, then ${SCRIPT} record (it runs ${image.join('; ') || 'nothing'})`);
  }
  if (compiled < 0 || compiled > built) {
    problems.push(`.projen/tasks.json: release:image must compile before ${SCRIPT} build, which runs the compiled \`cdk8s-steps image build\` (it runs ${image.join('; ') || 'nothing'})`);
  }
  if (!execs('release:image:check').some((e) => e.includes(`${SCRIPT} check`))) {
    problems.push(`.projen/tasks.json: release:image:check must run ${SCRIPT} check (the package pins the recorded digest)`);
  }
  return problems;
}

function checkImageWorkflow(workflow: any): string[] {
  if (!workflow) return ['.github/workflows/entrypoint-image.yml is missing'];
  const runs = stepsOf('entrypoint-image.yml', workflow).map(runOf);
  const problems: string[] = [];
  if (!runs.some((r) => r.includes(`${SCRIPT} build`))) problems.push(`entrypoint-image.yml: no step builds the image with ${SCRIPT} build`);
  if (!runs.some((r) => /test:go:arm64/.test(r))) problems.push('entrypoint-image.yml: no step runs the arm64 tests (npx projen test:go:arm64)');
  if (!runs.some((r) => /release-image\.test/.test(r))) problems.push('entrypoint-image.yml: no step runs the reproducibility test (test/release-image.test.ts)');
  return problems;
}

function checkArm64(tasks: Record<string, any>, ciRun: string): string[] {
  const problems: string[] = [];
  const arm = tasks['test:go:arm64'];
  if (!(tasks.test?.steps ?? []).some((s: any) => s.spawn === 'test:go:arm64')) problems.push('.projen/tasks.json: the test task does not spawn test:go:arm64');
  if (arm?.env?.CDK8S_STEPS_TEST_GOARCH !== 'arm64' || arm?.env?.CDK8S_STEPS_TEST_LAUNCHER !== 'qemu-aarch64-static') {
    problems.push('.projen/tasks.json: test:go:arm64 must set CDK8S_STEPS_TEST_GOARCH=arm64 and CDK8S_STEPS_TEST_LAUNCHER=qemu-aarch64-static');
  }
  if ((arm?.steps ?? []).some((s: any) => /-race/.test(String(s.exec)))) problems.push('.projen/tasks.json: test:go:arm64 uses -race, which does not work across architectures');
  if (!/apt-get install[^\n]*qemu-user-static/.test(ciRun)) problems.push('.ci/run does not install qemu-user-static (test:go:arm64 needs qemu-aarch64-static)');
  return problems;
}
