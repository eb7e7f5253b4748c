import { formatQuantity, parseQuantity, toSafeIntegers } from '../src/graph/quantity';

describe('quantities', () => {
  test.each([
    ['1', 1_000_000_000n], ['250m', 250_000_000n], ['1.5', 1_500_000_000n], ['.5', 500_000_000n],
    ['512Mi', 512n * 2n ** 20n * 1_000_000_000n], ['1k', 1_000_000_000_000n], ['1e3', 1_000_000_000_000n],
    ['100n', 100n], ['0.1n', 1n], [2, 2_000_000_000n],
  ])('parses %s', (text, nanos) => {
    expect(parseQuantity(text)).toBe(nanos);
  });

  test.each(['', '-1', '1x', 'Mi', '1.2.3', 'one'])('rejects %p with an example of a good one', text => {
    expect(() => parseQuantity(text)).toThrow(/is not a Kubernetes quantity \(examples:/);
  });

  test('formats the shortest exact form', () => {
    expect(formatQuantity('cpu', parseQuantity('1500m'))).toBe('1500m');
    expect(formatQuantity('cpu', parseQuantity('2000m'))).toBe('2');
    expect(formatQuantity('memory', parseQuantity('1024Mi'))).toBe('1Gi');
    expect(formatQuantity('memory', parseQuantity('1G'))).toBe('1000000000');
    expect(formatQuantity('nvidia.com/gpu', parseQuantity('2048'))).toBe('2048');
    expect(formatQuantity('cpu', 0n)).toBe('0');
  });

  test('scales to safe integers exactly', () => {
    const { scaled, scale } = toSafeIntegers([parseQuantity('1'), parseQuantity('250m')]);
    expect(scaled).toEqual([1000, 250]);
    expect(scale).toBe(1_000_000n);
  });
});
