/**
 * `cdk8s-steps run <manifest.yaml>`: plays the step pod in podman (src/local), shows live progress
 * and the logs of the steps and sidecars, then the final table; removes the pod and its volumes
 * unless --keep.
 *
 * Ending early: Ctrl-C (SIGINT), SIGTERM or SIGHUP stop whatever podman command runs, remove the
 * pod and its volumes (named on stderr) and exit 128 + the signal's number; nothing more is written
 * to standard output from the moment the signal came. A reader that goes away (`… | head -1`,
 * EPIPE) ends the run the same way, quietly, with exit 141 (128 + SIGPIPE, as a shell reports a
 * pipeline's writer).
 */
import * as fs from 'fs';
import { constants as osConstants } from 'os';
import { CliError } from './errors';
import { inputName, parseDocuments, pickWorkload, readInput, StepWorkload } from './manifest';
import { ContainerFacts, outcome, stepViews, StepView } from './model';
import { Progress, Sink } from './progress';
import { renderTimeline } from './render/timeline';
import { stepTable } from './table';
import { ContractMismatchError } from '../local/entrypoint-image';
import { ImageError } from '../local/images';
import { podmanStatus, sleep } from '../local/podman';
import { ProbeSpecError } from '../local/probe';
import { PodTimeoutError, RunInterruptedError, runPod } from '../local/runner';
import { ContainerResult } from '../local/types';
import { failedAttempts } from '../wire/attempts';
import { INIT_CONTAINER_NAME } from '../wire/layout';

export interface RunOptions {
  readonly pod?: string;
  readonly timeoutSeconds: number;
  readonly timeline?: string;
  readonly keep: boolean;
  /** `--image FROM=TO`. */
  readonly substitutes?: ReadonlyMap<string, string>;
  /** `--entrypoint-image REF`. */
  readonly entrypointImage?: string;
}

export interface RunIo {
  readonly out: Sink;
  readonly err: Sink;
  readonly tty: boolean;
  readonly rows: number;
}

/** The most `--timeout` may be: 2^31 - 1 ms, Node's longest timer (a longer one fires at once). */
export const MAX_TIMEOUT_SECONDS = 2_147_483;

/** What `--timeout` accepts, for its messages and docs/cli.md: plain decimal seconds. */
const TIMEOUT_FORM = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Reads `--timeout`: seconds as a plain decimal number (`90`, `0.5`: digits, at most one point
 * between digits; no sign, exponent, hexadecimal or `Infinity`), above 0 and at most
 * MAX_TIMEOUT_SECONDS; default 600.
 */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 600;
  const n = Number(value);
  if (!TIMEOUT_FORM.test(value) || n <= 0 || n > MAX_TIMEOUT_SECONDS) {
    throw new CliError(`--timeout wants seconds as a plain decimal number (digits, e.g. 90 or 0.5) above 0 and at most ${MAX_TIMEOUT_SECONDS} `
      + `(2^31 - 1 ms, the longest timer Node has), got "${value}"`);
  }
  return n;
}

const POLL_MS = 250;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The exit code when standard output's reader went away: 128 + SIGPIPE, as a shell reports a pipeline's writer. */
const EXIT_OUTPUT_CLOSED = 128 + osConstants.signals.SIGPIPE;

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

/** The first line of a podman error that says what went wrong. */
function podmanError(e: unknown): string {
  const lines = String(e instanceof Error ? e.message : e).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error:/.test(l)) ?? lines[lines.length - 1] ?? 'unknown error';
}

