/**
 * Input that does not follow docs/contract.md (or Kubernetes' own object format) where a tool
 * reads it back: a hand-edited annotation, a Pod JSON with a field of the wrong type. The message
 * is one line that names the object and the field, and says what to give instead.
 */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** A JSON value as a message shows it: `null`, `missing`, `a list`, `an object`, `a number 3`, `the string "x"`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const shown = JSON.stringify(v) ?? String(v);
  return `${typeof v === 'string' ? 'the string' : `a ${typeof v}`} ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}`;
}
