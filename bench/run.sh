#!/usr/bin/env bash
# The benchmarks of issue 5 in one command (also `npx projen bench`). Not part of the test run.
#
#   bash bench/run.sh                  full run (the 1 000-step pods take most of it); writes bench/results.json
#   BENCH_QUICK=1 bash bench/run.sh    smoke run (small samples); writes bench/out/results.quick.json
# Figure 9 (the Argo target) writes its own record, bench/argo-results.json (quick: bench/out/argo-results.quick.json).
#
# Other knobs: BENCH_N (hand-offs per waiter, default 200), BENCH_IDLE (idle window, default 10s),
# BENCH_MAKESPAN_REPS (default 3), BENCH_MAKESPAN_BIG (steps of the big pod, default 1000; 0: none), BENCH_SKIP_PODMAN=1 (figure 7 and the image size are then
# reported as not measured), BENCH_POD (pod sizes of figure 8, default 10,100,1000).
# Scratch files go to bench/out/ (git-ignored).
#
# Exit code: 0 when every figure was measured, 2 when some could not be (they are listed; the
# rest is still written). Goals are compared in the table, never enforced.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
PARTS=$OUT/parts
BIN=$OUT/bin
rm -rf "$PARTS" "$OUT/work"
mkdir -p "$PARTS" "$BIN"

QUICK=${BENCH_QUICK:-0}
N=${BENCH_N:-200}
IDLE=${BENCH_IDLE:-10s}
REPS=${BENCH_MAKESPAN_REPS:-3}
POD=${BENCH_POD:-10,100,1000}
BIG=${BENCH_MAKESPAN_BIG:-1000}
SYNTH_FLAGS=()
RESULTS=$ROOT/bench/results.json
if [ "$QUICK" = 1 ]; then
	N=${BENCH_N:-40}
	IDLE=${BENCH_IDLE:-3s}
	REPS=${BENCH_MAKESPAN_REPS:-1}
	POD=${BENCH_POD:-10,100}
	BIG=${BENCH_MAKESPAN_BIG:-20}
	SYNTH_FLAGS=(--quick)
	RESULTS=$OUT/results.quick.json
fi

export GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0
export TS_NODE_PROJECT=$ROOT/bench/tsconfig.json TS_NODE_TRANSPILE_ONLY=1
LOCK=/tmp/cdk8s-steps-podman.lock
log() { printf 'bench: %s\n' "$*" >&2; }
tsnode() { node --expose-gc -r ts-node/register "$@"; }
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
git_commit=$(git rev-parse --short HEAD 2>/dev/null)
git_dirty=$([ -n "$(git status --porcelain -- src entrypoint-image bench 2>/dev/null)" ] && echo true || echo false)
SECONDS=0

# ---- build: our binaries exactly as entrypoint-image/build.sh does (into bench/out, so a
# concurrent build.sh is never disturbed), the baseline, the floor, the hand-off child.
log "building (go $(go env GOVERSION))"
arch=$(go env GOARCH)
built=1
binsrc="built from entrypoint-image/ by bench/run.sh with build.sh's flags"
for a in amd64 arm64; do
	rm -f "$BIN/entrypoint-linux-$a"
	(cd entrypoint-image && GOOS=linux GOARCH=$a go build -trimpath -ldflags='-s -w' -o "$BIN/entrypoint-linux-$a" .) || built=0
done
if [ $built = 0 ]; then
	# e.g. entrypoint-image/ is mid-edit and does not compile: fall back to build.sh's last output
	log "cannot build entrypoint-image/; using entrypoint-image/out/ if present"
	binsrc="copied from entrypoint-image/out/ (the current source did not build)"
	for a in amd64 arm64; do
		[ -f "entrypoint-image/out/entrypoint-linux-$a" ] && cp "entrypoint-image/out/entrypoint-linux-$a" "$BIN/"
	done