export async function runCommand(file: string, options: RunOptions, io: RunIo): Promise<number> {
  const docs = parseDocuments(readInput(file), inputName(file));
  const w = pickWorkload(docs, file, options.pod);
  // podman plays the workload and the ConfigMaps/Secrets it may mount; other kinds stay out.
  const manifest = [...docs.filter((d) => d.kind === 'ConfigMap' || d.kind === 'Secret'), w.object];

  const status = podmanStatus();
  if (!status.available) throw new CliError(`${status.reason}; install it (Debian/Ubuntu: apt-get install -y podman runc) or run the manifest on a cluster`);

  // From an interruption on, standard output gets nothing more (no progress, no logs, no table).
  let quiet = false;
  const out: Sink = { write: (s) => { if (!quiet) io.out.write(s); } };
  const started = Date.now();
  const width = Math.max(...w.graph.steps.map((s) => s.length), ...w.traits.sidecars.map((s) => s.length));
  const progress = new Progress(out, io.tty, started, io.rows, width);
  /** A line of the runner's (images, sidecars, $(VAR)s): on stderr, with the progress block out of its way. */
  const notice = (line: string) => {
    if (quiet) return;
    progress.aside(() => io.err.write(`cdk8s-steps: ${line}\n`));
  };
  progress.update(viewsOf(w, []), started); // every step listed from the first frame
  const printed = new Map<string, number>();
  const printNewLogs = (containers: readonly ContainerResult[]) => {
    const fresh: Array<{ step: string; text: string; stream: string; time: string }> = [];
    for (const c of containers) {
      if (c.name === INIT_CONTAINER_NAME && c.init) continue;
      const n = printed.get(c.name) ?? 0;
      for (const l of c.logLines.slice(n)) fresh.push({ step: c.name, ...l });
      printed.set(c.name, c.logLines.length);
    }
    progress.logs(fresh.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)));
  };

  const controller = new AbortController();
  let podName: string | undefined;
  let endedBy: { signal: NodeJS.Signals } | { outputClosed: true } | undefined;
  const stop = (why: NonNullable<typeof endedBy>) => {
    if (endedBy) return; // a second Ctrl-C while the pod is being removed changes nothing
    endedBy = why;
    progress.finish();
    quiet = true;
    if ('signal' in why) io.err.write(`cdk8s-steps: ${why.signal}: stopping the run and removing ${podName ? `pod ${podName}` : 'what it created'} and its volumes\n`);
    controller.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => stop({ signal });
  const onOutputError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') stop({ outputClosed: true });
  };
  // A terminal that hung up (SIGHUP) fails writes to stderr too: the pod is removed all the same.
  const ignore = () => undefined;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', ignore);
  const deadline = started + options.timeoutSeconds * 1000;

  let containers: ContainerResult[];
  let failure: string | undefined;
  let timedOut = false;
  try {
    const r = await runPod(manifest, {
      timeoutMs: options.timeoutSeconds * 1000,
      keepPod: options.keep,
      substitutes: options.substitutes,
      entrypointImage: options.entrypointImage,
      signal: controller.signal,
      onPlan: (p) => { podName = p.podName; },
      onEvent: notice,
      whileRunning: async (pod) => {
        for (;;) {
          const snap = await pod.snapshot();
          if (pod.signal.aborted || quiet) return;
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
    failure = r.failure;
  } catch (e) {
    if (e instanceof RunInterruptedError || endedBy) {
      if (endedBy && 'signal' in endedBy) {
        io.err.write(`cdk8s-steps: ${e instanceof RunInterruptedError ? e.message : `interrupted: removed pod ${podName ?? '(none created)'} and its volumes`}\n`);
        return 128 + (osConstants.signals[endedBy.signal] ?? 0);
      }
      return EXIT_OUTPUT_CLOSED;
    }
    progress.finish();
    if (e instanceof ImageError) throw new CliError(`${w.kind} ${w.name} cannot run locally:\n${e.problems.map((p) => `  ${p}`).join('\n')}`);
    if (e instanceof ContractMismatchError || e instanceof ProbeSpecError) throw new CliError(e.message);
    if (!(e instanceof PodTimeoutError)) {
      throw new CliError(`podman could not run ${w.kind} ${w.name}: ${podmanError(e)}${podName ? ' (the pod was removed)' : ''}`);
    }
    containers = e.containers;
    podName = e.podName;
    timedOut = true;
  } finally {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.stdout.removeListener('error', onOutputError);
    process.stderr.removeListener('error', ignore);
  }
  printNewLogs(containers);
  progress.finish();

  const now = Date.now();
  const views = viewsOf(w, containers);
  out.write(`\n${stepTable(views, now)}\n\n`);
  if (options.timeline) {
    fs.writeFileSync(options.timeline, renderTimeline(views, { now, title: `${w.kind} ${w.name}` }).svg);
  }
  const elapsed = ((now - started) / 1000).toFixed(1);
  const kept = options.keep
    ? `kept: podman pod rm -f ${podName}; podman volume rm $(podman volume ls -q --filter name=${podName!.slice(podName!.lastIndexOf('-') + 1)})`
    : 'removed, with its volumes';
  if (timedOut) {
    out.write(`pod ${podName}: did not finish within ${options.timeoutSeconds} s (--timeout ${options.timeoutSeconds}); ${kept}\n`);
    return endedBy ? EXIT_OUTPUT_CLOSED : 1;
  }
  const o = failure ? 'failed' : outcome(views);
  out.write(`pod ${podName}: ${o === 'succeeded' ? 'the run succeeded' : 'the run failed'} in ${elapsed} s${failure ? ` (${failure})` : ''} (${kept})\n`);
  if (endedBy) return EXIT_OUTPUT_CLOSED;
  return o === 'succeeded' ? 0 : 1;
}
