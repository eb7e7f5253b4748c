/**
 * `cdk8s-steps status --watch POD [--namespace NS]`: follows a pod through the current kubeconfig
 * with @kubernetes/client-node (an optional peer: not bundled, installed by the user), printing the
 * steps on every change, until the run succeeded or failed. Untested here: there is no cluster on
 * the machines this project is built on; only the error for a missing client library is tested.
 *
 * @kubernetes/client-node 1.x is ESM-only: it is loaded with a dynamic `import()` (kept as such by
 * the `node16` module setting), never `require`.
 */
import { CliError } from './errors';
import { podSteps, statusExitCode } from './status';
import { stepTable } from './table';
import { GRAPH_ANNOTATION } from '../wire/layout';
import { K8sObject } from '../wire/workload';

const CLIENT = '@kubernetes/client-node';

async function loadClient(): Promise<any> {
  try {
    const name: string = CLIENT; // a variable: the library is optional, and has no types here
    return await import(name);
  } catch (e) {
    throw new CliError(`--watch needs ${CLIENT} 1.x, which is not installed (${(e as Error).message.split('\n')[0]}); npm install ${CLIENT}`);
  }
}

export async function watchCommand(pod: string, namespace: string | undefined, out: (s: string) => void, tty: boolean): Promise<number> {
  const k8s = await loadClient();
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const watch = new k8s.Watch(kc);
  return new Promise<number>((resolve, reject) => {
    let request: { abort?: () => void } | undefined;
    const onEvent = (_type: string, obj: K8sObject) => {
      const p = podSteps(obj);
      if (!p) {
        request?.abort?.();
        reject(new CliError(`pod ${ns}/${pod}: not made by cdk8s-steps (no ${GRAPH_ANNOTATION} annotation)`));
        return;
      }
      out(`${tty ? '\x1b[2J\x1b[H' : '\n'}pod ${ns}/${pod}: ${obj.status?.phase ?? '?'} (${new Date().toISOString()})\n${stepTable(p.views)}\n`);
      if (p.outcome !== 'pending') {
        request?.abort?.();
        resolve(statusExitCode([p.outcome]));
      }
    };
    const onDone = (err: unknown) => {
      if (err) reject(new CliError(`watching pod ${ns}/${pod} failed: ${(err as Error).message ?? err}`));
    };
    watch.watch(`/api/v1/namespaces/${ns}/pods`, { fieldSelector: `metadata.name=${pod}` }, onEvent, onDone)
      .then((r: { abort?: () => void }) => { request = r; }, (e: unknown) => reject(new CliError(`cannot watch pod ${ns}/${pod}: ${(e as Error).message ?? e}`)));
  });
}
