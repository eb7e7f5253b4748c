/**
 * The record names of a step's state directory (docs/contract.md, "Reserved root") have one home
 * in TypeScript, src/wire/layout.ts (issue 21, item 1). Go programs cannot import it, so each
 * spells them once in a const block, and this test fails when one differs: the bench harness
 * (bench/cmd/procbench/records.go), which must not spell them anywhere else, and the wrapper
 * itself (entrypoint-image/records.go).
 */
import * as fs from 'fs';
import * as path from 'path';
import { RECORD, RESERVED_ROOT, stateDir } from '../src/wire/layout';

const ROOT = path.join(__dirname, '..');

/** The string constants of a Go file's const blocks, name -> value. */
function goStringConsts(file: string): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const consts: Record<string, string> = {};
  for (const block of text.matchAll(/^const \(\n([\s\S]*?)^\)/gm)) {
    for (const m of block[1].matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*"([^"\\]*)"/gm)) consts[m[1]] = m[2];
  }
  return consts;
}

/** The directory under the reserved root that holds the state directories: `steps` in /cdk8s-steps/steps/<step>. */
const stepsDir = path.posix.relative(RESERVED_ROOT, path.posix.dirname(stateDir('x')));

test('the bench harness names the records as src/wire does', () => {
  expect(goStringConsts('bench/cmd/procbench/records.go')).toEqual({
    dirSteps: stepsDir,
    recordDone: RECORD.done,
    recordErr: RECORD.doneErr,
    recordLock: RECORD.lock,
    recordStarted: RECORD.started,
    recordReport: RECORD.report,
  });
});

test('no other file of the bench harness spells a record name out (struct tags and raw strings aside)', () => {
  const dir = path.join(ROOT, 'bench', 'cmd', 'procbench');
  const names = new Set<string>([stepsDir, RECORD.done, RECORD.doneErr, RECORD.lock, RECORD.started, RECORD.report]);
  const spelled = fs.readdirSync(dir).filter(f => f.endsWith('.go') && f !== 'records.go').flatMap(f =>
    fs.readFileSync(path.join(dir, f), 'utf8').split('\n').flatMap((line, i) =>
      [...line.replace(/`[^`]*`/g, '').matchAll(/"([^"\\]*)"/g)].filter(m => names.has(m[1])).map(m => `${f}:${i + 1}: ${m[0]}`)));
  expect(spelled).toEqual([]);
});

test('the wrapper names the records as src/wire does', () => {
  expect(goStringConsts('entrypoint-image/records.go')).toMatchObject({
    fileDone: RECORD.done,
    fileErr: RECORD.doneErr,
    fileLock: RECORD.lock,
    fileStarted: RECORD.started,
    fileReport: RECORD.report,
    dirResults: RECORD.results,
  });
});
