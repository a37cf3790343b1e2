// mergeRules orders rules by their heads (source field and value) and serializes only rules with
// the same source; the result must be the one of the plain definition: rules merged by their JSON
// (or given) key, sorted by that key, origins joined. Checked on random rules that share sources,
// values that JSON escapes or that sort around '"', and keys given by the caller.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicySpecRules } from '../../imports/security.istio.io';
import { headOf, MergeableRule, mergeRules } from '../../lib/core/compile';
import { compareStrings, sortedUnique } from '../../lib/core/semantics';

const runs = Number(process.env.FC_RUNS ?? 1000);

/** The definition: one rule per distinct key, in key order. */
function byDefinition(rules: readonly MergeableRule[]) {
  const merged = new Map<string, { rule: AuthorizationPolicySpecRules; origins: string[] }>();
  for (const r of rules) {
    const key = r.key ?? JSON.stringify(r.rule);
    const entry = merged.get(key);
    if (entry) entry.origins.push(r.origin);
    else merged.set(key, { rule: r.rule, origins: [r.origin] });
  }
  const sorted = [...merged.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, v]) => v);
  return { rules: sorted.map((r) => r.rule), origins: sorted.map((r) => (r.origins.length === 1 ? r.origins[0] : sortedUnique(r.origins).join(' & '))) };
}

// Values that sort around the closing '"' and the characters JSON escapes, next to plain ones.
const value = fc.oneof(
  fc.constantFrom('cluster.local/ns/a/sa/b', 'cluster.local/ns/a/sa/b-c', 'cluster.local/ns/a/sa/bc', '*', 'a', 'ab', 'a!', 'a b', 'a"b', 'a\\b', 'é', 'shop'),
  fc.string({ maxLength: 4 }),
);
const rule = fc.record({
  field: fc.constantFrom('principals' as const, 'namespaces' as const),
  value,
  methods: fc.option(fc.subarray(['GET', 'POST', 'PUT'], { minLength: 1 }), { nil: undefined }),
  ports: fc.option(fc.subarray(['80', '8080'], { minLength: 1 }), { nil: undefined }),
}).map(({ field, value: v, methods, ports }): AuthorizationPolicySpecRules => {
  const from = [{ source: field === 'principals' ? { principals: [v] } : { namespaces: [v] } }];
  if (!methods && !ports) return { from };
  return { from, to: [{ operation: { ...(methods ? { methods } : {}), ...(ports ? { ports } : {}) } }] };
});
const entry = fc.record({ rule, origin: fc.constantFrom('o1', 'o2', 'o3'), given: fc.option(fc.constantFrom('{"from":[{"source":{"notPrincipals":["*"]}}]}', 'zz'), { nil: undefined }) })
  .map(({ rule: r, origin, given }): MergeableRule => (given !== undefined ? { rule: r, origin, key: given } : { rule: r, origin, head: headOf(r) }));

describe('mergeRules', () => {
  it('merges and orders exactly as sorting by JSON keys does', () => {
    // Up to 40 rules: both the insertion sort of short lists (16 or fewer) and Array.prototype.sort.
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 40 }), (rules) => {
      expect(mergeRules(rules)).toEqual(byDefinition(rules));
    }), { numRuns: runs });
  });
  it('leaves rules whose values JSON escapes or that sort before the closing quote to their JSON', () => {
    for (const v of ['a b', 'a!', 'a"b', 'a\\b', 'é']) {
      expect(headOf({ from: [{ source: { principals: [v] } }] })).toBeUndefined();
    }
    expect(headOf({ from: [{ source: { namespaces: ['shop'] } }] })).toEqual({ field: 'namespaces', value: 'shop' });
  });
});
