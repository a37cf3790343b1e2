// The compiler writes PeerAuthentication specs and AuthorizationPolicy selectors itself, rather than
// with the functions `cdk8s import` generated (they copy the whole object at every key): the
// result must be exactly theirs, keys, order and all, for any spec the types allow.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PeerAuthenticationSpec, PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode,
  toJson_AuthorizationPolicySpecSelector, toJson_PeerAuthenticationSpec,
} from '../../imports/security.istio.io';
import { peerAuthenticationSpecJson, selectorJson } from '../../lib/core/compile';

const runs = Number(process.env.FC_RUNS ?? 1000);

const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'version', '0', '10', '2', 'a/b'), fc.option(fc.string({ maxLength: 5 }), { nil: undefined }), { maxKeys: 4 });
const selector = fc.record({ matchLabels: labels }, { requiredKeys: [] });
const mode = <T>(values: T[]) => fc.record({ mode: fc.constantFrom(...values) }, { requiredKeys: [] });
const spec: fc.Arbitrary<PeerAuthenticationSpec> = fc.record({
  mtls: mode(Object.values(PeerAuthenticationSpecMtlsMode)),
  portLevelMtls: fc.dictionary(fc.constantFrom('80', '9090', '8080', '443'), fc.option(mode(Object.values(PeerAuthenticationSpecPortLevelMtlsMode)), { nil: undefined }), { maxKeys: 3 }),
  selector,
}, { requiredKeys: [] }) as fc.Arbitrary<PeerAuthenticationSpec>;

describe('spec JSON written by the compiler', () => {
  it('PeerAuthentication specs are exactly what toJson_PeerAuthenticationSpec writes', () => {
    fc.assert(fc.property(spec, (s) => {
      const [mine, generated] = [peerAuthenticationSpecJson(s), toJson_PeerAuthenticationSpec(s)];
      expect(mine).toStrictEqual(generated); // no key with an undefined value (YAML would write null)
      expect(JSON.stringify(mine)).toBe(JSON.stringify(generated)); // the same key order
    }), { numRuns: runs });
  });
  it('selectors are exactly what toJson_AuthorizationPolicySpecSelector writes', () => {
    fc.assert(fc.property(selector, (s) => {
      const [mine, generated] = [selectorJson(s), toJson_AuthorizationPolicySpecSelector(s as any)];
      expect(mine).toStrictEqual(generated);
      expect(JSON.stringify(mine)).toBe(JSON.stringify(generated));
    }), { numRuns: runs });
  });
});
