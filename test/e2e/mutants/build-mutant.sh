#!/bin/sh
# Builds localhost/cdk8s-steps-entrypoint:mutant-polling: the step image (busybox, for /bin/sh)
# with polling-entrypoint.sh as /entrypoint. Needs the step image (run the e2e suite once).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
if [ -z "${CONTAINERS_CONF:-}" ]; then
  # root without systemd (what src/local/podman.ts generates for pods; a build needs no ulimits)
  printf '[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\nevents_logger = "file"\n' >"$ctx/containers.conf"
  export CONTAINERS_CONF="$ctx/containers.conf"
fi
cp "$here/polling-entrypoint.sh" "$ctx/entrypoint"
chmod 755 "$ctx/entrypoint"
printf 'FROM localhost/cdk8s-steps-e2e-step:dev\nCOPY entrypoint /entrypoint\nUSER 65532\n' >"$ctx/Containerfile"
podman build -q -t localhost/cdk8s-steps-entrypoint:mutant-polling "$ctx"