fi
(cd bench && go build -trimpath -ldflags='-s -w' -o "$BIN/" ./cmd/...) || { log "cannot build bench/cmd"; exit 2; }
# the hand-off child: the repo's one stamp program (also in the e2e step image), `stamp -mono FILE`
(cd test/e2e/step-image && GOFLAGS= go build -trimpath -ldflags='-s -w' -o "$BIN/stamp" stamp.go) || { log "cannot build test/e2e/step-image/stamp.go"; exit 2; }
CHILD="test/e2e/step-image/stamp.go (Go, static; its runtime start-up is in every hand-off figure and in the spawn floor)"
cat >"$PARTS/info.json" <<EOF
{"child": "$CHILD", "loadavgStart": [${loadavg_start// /, }], "gitCommit": "$git_commit", "gitDirty": $git_dirty,
 "binaries": [{"arch": "amd64", "file": "$BIN/entrypoint-linux-amd64"}, {"arch": "arm64", "file": "$BIN/entrypoint-linux-arm64"}],
 "entrypointBuilt": $([ $built = 1 ] && echo true || echo false), "binarySource": "$binsrc"}
EOF

# ---- figures 1-3 and 8: real processes, our binary vs the poll-stat-sleep baseline, same run
if [ -x "$BIN/entrypoint-linux-$arch" ]; then
	log "figures 1-3, 8: hand-off, one waiting step, dead dependency, a pod of waiters (n=$N, idle $IDLE, pods $POD)"
	timeout 1500 "$BIN/procbench" -entrypoint "$BIN/entrypoint-linux-$arch" -pollwait "$BIN/pollwait" -gofloor "$BIN/gofloor" \
		-stamp "$BIN/stamp" -work "$OUT/work" -out "$PARTS/proc.json" -n "$N" -idle "$IDLE" -pod "$POD" ||
		log "procbench failed (figures 1-3 and 8 will be reported as not measured)"
else
	log "no entrypoint binary for $arch: figures 1-3 and 8 not measured"
fi

# ---- figures 5-6: in-process synthesis
log "figures 5-6: synth time, PEAK vs SUM"
timeout 600 node --expose-gc -r ts-node/register bench/synth.ts "$PARTS/synth.json" "${SYNTH_FLAGS[@]}" || log "synth part failed"

# ---- figure 9: the Argo target (StepWorkflow) at 200, 1 000 and 2 000 steps, in-process; its own record
ARGO_OUT=$ROOT/bench/argo-results.json
[ "$QUICK" = 1 ] && ARGO_OUT=$OUT/argo-results.quick.json
log "figure 9: StepWorkflow synthesis, size and Argo's limits -> ${ARGO_OUT#"$ROOT"/}"
timeout 900 node --expose-gc -r ts-node/register bench/argo.ts "$ARGO_OUT" "${SYNTH_FLAGS[@]}" || log "argo part failed (figure 9 not measured)"

# ---- figure 7 and the image size: podman, serialised with any other podman user of this machine
if [ "${BENCH_SKIP_PODMAN:-0}" = 1 ]; then
	echo '{"error": "skipped (BENCH_SKIP_PODMAN=1)"}' >"$PARTS/makespan.json"
elif ! command -v podman >/dev/null 2>&1; then
	echo '{"error": "podman is not installed"}' >"$PARTS/makespan.json"
else
	log "figure 7: makespan in podman, and a pod of $BIG steps (waiting for $LOCK)"
	flock -w 900 "$LOCK" timeout 2700 node -r ts-node/register bench/makespan.ts "$PARTS/makespan.json" --bin="$BIN" --reps="$REPS" --big="$BIG" ||
		log "makespan part failed"
fi

# ---- the release image per architecture (entrypoint-image/release.sh, private podman storage):
# download and unpacked size next to the binary; written to parts/release-image.json
if [ "${BENCH_SKIP_PODMAN:-0}" != 1 ] && command -v podman >/dev/null 2>&1; then
	log "release image: size per architecture"
	{ bash entrypoint-image/release.sh build --out "$OUT/release-image" >/dev/null &&
		bash entrypoint-image/release.sh sizes --out "$OUT/release-image" >&2 &&
		node entrypoint-image/oci-layout.js describe "$OUT/release-image/oci" >"$PARTS/release-image.json"; } || log "release image part failed"
fi

log "report (bench took ${SECONDS}s)"
tsnode bench/report.ts "$PARTS" "$RESULTS"
