#!/usr/bin/env bash
# The release image of the entrypoint, built here exactly as the release workflow builds it
# (.github/workflows/release.yml calls this script; nothing else builds or pushes the image).
#
#   release.sh build  [--out DIR] [--version V]   build linux/amd64 + linux/arm64 into an OCI layout
#   release.sh record [--out DIR]                 write release-image.json at the repository root
#                                                 (version + index digest), read by src/entrypoint.ts
#   release.sh push   [--out DIR] [DEST]          copy the layout to DEST, byte for byte, and check
#                                                 that DEST got the recorded digest
#   release.sh check  [--out DIR]                 after the jsii build: lib/'s Entrypoint.DEFAULT and the
#                                                 npm tarball in dist/js name the recorded digest
#   release.sh sizes  [--out DIR]                 per-architecture image sizes of the layout
#
# DIR defaults to entrypoint-image/out/release. DEST defaults to
# docker://ghcr.io/cdk8s-steps/entrypoint:<version>; any skopeo destination works (oci:PATH:TAG
# is how the tests push without a registry).
#
# build writes, in DIR:
#   oci/          OCI image layout; its index.json names one image index, tagged <version>
#   index-digest  sha256:... of that image index (the digest users pin)
#   build.json    version, revision, SOURCE_DATE_EPOCH, toolchain, digest of every platform
#
# Reproducible: two builds of one commit with the same Go and podman give the same digests.
#   - binaries: build.sh (-trimpath, no build ID, no VCS stamp);
#   - image: podman --timestamp $SOURCE_DATE_EPOCH (the commit time unless set), no identity label,
#     FROM scratch + COPY only, so no emulation and no network;
#   - every build uses its own empty podman storage (no layer cache from an earlier build).
#
# Needs: go, podman (>= 4.3), node (reads package.json and the layout), skopeo for push.
# podman runs with a containers.conf for root without systemd (cgroupfs, runc, file events),
# written into the build's scratch directory, unless CONTAINERS_CONF is set.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

# The release platforms. Both are always built: the workflow check (test/release-workflow.test.ts)
# fails if one is dropped.
PLATFORMS=(linux/amd64 linux/arm64)
REPOSITORY=ghcr.io/cdk8s-steps/entrypoint
LICENSES=Apache-2.0
# What the npm package reads (src/entrypoint.ts); RELEASE_RECORD moves it (the tests do).
RECORD=${RELEASE_RECORD:-$ROOT/release-image.json}

die() { printf 'release.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'release.sh: %s\n' "$*" >&2; }
layout() { node "$HERE/oci-layout.js" "$@"; }

cmd=${1:-}
[ -n "$cmd" ] || die "usage: release.sh build|record|push|sizes [--out DIR] (see the header of $0)"
shift
OUT=$HERE/out/release
VERSION=
DEST=
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--out=*) OUT=${1#--out=}; shift ;;
	--version) VERSION=$2; shift 2 ;;
	--version=*) VERSION=${1#--version=}; shift ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$DEST" ] || die "one destination only (got $DEST and $1)"; DEST=$1; shift ;;
	esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

built_version() {
	[ -f "$OUT/build.json" ] || die "no build in $OUT: run 'release.sh build --out $OUT' first"
	node -p "require(process.argv[1]).version" "$OUT/build.json"
}

build() {
	[ -n "$VERSION" ] || VERSION=$(node -p "require('$ROOT/package.json').version")
	[[ $VERSION =~ ^[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}$ ]] || die "version '$VERSION' is not a valid image tag"
	local revision epoch source
	revision=$(git -C "$ROOT" rev-parse HEAD)
	epoch=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct HEAD)}
	source=$(node -p "require('$ROOT/package.json').repository.url.replace(/^git\+/, '').replace(/\.git\$/, '')")
	if [ -n "$(git -C "$ROOT" status --porcelain -- entrypoint-image ':!entrypoint-image/out')" ]; then
		log "WARNING: entrypoint-image/ has uncommitted changes: the image is not the one of $revision"
	fi

	local work
	work=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-steps-release.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/context/out"

	local arches=() p
	for p in "${PLATFORMS[@]}"; do arches+=("${p#linux/}"); done
	ARCHES="${arches[*]}" OUT="$work/context/out" sh "$HERE/build.sh" >&2

	# A private, empty storage: no cache from earlier builds, nothing shared with other podman users.
	if [ -z "${CONTAINERS_CONF:-}" ]; then
		# What podman needs on root without systemd (as src/local/podman.ts generates for pods;
		# an image build needs no ulimits).
		printf '[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\nevents_logger = "file"\n' >"$work/containers.conf"
		export CONTAINERS_CONF=$work/containers.conf
	fi
	local pod=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
	local list=localhost/cdk8s-steps-entrypoint-release:list
	"${pod[@]}" manifest create "$list" >/dev/null
	local created
	created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
	for p in "${PLATFORMS[@]}"; do
		local arch=${p#linux/} tag=localhost/cdk8s-steps-entrypoint-release:${p#linux/}
		"${pod[@]}" build --quiet --platform "$p" --build-arg "TARGETARCH=$arch" \
			--timestamp "$epoch" --identity-label=false --format oci \
			--label "org.opencontainers.image.source=$source" \
			--label "org.opencontainers.image.revision=$revision" \
			--label "org.opencontainers.image.version=$VERSION" \
			--label "org.opencontainers.image.licenses=$LICENSES" \
			--label "org.opencontainers.image.created=$created" \
			--label "org.opencontainers.image.title=cdk8s-steps entrypoint" \
			-f "$HERE/Dockerfile" -t "$tag" "$work/context" >/dev/null
		"${pod[@]}" manifest add "$list" "containers-storage:$tag" >/dev/null
	done
	rm -rf "$OUT/oci" "$OUT/index-digest" "$OUT/build.json"
	"${pod[@]}" manifest push --quiet --all --format oci --digestfile "$OUT/index-digest" \
		"$list" "oci:$OUT/oci:$VERSION"

	local digest
	digest=$(cat "$OUT/index-digest")
	[ "$(layout index "$OUT/oci")" = "$digest" ] || die "the layout's index.json does not name $digest"
	VERSION=$VERSION REVISION=$revision EPOCH=$epoch \
		GO_VERSION="$(go env GOVERSION)" PODMAN_VERSION="$("${pod[@]}" version --format '{{.Client.Version}}')" \
		node -e '
			const layout = require(process.argv[1]);
			const d = layout.describe(process.argv[2]);
			const e = process.env;
			const info = { repository: process.argv[3], version: e.VERSION, revision: e.REVISION,
				sourceDateEpoch: Number(e.EPOCH), go: e.GO_VERSION, podman: e.PODMAN_VERSION,
				digest: d.digest, platforms: d.platforms.map((p) => ({ platform: p.platform, digest: p.digest })) };
			require("fs").writeFileSync(process.argv[4], JSON.stringify(info, null, 2) + "\n");
		' "$HERE/oci-layout.js" "$OUT/oci" "$REPOSITORY" "$OUT/build.json"
	cat "$OUT/build.json"
	log "built $REPOSITORY:$VERSION@$digest into $OUT/oci"
}

