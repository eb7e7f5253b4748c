#!/usr/bin/env bash
# Builds the step image the e2e suite, the benchmarks and the local examples run (no registry is
# reachable on CI): busybox-static with its applet symlinks plus `stamp` (stamp.go, a nanosecond
# clock), tarred and `podman import`ed with PATH=/bin (an imported image has no PATH otherwise).
#
#   bash test/e2e/step-image/build.sh [IMAGE]     default IMAGE localhost/cdk8s-steps-e2e-step:dev
#
# Idempotent: rebuilt only when its inputs changed (a hash of this recipe, the busybox binary and
# stamp.go, kept in a label of the image). Serialised by a machine-wide lock, so parallel jest
# workers (or a benchmark) never build it at the same time. Podman runs with the caller's
# environment (the tests and the benchmarks pass src/local's CONTAINERS_CONF).
#
# Needs: podman, Go (standard library only, offline), a statically linked busybox (Debian:
# busybox-static; CDK8S_STEPS_BUSYBOX names another one), tar, flock, sha256sum.
# Prints "built IMAGE" or "IMAGE is up to date" on stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
IMAGE=${1:-localhost/cdk8s-steps-e2e-step:dev}
LABEL=io.cdk8s-steps.e2e.inputs
# Change it to force a rebuild when the way the image is built changes.
RECIPE='step-image v3: busybox applets + stamp in /bin, /tmp, ENV PATH=/bin'
WORK=${CDK8S_STEPS_WORK_DIR:-${CDK8S_STEPS_E2E_WORK_DIR:-$ROOT/.e2e-work}}/step-image-$$

# A dynamically linked busybox cannot run in an empty root filesystem.
busybox=
for c in ${CDK8S_STEPS_BUSYBOX:-} /bin/busybox /usr/bin/busybox; do
	[ -f "$c" ] || continue
	c=$(readlink -f "$c")
	if ! ldd "$c" >/dev/null 2>&1; then busybox=$c; break; fi
done
if [ -z "$busybox" ]; then
	echo "test/e2e/step-image/build.sh: no statically linked busybox (looked at ${CDK8S_STEPS_BUSYBOX:-} /bin/busybox /usr/bin/busybox): apt-get install -y busybox-static" >&2
	exit 1
fi

# Same hash as the image's label when nothing changed: every part followed by a NUL byte.
inputs=$({ printf '%s\0' "$RECIPE"; cat "$busybox"; printf '\0'; cat "$HERE/stamp.go"; printf '\0'; } | sha256sum | cut -d' ' -f1)

exec 9>"/tmp/cdk8s-steps-step-image.lock"
flock -w 1800 9

label() { podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true; }
if [ "$(label)" = "$inputs" ]; then
	echo "$IMAGE is up to date" >&2
	exit 0
fi

trap 'rm -rf "$WORK"' EXIT
rm -rf "$WORK"
mkdir -p "$WORK/rootfs/bin"
# The stamp helper: static, stripped, standard library only (no module proxy needed).
export GOPROXY=off GOFLAGS= CGO_ENABLED=0
[ -n "${GOCACHE:-}${HOME:-}${XDG_CACHE_HOME:-}" ] || export GOCACHE="$WORK/gocache"
(cd "$HERE" && go build -trimpath -ldflags='-s -w' -o "$WORK/rootfs/bin/stamp" stamp.go)
cp "$busybox" "$WORK/rootfs/bin/busybox"
chmod 0755 "$WORK/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
	case "$applet" in busybox | stamp) ;; *) ln -s busybox "$WORK/rootfs/bin/$applet" ;; esac
done
# No /workspace (nor /cdk8s-steps) in the image: podman copies an image directory's owner into the
# emptyDir mounted over it, and a root-owned /workspace would not be writable by the steps.
mkdir -p "$WORK/rootfs/tmp"
chmod 1777 "$WORK/rootfs/tmp"

old=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
tar --numeric-owner --owner=0 --group=0 -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
podman import --change 'ENV PATH=/bin' --change "LABEL $LABEL=$inputs" \
	--message 'cdk8s-steps e2e step image (busybox-static + stamp)' --quiet "$WORK/rootfs.tar" "$IMAGE" >/dev/null
new=$(podman image inspect --format '{{.Id}}' "$IMAGE")
# The image this one replaced, unless something still uses or tags it (no force).
if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
echo "built $IMAGE" >&2
