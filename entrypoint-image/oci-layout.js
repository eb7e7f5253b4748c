#!/usr/bin/env node
// Reads the OCI image layout written by release.sh (Node standard library only).
//
//   node oci-layout.js index DIR      the digest of the image index that DIR/index.json names
//   node oci-layout.js describe DIR   JSON: index digest; per platform: digest, labels, sizes
//   node oci-layout.js sizes DIR      a table of the per-architecture image sizes
//
// Sizes per platform: "download" is what a node pulls (manifest + config + compressed layers),
// "unpacked" the uncompressed layers (what the image takes on the node's disk), "binary" the
// /entrypoint file inside the layer.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

function blobPath(dir, digest) {
  const [alg, hex] = digest.split(':');
  return path.join(dir, 'blobs', alg, hex);
}

/** The blob's bytes, checked against its digest. */
function readBlob(dir, digest) {
  const data = fs.readFileSync(blobPath(dir, digest));
  const actual = 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
  if (actual !== digest) throw new Error(`${dir}: blob ${digest} has digest ${actual}: the layout is corrupt`);
  return data;
}

function readJson(dir, digest) {
  return JSON.parse(readBlob(dir, digest).toString('utf8'));
}

/** The descriptor of the one image index in DIR/index.json. */
function indexDescriptor(dir) {
  const top = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const lists = (top.manifests || []).filter((m) => INDEX_TYPES.includes(m.mediaType));
  if (lists.length !== 1) {
    throw new Error(`${dir}/index.json names ${lists.length} image indexes, expected exactly one (build it with release.sh build)`);
  }
  return lists[0];
}

/** The content of the file NAME in an uncompressed tar, or undefined. */
function tarFile(tar, name) {
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const entry = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '').replace(/^\.?\//, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (entry === name) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The uncompressed layers of the image manifest DIGEST in DIR. */
function layers(dir, digest) {
  return readJson(dir, digest).layers.map((layer) => {
    const raw = readBlob(dir, layer.digest);
    return layer.mediaType.endsWith('+gzip') || layer.mediaType.endsWith('.gzip') ? zlib.gunzipSync(raw) : raw;
  });
}

/** The file NAME (e.g. "entrypoint") of the image manifest DIGEST in DIR, from its top layer down. */
function imageFile(dir, digest, name) {
  return layers(dir, digest).reverse().map((tar) => tarFile(tar, name)).find((f) => f !== undefined);
}

function describePlatform(dir, desc) {
  const manifest = readJson(dir, desc.digest);
  const config = readJson(dir, manifest.config.digest);
  const unpacked = layers(dir, desc.digest).reduce((n, tar) => n + tar.length, 0);
  const binary = imageFile(dir, desc.digest, 'entrypoint')?.length;
  const p = desc.platform || {};
  return {
    platform: [p.os, p.architecture, p.variant].filter(Boolean).join('/'),
    digest: desc.digest,
    os: config.os,
    architecture: config.architecture,
    created: config.created,
    labels: (config.config && config.config.Labels) || {},
    user: config.config && config.config.User,
    entrypoint: config.config && config.config.Entrypoint,
    layers: manifest.layers.map((l) => l.digest),
    download: desc.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
    unpacked,
    binary,
  };
}

/** The image index in DIR and every platform image in it. */
function describe(dir) {
  const desc = indexDescriptor(dir);
  const index = readJson(dir, desc.digest);
  return {
    digest: desc.digest,
    tag: desc.annotations && desc.annotations['org.opencontainers.image.ref.name'],
    platforms: index.manifests.map((m) => describePlatform(dir, m)),
  };
}

function kib(n) {
  return n === undefined ? '-' : `${(n / 1024).toFixed(1)} KiB`;
}

function sizesTable(dir) {
  const d = describe(dir);
  const rows = [['platform', 'download', 'unpacked', 'binary', 'digest']];
  for (const p of d.platforms) {
    rows.push([p.platform, `${p.download} B (${kib(p.download)})`, `${p.unpacked} B`, `${p.binary ?? '-'} B`, p.digest]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return [`image index ${d.digest} (${d.tag ?? 'untagged'})`, ...lines].join('\n');
}

module.exports = { describe, imageFile, indexDescriptor, sizesTable };

if (require.main === module) {
  const [cmd, dir] = process.argv.slice(2);
  if (!dir || !['index', 'describe', 'sizes'].includes(cmd)) {
    console.error('usage: oci-layout.js index|describe|sizes DIR');
    process.exit(2);
  }
  try {
    if (cmd === 'index') console.log(indexDescriptor(dir).digest);
    else if (cmd === 'describe') console.log(JSON.stringify(describe(dir), null, 2));
    else console.log(sizesTable(dir));
  } catch (e) {
    console.error(`oci-layout.js: ${e.message}`);
    process.exit(1);
  }
}
