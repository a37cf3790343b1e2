// reachability(), semanticDiff() and strictReadiness() evaluate callers by class (callers.ts)
// instead of one by one. On random configurations written to hit every way a caller can be singled
// out (exact and wildcard principals, namespaces named "ns" or "sa", service accounts, trust domain
// aliases, `when` conditions on the peer, DestinationRules with selectors, exportTo and wildcard
// hosts, sidecar-less workloads, PeerAuthentications of every scope), they must give exactly what
// evaluating every caller against every destination gives (naive.ts).
//
// Reproduce a failure with the seed and path fast-check prints:
//   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/analyzer/scale.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Analysis, IstioConfig, Inventory, ParseCache, parseIstioConfig, reachability, ReadinessReport, semanticDiff, strictReadiness, WorkloadInfo,
} from '../../lib/analyzer';
import { findWorkload } from '../../lib/analyzer/inventory';
import { compressCallers, table } from '../../lib/analyzer/format';
import { naiveCompressCallers, naiveEdgeChanges, naiveReachability, naiveReadiness } from './naive';

const RUNS = Number(process.env.SCALE_RUNS ?? 150);
const TIMEOUT = 60_000 + RUNS * 100;
const params = (runs = RUNS) => ({
  numRuns: runs,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}),
});

const NAMESPACES = ['a', 'b', 'ns', 'sa'] as const;
const ROOT = 'istio-system';
const NAMES = ['w1', 'w2', 'w3'] as const;
// 'team/x' makes a SPIFFE ID that is not spiffe://td/ns/x/sa/y: such a caller is always evaluated alone.
const ACCOUNTS = ['w1', 'w2', 'shared', 'ns', 'sa', 'team/x'] as const;
const TRUST_DOMAINS = ['cluster.local', 'td.example'] as const;

const PRINCIPALS = [
  'cluster.local/ns/a/sa/w1', 'cluster.local/ns/b/sa/w2', 'td.example/ns/ns/sa/shared', 'other.td/ns/a/sa/w1', '*',
  'cluster.local/ns/a/*', '*/sa/w2', '*/ns/sa/sa/ns', 'cluster.local/ns/zz/sa/ghost', 'td.example/ns/sa/sa/ns', 'cluster.local/ns/a*/sa/w1', 'cluster.local/ns/b/sa/team/x',
];
const NS_VALUES = ['a', 'b', 'ns', 'sa', 'a*', '*', 'zz', '*s', 'istio-system'];
const SA_VALUES = ['w1', 'a/w2', 'ns/sa', 'shared', 'sa/ns', 'b/*', 'b/team/x'];
const TD_VALUES = ['cluster.local', 'td.example', 'other.td', '*', 'other*', '*.example'];

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
/** Absent most of the time (1 time in `odds`). */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, odds = 6) => fc.oneof({ weight: odds - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1, maxLength: Math.min(3, values.length) });

const field = <T>(name: string, values: readonly T[]) => some(values).map((v) => ({ [name]: v }));
// Mostly one field per source (so that rules match often), sometimes several (AND'ed).
const oneField = fc.oneof(
  { weight: 6, arbitrary: field('principals', PRINCIPALS) },
  { weight: 4, arbitrary: field('namespaces', NS_VALUES) },
  { weight: 1, arbitrary: field('notPrincipals', PRINCIPALS) },
  { weight: 2, arbitrary: field('notNamespaces', NS_VALUES) },
  { weight: 2, arbitrary: field('serviceAccounts', SA_VALUES) },
  { weight: 1, arbitrary: field('trustDomains', TD_VALUES) },
  { weight: 1, arbitrary: field('notTrustDomains', TD_VALUES) },
  { weight: 1, arbitrary: fc.constant({ ipBlocks: ['10.0.0.0/8'] }) },
);
const source = fc.oneof({ weight: 4, arbitrary: oneField }, { weight: 1, arbitrary: fc.tuple(oneField, oneField).map(([x, y]) => ({ ...x, ...y })) });

const operation = fc.record({
  ports: fc.option(some(['8080', '5432', '9090']), { nil: undefined }),
  methods: fc.option(some(['GET', 'POST']), { nil: undefined }),
  paths: fc.option(some(['/api/*', '/healthz']), { nil: undefined }),
  notMethods: rarely(fc.constant(['DELETE']), 8),
}, { requiredKeys: [] });

