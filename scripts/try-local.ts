/**
 * Runs a synthesised StepPod/StepJob manifest in podman, the way the e2e suite does, and prints
 * each step's report as a table. Called by scripts/try-local.sh; see its usage.
 */
import * as fs from 'fs';
import { ContainerResult, PodResult, runPod } from '../test/e2e/harness';
import { podmanStatus } from '../test/e2e/podman';
import { ensureImages } from '../test/e2e/setup';

const USAGE = `usage: scripts/try-local.sh [--timeout SECONDS] [--build-images] [--quiet] [--keep] <manifest.yaml | ->

Runs the Pod (or the Job's pod template) of a synthesised manifest with podman kube play, waits
for every step to end, prints each step's logs and a table of the step reports, and removes the
pod and its volumes. Exit status: 0 when every container exited 0, 1 otherwise, 2 on a usage or
podman error.

  --timeout SECONDS  give up (and clean up) after this long; default 300
  --build-images     first build the local images localhost/cdk8s-steps-entrypoint:dev and
                     localhost/cdk8s-steps-e2e-step:dev (needs go, busybox-static)
  --quiet            do not print the steps' logs
  --keep             keep the played copy of the manifest in .e2e-work/runs/
`;

function fail(msg: string): never {
  process.stderr.write(`try-local: ${msg}\n`);
  process.exit(2);
}

function duration(c: ContainerResult): string {
  const r = c.report;
  let ms: number | undefined;
  if (r?.startedAt && r?.finishedAt) ms = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  else if (c.startedAtMs !== undefined && c.finishedAtMs !== undefined) ms = c.finishedAtMs - c.startedAtMs;
  if (ms === undefined || Number.isNaN(ms)) return '-';
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** The table: one row per step container. Exported for the tests of this script. */
export function reportTable(r: PodResult): string {
  const rows = [['STEP', 'REASON', 'EXIT', 'DURATION', 'ATTEMPTS', 'MESSAGE']];
  for (const c of r.containers.filter((x) => !x.init)) {
    const reason = c.report?.reason ?? (c.exitCode === 137 ? 'Killed (no report)' : 'no report');
    rows.push([
      c.name,
      reason,
      String(c.exitCode ?? '-'),
      duration(c),
      String(c.report?.attempts ?? '-'),
      String(c.report?.message ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function main(argv: string[]): Promise<number> {
  let timeoutS = 300;
  let build = false;
  let quiet = false;
  let keep = false;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '--timeout') {
      timeoutS = Number(argv[++i]);
      if (!(timeoutS > 0)) fail(`--timeout wants a number of seconds, got ${argv[i]}`);
    } else if (a === '--build-images') {
      build = true;
    } else if (a === '--quiet') {
      quiet = true;
    } else if (a === '--keep') {
      keep = true;
    } else if (a.startsWith('-') && a !== '-') {
      fail(`unknown option ${a}\n${USAGE}`);
    } else if (file === undefined) {
      file = a;
    } else {
      fail(`one manifest only\n${USAGE}`);
    }
  }
  if (!file) fail(`no manifest given\n${USAGE}`);
  const yaml = file === '-' ? fs.readFileSync(0, 'utf8') : fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : fail(`${file} does not exist`);

  const status = podmanStatus();
  if (!status.available) fail(status.reason!);
  if (build) {
    const built = await ensureImages();
    process.stderr.write(`try-local: images ready (${built.built.length ? 'built ' + built.built.join(', ') : 'up to date'})\n`);
  }

  const t0 = Date.now();
  const r = await runPod(yaml, { timeoutMs: timeoutS * 1000, keep });
  if (r.droppedAnnotations.length) {
    process.stderr.write(`try-local: played without annotations podman 4.3 rejects (> 63 characters): ${r.droppedAnnotations.join(', ')}\n`);
  }
  if (!quiet) {
    for (const c of r.containers.filter((x) => !x.init)) {
      const logs = c.logs.replace(/\n$/, '');
      if (!logs) continue;
      process.stdout.write(`----- ${c.name} -----\n${logs}\n`);
    }
    process.stdout.write('\n');
  }
  process.stdout.write(`${reportTable(r)}\n\npod ${r.podName}: ${r.phase} in ${((Date.now() - t0) / 1000).toFixed(2)}s (removed, with its volumes)\n`);
  return r.phase === 'Succeeded' ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    process.stderr.write(`try-local: ${e instanceof Error ? e.message : e}\n`);
    process.exit(2);
  });
}
