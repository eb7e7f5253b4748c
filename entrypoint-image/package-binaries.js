#!/usr/bin/env node
// Builds the entrypoint binaries that ship in the npm package (Node standard library only).
//
//   node entrypoint-image/package-binaries.js [--force] [--out DIR]
//
// Runs ./build.sh (the one build of the binaries: static, -trimpath, no build ID, -s -w) for
// linux/amd64 and linux/arm64 into DIR (default: binaries/ at the package root), and writes
// DIR/entrypoint.json, which the library reads at run time (src/image/packaged.ts):
//
//   { "contract": 2, "go": "go1.19.8", "sources": "<sha256 of the build inputs>",
//     "platforms": [{ "platform": "linux/amd64", "file": "entrypoint-linux-amd64", "size": N, "sha256": "…" }, …] }
//
// Cheap when nothing changed: when DIR/entrypoint.json records the same sources (every non-test
// .go file, go.mod, go.sum, build.sh) and Go version, and the binaries still have their recorded
// sha256, nothing is built. --force always builds (the release does).
//
// The contract version is asked of the binary itself: run with -contract=0 it refuses, naming the
// version it speaks (docs/contract.md). It runs the binary of this machine's architecture, or the
// other one under qemu-user-static; a machine that can run neither (not Linux, no qemu) cannot
// package the binaries.
//
// Needs Go (standard library only, offline). Called by the projen compile task (so `npm pack`'s
// prepack and .ci/run build them) and by release.sh build.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..');
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
/** Bump when the way the binaries are built or recorded changes. */
const RECIPE = 'package-binaries v1';
const QEMU = { amd64: 'qemu-x86_64-static', arm64: 'qemu-aarch64-static' };

function die(message) {
  console.error(`package-binaries: ${message}`);
  process.exit(1);
}

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The files that make the binaries: non-test Go sources, the module files and build.sh, sorted. */
function sourceFiles() {
  return fs.readdirSync(HERE)
    .filter((f) => (f.endsWith('.go') && !f.endsWith('_test.go')) || ['go.mod', 'go.sum', 'build.sh'].includes(f))
    .sort();
}

function sourcesHash() {
  const h = crypto.createHash('sha256');
  h.update(`${RECIPE}\0`);
  for (const f of sourceFiles()) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(HERE, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** `go env GOVERSION`, or undefined when Go is not installed. */
function goVersion() {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.error) return undefined;
  if (r.status !== 0) die(`go env GOVERSION failed: ${(r.stderr || '').trim()}`);
  return r.stdout.trim();
}

function readRecord(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'entrypoint.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The record in DIR when it matches these sources (and this Go, when Go is known) and the files are intact. */
function upToDate(dir, sources, go) {
  const record = readRecord(dir);
  if (!record || record.sources !== sources || (go !== undefined && record.go !== go)) return undefined;
  const intact = PLATFORMS.every((p) => {
    const entry = (record.platforms || []).find((e) => e.platform === p);
    try {
      return entry && sha256(fs.readFileSync(path.join(dir, entry.file))) === entry.sha256;
    } catch {
      return false;
    }
  });
  return intact ? record : undefined;
}

function hostArch() {
  return { x64: 'amd64', arm64: 'arm64' }[process.arch];
}

/** The contract version the binary speaks: it refuses -contract=0 with a message naming it. */
function contractOf(dir) {
  const tried = [];
  const arches = ['amd64', 'arm64'];
  if (hostArch() === 'arm64') arches.reverse();
  for (const arch of arches) {
    const binary = path.join(dir, `entrypoint-linux-${arch}`);
    const native = process.platform === 'linux' && arch === hostArch();
    const [cmd, args] = native ? [binary, []] : [QEMU[arch], [binary]];
    const r = spawnSync(cmd, [...args, '-contract=0'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) {
      tried.push(`${cmd}: ${r.error.code || r.error.message}`);
      continue;
    }
    const m = /speaks contract (\d+)/.exec(r.stderr);
    if (r.status === 125 && m) return Number(m[1]);
    die(`${binary} -contract=0 exited ${r.status} without naming its contract version (expected exit 125 and "speaks contract N", docs/contract.md): ${r.stderr.trim()}`);
  }
  return die(`cannot run either entrypoint binary to ask its contract version (${tried.join('; ')}): package on Linux (amd64 or arm64), or install qemu-user-static`);
}

function main() {
  const args = process.argv.slice(2);
  let out = path.join(ROOT, 'binaries');
  let force = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--force') force = true;
    else if (args[i] === '--out') out = path.resolve(args[++i] ?? die('--out needs a directory'));
    else if (args[i].startsWith('--out=')) out = path.resolve(args[i].slice('--out='.length));
    else die(`unknown argument ${args[i]} (usage: package-binaries.js [--force] [--out DIR])`);
  }
  const sources = sourcesHash();
  const go = goVersion();
  if (!force) {
    const record = upToDate(out, sources, go);
    if (record) {
      console.error(`package-binaries: ${path.relative(process.cwd(), out) || '.'} is up to date (contract ${record.contract}, ${record.go})`);
      return;
    }
  }
  if (go === undefined) {
    die('Go is needed to build the entrypoint binaries that ship in the package, and `go` is not on PATH: '
      + 'install it (Debian/Ubuntu: apt-get install golang-go; macOS: brew install go; or https://go.dev/dl/), then run this again');
  }

  // Build beside the destination, then swap: a reader never sees half a directory.
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = fs.mkdtempSync(`${out}.tmp-`);
  fs.chmodSync(tmp, 0o755);
  try {
    const arches = PLATFORMS.map((p) => p.split('/')[1]).join(' ');
    const r = spawnSync('sh', [path.join(HERE, 'build.sh')], {
      env: { ...process.env, ARCHES: arches, OUT: tmp },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) die(`entrypoint-image/build.sh failed (exit ${r.status ?? r.signal})`);
    const record = {
      contract: contractOf(tmp),
      go,
      sources,
      platforms: PLATFORMS.map((platform) => {
        const file = `entrypoint-linux-${platform.split('/')[1]}`;
        const data = fs.readFileSync(path.join(tmp, file));
        return { platform, file, size: data.length, sha256: sha256(data) };
      }),
    };
    fs.writeFileSync(path.join(tmp, 'entrypoint.json'), `${JSON.stringify(record, null, 2)}\n`);
    const old = `${out}.old-${process.pid}`;
    if (fs.existsSync(out)) fs.renameSync(out, old);
    fs.renameSync(tmp, out);
    fs.rmSync(old, { recursive: true, force: true });
    console.error(`package-binaries: built ${PLATFORMS.join(' + ')} into ${path.relative(process.cwd(), out) || '.'} (contract ${record.contract}, ${go})`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
