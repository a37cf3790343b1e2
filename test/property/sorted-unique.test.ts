// sortedUnique sorts and deduplicates a handful of values in place of a copy (insertion sort),
// and a longer list with a Set and Array.prototype.sort: both must give the definition's result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedUnique } from '../../lib/core/semantics';

const runs = Number(process.env.FC_RUNS ?? 1000);

/** The definition: a copy of a single value; else the distinct values (a Set), sorted by code point or number. */
const byDefinition = <T extends string | number>(values: readonly T[]) => (values.length < 2 ? [...values]
  : [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

describe('sortedUnique', () => {
  it('is the sorted list of distinct values, for strings and for numbers, short or long', () => {
    const strings = fc.array(fc.oneof(fc.constantFrom('GET', 'POST', '/a', '/a/*', 'a', 'B', 'é', ''), fc.string({ maxLength: 3 })), { maxLength: 12 });
    const numbers = fc.array(fc.oneof(fc.constantFrom(80, 443, 8080, 0, -0), fc.integer({ min: 0, max: 20 }), fc.double()), { maxLength: 12 });
    fc.assert(fc.property(fc.oneof(strings, numbers), (values: (string | number)[]) => {
      const before = [...values];
      const result = sortedUnique(values);
      expect(result).toEqual(byDefinition(values));
      expect(result.map((v) => Object.is(v, -0))).toEqual(byDefinition(values).map((v) => Object.is(v, -0)));
      expect(result).not.toBe(values); // a fresh list
      expect(values).toEqual(before); // the input is left as it was
    }), { numRuns: runs });
  });
});
