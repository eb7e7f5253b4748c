export * from './entrypoint';
export * from './graph';
export * from './on-error';
export * from './resource-strategy';
export * from './step';
export * from './step-workload';
export * from './step-pod';
export * from './step-job';
