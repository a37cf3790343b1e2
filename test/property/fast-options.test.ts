// The fast paths of the per-edge option checks (lib/options/fast.ts) never accept what the schema
// refuses, and give the schema's result when they accept: the schema stays the only authority on
// what is valid, and every error is still its message. Inputs are arbitrary values, plus objects
// built from the option keys with values that are often right and sometimes nearly right.
//   FC_RUNS=20000 npx vitest run test/property/fast-options.test.ts
import { App } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataplane, Enforcement, MtlsMode, Peer, Waypoint, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import { fastAllowEdgeProps, fastEdgeOptions, fastNamespaceProps, fastWorkloadOptions } from '../../lib/options/fast';
import * as Options from '../../lib/options/schemas';

const runs = Number(process.env.FC_RUNS ?? 2000);

const app = new App();
const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
const ns = new ZeroTrustNamespace(app, 'shop', { mesh });
const api = ns.addWorkload('api');
const peers: unknown[] = [api, ns, Peer.namespace('other'), Peer.anyAuthenticated(), { peerName: 'x', _toSource: () => ({}) }, {}];

/** A value that an option key often accepts, or a near miss. */
const fieldValue = fc.oneof(
  fc.array(fc.constantFrom('GET', 'POST', '/api/*', 'x'), { maxLength: 3 }),
  fc.array(fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constantFrom(NaN, Infinity, -0, 1.5)), { maxLength: 3 }),
  fc.constantFrom(...Object.values(Enforcement), 'DRY_RUN', undefined, null, 'GET', 8080),
  fc.array(fc.anything(), { maxLength: 2 }),
  fc.constantFrom(...peers),
  fc.anything(),
);
const keys = ['methods', 'paths', 'ports', 'enforcement', 'from', 'to', 'method', '__proto__', 'constructor'];
/** Mostly valid options: each key right, missing, or a near miss. */
const valid = {
  methods: fc.array(fc.constantFrom('GET', 'POST'), { minLength: 1, maxLength: 2 }),
  paths: fc.array(fc.constantFrom('/api/*', '/healthz'), { minLength: 1, maxLength: 2 }),
  ports: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 2 }),
  enforcement: fc.constantFrom(...Object.values(Enforcement)),
};
const nearlyValid = (withEnds: boolean) => fc.record({
  ...Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, fc.oneof({ weight: 4, arbitrary: v }, fieldValue)])),
  ...(withEnds ? { from: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(api, ns, Peer.anyAuthenticated()) }, fieldValue), to: fc.oneof({ weight: 4, arbitrary: fc.constant(api) }, fieldValue) } : {}),
}, { requiredKeys: withEnds ? ['from', 'to'] : [] });
const optionsLike = fc.oneof(
  nearlyValid(false),
  nearlyValid(true),
  fc.dictionary(fc.constantFrom(...keys), fieldValue, { maxKeys: 5 }),
  fc.anything(),
);

/** Mostly valid workload options: each key right, missing, or a near miss. */
const exception = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    port: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(NaN, Infinity, '9090')),
    methods: valid.methods, paths: valid.paths, ipBlocks: fc.constant(['10.0.0.0/16']), acceptIdentityBypass: fc.oneof(fc.boolean(), fc.constant('yes')),
  }, { requiredKeys: [] }) },
  fieldValue,
);
const workloadOptionsLike = fc.oneof(
  fc.record({
    enforcement: fc.oneof({ weight: 4, arbitrary: valid.enforcement }, fieldValue),
    mtls: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.values(MtlsMode)) }, fieldValue),
    serviceAccount: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('api', 'api-sa') }, fieldValue),
    labels: fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.constantFrom('app', 'tier', '__proto__', '0'), fc.constantFrom('api', 'backend')) }, fc.constant(Object.create(null)), fieldValue),
    plaintextPorts: fc.oneof({ weight: 4, arbitrary: valid.ports }, fieldValue),
    plaintextIpBlocks: fc.oneof({ weight: 4, arbitrary: fc.constant(['10.0.0.0/16']) }, fieldValue),
    plaintext: fc.oneof({ weight: 4, arbitrary: fc.array(exception, { maxLength: 2 }) }, fieldValue),
    ports: fc.oneof({ weight: 4, arbitrary: fc.constant([WorkloadPort.http(8080), WorkloadPort.grpc(9000)]) }, fc.constant([{ number: 8080, protocol: 'HTTP' }]), fieldValue),
  }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom('labels', 'ports', 'plaintext', 'serviceAccount', 'mtl', 'constructor'), fieldValue, { maxKeys: 3 }),
  fc.anything(),
);

