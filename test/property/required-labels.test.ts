// The ambient required-labels annotation is written key by key (compile-ambient.ts
// requiredLabelsJson) rather than through an object keyed by namespace and Service names: it must
// be exactly JSON.stringify of that object with its keys sorted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requiredLabelsJson } from '../../lib/core/compile-ambient';
import { compareStrings } from '../../lib/core/semantics';

const runs = Number(process.env.FC_RUNS ?? 1000);

/** The definition: the object with sorted keys, each value an object with sorted keys, as JSON. */
function byDefinition(required: ReadonlyMap<string, Readonly<Record<string, string>>>): string {
  return JSON.stringify(Object.fromEntries([...required.keys()].sort(compareStrings)
    .map((k) => [k, Object.fromEntries(Object.keys(required.get(k)!).sort(compareStrings).map((l) => [l, required.get(k)![l]]))])));
}

describe('requiredLabelsJson', () => {
  it('is JSON.stringify of the sorted object, for names and labels JSON escapes', () => {
    const name = fc.oneof(fc.constantFrom('shop', 'team-0001', 'a"b', 'é', 'x\\y'), fc.string({ maxLength: 6 }));
    const key = fc.oneof(name.map((n) => `Namespace/${n}`), fc.tuple(name, name).map(([n, s]) => `Service/${n}/${s}`));
    const labels = fc.dictionary(fc.oneof(fc.constantFrom('istio.io/dataplane-mode', 'istio.io/use-waypoint', 'istio.io/ingress-use-waypoint'), fc.string({ maxLength: 4 })),
      fc.oneof(fc.constantFrom('ambient', 'true', 'waypoint'), fc.string({ maxLength: 4 })), { maxKeys: 3 });
    fc.assert(fc.property(fc.array(fc.tuple(key, labels), { maxLength: 6 }), (entries) => {
      const required = new Map(entries);
      expect(requiredLabelsJson(required)).toBe(byDefinition(required));
    }), { numRuns: runs });
  });
});