const when = fc.oneof(
  fc.record({ key: pick(['source.principal', 'source.namespace', 'source.serviceAccount', 'source.trustDomain']), values: some([...PRINCIPALS.slice(0, 4), 'a', 'ns', 'w1', 'a/w2', 'td.example']) }),
  fc.record({ key: pick(['source.namespace', 'source.principal']), notValues: some(['a', 'sa', 'cluster.local/ns/a/sa/w1', '*']) }),
  fc.record({ key: pick(['request.headers[x-team]', 'destination.port', 'source.ip', 'connection.sni']), values: some(['8080', 'blue', '10.0.0.1']) }),
);

const rule = fc.record({
  from: fc.option(fc.array(fc.record({ source }), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 6 }),
  to: fc.option(fc.array(fc.record({ operation }), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }),
  when: rarely(fc.array(when, { minLength: 1, maxLength: 2 }), 6),
}, { requiredKeys: [] });

const selector = fc.option(pick([{ app: 'w1' }, { app: 'w2' }, { tier: 'x' }, { app: 'w3', tier: 'x' }, {}]), { nil: undefined, freq: 2 });

const authorizationPolicy = fc.record({
  name: pick(['p1', 'p2', 'p3', 'allow-nothing']),
  namespace: pick([...NAMESPACES, ROOT]),
  action: pick(['ALLOW', 'ALLOW', 'ALLOW', 'DENY', 'DENY', 'AUDIT', 'CUSTOM', undefined]),
  selector,
  rules: fc.option(fc.array(rule, { maxLength: 3 }), { nil: undefined, freq: 6 }),
  dryRun: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  targetRef: rarely(pick(['Gateway', 'Service']), 15),
}).map((p) => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
  metadata: { name: p.name, namespace: p.namespace, ...(p.dryRun ? { annotations: { 'istio.io/dry-run': 'true' } } : {}) },
  spec: {
    ...(p.action ? { action: p.action } : {}),
    ...(p.action === 'CUSTOM' ? { provider: { name: 'ext' } } : {}),
    ...(p.selector ? { selector: { matchLabels: p.selector } } : {}),
    ...(p.rules ? { rules: p.rules } : {}),
    ...(p.targetRef ? { targetRefs: [{ kind: p.targetRef, name: 'x' }] } : {}),
  },
}));

const mode = pick(['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']);
// Mesh-wide or namespace-wide.
const scopePeerAuthentication = fc.record({
  namespace: pick([ROOT, ROOT, ...NAMESPACES]), name: pick(['default', 'default', 'other']), mode: pick(['STRICT', 'STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']),
}).map((p) => ({
  apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: p.name, namespace: p.namespace }, spec: { mtls: { mode: p.mode } },
}));
// Workload-level, often with a port-level exception.
const workloadPeerAuthentication = fc.record({
  namespace: pick([...NAMESPACES, ROOT]),
  selector: pick([{ app: 'w1' }, { app: 'w2' }, { tier: 'x' }]),
  mode: fc.option(mode, { nil: undefined }),
  portLevel: fc.option(fc.record({ port: pick(['9090', '8080', '5432']), mode: pick(['PERMISSIVE', 'DISABLE', 'STRICT', 'UNSET']) }), { nil: undefined, freq: 2 }),
}).map((p) => ({
  apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication',
  metadata: { name: `${p.selector.app ?? p.selector.tier}-mtls`, namespace: p.namespace },
  spec: {
    selector: { matchLabels: p.selector },
    ...(p.mode ? { mtls: { mode: p.mode } } : {}),
    ...(p.portLevel ? { portLevelMtls: { [p.portLevel.port]: { mode: p.portLevel.mode } } } : {}),
  },
}));
const peerAuthentication = fc.oneof(scopePeerAuthentication, workloadPeerAuthentication);

const destinationRule = fc.record({
  name: pick(['dr1', 'dr2', 'dr3']),
  namespace: pick([...NAMESPACES, ROOT]),
  host: pick(['w1', 'w2.b.svc.cluster.local', '*.b.svc.cluster.local', '*', '*.local', 'ext.example.com', 'svc-x.a.svc.cluster.local', 'W1.A.svc.cluster.local']),
  exportTo: fc.option(pick([['.'], ['*'], ['a'], ['~'], ['b', 'ns']]), { nil: undefined }),
  workloadSelector: rarely(pick([{ app: 'w1' }, { tier: 'x' }]), 3),
  tls: fc.option(pick(['ISTIO_MUTUAL', 'DISABLE', 'SIMPLE', 'MUTUAL']), { nil: undefined, freq: 6 }),
  portTls: fc.option(pick(['DISABLE', 'ISTIO_MUTUAL', 'SIMPLE']), { nil: undefined }),
}).map((d) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
  metadata: { name: d.name, namespace: d.namespace },
  spec: {
    host: d.host,
    ...(d.exportTo ? { exportTo: d.exportTo } : {}),
    ...(d.workloadSelector ? { workloadSelector: { matchLabels: d.workloadSelector } } : {}),
    trafficPolicy: {
      ...(d.tls ? { tls: { mode: d.tls } } : {}),
      ...(d.portTls ? { portLevelSettings: [{ port: { number: 8080 }, tls: { mode: d.portTls } }] } : {}),
    },
  },
}));