/** Mostly valid ZeroTrustNamespace props: each key right, missing, or (one time in nine or so) a near miss. */
const mostly = <T>(right: fc.Arbitrary<T>, ...nearMisses: fc.Arbitrary<unknown>[]) => fc.oneof({ weight: 16, arbitrary: right as fc.Arbitrary<unknown> }, ...nearMisses);
const namespacePropsLike = fc.oneof(
  fc.record({
    mesh: mostly(fc.constant(mesh), fc.constant(ns), fieldValue),
    mtls: mostly(fc.constantFrom(...Object.values(MtlsMode)), fieldValue),
    enforcement: mostly(valid.enforcement, fieldValue),
    dataplane: mostly(fc.constantFrom(...Object.values(Dataplane)), fc.constant('ambient'), fieldValue),
    denyFromNamespaces: mostly(fc.array(fc.constantFrom('legacy', 'other'), { maxLength: 2 }), fieldValue),
    acceptPlaintextBypass: mostly(fc.boolean(), fc.constant('true'), fieldValue),
    labels: mostly(
      fc.dictionary(fc.constantFrom('team', 'env', '0'), fc.constantFrom('a', 'b')),
      fc.dictionary(fc.constantFrom('team', '__proto__'), fc.constantFrom('a', 'b')), fc.constant(Object.create(null)), fieldValue,
    ),
    waypoint: mostly(fc.constantFrom(Waypoint.named('gw'), Waypoint.NONE), fc.constant({ name: 'gw' }), fieldValue),
  }, { requiredKeys: ['mesh'] }),
  fc.dictionary(fc.constantFrom('mesh', 'labels', 'waypoint', 'mtl', 'constructor'), fieldValue, { maxKeys: 3 }),
  fc.anything(),
);

describe('fast option checks agree with the schemas', () => {
  it('ZeroTrustNamespace props: fresh labels and lists', () => {
    const labels = { team: 'a' };
    const denyFromNamespaces = ['legacy'];
    const props = fastNamespaceProps({ mesh, labels, denyFromNamespaces })!;
    labels.team = 'b';
    denyFromNamespaces.push('other');
    expect(props).toEqual({ mesh, labels: { team: 'a' }, denyFromNamespaces: ['legacy'] });
  });
  it('addWorkload options: fresh labels, lists and plaintext exceptions', () => {
    const plaintext = [{ port: 9090, methods: ['GET'] }];
    const labels = { app: 'api' };
    const options = fastWorkloadOptions({ labels, plaintext })!;
    plaintext[0].methods.push('POST');
    plaintext.push({ port: 1, methods: ['GET'] });
    labels.app = 'web';
    expect(options).toEqual({ labels: { app: 'api' }, plaintext: [{ port: 9090, methods: ['GET'] }] });
  });

  it.each([
    ['allowFrom/allowTo options', fastEdgeOptions, Options.edgeOptions, optionsLike],
    ['AllowEdge props', fastAllowEdgeProps, Options.allowEdgeProps, optionsLike],
    ['addWorkload options', fastWorkloadOptions, Options.workloadOptions, workloadOptionsLike],
    ['ZeroTrustNamespace props', fastNamespaceProps, Options.namespaceProps, namespacePropsLike],
  ] as const)('%s: accepted only when the schema accepts, with the same result', (_name, fast, schema, inputs) => {
    let accepted = 0;
    fc.assert(fc.property(inputs as fc.Arbitrary<unknown>, (value) => {
      const quick = fast(value);
      if (quick === undefined) return; // the schema decides
      accepted++;
      const parsed = schema.safeParse(value);
      expect(parsed.success).toBe(true);
      expect(quick).toStrictEqual(parsed.data);
    }), { numRuns: runs });
    // The generator reaches the fast path often enough to mean something.
    expect(accepted).toBeGreaterThan(runs / 100);
  });

  it('returns fresh lists: changing the caller\'s arrays later changes nothing', () => {
    const methods = ['GET'];
    const options = fastEdgeOptions({ methods })!;
    methods.push('POST');
    expect(options.methods).toEqual(['GET']);
  });

  it('leaves anything unusual to the schema', () => {
    for (const value of [
      null, [], 'GET', Object.create(null), Object.create({ methods: ['GET'] }),
      { methods: undefined }, { methods: 'GET' }, { methods: ['GET', 1] }, { ports: [NaN] }, { ports: ['8080'] },
      { methods: [undefined] }, { methods: new Array(1) }, { [Symbol('x')]: 1 }, { method: ['GET'] }, { enforcement: 'enforced' }, { from: api },
    ]) {
      expect(fastEdgeOptions(value)).toBeUndefined();
    }
    expect(fastAllowEdgeProps({ from: api })).toBeUndefined();
    expect(fastAllowEdgeProps({ from: {}, to: api })).toBeUndefined();
  });
});
