/**
 * True for a native sidecar: an initContainer with `restartPolicy: Always`, whether it was added
 * with `addSidecar()` or with cdk8s-plus' own `addInitContainer()`. Internal.
 */
export function isSidecar(container: { restartPolicy?: string }): boolean {
  return container.restartPolicy === 'Always';
}
