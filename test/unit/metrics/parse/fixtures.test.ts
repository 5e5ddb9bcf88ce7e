import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from './collect.ts';

const dir = join(import.meta.dirname, '../../../fixtures/metrics/parse');
const fixtures = readdirSync(dir)
  .filter((name) => !name.endsWith('.json'))
  .sort();

describe('exposition parser fixtures', () => {
  it('has a fixture corpus for both formats', () => {
    expect(fixtures.filter((f) => f.endsWith('.om')).length).toBeGreaterThanOrEqual(3);
    expect(fixtures.filter((f) => f.endsWith('.txt')).length).toBeGreaterThanOrEqual(4);
  });

  for (const name of fixtures) {
    const format = name.endsWith('.om') ? 'openmetrics' : 'text';
    const body = readFileSync(join(dir, name));
    const expected: unknown = JSON.parse(readFileSync(join(dir, name.replace(/\.\w+$/, '.json')), 'utf8'));

    it(`${name}: samples, values, timestamps and families as expected`, () => {
      const { samples, error } = collect(format, [body]);
      expect(error).toBeUndefined();
      expect(samples).toEqual(expected);
    });

    it(`${name}: the same result when split at every byte boundary, and one byte at a time`, () => {
      for (let cut = 0; cut <= body.length; cut++) {
        const { samples, error } = collect(format, [body.subarray(0, cut), body.subarray(cut)]);
        expect(error, `split at byte ${cut}`).toBeUndefined();
        expect(samples, `split at byte ${cut}`).toEqual(expected);
      }
      const bytes = Array.from(body, (_, i) => body.subarray(i, i + 1));
      expect(collect(format, bytes).samples).toEqual(expected);
    });
  }
});
