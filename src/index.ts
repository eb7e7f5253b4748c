export * from './entrypoint';
export * from './graph/step-graph';
export * from './step';
export { ResourceStrategy } from './step-host';
export type { IStepHost, StepHostProps } from './step-host';
export * from './step-pod';
export * from './step-job';
