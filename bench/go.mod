module cdk8s-steps/bench

go 1.19
