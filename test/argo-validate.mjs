// Validates Argo manifests against the Argo Workflows schema of @kubernetes-models/argo-workflows
// (ESM-only, so it runs in its own node process; see test/argo-schema.ts).
// stdin: a JSON array of manifests; stdout: a JSON array with, per manifest, null or the error.
import { readFileSync } from 'node:fs';

const { Workflow, WorkflowTemplate } = await import('@kubernetes-models/argo-workflows/argoproj.io/v1alpha1');
const models = { Workflow, WorkflowTemplate };
const manifests = JSON.parse(readFileSync(0, 'utf8'));
const results = manifests.map((m) => {
  const Model = models[m.kind];
  if (!Model) return `unexpected kind ${m.kind}`;
  try {
    new Model(m).validate();
    return null;
  } catch (e) {
    return String(e.message ?? e);
  }
});
process.stdout.write(JSON.stringify(results));
