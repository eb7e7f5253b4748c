/**
 * Container logs in the order they were written. podman's k8s-file log driver (the CRI log format
 * the kubelet uses too) writes one line per chunk conmon read: `<RFC 3339 time> <stream> <P|F>
 * <text>`, P for a partial line continued by the next entry of the same stream. Reading that file
 * instead of `podman logs` (which prints stdout and stderr to two pipes) keeps stdout and stderr
 * interleaved. The order is the order conmon read the two pipes: writes to both within the same
 * instant may come in either order, as in `kubectl logs`.
 */
import * as fs from 'fs';
import { LogLine } from './types';

const ENTRY = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/;

/** Partial entries not yet ended, per stream (carried from one read to the next). */
export type PendingLines = Partial<Record<'stdout' | 'stderr', { time: string; text: string }>>;

/**
 * Parses k8s-file log text into lines. Partial entries are joined with the next entry of the same
 * stream; an unended partial line (the container has not written its newline yet) stays in
 * `pending` for the next read, or is returned as a line when `final` (the container has exited).
 * `rest` is the text after the last newline (an entry conmon has not finished writing).
 */
export function parseK8sFileLog(text: string, final = true, pending: PendingLines = {}): { lines: LogLine[]; rest: string; pending: PendingLines } {
  const lines: LogLine[] = [];
  const raw = text.split('\n');
  const rest = raw.pop() ?? '';
  for (const entry of raw) {
    const m = ENTRY.exec(entry);
    if (!m) continue;
    const [, time, stream, tag, body] = m as unknown as [string, string, 'stdout' | 'stderr', string, string];
    const prev = pending[stream];
    if (tag === 'P') {
      pending[stream] = { time: prev?.time ?? time, text: (prev?.text ?? '') + body };
      continue;
    }
    lines.push({ time: prev?.time ?? time, stream, text: (prev?.text ?? '') + body });
    delete pending[stream];
  }
  if (final) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = pending[stream];
      if (p) lines.push({ time: p.time, stream, text: p.text });
      delete pending[stream];
    }
  }
  return { lines: lines.sort(byTime), rest: final ? '' : rest, pending };
}

function byTime(a: LogLine, b: LogLine): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

/** Follows one log file: each `read()` returns the lines completed since the previous one. */
export class LogFollower {
  private offset = 0;
  private carry = '';
  private pending: PendingLines = {};

  constructor(private readonly file: string) {}

  read(final = false): LogLine[] {
    let chunk = '';
    try {
      const fd = fs.openSync(this.file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size > this.offset) {
          const buf = Buffer.alloc(size - this.offset);
          const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
          this.offset += n;
          chunk = buf.subarray(0, n).toString('utf8');
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // not created yet, or removed with the container
    }
    const { lines, rest, pending } = parseK8sFileLog(this.carry + chunk, final, this.pending);
    this.carry = rest;
    this.pending = pending;
    return lines;
  }
}