const doc = fc.oneof({ weight: 5, arbitrary: authorizationPolicy }, { weight: 3, arbitrary: peerAuthentication }, { weight: 2, arbitrary: destinationRule });
/** A configuration: often a STRICT mesh with workload-level exceptions, plus anything. */
const docs = fc.tuple(fc.boolean(), fc.array(workloadPeerAuthentication, { maxLength: 3 }), fc.array(doc, { maxLength: 14 }))
  .map(([strictMesh, exceptions, rest]) => [
    ...(strictMesh ? [{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: ROOT }, spec: { mtls: { mode: 'STRICT' } } }] : []),
    ...exceptions,
    ...rest,
  ]);

const workload = fc.record({
  namespace: pick(NAMESPACES),
  name: pick(NAMES),
  serviceAccount: pick(ACCOUNTS),
  tier: fc.boolean(),
  sidecar: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  ports: fc.boolean(),
  extraService: fc.boolean(),
});

const inventoryArb = fc.record({
  trustDomain: pick(TRUST_DOMAINS),
  workloads: fc.array(workload, { maxLength: 8 }),
}).map(({ trustDomain, workloads }): Inventory => {
  const seen = new Set<string>();
  const list: WorkloadInfo[] = [];
  for (const w of workloads) {
    if (seen.has(`${w.namespace}/${w.name}`)) continue;
    seen.add(`${w.namespace}/${w.name}`);
    list.push({
      namespace: w.namespace, name: w.name, serviceAccount: w.serviceAccount, sidecar: w.sidecar,
      labels: { app: w.name, ...(w.tier ? { tier: 'x' } : {}) },
      ports: w.ports ? [{ number: 8080, protocol: 'HTTP' }, { number: 5432, protocol: 'TCP' }] : [],
      services: w.extraService ? [w.name, 'svc-x'] : [w.name],
    });
  }
  list.sort((x, y) => (`${x.namespace}/${x.name}` < `${y.namespace}/${y.name}` ? -1 : 1));
  return { trustDomain, rootNamespace: ROOT, clusterDomain: 'cluster.local', workloads: list, notes: [] };
});

function config(documents: readonly object[], path: string, cache?: ParseCache): IstioConfig {
  // Documents with the same kind, namespace and name are renamed apart, as in a real folder.
  const names = new Map<string, number>();
  const unique = documents.map((d: any) => {
    const key = `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`;
    const n = names.get(key) ?? 0;
    names.set(key, n + 1);
    return n === 0 ? d : { ...d, metadata: { ...d.metadata, name: `${d.metadata.name}-${n}` } };
  });
  // One file per document, so that a shared parse cache shares the unchanged ones.
  return parseIstioConfig(unique.map((d, i) => ({ path: `${path}/${String(i).padStart(2, '0')}.yaml`, text: JSON.stringify(d) })), cache);
}

