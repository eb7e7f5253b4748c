import { cdk8s, javascript } from 'projen';

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
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  peerDeps: ['cdk8s-plus-33@^2.5.57'],
  bundledDeps: ['@dagrejs/graphlib@^3'],
  devDeps: [
    'typescript@~5.9.0',
    '@types/node@^20',
    'ts-node',
    'fast-check@^4',
    'kubernetes-models@^4',
    'cdk8s-cli@^2',
    'yaml@^2',
    // test/docs-links.test.ts: parse Markdown and compute GitHub's heading anchors.
    'commonmark@^0.31',
    '@types/commonmark@^0.27',
    'github-slugger@^1.5',
    '@types/github-slugger@^1.3',
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
  gitignore: ['/dist/', '/bench/out/', '/entrypoint-image/out/', '/examples/dist/', '.e2e-work/'],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/bench/', '/entrypoint-image/', '/scripts/', '/.ci/', '/podman/'] },
});

// Lint the examples and scripts like the sources.
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('scripts');

// The entrypoint (Go, standard library only) is part of every test run.
const goTest = project.addTask('test:go', {
  description: 'vet and race-test the entrypoint binary',
  cwd: 'entrypoint-image',
  steps: [{ exec: 'go vet ./...' }, { exec: 'go test -race -count=1 ./...' }],
});
project.testTask.spawn(goTest);

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

// The npm package is an allow-list: the compiled library, its jsii manifest and the docs. Nothing
// a test run leaves behind (.e2e-work/, coverage/, test-reports/) can slip in. `npm pack` (and so
// `npm publish` and an install from a git checkout) compiles first, so lib/ is always there.
project.package.addField('files', ['lib/**/*.js', 'lib/**/*.d.ts', '.jsii', 'API.md', 'docs/**/*.md']);
project.package.setScript('prepack', 'projen compile');

project.addTask('bench', {
  description: 'run the benchmarks (not part of the test run); writes bench/results.json',
  exec: 'bash bench/run.sh',
});

project.synth();
