/**
 * Schema validation of Argo manifests with `@kubernetes-models/argo-workflows` (2.0.0, generated
 * from the Argo Workflows v4 API). The package is ESM-only and jest runs our tests as CommonJS,
 * so the validation runs in a child node process (argo-validate.mjs), many manifests per call:
 * no jest ESM mode, no transform, and the models are the package's own.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const SCRIPT = path.join(__dirname, 'argo-validate.mjs');

/** One entry per manifest: undefined when it is valid, else the schema error. */
export function schemaErrors(manifests: any[]): Array<string | undefined> {
  const out = execFileSync(process.execPath, [SCRIPT], {
    input: JSON.stringify(manifests),
    cwd: path.join(__dirname, '..'),
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(out.toString()) as Array<string | null>).map(e => e ?? undefined);
}

/** Throws when any manifest does not match the Argo schema. */
export function expectValidArgo(...manifests: any[]): void {
  const errors = schemaErrors(manifests);
  const bad = errors.map((e, i) => e && `manifest ${i} (${manifests[i]?.metadata?.name ?? manifests[i]?.metadata?.generateName}): ${e}`).filter(Boolean);
  if (bad.length > 0) throw new Error(`Argo schema violations:\n${bad.join('\n')}`);
}
