/**
 * A deterministic tar archive (POSIX ustar) of regular files: the same files give the same bytes
 * on every machine. Entries are sorted by name; owner 0:0, no user or group names, mtime 0; the
 * mode is the entry's own. Pure. Not part of the jsii API.
 */

/** One regular file of the archive. */
export interface TarEntry {
  /** Path inside the archive, relative, `/`-separated, at most 100 bytes (e.g. `entrypoint`). */
  readonly name: string;
  /** Permission bits, e.g. 0o555. */
  readonly mode: number;
  readonly data: Uint8Array;
}

const BLOCK = 512;

/** `value` as `width - 1` octal digits and a NUL, as ustar numeric fields are written. */
function octal(value: number, width: number): string {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit in a ${width}-byte field`);
  return `${digits.padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length === 0 || name.length > 100 || entry.name.startsWith('/') || entry.name.split('/').includes('..')) {
    throw new Error(`tar: entry name ${JSON.stringify(entry.name)} must be a relative path of 1 to 100 bytes without ".."`);
  }
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) throw new Error(`tar: mode ${entry.mode} of ${entry.name} is not a permission mode (0 to 0o7777)`);
  h.write(octal(entry.mode, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1'); // uid
  h.write(octal(0, 8), 116, 'latin1'); // gid
  h.write(octal(entry.data.length, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1'); // mtime
  h.write(' '.repeat(8), 148, 'latin1'); // checksum, counted as spaces
  h.write('0', 156, 'latin1'); // regular file
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write(octal(0, 8), 329, 'latin1'); // devmajor
  h.write(octal(0, 8), 337, 'latin1'); // devminor
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** The archive of `entries`, sorted by name, ended by two zero blocks. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].name === sorted[i - 1].name) throw new Error(`tar: ${sorted[i].name} is in the archive twice`);
  }
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    parts.push(header(entry), Buffer.from(entry.data));
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