const json = (value: unknown) => JSON.stringify(value, null, 1);
/** The result as JSON, or the error it throws (both sides must fail alike, e.g. on a namespace value with a '/'). */
const outcome = (run: () => unknown): string => {
  try {
    return json(run());
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('class-based evaluation agrees with evaluating every caller alone', () => {
  it('reachability(): the same graph', () => {
    fc.assert(fc.property(docs, inventoryArb, (documents, inventory) => {
      const analysis: Analysis = { config: config(documents, 'dir'), inventory };
      expect(outcome(() => reachability(analysis))).toBe(outcome(() => naiveReachability(analysis)));
    }), params());
  }, TIMEOUT);

  it('semanticDiff(): the same edge changes, for small edits and for unrelated configurations', () => {
    const edit = fc.record({ keep: fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }), extra: fc.array(doc, { maxLength: 2 }) });
    fc.assert(fc.property(docs, edit, docs, inventoryArb, fc.boolean(), fc.boolean(), (documents, { keep, extra }, unrelated, inventory, related, shared) => {
      const cache: ParseCache | undefined = shared ? new Map() : undefined;
      const edited = related ? [...documents.filter((_, i) => keep[i] !== false || i % 5 !== 0), ...extra] : unrelated;
      const before: Analysis = { config: config(documents, 'old', cache), inventory };
      const after: Analysis = { config: config(edited, 'new', cache), inventory };
      const diff = outcome(() => {
        const d = semanticDiff(before, after);
        return { edges: d.edges, callers: d.callers, plaintextCallers: d.plaintextCallers };
      });
      expect(diff).toBe(outcome(() => naiveEdgeChanges(before, after)));
    }), params());
  }, TIMEOUT);

  it('semanticDiff(): the same edge changes when the two sides have different inventories', () => {
    fc.assert(fc.property(docs, docs, inventoryArb, inventoryArb, (a, b, ia, ib) => {
      const before: Analysis = { config: config(a, 'old'), inventory: ia };
      const after: Analysis = { config: config(b, 'new'), inventory: ib };
      expect(outcome(() => semanticDiff(before, after).edges)).toBe(outcome(() => naiveEdgeChanges(before, after).edges));
    }), params(Math.ceil(RUNS / 2)));
  }, TIMEOUT);

  it('strictReadiness(): the same breaking clients and plaintext exceptions', () => {
    fc.assert(fc.property(docs, inventoryArb, (documents, inventory) => {
      const analysis: Analysis = { config: config(documents, 'dir'), inventory };
      const strip = (r: ReadinessReport) => ({
        namespaces: r.namespaces.map((n) => ({ ...n, queries: [] })),
        exceptions: r.exceptions.map((e) => ({ ...e, queries: [] })),
      });
      expect(outcome(() => strip(strictReadiness(analysis)))).toBe(outcome(() => strip(naiveReadiness(analysis))));
    }), params(Math.ceil(RUNS / 2)));
  }, TIMEOUT);
});

describe('the pieces around it', () => {
  it('compressCallers groups callers as testing every caller against every group does', () => {
    const ids = ['a/x', 'a/y', 'b/*', '*/*', 'plaintext', 'm/scraper', 'c/z'];
    const item = fc.record({ from: pick(ids), to: pick(ids), key: pick(['k1', 'k2']) });
    fc.assert(fc.property(fc.array(item, { maxLength: 40 }), fc.array(pick(ids), { maxLength: 9 }), fc.subarray(['plaintext', 'm/scraper']), (raw, callers, plaintext) => {
      const items = raw.map((i) => ({ ...i, value: i.key }));
      expect(compressCallers(items, callers, plaintext)).toEqual(naiveCompressCallers(items, callers, plaintext));
    }), params(RUNS * 4));
  });

  it('a shared parse cache parses a file shared by two folders once, and changes no object', () => {
    const text = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: p, namespace: a }\nspec: { action: DENY }\n';
    const cache: ParseCache = new Map();
    const a = parseIstioConfig([{ path: 'old/a.yaml', text }], cache);
    const b = parseIstioConfig([{ path: 'new/a.yaml', text }], cache);
    expect(cache.size).toBe(1);
    expect(b.objects[0].spec).toBe(a.objects[0].spec);
    expect(b.objects).toEqual(parseIstioConfig([{ path: 'new/a.yaml', text }]).objects);
    expect(b.objects[0].source.file).toBe('new/a.yaml');
  });

  it('renders a table of more rows than a function call takes arguments', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`caller-${i}`, 'x']);
    expect(table(['FROM', 'TO'], rows, 'text').split('\n')[1]).toBe('caller-0       x');
  });

  it('finds the first of two workloads listed with the same name, as a linear search would', () => {
    const inventory: Inventory = {
      trustDomain: 'cluster.local', rootNamespace: ROOT, clusterDomain: 'cluster.local', notes: [],
      workloads: [
        { namespace: 'a', name: 'w1', serviceAccount: 'first', labels: {}, sidecar: true, ports: [], services: [] },
        { namespace: 'a', name: 'w1', serviceAccount: 'second', labels: {}, sidecar: true, ports: [], services: [] },
      ],
    };
    expect(findWorkload(inventory, 'a/w1')?.serviceAccount).toBe('first');
    expect(findWorkload(inventory, 'a/w2')).toBeUndefined();
  });
});

