import { cdk8s, javascript, JsonPatch } from 'projen';

// What the test task runs needs (as .ci/run installs it; test/release-workflow.ts checks they agree):
// podman + runc + busybox-static run pods, Go and qemu the entrypoint tests, skopeo and
// docker-registry the image push tests (a real registry on 127.0.0.1), chromium the rendering
// test, tmux the CLI's terminal tests. Under CI a missing one fails its suite.
const TEST_PACKAGES = 'podman runc busybox-static golang-go qemu-user-static skopeo docker-registry tmux chromium';
const installTestPackages = {
  name: 'Install what the tests and the entrypoint image need',
  run: `sudo apt-get update -qq && sudo apt-get install -y -qq ${TEST_PACKAGES}`,
};
const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-steps',
  description: 'Ordered steps (a DAG) in one Kubernetes Pod or Job, synthesised by cdk8s: no controller, no CRDs.',
  author: 'cdk8s-steps maintainers',
  authorAddress: 'maintainers@users.noreply.r-seed-ee187dbc.example',
  repositoryUrl: 'https://github.com/cdk8s-steps/cdk8s-steps.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  keywords: ['cdk8s', 'kubernetes', 'dag', 'steps', 'pipeline', 'job', 'tekton'],

  jsiiVersion: '~5.9.0',
  // The library runs on what its peers need (cdk8s, cdk8s-plus: Node >= 16.20); jsii, which builds
  // it, needs >= 20.16. CI tests Node 20, 22 and 24 (.ci/run); README "Develop" says which are supported.
  minNodeVersion: '20.16.0',
  // The workflows build and release on Node 22: commit-and-tag-version (bump) needs Node >= 22.
  workflowNodeVersion: '22.x',
  buildWorkflowOptions: { preBuildSteps: [installTestPackages] },
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  peerDeps: ['cdk8s-plus-33@^2.5.57'],
  // yaml and dagre are for the cdk8s-steps CLI (src/cli), not part of the jsii API. src/graph is iterative and needs no graph library.
  // pako gzips the entrypoint image's layers (src/image/): pure JS, so the same bytes on every
  // machine (Node's zlib may compress differently across versions and CPUs); pinned, because the
  // image digest of a package version depends on its output.
  // string-width measures terminal columns for the CLI's live display (src/cli/width.ts): major 4, the
  // last CommonJS one (5 and later are ESM-only, which the CommonJS build and jest load only through import()).
  bundledDeps: ['@dagrejs/dagre@^2.0.4', 'yaml@^2', 'pako@3.0.3', 'string-width@^4.2.3'], // dagre brings the graphlib 3 it lays out with
  devDeps: [
    'typescript@~5.9.0',
    '@types/node@^20',
    'ts-node',
    'fast-check@^4',
    'kubernetes-models@^4',
    'cdk8s-cli@^2',
    // test/docs-links.test.ts: parse Markdown and compute GitHub's heading anchors.
    'commonmark@^0.31',
    '@types/commonmark@^0.27',
    'github-slugger@^1.5',
    '@types/github-slugger@^1.3',
    '@kubernetes-models/argo-workflows@2.0.0',
    'pngjs@^7',
    // test/cli-render.test.ts parses the SVG pictures to check every coordinate.
    '@xmldom/xmldom@^0.9',
    // scripts/screenshots.ts: the live display, captured from tmux with its colours, as HTML for Chromium.
    'ansi-to-html@^0.7',
    '@types/pngjs',
  ],

  // Publishing targets: only the npm package is built here (CI=1); the others are configured for release.
  publishToPypi: { distName: 'cdk8s-steps', module: 'cdk8s_steps' },
  publishToMaven: {
    javaPackage: 'io.github.cdk8s_steps',
    mavenGroupId: 'io.github.cdk8s-steps',
    mavenArtifactId: 'cdk8s-steps',
  },
  publishToGo: { moduleName: 'github.com/cdk8s-steps/cdk8s-steps-go' },
  publishToNuget: { dotNetNamespace: 'Cdk8sSteps', packageId: 'Cdk8sSteps' },

  jestOptions: {
    // Snapshots must fail on mismatch: never rewrite them from the test task.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      testPathIgnorePatterns: ['/node_modules/', '/lib/', '/dist/'],
    },
  },
  gitignore: ['/release-image.json', '/binaries/', '/binaries.tmp-*', '/binaries.old-*', '/dist/', '/bench/out/', '/entrypoint-image/out/', '/examples/dist/', '.e2e-work/'],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/bench/', '/entrypoint-image/', '/scripts/', '/.ci/'] },
});

