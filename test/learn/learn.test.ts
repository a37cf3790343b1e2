// zero-trust learn: a realistic Prometheus answer against the reference shop.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildShop } from '../../apps/shop';
import { Peer, Workload, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import { analysisFromModel, learnFromTraffic, mergeFlows, parsePrometheusAnswer, PrometheusFormatError } from '../../lib/analyzer';
import { run } from '../../lib/cli/main';

const TIMEOUT = 60_000;
const FIXTURES = join(__dirname, '../fixtures');
const REQUESTS = join(FIXTURES, 'prometheus-requests.json');
const TCP = join(FIXTURES, 'prometheus-tcp.json');
const flows = () => mergeFlows([parsePrometheusAnswer(readFileSync(REQUESTS, 'utf8'), REQUESTS), parsePrometheusAnswer(readFileSync(TCP, 'utf8'), TCP)]);

function shop() {
  const app = buildShop(new App());
  return { app, mesh: app.node.findAll().find(ZeroTrustMesh.isZeroTrustMesh)! };
}

async function zt(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'zero-trust', ...argv], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

describe('parsePrometheusAnswer', () => {
  it('reads series into flows: plaintext without a client certificate, principals without spiffe://, zero series dropped', () => {
    const parsed = parsePrometheusAnswer(readFileSync(REQUESTS, 'utf8'), REQUESTS);
    // 14 series: the response codes of a flow merge, the zero series is dropped.
    expect(parsed).toHaveLength(9);
    expect(parsed).toContainEqual({
      source: 'istio-system/istio-ingressgateway', principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
      destination: 'production/frontend', port: 8080, protocol: 'HTTP', plaintext: false, count: 51234.58 + 208.01, responseCodes: { 200: 51234.58, 404: 208.01 },
    });
    expect(parsed).toContainEqual({ destination: 'production/payment-service', port: 9090, protocol: 'HTTP', plaintext: true, count: 20160, responseCodes: { 200: 20160 } });
    const tcp = parsePrometheusAnswer(readFileSync(TCP, 'utf8'), TCP);
    expect(tcp.map((f) => [f.destination, f.protocol, f.plaintext])).toEqual([['production/cart-redis', 'TCP', false], ['legacy/billing-db', 'TCP', true]]);
  });

  it('refuses what is not the answer of an instant query, naming the file and the series', () => {
    expect(() => parsePrometheusAnswer('{', 'a.json')).toThrow(PrometheusFormatError);
    expect(() => parsePrometheusAnswer('{', 'a.json')).toThrow(/^a.json: not JSON \(.*\): give the body of a \/api\/v1\/query answer$/);
    expect(() => parsePrometheusAnswer('{"status":"error","errorType":"bad_data","error":"parse error"}', 'a.json')).toThrow('a.json: the query did not succeed (status "error": bad_data: parse error)');
    expect(() => parsePrometheusAnswer('{"status":"success","data":{"resultType":"matrix","result":[]}}', 'a.json')).toThrow(/a.json: resultType is "matrix", not "vector": give the answer of an instant query/);
    expect(() => parsePrometheusAnswer('{"status":"success","data":{}}', 'a.json')).toThrow('a.json: "data.result" is missing');
    const series = (metric: object, value: unknown) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric, value: [1, value] }] } });
    expect(() => parsePrometheusAnswer(series({ destination_workload: 'a' }, '1'), 'a.json')).toThrow('a.json: data.result[0]: no destination_workload_namespace or destination_workload label');
    expect(() => parsePrometheusAnswer(series({ destination_workload: 'a', destination_workload_namespace: 'b' }, 'x'), 'a.json')).toThrow('a.json: data.result[0]: value "x" is not a count');
    expect(() => parsePrometheusAnswer(series({ destination_workload: 'a', destination_workload_namespace: 'b', destination_port: '99999' }, '1'), 'a.json')).toThrow('destination_port "99999" is not a port (1-65535)');
    expect(() => parsePrometheusAnswer(undefined as never)).toThrow(TypeError);
    expect(() => learnFromTraffic(analysisFromModel(shop().mesh.toModel()), 'x' as never)).toThrow(/flows must be an array/);
  });
});

