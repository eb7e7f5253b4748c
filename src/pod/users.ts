/**
 * Who a container runs as, checked at synthesis (issue 9): a container that would run as root
 * while `runAsNonRoot` is true never starts (the kubelet refuses it with
 * `CreateContainerConfigError`), so the steps after it would wait forever. Reads the cdk8s-plus
 * objects, changes nothing.
 */
import * as kplus from 'cdk8s-plus-33';

/**
 * One message per container that runs as uid 0 (set explicitly, on it or on the pod) under
 * `runAsNonRoot: true`.
 * @param pod the pod's security context
 * @param containers the init containers (sidecars included) and containers
 * @param steps the names of the steps, for the messages
 */
export function rootProblems(pod: kplus.PodSecurityContext, containers: kplus.Container[], steps: ReadonlySet<string>): string[] {
  return containers.flatMap(c => {
    const user = c.securityContext.user ?? pod.user;
    const nonRoot = c.securityContext.ensureNonRoot ?? pod.ensureNonRoot;
    if (user !== 0 || nonRoot !== true) return [];
    const kind = c.restartPolicy === kplus.ContainerRestartPolicy.ALWAYS ? 'Sidecar' : steps.has(c.name) ? 'Step' : 'Init container';
    const from = c.securityContext.user === 0 ? 'its securityContext.user is 0' : 'the pod\'s securityContext.user is 0';
    return [`${kind} "${c.name}" would run as root (${from}) with runAsNonRoot true, which the kubelet refuses `
      + '(CreateContainerConfigError: the container never starts). Set securityContext: { ensureNonRoot: false } on it '
      + 'to run it as root, or give it a non-zero user'];
  });
}
