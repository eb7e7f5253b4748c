// cdk8s-steps public API (filled in by the library modules)
export {};
