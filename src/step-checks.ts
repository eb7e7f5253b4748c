/**
 * Checks of one step's options that do not depend on the rest of the graph, at `addStep()`.
 * Internal: not exported from the package.
 */
import { StepOptions } from './step';

/**
 * Throws for step options no host can synthesise, naming the step. `onePodHost` is the kind of a
 * host whose steps share one pod (they cannot be placed on nodes of their own).
 */
export function checkStepOptions(stepName: string, options: StepOptions, onePodHost?: string): void {
  if (!options.command || options.command.length === 0) {
    throw new Error(`Step "${stepName}" has no command. The entrypoint runs the command itself, and an image's `
      + 'ENTRYPOINT/CMD cannot be known at synth time: give it explicitly, e.g. command: [\'npm\', \'test\']');
  }
  if (options.command[0] === '') {
    throw new Error(`Step "${stepName}": command[0] is empty; it must name the program to run, e.g. command: ['sh', '-c', '...']`);
  }
  const nul = [...options.command, ...options.args ?? []].find(a => a.includes('\0'));
  if (nul !== undefined) {
    throw new Error(`Step "${stepName}": the argument ${JSON.stringify(nul)} contains a NUL character, which no `
      + 'process argument can hold: remove it');
  }
  if (onePodHost && (options.nodeSelector !== undefined || options.tolerations !== undefined)) {
    throw new Error(`Step "${stepName}": nodeSelector and tolerations place one step's pod, and in a ${onePodHost} every `
      + `step runs in the same pod, on one node. Place the whole ${onePodHost} with its scheduling `
      + '(e.g. pod.scheduling.tolerate(...)), or use a StepWorkflow, where each step is its own pod');
  }
}
