import { describe, expect, it } from 'vitest';
import { formatDistinct, formatValue } from './units.ts';

describe('PNG value formatting by Grafana unit', () => {
  it.each([
    [0.838, 'percentunit', '83.8 %'],
    [1, 'percentunit', '100 %'],
    [1536, 'bytes', '1.5 KiB'],
    [5 * 1024 ** 3, 'bytes', '5 GiB'],
    [2048, 'Bps', '2 KiB/s'],
    [0.25, 's', '250 ms'],
    [90, 's', '1.5 min'],
    [3 * 86_400, 's', '3 days'],
    [1234, 'short', '1.23 k'],
    [12.34, 'short', '12.3'],
    [0, 'short', '0'],
    [1500, 'reqps', '1.5 kreq/s'],
    [1, 'bool_yes_no', 'Yes'],
    [Number.NaN, 'short', 'NaN'],
    [Number.POSITIVE_INFINITY, 'short', '+Inf'],
    [3, 'widgets', '3 widgets'],
  ])('%d in %s is %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  it('gives axis ticks of a narrow range labels that differ', () => {
    expect(formatDistinct([0.8381, 0.8382, 0.8383], 'percentunit')).toEqual(['83.81 %', '83.82 %', '83.83 %']);
    expect(formatDistinct([0, 0.5, 1], 'percentunit')).toEqual(['0 %', '50 %', '100 %']);
  });
});
