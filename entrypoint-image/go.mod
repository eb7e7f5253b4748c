module github.com/cdk8s-steps/cdk8s-steps/entrypoint-image

go 1.19
