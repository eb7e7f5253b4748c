#!/usr/bin/env bash
# The release image of the entrypoint, built here exactly as the release workflow builds it
# (.github/workflows/release.yml calls this script; nothing else builds or pushes the image).
#
#   release.sh build  [--out DIR] [--version V]   build the binaries and the linux/amd64 + linux/arm64
#                                                 image index into an OCI layout
#   release.sh record [--out DIR]                 write release-image.json at the repository root
#                                                 (version + index digest), read by src/entrypoint.ts
#   release.sh push   [--out DIR] [DEST]          copy the layout to DEST, byte for byte, and check
#                                                 that DEST got the recorded digest
#   release.sh check  [--out DIR]                 after the jsii build: lib/'s Entrypoint.DEFAULT and the
#                                                 npm tarball in dist/js name the recorded digest, and
#                                                 the tarball carries the very binaries of the image
#   release.sh sizes  [--out DIR]                 per-architecture image sizes of the layout
#
# DIR defaults to entrypoint-image/out/release. DEST defaults to
# docker://ghcr.io/cdk8s-steps/entrypoint:<version>; any skopeo destination works (oci:PATH:TAG
# is how the tests push without a registry).
#
# build writes, in DIR:
#   oci/          OCI image layout; its index.json names one image index, tagged <version>
#   index-digest  sha256:... of that image index (the digest users pin)
#   build.json    version, revision, Go version, contract, digest of every platform
#
# One path for the package and the image: build compiles the binaries with build.sh (through
# package-binaries.js --force) into the package's binaries/ (CDK8S_STEPS_ENTRYPOINT_BINARIES moves
# it: the tests do), then writes the image with the compiled `cdk8s-steps image build` (lib/cli/main.js,
# so run `npx projen compile` first), the code every user's `image build` runs. So the npm package
# carries the image's binaries, and `npx cdk8s-steps image build` of that package version prints
# the digest recorded here.
#
# Reproducible: two builds of one commit with the same Go give the same digests.
#   - binaries: build.sh (-trimpath, no build ID, no VCS stamp, -s -w);
#   - image: src/image/ (sorted tar, owner 0, mtime 0; pure-JS gzip; labels from package.json,
#     nothing from git or the clock), no container engine.
#
# Needs: go, node; skopeo for push.
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
# Where the package's binaries are (src/image/packaged.ts looks there too).
BINARIES=${CDK8S_STEPS_ENTRYPOINT_BINARIES:-$ROOT/binaries}

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
	[ -f "$ROOT/lib/cli/main.js" ] || die "$ROOT/lib/cli/main.js does not exist: run 'npx projen compile' first (the image is written by the compiled 'cdk8s-steps image build')"
	local revision
	revision=$(git -C "$ROOT" rev-parse HEAD)
	if [ -n "$(git -C "$ROOT" status --porcelain -- entrypoint-image src ':!entrypoint-image/out')" ]; then
		log "WARNING: entrypoint-image/ or src/ has uncommitted changes: the image is not the one of $revision"
	fi

	# Always from the sources (--force): a release never reuses binaries built earlier.
	node "$HERE/package-binaries.js" --force --out "$BINARIES" >&2

	rm -rf "$OUT/oci" "$OUT/index-digest" "$OUT/build.json"
	CDK8S_STEPS_ENTRYPOINT_BINARIES=$BINARIES node "$ROOT/lib/cli/main.js" image build --out "$OUT/oci" --version "$VERSION" >"$OUT/index-digest"

	local digest
	digest=$(cat "$OUT/index-digest")
	[ "$(layout index "$OUT/oci")" = "$digest" ] || die "the layout's index.json does not name $digest"
	VERSION=$VERSION REVISION=$revision node -e '
			const layout = require(process.argv[1]);
			const d = layout.describe(process.argv[2]);
			const bin = require(process.argv[5]);
			const e = process.env;
			const info = { repository: process.argv[3], version: e.VERSION, revision: e.REVISION, go: bin.go, contract: bin.contract,
				digest: d.digest, platforms: d.platforms.map((p) => ({ platform: p.platform, digest: p.digest })) };
			require("fs").writeFileSync(process.argv[4], JSON.stringify(info, null, 2) + "\n");
		' "$HERE/oci-layout.js" "$OUT/oci" "$REPOSITORY" "$OUT/build.json" "$BINARIES/entrypoint.json"
	cat "$OUT/build.json"
	log "built $REPOSITORY:$VERSION@$digest into $OUT/oci (binaries in $BINARIES)"
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
		# The package carries the image's binaries, byte for byte.
		local p arch inimage packed
		for p in "${PLATFORMS[@]}"; do
			arch=${p#linux/}
			inimage=$(node -e '
				const layout = require(process.argv[1]);
				const d = layout.describe(process.argv[2]);
				const p = d.platforms.find((x) => x.platform === process.argv[3]);
				const f = p && layout.imageFile(process.argv[2], p.digest, "entrypoint");
				console.log(f ? require("crypto").createHash("sha256").update(f).digest("hex") : "none");
			' "$HERE/oci-layout.js" "$OUT/oci" "$p")
			packed=$(tar -xzOf "$tarball" "package/binaries/entrypoint-linux-$arch" 2>/dev/null | sha256sum | cut -d' ' -f1)
			[ "$packed" = "$inimage" ] || die "$tarball's binaries/entrypoint-linux-$arch (sha256 $packed) is not the $p binary of the image ($inimage)"
		done
	done
	log "the package pins $want and carries its binaries"
}

case "$cmd" in
build) build ;;
record) record ;;
push) push ;;
check) check ;;
sizes) layout sizes "$OUT/oci" ;;
*) die "unknown command '$cmd' (build, record, push, check or sizes)" ;;
esac
