/**
 * Who a container runs as, checked at synthesis (issue 9): a container that would run as root
 * while `runAsNonRoot` is true never starts (the kubelet refuses it with
 * `CreateContainerConfigError`), so its steps would wait forever. Pure.
 */

/** What decides a container's user: its own security context over the pod's. */
export interface ContainerUser {
  /** "Step", "Sidecar" or "Init container", for the message. */
  readonly kind: string;
  readonly name: string;
  readonly user?: number;
  readonly runAsNonRoot?: boolean;
}

/** One message per container that runs as uid 0 (explicitly) under `runAsNonRoot: true`. */
export function rootProblems(pod: { user?: number; runAsNonRoot?: boolean }, containers: ContainerUser[]): string[] {
  return containers.flatMap(c => {
    const user = c.user ?? pod.user;
    const nonRoot = c.runAsNonRoot ?? pod.runAsNonRoot;
    if (user !== 0 || nonRoot !== true) return [];
    const from = c.user === 0 ? 'its securityContext.user is 0' : 'the pod\'s securityContext.user is 0';
    return [`${c.kind} "${c.name}" would run as root (${from}) with runAsNonRoot true, which the kubelet refuses `
      + '(CreateContainerConfigError: the container never starts). Set securityContext: { ensureNonRoot: false } on it '
      + 'to run it as root, or give it a non-zero user'];
  });
}