// The command line: npx cdk8s-steps run|status|graph|image (src/cli/main.ts).
project.addBins({ 'cdk8s-steps': 'lib/cli/main.js' });

// The package carries the entrypoint: the static linux/amd64 and linux/arm64 binaries, built by
// entrypoint-image/build.sh (the release image's build) into binaries/ with their contract version
// (entrypoint-image/package-binaries.js; nothing is rebuilt when the Go sources did not change).
// Every compile does it, so `npm pack` (prepack) and the tests (.ci/run compiles first) have them.
// Needs Go.
project.compileTask.prependExec('node entrypoint-image/package-binaries.js');

// Lint the examples and scripts like the sources.
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('scripts');
// scripts/ is development tooling, not in the package (npmignore): it may use devDependencies.
project.eslint?.allowDevDeps('scripts/**');

// The benchmarks are held to the bar of src/ (issue 21): linted, `any` only with a disable comment
// that says why (the `-- reason` is checked by test/bench-any.test.ts: no installed ESLint plugin
// has eslint-comments/require-description), type-checked with src/'s compiler options (bench/tsconfig.json extends them) and
// their Go vetted, in every test run.
project.eslint?.addLintPattern('bench');
project.eslint?.addOverride({ files: ['bench/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'error' } });
const benchCheck = project.addTask('test:bench', {
  description: 'type-check the benchmarks and vet their Go (bench/cmd, the stamp program of test/e2e/step-image)',
  steps: [
    { exec: 'tsc --noEmit -p bench/tsconfig.json' },
    { exec: 'go vet ./...', cwd: 'bench' },
    { exec: 'go vet stamp.go', cwd: 'test/e2e/step-image' },
  ],
});
project.testTask.spawn(benchCheck);

// src/wire/run-if-conditions.json is imported by src/wire/run-if.ts: the compiler copies it into
// lib/, and the package must carry it (the `files` allow-list below has only .js and .d.ts).
project.package.file.patch(JsonPatch.add('/files/-', 'lib/**/*.json'));

// The entrypoint (Go, standard library only) is part of every test run.
const goTest = project.addTask('test:go', {
  description: 'vet and race-test the entrypoint binary',
  cwd: 'entrypoint-image',
  steps: [{ exec: 'go vet ./...' }, { exec: 'go test -race -count=1 ./...' }],
});
project.testTask.spawn(goTest);
// The arm64 binary is executed, not only compiled: the process-level tests start it through
// qemu-aarch64-static (user-mode emulation, no binfmt_misc); no -race across architectures.
const goTestArm64 = project.addTask('test:go:arm64', {
  description: 'test the linux/arm64 entrypoint under qemu-aarch64-static',
  cwd: 'entrypoint-image',
  env: { CDK8S_STEPS_TEST_GOARCH: 'arm64', CDK8S_STEPS_TEST_LAUNCHER: 'qemu-aarch64-static' },
  exec: 'go test -count=1 ./...',
});
project.testTask.spawn(goTestArm64);

// The release builds the entrypoint image (entrypoint-image/release.sh) after the version bump and
// records its digest in release-image.json before the jsii build, so the package pins it; the
// release workflow pushes that exact image index before any package is published. release.sh
// writes the image with the compiled `cdk8s-steps image build` (the code users run), so the
// library is compiled first.
const notDevBuild = 'node -e "process.exit(require(\'./package.json\').version === \'0.0.0\' ? 1 : 0)"';
const releaseImage = project.addTask('release:image', {
  description: 'build the multi-arch entrypoint image into dist/entrypoint-image and record its digest',
  condition: notDevBuild,
  steps: [
    { spawn: 'compile' },
    { exec: 'bash entrypoint-image/release.sh build --out dist/entrypoint-image' },
    { exec: 'bash entrypoint-image/release.sh record --out dist/entrypoint-image' },
  ],
});
const releaseImageCheck = project.addTask('release:image:check', {
  description: 'check that the built package pins the recorded entrypoint image digest',
  condition: notDevBuild,
  steps: [
    { exec: 'bash entrypoint-image/release.sh check --out dist/entrypoint-image' },
    { exec: 'rm -f release-image.json' },
  ],
});
const releaseTask = project.tasks.tryFind('release')!;
const stepIndex = (spawn: string) => releaseTask.steps.findIndex((s) => s.spawn === spawn);
releaseTask.insertStep(stepIndex('bump') + 1, { spawn: releaseImage.name });
releaseTask.insertStep(stepIndex('build') + 1, { spawn: releaseImageCheck.name });

// (the build workflow gets the same step through buildWorkflowOptions.preBuildSteps above)
const releaseWorkflow = project.github!.tryFindWorkflow('release')!;
const releaseSteps: any[] = (releaseWorkflow as any).jobs.release.steps;
releaseWorkflow.file!.patch(JsonPatch.add(`/jobs/release/steps/${releaseSteps.findIndex((s) => s.id === 'release')}`, installTestPackages));
const checkoutStep = releaseSteps.find((s) => s.id === 'checkout');
releaseWorkflow.file!.addOverride('jobs.release_image', {
  'name': 'Publish the entrypoint image (by digest)',
  'needs': ['release'],
  'runs-on': 'ubuntu-latest',
  'permissions': { contents: 'read', packages: 'write' },
  'if': "needs.release.outputs.tag_exists != 'true' && needs.release.outputs.latest_commit == github.sha",
  'outputs': { digest: '${{ steps.push.outputs.digest }}' },
  'steps': [
    { name: 'Checkout', uses: checkoutStep.uses },
    {
      name: 'Download build artifacts',
      uses: 'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c',
      with: { 'artifact-ids': '${{ needs.release.outputs.artifact_id }}', 'path': 'dist' },
    },
    { name: 'Install skopeo', run: 'sudo apt-get update -qq && sudo apt-get install -y -qq skopeo' },
    {
      name: 'Log in to ghcr.io',
      if: '${{ !inputs.dry_run }}',
      env: { GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' },
      run: 'echo "$GITHUB_TOKEN" | skopeo login ghcr.io -u "$GITHUB_ACTOR" --password-stdin',
    },
    {
      name: 'Push the image index built by the release job and record the pushed digest',
      id: 'push',
      if: '${{ !inputs.dry_run }}',
      run: [
        'bash entrypoint-image/release.sh push --out dist/entrypoint-image',
        'echo "digest=$(cat dist/entrypoint-image/pushed-digest)" >> "$GITHUB_OUTPUT"',
        'echo "Pushed ghcr.io/cdk8s-steps/entrypoint@$(cat dist/entrypoint-image/pushed-digest)" >> "$GITHUB_STEP_SUMMARY"',
      ].join('\n'),
    },
  ],
});
// No package (it pins the digest) is published before the image it names is in the registry.
// (release_github waits for them all.)
for (const job of ['release_npm', 'release_maven', 'release_pypi', 'release_nuget', 'release_golang']) {
  releaseWorkflow.file!.addOverride(`jobs.${job}.needs`, ['release', 'release_image']);
}

// jsii-docgen links inherited `@see` member names to files that do not exist: rewrite them.
project.tasks.tryFind('docgen')?.exec('ts-node --project projenrc/tsconfig.json --transpile-only projenrc/api-md.ts API.md');

// cdk8s-cli checks npm for a newer version on every run and prints a stack trace when that fails
// (offline, or behind a proxy): switch the check off wherever our tasks run the CLI.
const quietCdk8s = { CDK8S_CHECK_UPGRADE: 'false' };
project.addTask('synth:examples', {
  description: 'synthesise examples/ into dist/ with the cdk8s CLI (the main job)',
  cwd: 'examples',
  env: quietCdk8s,
  exec: 'cdk8s synth',
});
for (const [name, value] of Object.entries(quietCdk8s)) project.testTask.env(name, value);
// A development build's Entrypoint.DEFAULT is not published: every App the tests synthesise would
// warn about it once (src/entrypoint-warning.ts); test/entrypoint-warning.test.ts checks the warning.
project.testTask.env('CDK8S_STEPS_NO_DEFAULT_ENTRYPOINT_WARNING', '1');

// The npm package is an allow-list: the compiled library, its jsii manifest and the docs. Nothing
// a test run leaves behind (.e2e-work/, coverage/, test-reports/) can slip in. `npm pack` (and so
// `npm publish` and an install from a git checkout) compiles first, so lib/ is always there.
// release-image.json exists only in a release (entrypoint-image/release.sh record): it pins Entrypoint.DEFAULT.
// binaries/: the entrypoint binaries and their record (src/image/packaged.ts finds them).
project.package.addField('files', ['lib/**/*.js', 'lib/**/*.d.ts', '.jsii', 'API.md', 'docs/**/*.md', 'release-image.json',
  'binaries/entrypoint-linux-amd64', 'binaries/entrypoint-linux-arm64', 'binaries/entrypoint.json']);
project.package.setScript('prepack', 'projen compile');

project.addTask('bench', {
  description: 'run the benchmarks (not part of the test run); writes bench/results.json',
  exec: 'bash bench/run.sh',
});

project.synth();
