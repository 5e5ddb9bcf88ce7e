import { describe, expect, it } from 'vitest';
import { parseOpenMetricsTimestamp, parseValue } from '../../../../collectors/metrics/scrape/parse/number.ts';

describe('number tokens', () => {
  it('gives the same double as Number() for decimals, including those its fast path computes', () => {
    const tokens = [
      '0.1',
      '0.37',
      '-0.0001',
      '5.',
      '.5',
      '999999999999999',
      '99999999999999.9',
      '0.000000000000001',
      '12.3456789012345',
      '+3.25',
      '0.30000000000000004',
      '1.7976931348623157e308',
      '4.9e-324',
      '1e22',
      '123456789012345678',
    ];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let k = 0; k < 20_000; k++) {
      tokens.push((random() * 1e6).toFixed(Math.floor(random() * 9)), random().toFixed(Math.floor(random() * 16)));
    }
    for (const token of tokens) expect(Object.is(parseValue(token, 0, token.length), Number(token)), token).toBe(true);
    expect(Object.is(parseValue('-0', 0, 2), -0)).toBe(true);
  });

  it('converts OpenMetrics seconds to whole milliseconds', () => {
    expect(parseOpenMetricsTimestamp('1520879607.789', 0, 14)).toBe(1520879607789);
    expect(parseOpenMetricsTimestamp('1.7e9', 0, 5)).toBe(1_700_000_000_000);
  });
});
