/**
 * The local runner: plays a synthesised pod in podman as a kubelet would run it. Used by the
 * `cdk8s-steps` command, the e2e suite and the benchmarks. Not part of the jsii API (src/index.ts
 * does not export it).
 */
export * from './types';
export * from './podman';
export * from './play';
export * from './result';
export * from './logs';
export * from './runner';
export * from './kube-pod';
export * from './expand';
export * from './images';
export * from './probe';
export * from './reader';
export * from './sidecars';
