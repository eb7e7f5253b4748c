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
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  peerDeps: ['cdk8s-plus-33@^2.5.57'],
  // yaml and dagre are for the cdk8s-steps CLI (src/cli), not part of the jsii API.
  bundledDeps: ['@dagrejs/graphlib@^3', '@dagrejs/dagre@^2.0.4', 'yaml@^2'],
  devDeps: [
    'typescript@~5.9.0',
    '@types/node@^20',
    'ts-node',
    'fast-check@^4',
    'kubernetes-models@^4',
    'cdk8s-cli@^2',
    'pngjs@^7',
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
  gitignore: ['/dist/', '/bench/out/', '/entrypoint-image/out/', '/examples/dist/', '.e2e-work/'],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/bench/', '/entrypoint-image/', '/scripts/', '/.ci/', '/podman/'] },
});

// The command line: npx cdk8s-steps run|status|graph (src/cli/main.ts).
project.addBins({ 'cdk8s-steps': 'lib/cli/main.js' });

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

project.addTask('synth:examples', {
  description: 'synthesise examples/ into dist/ with the cdk8s CLI (the main job)',
  cwd: 'examples',
  exec: 'cdk8s synth',
});

project.addTask('bench', {
  description: 'run the benchmarks (not part of the test run); writes bench/results.json',
  exec: 'bash bench/run.sh',
});

project.synth();
