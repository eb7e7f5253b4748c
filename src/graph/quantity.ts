/**
 * Exact arithmetic on Kubernetes resource quantities ("500m", "1.5", "512Mi", "1e3"), enough to add
 * requests up and write them back. Internal: not part of the public API.
 */

const NANO = 1_000_000_000n;

const BINARY: Record<string, bigint> = {
  Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n, Pi: 1024n ** 5n, Ei: 1024n ** 6n,
};
/** Decimal suffixes as powers of ten. */
const DECIMAL: Record<string, number> = { 'n': -9, 'u': -6, 'm': -3, '': 0, 'k': 3, 'M': 6, 'G': 9, 'T': 12, 'P': 15, 'E': 18 };

const QUANTITY = /^([+]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m|k|M|G|T|P|E|)$/;

/**
 * Parses a quantity into nano-units (an exact integer). Fractions below a nano-unit round up,
 * as Kubernetes rounds a request up rather than down. Throws on anything that is not a
 * non-negative Kubernetes quantity.
 */
export function parseQuantity(input: string | number): bigint {
  const text = String(input).trim();
  const match = QUANTITY.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a Kubernetes quantity (examples: "250m", "1.5", "512Mi", "2G")`);
  }
  const [, , number, suffix] = match;
  const [whole, fraction = ''] = number.split('.');
  // mantissa * 10^-fraction.length * multiplier * 10^9, kept as numerator / denominator.
  let numerator = BigInt((whole || '0') + fraction) * NANO;
  let denominator = 10n ** BigInt(fraction.length);
  if (suffix in BINARY) {
    numerator *= BINARY[suffix];
  } else {
    const exponent = /^[eE]/.test(suffix) ? Number(suffix.slice(1)) : DECIMAL[suffix];
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  return (numerator + denominator - 1n) / denominator;
}

const BYTE_LIKE = /^(memory|ephemeral-storage|storage|hugepages-.*)$/;

/** Writes nano-units back as the shortest exact quantity ("2", "1500m", "512Mi"). */
export function formatQuantity(resource: string, nanos: bigint): string {
  if (nanos === 0n) return '0';
  if (nanos % NANO === 0n) {
    const units = nanos / NANO;
    if (BYTE_LIKE.test(resource)) {
      for (const [suffix, size] of Object.entries(BINARY).reverse()) {
        if (units % size === 0n) return `${units / size}${suffix}`;
      }
    }
    return units.toString();
  }
  for (const [suffix, scale] of [['m', 1_000_000n], ['u', 1_000n], ['n', 1n]] as const) {
    if (nanos % scale === 0n) return `${nanos / scale}${suffix}`;
  }
  /* istanbul ignore next: every integer is a multiple of 1 */
  return `${nanos}n`;
}

/**
 * Converts exact nano-unit values to small safe integers for arithmetic in plain numbers: divides
 * them all by the largest power of a thousand that divides every one. Returns the scale to multiply
 * results back with.
 */
export function toSafeIntegers(values: bigint[]): { scaled: number[]; scale: bigint } {
  let scale = NANO;
  while (scale > 1n && values.some(v => v % scale !== 0n)) scale /= 1000n;
  const scaled = values.map(v => Number(v / scale));
  const total = scaled.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(total)) {
    throw new Error('resource requests are too large to add up exactly');
  }
  return { scaled, scale };
}
