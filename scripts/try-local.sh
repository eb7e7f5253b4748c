#!/usr/bin/env bash
# Alias kept for old instructions: `cdk8s-steps run` (docs/cli.md) replaced this script.
exec node "$(dirname "$0")/../node_modules/ts-node/dist/bin.js" --transpile-only -P "$(dirname "$0")/tsconfig.json" "$(dirname "$0")/../src/cli/main.ts" run "$@"
