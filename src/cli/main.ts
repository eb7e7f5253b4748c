#!/usr/bin/env node
/**
 * The `cdk8s-steps` command (the package's bin): run a step pod locally in podman, read a live
 * pod's steps, draw the graph. Not part of the jsii API.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { CliError } from './errors';
import { IMAGE_USAGE, imageCommand } from './image';
import { inputName, parseDocuments, pickStepHost, readInput, StepHost } from './manifest';
import { renderGraph } from './render/graph';
import { parseTimeout, runCommand } from './run';
import { podSteps, statusCommand, workflowSteps } from './status';
import { toDot, toMermaid } from './text-graph';
import { watchCommand } from './watch';
import { parseSubstitutes } from '../local/images';
import { WireError } from '../wire/errors';

export const USAGE = `usage: cdk8s-steps <command> ...

  run <manifest.yaml> [--pod NAME] [--timeout SECONDS] [--timeline FILE.svg] [--keep]
      [--image FROM=TO]... [--entrypoint-image REF]
      Plays the StepPod/StepJob of a synthesised manifest with podman as a kubelet would (init
      containers and native sidecars in order, startup probes, $(VAR) expansion), shows live
      progress and the logs of each step and sidecar, then a table of the step reports. Exit 0 when
      the run succeeded (every step container exited 0), 1 when it failed or timed out, 2 on a
      usage, image or podman error, 128 + N after signal N (the pod is removed).
        --pod NAME          the StepPod/StepJob to run when the manifest has several
        --timeout SECONDS   give up (and remove the pod) after this long: plain decimal seconds
                            (90, 0.5); default 600, at most 2147483
        --timeline FILE.svg write a Gantt chart of the run
        --keep              leave the pod and its volumes in podman
        --image FROM=TO     run image TO wherever the manifest names FROM (repeatable), e.g. a local
                            build for a registry image
        --entrypoint-image REF
                            the entrypoint image to run instead of the manifest's (by default the
                            manifest's, or, when podman cannot have it, one made from the entrypoint
                            binary this package carries)

  status <pod.json | workflow.json | -> [--output table|json|mermaid] [--timeline FILE.svg]
      Reads a Pod (or a List of pods) as \`kubectl get pod NAME -o json\` prints it, or a
      StepWorkflow's Argo Workflow as \`kubectl get wf NAME -o json\` prints it, and shows every
      step's state and outcome. Exit 1 when a step failed (or the pod can no longer run), 3 while
      steps are pending or running, 0 when the run succeeded.
  status --watch POD [--namespace NS]
      Follows the pod through the current kubeconfig until the run ends (needs
      @kubernetes/client-node 1.x installed; untested without a cluster).

  graph <manifest.yaml | pod.json | workflow.json | -> [--pod NAME] [--format mermaid|dot|svg]
      Prints the DAG of a synthesised StepPod, StepJob or StepWorkflow (svg: laid out left to
      right, with marks for finally steps, conditions, retries, timeouts, onError CONTINUE and
      sidecars); given a live Pod or Workflow (kubectl get ... -o json, or a List), its nodes show
      each step's outcome.

${IMAGE_USAGE}`;

/** The run of a live object (a Pod with container statuses, a Workflow with nodes), for `graph` to colour; undefined for a manifest. */
function liveViews(host: StepHost) {
  if (host.kind === 'Pod' && host.object.status?.containerStatuses) return podSteps(host.object)?.views;
  if (host.kind === 'Workflow' && host.object.status?.phase) return workflowSteps(host.object)?.views;
  return undefined;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]}\n${USAGE}`);
  }
}

/**
 * `run`'s arguments made ready for parseArgs: a removed flag gets its own error, and a value after
 * `--timeout` that starts with one dash (`-1`) is taken as its value, so that it gets the range
 * message, not parseArgs' "argument is ambiguous" (`--timeout --keep` still is a missing value).
 */
export function runArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--build-images' || a.startsWith('--build-images=')) {
      throw new CliError('--build-images is gone: `run` builds no image. Map an image of the manifest to one podman has with '
        + '--image FROM=TO (repeatable, e.g. --image busybox:1.36=localhost/my-busybox); the busybox step image the test suite '
        + 'and the local examples run is built in a clone by `bash test/e2e/step-image/build.sh`; the entrypoint image is made '
        + 'from the binary the package carries when podman does not have it (or give --entrypoint-image REF)');
    }
    const next = argv[i + 1];
    if (a === '--timeout' && next !== undefined && next.startsWith('-') && !next.startsWith('--')) {
      out.push(`--timeout=${next}`);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new CliError(`${positionals.length === 0 ? `no ${what} given` : `one ${what} only, got ${positionals.join(' ')}`}\n${USAGE}`);
  return positionals[0];
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = { write: (s: string) => { process.stdout.write(s); } };
  const err = { write: (s: string) => { process.stderr.write(s); } };
  switch (command) {
    case 'run': {
      const { values, positionals } = parse(runArgs(rest), {
        'pod': { type: 'string' },
        'timeout': { type: 'string' },
        'timeline': { type: 'string' },
        'keep': { type: 'boolean' },
        'image': { type: 'string', multiple: true },
        'entrypoint-image': { type: 'string' },
      });
      const timeoutSeconds = parseTimeout(values.timeout as string | undefined);
      let substitutes: Map<string, string>;
      try {
        substitutes = parseSubstitutes((values.image as string[] | undefined) ?? []);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const entrypointImage = values['entrypoint-image'] as string | undefined;
      if (entrypointImage !== undefined && !entrypointImage.trim()) throw new CliError('--entrypoint-image wants an image reference, got ""');
      return runCommand(onePositional(positionals, 'manifest'), {
        pod: values.pod as string | undefined,
        timeoutSeconds,
        timeline: values.timeline as string | undefined,
        keep: !!values.keep,
        substitutes,
        entrypointImage,
      }, { out, err, tty: !!process.stdout.isTTY, rows: process.stdout.rows ?? 24 });
    }
    case 'status': {
      const { values, positionals } = parse(rest, {
        output: { type: 'string', short: 'o' },
        timeline: { type: 'string' },
        watch: { type: 'boolean', short: 'w' },
        namespace: { type: 'string', short: 'n' },
      });
      if (values.watch) {
        return watchCommand(onePositional(positionals, 'pod name'), values.namespace as string | undefined, out.write, !!process.stdout.isTTY);
      }
      const output = oneOf('--output', values.output as string | undefined, ['table', 'json', 'mermaid'] as const, 'table');
      return statusCommand(onePositional(positionals, 'pod or workflow JSON file (or -)'), { output, timeline: values.timeline as string | undefined }, out.write);
    }
    case 'graph': {
      const { values, positionals } = parse(rest, { pod: { type: 'string' }, format: { type: 'string' } });
      const format = oneOf('--format', values.format as string | undefined, ['mermaid', 'dot', 'svg'] as const, 'mermaid');
      const file = onePositional(positionals, 'manifest');
      // A manifest, or a live Pod or Workflow (also a List of them, as kubectl prints it): its run colours the nodes.
      const docs = parseDocuments(readInput(file), inputName(file)).flatMap((d) => (Array.isArray(d.items) ? d.items : [d]));
      const host = pickStepHost(docs, inputName(file), values.pod as string | undefined);
      const views = liveViews(host);
      out.write(format === 'dot' ? toDot(host.graph, views) : format === 'svg' ? renderGraph(host.graph, views, host.traits).svg + '\n' : toMermaid(host.graph, views));
      return 0;
    }
    case 'image':
      return imageCommand(rest, { out, err });
    case '-h':
    case '--help':
    case 'help':
      out.write(USAGE);
      return 0;
    default:
      throw new CliError(`${command === undefined ? 'no command given' : `unknown command "${command}"`}\n${USAGE}`);
  }
}

if (require.main === module) {
  // A reader that went away (`cdk8s-steps … | head -1`) is not an error: what is left to print is
  // dropped (`run` also stops and removes its pod, see run.ts).
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e) => {
    if (e instanceof CliError || e instanceof WireError) {
      process.stderr.write(`cdk8s-steps: ${e.message}\n`);
      process.exitCode = e instanceof CliError ? e.exitCode : 2;
    } else {
      process.stderr.write(`cdk8s-steps: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      process.exitCode = 2;
    }
  });
}

