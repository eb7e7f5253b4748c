/**
 * The release workflows cannot run here: these checks read them (and the projen tasks they run)
 * and fail if they stop building the image with entrypoint-image/release.sh, drop linux/arm64,
 * or push without recording the digest. Each check is also run on a broken copy, so it can fail.
 */
import { checkRelease, loadReleaseFiles, ReleaseFiles } from './release-workflow';

const real = loadReleaseFiles();

/** A deep copy of the real files, changed by `edit`. */
function broken(edit: (f: { workflows: any; tasks: any; script: string; ciRun: string; packageJson: any }) => void): ReleaseFiles {
  const copy = JSON.parse(JSON.stringify(real));
  edit(copy);
  return copy;
}

const releaseSteps = (f: any, job: string): any[] => f.workflows['release.yml'].jobs[job].steps;
const pushStep = (f: any) => releaseSteps(f, 'release_image').find((s: any) => String(s.run).includes('release.sh push'));

test('the real workflows, tasks and script pass every check', () => {
  expect(checkRelease(real)).toEqual([]);
});

describe('a broken release path is caught', () => {
  test.each<[string, (f: any) => void, RegExp]>([
    ['release.sh drops linux/arm64', (f) => { f.script = f.script.replace('PLATFORMS=(linux/amd64 linux/arm64)', 'PLATFORMS=(linux/amd64)'); },
      /release\.sh: PLATFORMS \(linux\/amd64\) drops linux\/arm64/],
    ['release.sh push stops recording the digest', (f) => { f.script = f.script.replace(' --digestfile "$OUT/pushed-digest"', ''); },
      /push no longer copies with --preserve-digests --digestfile/],
    ['release.sh push stops comparing digests', (f) => { f.script = f.script.replace('[ "$pushed" = "$digest" ]', 'true'); },
      /compares the pushed digest with the recorded one/],
    ['a workflow pushes with docker/build-push-action', (f) => {
      f.workflows['entrypoint-image.yml'].jobs.image.steps.push({ name: 'Build and push', uses: 'docker/build-push-action@v6', with: { push: true } });
    }, /entrypoint-image\.yml job image step \d+ \(Build and push\) pushes an image without entrypoint-image\/release\.sh push/],
    ['a workflow pushes with podman directly', (f) => {
      pushStep(f).run = 'podman manifest push --all list docker://ghcr.io/cdk8s-steps/entrypoint:1.0.0';
    }, /release\.yml job release_image step \d+ .* pushes an image without/],
    ['a workflow pushes with skopeo directly', (f) => {
      releaseSteps(f, 'release_image').push({ run: 'skopeo copy --all oci:dist/entrypoint-image/oci docker://ghcr.io/x:1' });
    }, /release\.yml job release_image step \d+ \(unnamed\) pushes an image without/],
    ['no job calls release.sh push', (f) => { releaseSteps(f, 'release_image').splice(releaseSteps(f, 'release_image').indexOf(pushStep(f)), 1); },
      /release\.yml: no job pushes the image with entrypoint-image\/release\.sh push/],
    ['the pushed digest is not recorded', (f) => { pushStep(f).run = 'bash entrypoint-image/release.sh push --out dist/entrypoint-image'; },
      /job release_image does not record the pushed digest/],
    ['the push job has no digest output', (f) => { delete f.workflows['release.yml'].jobs.release_image.outputs; },
      /job release_image does not record the pushed digest/],
    ['npm is published without waiting for the image', (f) => { f.workflows['release.yml'].jobs.release_npm.needs = ['release']; },
      /job release_npm publishes a package \(which pins the digest\) without waiting for release_image/],
    ['the push job rebuilds', (f) => { releaseSteps(f, 'release_image').unshift({ run: 'bash entrypoint-image/release.sh build --out dist/entrypoint-image' }); },
      /job release_image rebuilds the image instead of pushing the recorded build/],
    ['the push job does not wait for the build', (f) => { f.workflows['release.yml'].jobs.release_image.needs = []; },
      /job release_image pushes without needing release/],
    ['the build job does not install chromium', (f) => {
      const steps = f.workflows['build.yml'].jobs.build.steps;
      const install = steps.find((s: any) => /apt-get install/.test(String(s.run)));
      install.run = install.run.replace(' chromium', '');
    }, /build\.yml: job build does not install chromium before build\.yml job build step \d+ \(build\), which runs the tests/],
    ['the release job does not install podman', (f) => {
      const steps = releaseSteps(f, 'release');
      steps.splice(steps.findIndex((s: any) => /apt-get install/.test(String(s.run))), 1);
    }, /job release does not install podman/],
    ['the release task records after the jsii build', (f) => {
      f.tasks.release.steps = f.tasks.release.steps.filter((s: any) => s.spawn !== 'release:image');
      f.tasks.release.steps.splice(f.tasks.release.steps.findIndex((s: any) => s.spawn === 'build') + 1, 0, { spawn: 'release:image' });
    }, /the release task must run bump, release:image, build, release:image:check in that order/],
    ['release:image stops recording', (f) => { f.tasks['release:image'].steps = f.tasks['release:image'].steps.filter((s: any) => !/record/.test(s.exec)); },
      /release:image must run entrypoint-image\/release\.sh build, then entrypoint-image\/release\.sh record/],
    ['release:image:check is emptied', (f) => { f.tasks['release:image:check'].steps = []; },
      /release:image:check must run entrypoint-image\/release\.sh check/],
    ['entrypoint-image.yml stops calling the script', (f) => {
      const steps = f.workflows['entrypoint-image.yml'].jobs.image.steps;
      for (const s of steps) if (/release\.sh build/.test(String(s.run))) s.run = 'cd entrypoint-image && ./build.sh';
    }, /entrypoint-image\.yml: no step builds the image with entrypoint-image\/release\.sh build/],
    ['entrypoint-image.yml stops running arm64', (f) => {
      const job = f.workflows['entrypoint-image.yml'].jobs.image;
      job.steps = job.steps.filter((s: any) => !/arm64/.test(String(s.run)));
    }, /entrypoint-image\.yml: no step runs the arm64 tests/],
    ['the test task drops arm64', (f) => { f.tasks.test.steps = f.tasks.test.steps.filter((s: any) => s.spawn !== 'test:go:arm64'); },
      /the test task does not spawn test:go:arm64/],
    ['test:go:arm64 loses its launcher', (f) => { delete f.tasks['test:go:arm64'].env.CDK8S_STEPS_TEST_LAUNCHER; },
      /test:go:arm64 must set CDK8S_STEPS_TEST_GOARCH=arm64 and CDK8S_STEPS_TEST_LAUNCHER=qemu-aarch64-static/],
    ['test:go:arm64 uses -race', (f) => { f.tasks['test:go:arm64'].steps[0].exec = 'go test -race -count=1 ./...'; },
      /test:go:arm64 uses -race/],
    ['.ci/run stops installing qemu', (f) => { f.ciRun = f.ciRun.replace(/ qemu-user-static/g, ''); },
      /\.ci\/run does not install qemu-user-static/],
    ['.ci/run stops installing docker-registry', (f) => { f.ciRun = f.ciRun.replace(/ docker-registry/g, ''); },
      /\.ci\/run does not install docker-registry, which is the registry test\/image-push\.test\.ts pushes to/],
    ['the build workflow installs a package .ci/run does not', (f) => {
      const install = f.workflows['build.yml'].jobs.build.steps.find((s: any) => /apt-get install/.test(String(s.run)));
      install.run = `${install.run} strace`;
    }, /build\.yml: job build installs strace, which \.ci\/run does not/],
    ['release.sh build stops using image build', (f) => {
      f.script = f.script.replace(/node "\$ROOT\/lib\/cli\/main\.js" image build/, 'podman manifest push --all list');
    }, /release\.sh: build no longer writes the image with the compiled `cdk8s-steps image build`/],
    ['release.sh build reuses old binaries', (f) => { f.script = f.script.replace('package-binaries.js" --force', 'package-binaries.js"'); },
      /release\.sh: build no longer compiles the binaries afresh/],
    ['release:image builds before compiling', (f) => { f.tasks['release:image'].steps = f.tasks['release:image'].steps.filter((s: any) => s.spawn !== 'compile'); },
      /release:image must compile before entrypoint-image\/release\.sh build/],
    ['the package stops carrying the arm64 binary', (f) => { f.packageJson.files = f.packageJson.files.filter((x: string) => !x.endsWith('arm64')); },
      /package\.json: files does not list binaries\/entrypoint-linux-arm64/],
    ['the compile stops building the binaries', (f) => { f.tasks.compile.steps = f.tasks.compile.steps.filter((s: any) => !/package-binaries/.test(String(s.exec))); },
      /the compile task does not run entrypoint-image\/package-binaries\.js/],
  ])('%s', (_what, edit, problem) => {
    const problems = checkRelease(broken(edit));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});