describe('learnFromTraffic against the shop', () => {
  it('finds what enforcing would break, plaintext clients per port, and the allowFrom lines', () => {
    const { mesh } = shop();
    const report = learnFromTraffic(analysisFromModel(mesh.toModel()), flows());
    expect(report.wouldDeny.map((f) => `${f.caller} -> ${f.destination}${f.today ? ` (today ${f.today})` : ''}`)).toEqual([
      'plaintext -> legacy/billing-db (today ALLOWED)',
      'plaintext -> legacy/billing (today ALLOWED)',
      'principal:cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account -> production/frontend',
      'principal:cluster.local/ns/legacy/sa/reports -> legacy/billing (today ALLOWED)',
      'production/cart -> production/cart-redis',
      'production/frontend -> production/orders',
    ]);
    // Methods and paths are not in the metrics: edges limited to them depend on the request.
    expect(report.dependsOnRequest.map((f) => f.destination)).toEqual(['production/product-catalog', 'production/orders']);
    expect(report.plaintext).toEqual([
      expect.objectContaining({ destination: 'legacy/*', port: 5432, mode: 'PERMISSIVE', modeSource: 'legacy/default', namespaceWide: true }),
      expect.objectContaining({ destination: 'legacy/*', port: 8080, namespaceWide: true }),
      expect.objectContaining({ destination: 'production/payment-service', port: 9090, mode: 'PERMISSIVE', namespaceWide: false, clients: [{ caller: 'plaintext', count: 20160, verdict: 'ALLOWED' }] }),
    ]);
    expect(report.unobserved).toEqual([
      // The ambient payments namespace of the shop: no fixture flow goes there.
      { from: 'payments/checkout', to: 'payments/ledger' },
      { from: 'payments/ledger', to: 'payments/vault' },
      { from: 'principal:cluster.local/ns/istio-ingress/sa/istio-ingressgateway', to: 'payments/checkout' },
      { from: 'production/payment-service', to: 'payments/ledger' },
    ]);
    expect(report.suggestions).toEqual([
      '// Variables are your constructs: legacy = the ZeroTrustNamespace legacy, production = the ZeroTrustNamespace production, cart = production/cart, frontend = production/frontend, orders = production/orders.',
      "const billing = legacy.addWorkload('billing'); // observed, not declared",
      "const billingDb = legacy.addWorkload('billing-db'); // observed, not declared",
      "const cartRedis = production.addWorkload('cart-redis'); // observed, not declared",
      '// clients without a sidecar -> legacy/billing port 8080: plaintext (734 observed); give the client a sidecar, or declare plaintextPorts: [8080] (and plaintextIpBlocks) on legacy/billing',
      "billing.allowFrom(Peer.serviceAccount('legacy', 'reports'), { ports: [8080] }); // principal:cluster.local/ns/legacy/sa/reports -> legacy/billing, 1,440 observed",
      '// clients without a sidecar -> legacy/billing-db port 5432: plaintext (96 observed); give the client a sidecar, or declare plaintextPorts: [5432] (and plaintextIpBlocks) on legacy/billing-db',
      'cartRedis.allowFrom(cart, { ports: [6379] }); // production/cart -> production/cart-redis, 4,821 observed',
      "frontend.allowFrom(Peer.serviceAccount('istio-system', 'istio-ingressgateway-service-account'), { ports: [8080] }); // principal:cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account -> production/frontend, 51,443 observed",
      'orders.allowFrom(frontend, { ports: [8080] }); // production/frontend -> production/orders, 310 observed',
      '// To stage them before enforcing, audit them: enforcement: Enforcement.DRY_RUN in the options of an edge with limits, or on addWorkload (README, "Audit mode").',
    ]);
  }, TIMEOUT);

  it('the suggested lines, run against the shop, admit every observed mesh flow they name', () => {
    const { app, mesh } = shop();
    const report = learnFromTraffic(analysisFromModel(mesh.toModel()), flows());
    const workloads = Object.fromEntries(app.node.findAll().filter((c): c is Workload => c instanceof Workload).map((w) => [w.name, w]));
    const namespaces = Object.fromEntries(app.node.findAll().filter(ZeroTrustNamespace.isZeroTrustNamespace).map((n) => [n.namespaceName, n]));
    // The lines are JavaScript as well as TypeScript.
    new Function('legacy', 'production', 'cart', 'frontend', 'orders', 'Peer', report.suggestions.join('\n'))(
      namespaces.legacy, namespaces.production, workloads.cart, workloads.frontend, workloads.orders, Peer);
    const after = learnFromTraffic(analysisFromModel(mesh.toModel()), flows());
    // Only the plaintext clients remain: they need a sidecar or a declared plaintext port.
    expect(after.wouldDeny.map((f) => `${f.caller} -> ${f.destination}`)).toEqual(['plaintext -> legacy/billing', 'plaintext -> legacy/billing-db']);
    expect(after.notes).toEqual([]);
  }, TIMEOUT);

  it('lists declared edges that no flow used', () => {
    const { mesh } = shop();
    const report = learnFromTraffic(analysisFromModel(mesh.toModel()), flows().filter((f) => f.destination !== 'production/cart'));
    expect(report.unobserved).toEqual([
      // The ambient payments namespace of the shop: no fixture flow goes there.
      { from: 'payments/checkout', to: 'payments/ledger' },
      { from: 'payments/ledger', to: 'payments/vault' },
      { from: 'principal:cluster.local/ns/istio-ingress/sa/istio-ingressgateway', to: 'payments/checkout' },
      { from: 'production/frontend', to: 'production/cart' },
      { from: 'production/payment-service', to: 'payments/ledger' },
    ]);
  }, TIMEOUT);
});

describe('zero-trust learn', () => {
  it('prints the report for --app, and JSON with --format json', async () => {
    const r = await zt(['learn', '--prometheus', REQUESTS, '--prometheus', TCP, '--app', 'apps/shop.ts', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/: 11 observed flows; 6 would be denied, 2 depend on the request, 3 destination ports with plaintext clients, 4 declared edges never observed$/);
    expect(r.stdout).toContain('  production/frontend -> production/orders port 8080  HTTP  310 requests (403: 310)\n      denied: no rule of the ALLOW policies that select production/orders matches');
    expect(r.stdout).toContain('  orders.allowFrom(frontend, { ports: [8080] }); // production/frontend -> production/orders, 310 observed');
    const json = await zt(['learn', '--prometheus', REQUESTS, '--app', 'apps/shop.ts', '--format', 'json', '-q']);
    expect(JSON.parse(json.stdout).wouldDeny).toHaveLength(4);
  }, TIMEOUT);

  it('reads dist/ with an inferred inventory too', async () => {
    const r = await zt(['learn', '--prometheus', REQUESTS, '--dir', 'dist', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('production/frontend -> production/orders port 8080');
  }, TIMEOUT);

  it('fails with one line for a missing or malformed answer', async () => {
    const missing = await zt(['learn', '--prometheus', 'nope.json', '-q']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('zero-trust: error: Prometheus answer nope.json does not exist\n');
    const bad = await zt(['learn', '--prometheus', 'package.json', '-q']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('zero-trust: error: package.json: the query did not succeed (status undefined)\n');
  }, TIMEOUT);
});
