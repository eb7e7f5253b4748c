/**
 * The example app: `cdk8s synth` (or `npm run synth:examples` from the repository root) writes one
 * manifest per chart to dist/.
 */
import { App } from 'cdk8s';
import { CiOnArgo } from './ci-on-argo';
import { CiPipeline } from './ci-pipeline';
import { JobWithDb } from './job-with-db';
import { LocalDiamond } from './local-diamond';
import { SeedChain } from './seed-chain';
import { TestReport } from './test-report';

export function buildApp(app: App): App {
  new SeedChain(app, 'seed-chain');
  new CiPipeline(app, 'ci-pipeline');
  new JobWithDb(app, 'job-with-db');
  new LocalDiamond(app, 'local-diamond');
  new TestReport(app, 'test-report');
  new CiOnArgo(app, 'ci-on-argo');
  return app;
}

if (require.main === module) {
  buildApp(new App()).synth();
}
