/**
 * `cdk8s-steps run <manifest.yaml>`: plays the step pod in podman (src/local), shows live progress
 * and the steps' logs, then the final table; removes the pod and its volumes unless --keep.
 */
import * as fs from 'fs';
import { CliError } from './errors';
import { parseDocuments, pickWorkload, readInput, StepWorkload } from './manifest';
import { ContainerFacts, outcome, stepViews, StepView } from './model';
import { Progress, Sink } from './progress';
import { renderTimeline } from './render/timeline';
import { stepTable } from './table';
import { ContainerResult, podman, podmanStatus, PodTimeoutError, removePod, runPod, RunningPod, sleep } from '../local';
import { failedAttempts } from '../wire/attempts';
import { K8sObject } from '../wire/workload';

export interface RunOptions {
  readonly pod?: string;
  readonly timeoutSeconds: number;
  readonly timeline?: string;
  readonly keep: boolean;
}

export interface RunIo {
  readonly out: Sink;
  readonly err: Sink;
  readonly tty: boolean;
  readonly rows: number;
}

const POLL_MS = 250;

function facts(c: ContainerResult | undefined): ContainerFacts | undefined {
  if (!c) return undefined;
  return {
    started: c.startedAtMs !== undefined || c.state === 'running' || c.state === 'exited',
    exitCode: c.exitCode,
    report: c.report,
    startedAtMs: c.startedAtMs,
    finishedAtMs: c.finishedAtMs,
    failedAttempts: failedAttempts(c.name, c.logLines),
  };
}

function viewsOf(w: StepWorkload, containers: readonly ContainerResult[]): StepView[] {
  const byName = new Map(containers.filter((c) => !c.init).map((c) => [c.name, c]));
  return stepViews(w.graph, (s) => facts(byName.get(s)), w.traits);
}

/** Images the pod needs that podman does not have and may not pull (imagePullPolicy Never). */
async function missingLocalImages(w: StepWorkload): Promise<string[]> {
  const containers: K8sObject[] = [...(w.podSpec.initContainers ?? []), ...(w.podSpec.containers ?? [])];
  const images = [...new Set(containers.filter((c) => c.imagePullPolicy === 'Never').map((c) => String(c.image)))];
  const missing: string[] = [];
  for (const image of images) {
    const r = await podman(['image', 'exists', image], { allowFailure: true });
    if (r.code !== 0) missing.push(image);
  }
  return missing;
}

/** The first line of a podman error that says what went wrong. */
function podmanError(e: unknown): string {
  const lines = String(e instanceof Error ? e.message : e).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error:/.test(l)) ?? lines[lines.length - 1] ?? 'unknown error';
}

export async function runCommand(file: string, options: RunOptions, io: RunIo): Promise<number> {
  const docs = parseDocuments(readInput(file), file === '-' ? 'standard input' : file);
  const w = pickWorkload(docs, file, options.pod);
  // podman plays the workload and the ConfigMaps/Secrets it may mount; other kinds stay out.
  const manifest = [...docs.filter((d) => d.kind === 'ConfigMap' || d.kind === 'Secret'), w.object];

  const status = podmanStatus();
  if (!status.available) throw new CliError(`${status.reason}; install it (Debian/Ubuntu: apt-get install -y podman runc) or run the manifest on a cluster`);
  const missing = await missingLocalImages(w);
  if (missing.length) {
    throw new CliError(`podman has no image ${missing.join(', ')} (imagePullPolicy Never); build or pull it with podman first (docs/cli.md, "Images")`);
  }

  const started = Date.now();
  const width = Math.max(...w.graph.steps.map((s) => s.length));
  const progress = new Progress(io.out, io.tty, started, io.rows, width);
  progress.update(viewsOf(w, []), started); // every step listed from the first frame
  const printed = new Map<string, number>();
  const printNewLogs = (containers: readonly ContainerResult[]) => {
    const fresh: Array<{ step: string; text: string; stream: string; time: string }> = [];
    for (const c of containers) {
      if (c.init) continue;
      const n = printed.get(c.name) ?? 0;
      for (const l of c.logLines.slice(n)) fresh.push({ step: c.name, ...l });
      printed.set(c.name, c.logLines.length);
    }
    progress.logs(fresh.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)));
  };

  let running: RunningPod | undefined;
  const onSignal = () => {
    progress.finish();
    io.err.write(`interrupted: removing the pod${running ? ` ${running.podName}` : ''}\n`);
    void (running ? removePod(running.podName, running.volumes) : Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const deadline = started + options.timeoutSeconds * 1000;

  let containers: ContainerResult[];
  let podName: string;
  let timedOut = false;
  try {
    const r = await runPod(manifest, {
      timeoutMs: options.timeoutSeconds * 1000,
      keepPod: options.keep,
      whileRunning: async (pod) => {
        running = pod;
        for (;;) {
          const snap = await pod.snapshot();
          const views = viewsOf(w, snap);
          progress.update(views);
          printNewLogs(snap);
          if (views.every((v) => v.containerExit !== undefined) || Date.now() > deadline) return;
          await sleep(POLL_MS);
        }
      },
    });
    containers = r.containers;
    podName = r.podName;
  } catch (e) {
    if (!(e instanceof PodTimeoutError)) {
      progress.finish();
      throw new CliError(`podman could not run ${w.kind} ${w.name}: ${podmanError(e)}${running ? ' (the pod was removed)' : ''}`);
    }
    containers = e.containers;
    podName = e.podName;
    timedOut = true;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  printNewLogs(containers);
  progress.finish();

  const now = Date.now();
  const views = viewsOf(w, containers);
  io.out.write(`\n${stepTable(views, now)}\n\n`);
  if (options.timeline) {
    fs.writeFileSync(options.timeline, renderTimeline(views, { now, title: `${w.kind} ${w.name}` }).svg);
  }
  const elapsed = ((now - started) / 1000).toFixed(1);
  const kept = options.keep
    ? `kept: podman pod rm -f ${podName}; podman volume rm $(podman volume ls -q --filter name=${podName.slice(podName.lastIndexOf('-') + 1)})`
    : 'removed, with its volumes';
  if (timedOut) {
    io.out.write(`pod ${podName}: did not finish within ${options.timeoutSeconds} s (--timeout ${options.timeoutSeconds}); ${kept}\n`);
    return 1;
  }
  const o = outcome(views);
  io.out.write(`pod ${podName}: ${o === 'succeeded' ? 'the run succeeded' : 'the run failed'} in ${elapsed} s (${kept})\n`);
  return o === 'succeeded' ? 0 : 1;
}
