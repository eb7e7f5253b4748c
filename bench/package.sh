#!/usr/bin/env bash
# The npm package that carries the entrypoint, measured (not part of the test run, no goals enforced):
#   - the npm tarball: size, unpacked size, files; the share of the entrypoint binaries and of the
#     bundled pako (npm pack --dry-run of the compiled checkout, scripts skipped);
#   - `cdk8s-steps image build` (the compiled bin, the package's binaries): wall time of N runs;
#   - with BENCH_PACMAK=1, the jsii packages for the other languages as jsii-pacmak generates them
#     (--code-only: building them needs PyPI, Maven Central, NuGet or the Go proxy, none reachable
#     here); each embeds the npm tarball.
# Needs a compiled checkout (npx projen compile: lib/ and binaries/). Writes bench/out/package.json.
#
#   bash bench/package.sh                 # BENCH_IMAGE_RUNS (default 5) runs of image build
#   BENCH_PACMAK=1 bash bench/package.sh  # also the jsii packages (about 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/package
RUNS=${BENCH_IMAGE_RUNS:-5}
mkdir -p "$OUT"
log() { printf 'bench/package.sh: %s\n' "$*" >&2; }
[ -f lib/cli/main.js ] && [ -f binaries/entrypoint.json ] || { log "run 'npx projen compile' first (lib/ and binaries/ are missing)"; exit 1; }

log "npm pack --dry-run (compiled checkout, scripts skipped)"
npm pack --dry-run --json --ignore-scripts --no-audit --no-fund 2>/dev/null >"$OUT/pack.json"
gz() { tar -czf - "$@" | wc -c; }
binaries_gz=$(gz binaries/entrypoint-linux-amd64 binaries/entrypoint-linux-arm64 binaries/entrypoint.json)
pako_gz=$(cd node_modules && gz pako)

log "image build x $RUNS"
times=()
for _ in $(seq "$RUNS"); do
	start=$(date +%s%N)
	node lib/cli/main.js image build --out "$OUT/oci" >"$OUT/digest" 2>/dev/null
	times+=($(( ($(date +%s%N) - start) / 1000000 )))
done

pacmak='null'
if [ "${BENCH_PACMAK:-0}" = 1 ]; then
	log "jsii-pacmak --code-only (all targets)"
	rm -rf "$OUT/pacmak"
	CI=1 npx jsii-pacmak --code-only -o "$OUT/pacmak" >"$OUT/pacmak.log" 2>&1
	pacmak=$(for d in "$OUT"/pacmak/*/; do
		t=$(basename "$d")
		tgz=$(find "$d" -name '*.tgz' -printf '%s\n' | head -1)
		printf '{"target":"%s","bytes":%s,"embeddedTarball":%s}\n' "$t" "$(du -sb "$d" | cut -f1)" "${tgz:-null}"
	done | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.stringify(s.trim().split("\n").map((l)=>JSON.parse(l)))))')
fi

TIMES="${times[*]}" BINARIES_GZ=$binaries_gz PAKO_GZ=$pako_gz PACMAK=$pacmak node -e '
	const fs = require("fs");
	const [pack] = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	const times = process.env.TIMES.split(" ").map(Number).sort((a, b) => a - b);
	const result = {
		commit: require("child_process").execSync("git rev-parse --short HEAD").toString().trim(),
		node: process.version,
		tarball: { bytes: pack.size, unpackedBytes: pack.unpackedSize, files: pack.entryCount },
		binariesGzipBytes: Number(process.env.BINARIES_GZ),
		pakoGzipBytes: Number(process.env.PAKO_GZ),
		imageBuild: { digest: fs.readFileSync(process.argv[2], "utf8").trim(), runs: times.length, ms: { min: times[0], median: times[Math.floor(times.length / 2)], max: times[times.length - 1] } },
		jsiiPackages: JSON.parse(process.env.PACMAK),
	};
	fs.writeFileSync(process.argv[3], JSON.stringify(result, null, 2) + "\n");
	console.log(JSON.stringify(result, null, 2));
' "$OUT/pack.json" "$OUT/digest" bench/out/package.json
