#!/usr/bin/env bash
# Run a synthesised cdk8s-steps Pod/Job on a workstation with podman, without a cluster:
#   scripts/try-local.sh [--timeout SECONDS] [--build-images] [--quiet] [--keep] <manifest.yaml | ->
# Prints each step's logs and a table of the step reports (step, reason, exit code, duration),
# then removes the pod and its volumes.
# podman runs with podman/containers.conf (the settings CI needs) unless CONTAINERS_CONF is set;
# CDK8S_STEPS_OWN_PODMAN_CONFIG=1 leaves podman's own configuration alone (e.g. rootless podman).
# Needs: podman (>= 4.3), node and this repository's node_modules (npm ci), util-linux flock.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${CDK8S_STEPS_OWN_PODMAN_CONFIG:-}" != 1 ]; then
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/podman/containers.conf}"
fi
if ! command -v podman >/dev/null 2>&1; then
  echo "try-local: podman is not installed (Debian/Ubuntu: apt-get install -y podman runc)" >&2
  exit 2
fi
if [ ! -d "$repo/node_modules/ts-node" ]; then
  echo "try-local: run 'npm ci' in $repo first" >&2
  exit 2
fi
# Resolve a relative manifest path against the caller's directory (node runs from the repo).
args=()
for a in "$@"; do
  if [ -f "$a" ]; then args+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")"); else args+=("$a"); fi
done
cd "$repo"
exec node "$repo/node_modules/ts-node/dist/bin.js" --transpile-only -P "$repo/test/tsconfig.json" "$repo/scripts/try-local.ts" ${args[@]+"${args[@]}"}
