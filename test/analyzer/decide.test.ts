// One test group per semantic rule of the decision model (fact sheet §3-§4), each with the case
// that must pass and the case that must not.
import { describe, expect, it } from 'vitest';
import { decide } from '../../lib/analyzer';
import { analysis, STRICT_MESH } from './helpers';

const ns = (name: string, mode: string) => `
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: ${name} }
spec: { mtls: { mode: ${mode} } }
`;

const WORKLOADS = [
  { namespace: 'prod', name: 'api' },
  { namespace: 'prod', name: 'web' },
  { namespace: 'dev', name: 'tool' },
  { namespace: 'monitoring', name: 'prometheus', sidecar: false },
];

const verdict = (yaml: string, request: Parameters<typeof decide>[1], workloads = WORKLOADS) => decide(analysis(yaml, workloads), request).verdict;

describe('PeerAuthentication precedence', () => {
  it('workload beats namespace beats mesh', () => {
    const yaml = `${STRICT_MESH}${ns('prod', 'PERMISSIVE')}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-strict, namespace: prod }
spec: { selector: { matchLabels: { app: api } }, mtls: { mode: STRICT } }
`;
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/web' })).toBe('ALLOWED'); // namespace PERMISSIVE over mesh STRICT
    const d = decide(analysis(yaml, WORKLOADS), { from: 'plaintext', to: 'prod/api' });
    expect(d.verdict).toBe('DENIED');
    expect(d.summary).toContain('connection refused');
    expect(d.decidedBy[0]).toMatchObject({ kind: 'PeerAuthentication', name: 'api-strict' });
  });

  it('UNSET inherits the parent scope, and UNSET at mesh level is PERMISSIVE', () => {
    const yaml = `${ns('prod', 'STRICT')}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-unset, namespace: prod }
spec: { selector: { matchLabels: { app: api } }, mtls: { mode: UNSET } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: UNSET } }
`;
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(yaml, { from: 'plaintext', to: 'dev/tool' })).toBe('ALLOWED');
  });

  it('without any PeerAuthentication a workload is PERMISSIVE', () => {
    expect(verdict('', { from: 'plaintext', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('port-level modes apply to their port only; an UNSET port inherits the workload mode', () => {
    const yaml = `${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-ports, namespace: prod }
spec:
  selector: { matchLabels: { app: api } }
  mtls: { mode: STRICT }
  portLevelMtls:
    9090: { mode: PERMISSIVE }
    9091: { mode: UNSET }
`;
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api', port: 9090 })).toBe('ALLOWED');
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api', port: 9091 })).toBe('DENIED');
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api', port: 8080 })).toBe('DENIED');
    const d = decide(analysis(yaml, WORKLOADS), { from: 'plaintext', to: 'prod/api' });
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.byPort).toEqual([
      expect.objectContaining({ port: 9090, verdict: 'ALLOWED' }),
      expect.objectContaining({ port: 9091, verdict: 'DENIED' }),
      expect.objectContaining({ port: 'other', verdict: 'DENIED' }),
    ]);
  });

  it('ignores a PeerAuthentication with a selector in the root namespace', () => {
    const yaml = `${ns('prod', 'PERMISSIVE')}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-strict, namespace: istio-system }
spec: { selector: { matchLabels: { app: api } }, mtls: { mode: STRICT } }
`;
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('uses the oldest policy of a scope, and is UNDECIDED when the YAML cannot tell which is oldest', () => {
    const two = (a: string, b: string) => `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: a, namespace: prod${a} }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: b, namespace: prod${b} }
spec: { mtls: { mode: PERMISSIVE } }
`;
    expect(verdict(two(', creationTimestamp: "2024-01-02T00:00:00Z"', ', creationTimestamp: "2024-01-01T00:00:00Z"'), { from: 'plaintext', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(two(', creationTimestamp: "2024-01-01T00:00:00Z"', ', creationTimestamp: "2024-01-02T00:00:00Z"'), { from: 'plaintext', to: 'prod/api' })).toBe('DENIED');
    const d = decide(analysis(two('', ''), WORKLOADS), { from: 'plaintext', to: 'prod/api' });
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.undecided[0]).toContain('prod/a, prod/b compete');
  });
});

describe('what the client sends', () => {
  const allowApiFromWeb = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-allow, namespace: prod }
spec:
  selector: { matchLabels: { app: api } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/prod/sa/web] } }] }]
`;
  it('a sidecar client uses automatic mTLS and presents its identity', () => {
    const d = decide(analysis(allowApiFromWeb, WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.connection).toMatchObject({ transport: 'mTLS', how: 'automatic mTLS', mode: 'PERMISSIVE' });
  });

  it('a client without a sidecar sends plaintext, which identity rules never match', () => {
    const d = decide(analysis(allowApiFromWeb, [{ namespace: 'prod', name: 'api' }, { namespace: 'prod', name: 'web', sidecar: false }]), { from: 'prod/web', to: 'prod/api' });
    expect(d.connection?.transport).toBe('plaintext');
    expect(d.verdict).toBe('DENIED');
  });

  it('automatic mTLS sends plaintext to a DISABLE port, so identity ALLOW rules fail there', () => {
    expect(verdict(`${allowApiFromWeb}${ns('prod', 'DISABLE')}`, { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
  });

  it('a DestinationRule with tls DISABLE replaces automatic mTLS: STRICT then refuses the client', () => {
    const dr = `${ns('prod', 'STRICT')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api-client-tls, namespace: prod }
spec: { host: api.prod.svc.cluster.local, trafficPolicy: { tls: { mode: DISABLE } } }
`;
    const d = decide(analysis(dr, WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('DENIED');
    expect(d.connection?.how).toBe('DestinationRule prod/api-client-tls sets tls DISABLE');
    expect(verdict(dr.replace('DISABLE }', 'ISTIO_MUTUAL }'), { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('mTLS forced by ISTIO_MUTUAL toward a DISABLE port fails', () => {
    const yaml = `${ns('prod', 'DISABLE')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api, namespace: prod }
spec: { host: api, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }
`;
    const d = decide(analysis(yaml, WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('DENIED');
    expect(d.summary).toContain('connection fails');
  });
});

describe('AuthorizationPolicy evaluation order and defaults', () => {
  const allowAll = (extra = '') => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-all, namespace: prod${extra} }
spec: { rules: [{}] }
`;
  const denyDev = (extra = '') => `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-dev, namespace: prod${extra} }
spec: { action: DENY, rules: [{ from: [{ source: { namespaces: [dev] } }] }] }
`;
  const allowNothing = (extra = '') => `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: prod${extra} }
spec: {}
`;

  it('with no ALLOW policy, requests are allowed', () => {
    const d = decide(analysis(denyDev(), WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.summary).toContain('no ALLOW policy selects it');
  });

  it('a matching DENY wins over a matching ALLOW', () => {
    const d = decide(analysis(allowAll() + denyDev(), WORKLOADS), { from: 'dev/tool', to: 'prod/api' });
    expect(d.verdict).toBe('DENIED');
    expect(d.decidedBy).toEqual([expect.objectContaining({ name: 'deny-dev', rule: 0, action: 'DENY' })]);
    expect(verdict(allowAll() + denyDev(), { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('allow-nothing (spec: {}) denies everything it selects', () => {
    expect(verdict(allowNothing(), { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(allowNothing(), { from: 'prod/web', to: 'dev/tool' })).toBe('ALLOWED');
  });

  it('rules: [{}] allows everything under ALLOW and denies everything under DENY', () => {
    expect(verdict(allowNothing() + '\n---\n' + allowAll(), { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
    const denyAll = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-all, namespace: prod }
spec: { action: DENY, rules: [{}] }
`;
    expect(verdict(denyAll, { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
  });

  it('rules: [] and from: [] behave as if absent', () => {
    const emptyRules = allowNothing().replace('spec: {}', 'spec: { rules: [] }');
    expect(verdict(emptyRules, { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
    const emptyFrom = allowAll().replace('rules: [{}]', 'rules: [{ from: [] }]');
    expect(verdict(allowNothing() + '\n---\n' + emptyFrom, { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('dry-run policies do not enforce, and the shadow verdict is reported', () => {
    const dry = ', annotations: { istio.io/dry-run: "true" }';
    const d = decide(analysis(allowNothing(dry), WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.summary).toContain('every ALLOW policy that selects it is dry-run');
    expect(d.dryRun).toMatchObject({ verdict: 'DENIED' });
    expect(verdict(allowAll() + denyDev(dry), { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
    // A dry-run ALLOW next to an enforced allow-nothing does not widen access.
    expect(verdict(allowNothing() + '\n---\n' + allowAll(dry), { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
  });

  it('root-namespace policies apply mesh-wide, or to matching labels in every namespace', () => {
    const meshDeny = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-dev, namespace: istio-system }
spec: { action: DENY, rules: [{ from: [{ source: { namespaces: [dev] } }] }] }
`;
    expect(verdict(meshDeny, { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
    const selected = meshDeny.replace('spec: {', 'spec: { selector: { matchLabels: { app: web } },');
    expect(verdict(selected, { from: 'dev/tool', to: 'prod/web' })).toBe('DENIED');
    expect(verdict(selected, { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('a policy in another namespace does not apply', () => {
    expect(verdict(allowNothing().replace('namespace: prod', 'namespace: dev'), { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('selectors are a label subset match', () => {
    const yaml = allowNothing().replace('spec: {}', 'spec: { selector: { matchLabels: { app: api } } }');
    const workloads = [{ namespace: 'prod', name: 'api', labels: { app: 'api', version: 'v2' } }, { namespace: 'prod', name: 'web' }];
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' }, workloads)).toBe('DENIED');
    expect(verdict(yaml, { from: 'prod/api', to: 'prod/web' }, workloads)).toBe('ALLOWED');
    const wider = yaml.replace('{ app: api }', '{ app: api, tier: backend }');
    expect(verdict(wider, { from: 'prod/web', to: 'prod/api' }, workloads)).toBe('ALLOWED');
  });

  it('an unset action means ALLOW, AUDIT only logs', () => {
    const audit = denyDev().replace('action: DENY', 'action: AUDIT');
    expect(verdict(audit, { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
  });
});

describe('identity fields and plaintext', () => {
  const permissive = ns('prod', 'PERMISSIVE');
  const rule = (action: string, source: string) => `${permissive}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec: { action: ${action}, rules: [{ from: [{ source: ${source} }] }] }
`;

  it('ALLOW principals never admits plaintext, even on a PERMISSIVE workload', () => {
    const yaml = rule('ALLOW', '{ principals: ["*"] }');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
    const d = decide(analysis(yaml, WORKLOADS), { from: 'plaintext', to: 'prod/api' });
    expect(d.verdict).toBe('DENIED');
    expect(d.trace.find((t) => t.policy.name === 'p')?.rules[0].detail).toContain('plaintext request has no source principal');
  });

  it('ALLOW with only notNamespaces admits plaintext', () => {
    expect(verdict(rule('ALLOW', '{ notNamespaces: [dev] }'), { from: 'plaintext', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(rule('ALLOW', '{ notNamespaces: [dev] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
  });

  it('DENY notPrincipals ["*"] denies plaintext only', () => {
    expect(verdict(rule('DENY', '{ notPrincipals: ["*"] }'), { from: 'plaintext', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(rule('DENY', '{ notPrincipals: ["*"] }'), { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('DENY by namespace does not catch plaintext', () => {
    expect(verdict(rule('DENY', '{ namespaces: ["*"] }'), { from: 'plaintext', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(rule('DENY', '{ namespaces: ["*"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
  });

  it('namespaces take a "*" at any position; principals take it literally in the middle', () => {
    expect(verdict(rule('DENY', '{ namespaces: ["d*v"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(rule('DENY', '{ principals: ["cluster.local/ns/*/sa/tool"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(rule('DENY', '{ principals: ["*/sa/tool"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(rule('DENY', '{ principals: ["cluster.local/ns/dev/*"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
  });

  it('a principal written with spiffe:// never matches', () => {
    expect(verdict(rule('DENY', '{ principals: ["spiffe://cluster.local/ns/dev/sa/tool"] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('cluster.local principals also match a custom trust domain', () => {
    const yaml = rule('DENY', '{ principals: ["cluster.local/ns/dev/sa/tool"] }');
    expect(decide(analysis(yaml, WORKLOADS, { trustDomain: 'example.org' }), { from: 'dev/tool', to: 'prod/api' }).verdict).toBe('DENIED');
    const other = rule('DENY', '{ principals: ["other.org/ns/dev/sa/tool"] }');
    expect(decide(analysis(other, WORKLOADS, { trustDomain: 'example.org' }), { from: 'dev/tool', to: 'prod/api' }).verdict).toBe('ALLOWED');
  });

  it('a bare serviceAccount is in the policy\'s namespace', () => {
    expect(verdict(rule('DENY', '{ serviceAccounts: [web] }'), { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(rule('DENY', '{ serviceAccounts: [tool] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(rule('DENY', '{ serviceAccounts: [dev/tool] }'), { from: 'dev/tool', to: 'prod/api' })).toBe('DENIED');
  });

  it('ipBlocks need the source IP; without it the verdict is UNDECIDED', () => {
    const yaml = rule('DENY', '{ ipBlocks: [10.0.0.0/8] }');
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api', sourceIp: '10.1.2.3' })).toBe('DENIED');
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api', sourceIp: '192.168.0.1' })).toBe('ALLOWED');
    expect(verdict(yaml, { from: 'plaintext', to: 'prod/api' })).toBe('UNDECIDED');
  });
});

describe('methods, paths, hosts and ports', () => {
  const allow = (operation: string, extra = '') => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-allow, namespace: prod }
spec:
  selector: { matchLabels: { app: api } }
  rules: [{ to: [{ operation: ${operation} }]${extra} }]
`;
  const v = (operation: string, req: Record<string, unknown>) => verdict(allow(operation), { from: 'prod/web', to: 'prod/api', ...req });

  it('methods are exact and case-sensitive', () => {
    expect(v('{ methods: [GET] }', { method: 'GET' })).toBe('ALLOWED');
    expect(v('{ methods: [GET] }', { method: 'get' })).toBe('DENIED');
    expect(v('{ methods: [GET] }', { method: 'POST' })).toBe('DENIED');
    expect(v('{ notMethods: [DELETE] }', { method: 'GET' })).toBe('ALLOWED');
    expect(v('{ notMethods: [DELETE] }', { method: 'DELETE' })).toBe('DENIED');
  });

  it('paths: exact, prefix, suffix, presence; the query string is ignored; a middle * is literal', () => {
    expect(v('{ paths: [/api/v1/products] }', { path: '/api/v1/products?page=2' })).toBe('ALLOWED');
    expect(v('{ paths: [/api/v1/products] }', { path: '/api/v1/products/1' })).toBe('DENIED');
    expect(v('{ paths: [/api/*] }', { path: '/api/v1' })).toBe('ALLOWED');
    expect(v('{ paths: [/api/*] }', { path: '/apix' })).toBe('DENIED');
    expect(v('{ paths: [/api*] }', { path: '/apix' })).toBe('ALLOWED');
    expect(v('{ paths: ["*.json"] }', { path: '/data/x.json' })).toBe('ALLOWED');
    expect(v('{ paths: ["*"] }', { path: '/anything' })).toBe('ALLOWED');
    expect(v('{ paths: [/api/*/items] }', { path: '/api/1/items' })).toBe('DENIED');
    expect(v('{ paths: [/api/*/items] }', { path: '/api/*/items' })).toBe('ALLOWED');
  });

  it('path templates: {*} is one segment, {**} zero or more, and the whole path must match', () => {
    expect(v('{ paths: ["/api/{*}/items"] }', { path: '/api/42/items' })).toBe('ALLOWED');
    expect(v('{ paths: ["/api/{*}/items"] }', { path: '/api/4/2/items' })).toBe('DENIED');
    expect(v('{ paths: ["/api/{*}/items"] }', { path: '/api//items' })).toBe('DENIED');
    expect(v('{ paths: ["/api/{*}/items"] }', { path: '/api/42/items/x' })).toBe('DENIED');
    expect(v('{ paths: ["/files/{**}"] }', { path: '/files/a/b/c.txt' })).toBe('ALLOWED');
    expect(v('{ paths: ["/files/{**}"] }', { path: '/files/' })).toBe('ALLOWED');
    expect(v('{ paths: ["/files/{**}"] }', { path: '/filesx/a' })).toBe('DENIED');
    expect(v('{ paths: ["/a/{**}/b"] }', { path: '/a/x/y/b' })).toBe('ALLOWED');
  });

  it('hosts are case-insensitive and include the port', () => {
    expect(v('{ hosts: [Example.com] }', { host: 'example.COM' })).toBe('ALLOWED');
    expect(v('{ hosts: [example.com] }', { host: 'example.com:8080' })).toBe('DENIED');
    expect(v('{ hosts: ["*.example.com"] }', { host: 'api.example.com' })).toBe('ALLOWED');
  });

  it('ports are exact workload ports', () => {
    expect(v('{ ports: ["8080"] }', { port: 8080 })).toBe('ALLOWED');
    expect(v('{ ports: ["8080"] }', { port: 8081 })).toBe('DENIED');
    expect(v('{ notPorts: ["8080"] }', { port: 8081 })).toBe('ALLOWED');
  });

  it('a missing method or path makes a rule on it UNDECIDED, never a guess', () => {
    const d = decide(analysis(allow('{ methods: [GET] }'), WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.undecided[0]).toContain('depends on the method');
  });

  it('gRPC ports imply POST', () => {
    const workloads = [{ namespace: 'prod', name: 'api', ports: [{ number: 9000, protocol: 'GRPC' }] }, { namespace: 'prod', name: 'web' }];
    expect(verdict(allow('{ methods: [POST] }'), { from: 'prod/web', to: 'prod/api', port: 9000 }, workloads)).toBe('ALLOWED');
  });
});

describe('HTTP-only fields on TCP ports', () => {
  const workloads = [{ namespace: 'prod', name: 'db', ports: [{ number: 5432, protocol: 'TCP' }, { number: 8080, protocol: 'HTTP' }] }, { namespace: 'prod', name: 'web' }];
  const policy = (action: string, to: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: db-policy, namespace: prod }
spec:
  selector: { matchLabels: { app: db } }
  action: ${action}
  rules: [{ to: ${to} }]
`;

  it('drops a whole ALLOW rule with an HTTP-only field, TCP-valid parts included', () => {
    const yaml = policy('ALLOW', '[{ operation: { ports: ["5432"] } }, { operation: { methods: [GET] } }]');
    const d = decide(analysis(yaml, workloads), { from: 'prod/web', to: 'prod/db', port: 5432 });
    expect(d.verdict).toBe('DENIED');
    expect(d.trace[0].rules[0].detail).toContain('dropped on a TCP port');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 8080, method: 'GET' }, workloads)).toBe('ALLOWED');
    expect(verdict(policy('ALLOW', '[{ operation: { ports: ["5432"] } }]'), { from: 'prod/web', to: 'prod/db', port: 5432 }, workloads)).toBe('ALLOWED');
  });

  it('a DENY rule with only HTTP fields denies every TCP connection', () => {
    const yaml = policy('DENY', '[{ operation: { methods: [POST] } }]');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 5432 }, workloads)).toBe('DENIED');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 8080, method: 'GET' }, workloads)).toBe('ALLOWED');
  });

  it('a CUSTOM rule with HTTP-only fields widens on a TCP port, like DENY: the external authorizer decides', () => {
    const yaml = `${policy('CUSTOM', '[{ operation: { methods: [POST], paths: ["/admin/*"] } }]')}  provider: { name: ext-authz }\n---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: db-allow, namespace: prod }
spec: { selector: { matchLabels: { app: db } }, action: ALLOW, rules: [{ from: [{ source: { principals: ["cluster.local/ns/prod/sa/web"] } }] }] }
`;
    const d = decide(analysis(yaml, workloads), { from: 'prod/web', to: 'prod/db', port: 5432 });
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.undecided[0]).toContain('prod/db-policy (CUSTOM, provider ext-authz) matches: an external authorizer decides');
    // On the HTTP port the rule keeps its limits: a GET is not sent to the authorizer.
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 8080, method: 'GET', path: '/admin/x' }, workloads)).toBe('ALLOWED');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 8080, method: 'POST', path: '/admin/x' }, workloads)).toBe('UNDECIDED');
  });

  it('an undeclared port is sniffed: the request\'s protocol decides', () => {
    const yaml = policy('DENY', '[{ operation: { methods: [POST] } }]');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 7000, protocol: 'TCP' }, workloads)).toBe('DENIED');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/db', port: 7000, method: 'GET' }, workloads)).toBe('ALLOWED');
  });
});

describe('UNDECIDED, never guessed', () => {
  const base = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec:
`;
  it('CUSTOM policies delegate to an external authorizer', () => {
    const yaml = `${base}  action: CUSTOM\n  provider: { name: ext-authz }\n  rules: [{}]\n`;
    const d = decide(analysis(yaml, WORKLOADS), { from: 'prod/web', to: 'prod/api' });
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.undecided[0]).toContain('CUSTOM, provider ext-authz');
  });

  it('a definite denial stays DENIED whatever is undecided', () => {
    const yaml = `${base}  action: CUSTOM\n  provider: { name: ext-authz }\n  rules: [{}]\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: none, namespace: prod }\nspec: {}\n`;
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('DENIED');
  });

  it('when conditions the analyzer does not model', () => {
    const yaml = `${base}  action: DENY\n  rules: [{ when: [{ key: "request.auth.claims[group]", values: [admin] }] }]\n`;
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('UNDECIDED');
  });

  it('request headers are UNDECIDED until the request names them', () => {
    const yaml = `${base}  action: DENY\n  rules: [{ when: [{ key: "request.headers[x-debug]", values: ["1"] }] }]\n`;
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('UNDECIDED');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api', headers: { 'X-Debug': '1' } })).toBe('DENIED');
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api', headers: {} })).toBe('ALLOWED');
  });

  it('an unknown when key makes Istio skip the rule', () => {
    const yaml = `${base}  action: DENY\n  rules: [{ when: [{ key: destination.namespace, values: [prod] }] }]\n`;
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });

  it('targetRefs: sidecars ignore them, a waypoint would not, so UNDECIDED', () => {
    const yaml = `${base}  targetRefs: [{ kind: Service, group: "", name: api }]\n  action: DENY\n  rules: [{}]\n`;
    expect(verdict(yaml, { from: 'prod/web', to: 'prod/api' })).toBe('UNDECIDED');
    const gateway = yaml.replace('kind: Service, group: ""', 'kind: Gateway, group: gateway.networking.k8s.io');
    expect(verdict(gateway, { from: 'prod/web', to: 'prod/api' })).toBe('ALLOWED');
  });
});

describe('callers and destinations', () => {
  it('names an unknown workload with the known ones', () => {
    expect(() => decide(analysis('', WORKLOADS), { from: 'prod/nope', to: 'prod/api' })).toThrow('unknown workload prod/nope (workloads in prod: api, web)');
  });

  it('decides for "ns/*", "*/*" and principal: callers', () => {
    const yaml = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec: { rules: [{ from: [{ source: { principals: [cluster.local/ns/edge/sa/gateway] } }] }] }
`;
    expect(verdict(yaml, { from: 'principal:cluster.local/ns/edge/sa/gateway', to: 'prod/api' })).toBe('ALLOWED');
    expect(verdict(yaml, { from: 'edge/*', to: 'prod/api' })).toBe('DENIED');
    expect(verdict(yaml, { from: '*/*', to: 'prod/api' })).toBe('DENIED');
  });
});
