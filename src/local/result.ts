/** Pure helpers of the local runner: stamps, podman's times, the result object. */
import { ContainerResult, PodResult, Stamp } from './types';

/** Parses "label ns" lines; ignores anything else. */
export function parseStamps(text: string | undefined): Stamp[] {
  const out: Stamp[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (m) out.push({ label: m[1], ns: BigInt(m[2]) });
  }
  return out;
}

export function parseTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  // podman prints RFC 3339 with nanoseconds and a zone name, e.g. 2026-11-27T01:02:03.123456789Z
  // or "2026-11-27 01:02:03.123456789 +0000 UTC"; Date.parse handles milliseconds only.
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(s);
  if (!m) return undefined;
  const frac = (m[3] ?? '0').padEnd(3, '0').slice(0, 3);
  let zone = m[4] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}.${frac}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

export function makeResult(base: Omit<PodResult, 'container' | 'report' | 'stampsOf' | 'at' | 'has'>): PodResult {
  const origin = base.stamps.reduce<bigint | undefined>((min, s) => (min === undefined || s.ns < min ? s.ns : min), undefined) ?? 0n;
  return {
    ...base,
    container(name: string) {
      const c = base.containers.find((x) => x.name === name);
      if (!c) throw new Error(`no container ${name} in pod ${base.podName} (have ${base.containers.map((x) => x.name).join(', ')})`);
      return c;
    },
    report(name: string) {
      const c = this.container(name);
      if (!c.report) throw new Error(`step ${name} has no report (termination message: ${JSON.stringify(c.terminationMessage)}; exit ${c.exitCode}; logs: ${c.logs.trim()})`);
      return c.report;
    },
    stampsOf(label: string) {
      return base.stamps.filter((s) => s.label === label).map((s) => s.ns);
    },
    has(label: string) {
      return base.stamps.some((s) => s.label === label);
    },
    at(label: string) {
      const s = base.stamps.find((x) => x.label === label);
      if (!s) throw new Error(`no stamp "${label}" (have: ${base.stamps.map((x) => x.label).join(', ') || 'none'})`);
      return Number(s.ns - origin) / 1e6;
    },
  };
}

/** One line per container: name, state, exit code, reason, last log line. For error messages. */
export function describeContainers(containers: readonly ContainerResult[]): string {
  return containers.map((c) => {
    const last = c.logs.trim().split('\n').slice(-3).join(' | ');
    return `  ${c.init ? '(init) ' : ''}${c.name}: ${c.state} exit=${c.exitCode ?? '-'} reason=${c.report?.reason ?? '-'} logs: ${last}`;
  }).join('\n');
}
