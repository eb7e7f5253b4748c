#!/bin/sh
# Build the entrypoint: static, stripped binaries for linux/amd64 and
# linux/arm64 into out/entrypoint-linux-<arch>, and print their sizes.
#
#   ./build.sh                 build both binaries
#   ./build.sh --image [TAG]   also build the image for the host architecture
#                              with podman (or docker); default TAG
#                              localhost/cdk8s-steps-entrypoint:dev
#
# The release image (both architectures, pinned by digest) is built by
# ./release.sh, which calls this script with OUT set.
#
# Reproducible: the same source and Go version give the same bytes (-trimpath,
# no build ID, no VCS stamp). Offline: standard library only, no downloads.
#
# Environment: ARCHES (default "amd64 arm64"), OUT (output directory,
# default out, relative to this directory).
set -eu
cd "$(dirname "$0")"

ARCHES="${ARCHES:-amd64 arm64}"
OUT="${OUT:-out}"
mkdir -p "$OUT"
for arch in $ARCHES; do
	CGO_ENABLED=0 GOOS=linux GOARCH="$arch" GOPROXY=off GOFLAGS= \
		go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$OUT/entrypoint-linux-$arch" .
done
for arch in $ARCHES; do
	size=$(wc -c <"$OUT/entrypoint-linux-$arch")
	printf '%s/entrypoint-linux-%s %s bytes (%s KiB)\n' "$OUT" "$arch" "$size" "$((size / 1024))"
done

if [ "${1:-}" = "--image" ]; then
	tag="${2:-localhost/cdk8s-steps-entrypoint:dev}"
	case "$(uname -m)" in
	x86_64 | amd64) host=amd64 ;;
	aarch64 | arm64) host=arm64 ;;
	*) echo "build.sh: unsupported host architecture $(uname -m)" >&2; exit 1 ;;
	esac
	engine="${ENGINE:-}"
	if [ -z "$engine" ]; then
		if command -v podman >/dev/null 2>&1; then engine=podman; else engine=docker; fi
	fi
	"$engine" build --build-arg "TARGETARCH=$host" -t "$tag" .
	echo "built image $tag (linux/$host)"
fi