record() {
	local version digest
	version=$(built_version)
	digest=$(cat "$OUT/index-digest")
	[ "$version" != 0.0.0 ] || die "version 0.0.0 is a development build: no image is published for it, nothing to record (bump the version first, as 'npx projen release' does)"
	printf '{\n  "repository": "%s",\n  "version": "%s",\n  "digest": "%s"\n}\n' "$REPOSITORY" "$version" "$digest" >"$RECORD"
	log "recorded $REPOSITORY:$version@$digest in $RECORD"
}

push() {
	local version digest pushed
	version=$(built_version)
	digest=$(cat "$OUT/index-digest")
	[ -n "$DEST" ] || DEST=docker://$REPOSITORY:$version
	if [ -f "$RECORD" ]; then
		node -e '
			const r = require(process.argv[1]);
			if (r.version !== process.argv[2] || r.digest !== process.argv[3]) {
				console.error(`release.sh: ${process.argv[1]} records ${r.version}@${r.digest} but the build is ${process.argv[2]}@${process.argv[3]}: run release.sh record`);
				process.exit(1);
			}' "$RECORD" "$version" "$digest"
	fi
	# Never move a release tag: a tag that already exists must already hold these exact bytes.
	local existing
	if existing=$(skopeo inspect --raw "$DEST" 2>/dev/null); then
		existing=sha256:$(printf '%s' "$existing" | sha256sum | cut -d' ' -f1)
		[ "$existing" = "$digest" ] || die "$DEST already exists with digest $existing, not $digest: a published tag is never re-pushed; release a new version"
		log "$DEST already holds $digest: nothing to push"
		printf '%s\n' "$digest" >"$OUT/pushed-digest"
		return
	fi
	rm -f "$OUT/pushed-digest"
	skopeo copy --all --preserve-digests --digestfile "$OUT/pushed-digest" "oci:$OUT/oci:$version" "$DEST" >&2
	pushed=$(cat "$OUT/pushed-digest")
	[ "$pushed" = "$digest" ] || die "$DEST got digest $pushed, but the recorded build is $digest"
	log "pushed ${DEST#docker://}@$pushed"
}

check() {
	local version digest want got tarball
	version=$(built_version)
	digest=$(cat "$OUT/index-digest")
	want=$REPOSITORY:$version@$digest
	got=$(cd "$ROOT" && node -p "require('./lib').Entrypoint.DEFAULT.image")
	[ "$got" = "$want" ] || die "lib/ names $got as Entrypoint.DEFAULT, not $want: run release.sh record before the jsii build"
	for tarball in "$ROOT"/dist/js/*.tgz; do
		[ -f "$tarball" ] || die "no npm tarball in dist/js: run this after 'npx projen package'"
		got=$(tar -xzOf "$tarball" package/release-image.json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{try{const r=JSON.parse(s);console.log(`${r.repository}:${r.version}@${r.digest}`)}catch{console.log("none")}})')
		[ "$got" = "$want" ] || die "$tarball has release-image.json = $got, not $want"
	done
	log "the package pins $want"
}

case "$cmd" in
build) build ;;
record) record ;;
push) push ;;
check) check ;;
sizes) layout sizes "$OUT/oci" ;;
*) die "unknown command '$cmd' (build, record, push, check or sizes)" ;;
esac
