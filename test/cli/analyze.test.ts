// The command line, run in-process through run(): the same parsing, output and exit codes as the
// installed `zero-trust` (test/package-smoke checks that one runs), without a process per case.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zeroTrust } from '../support/cli';

const ROOT = resolve(__dirname, '../..');
const zt = zeroTrust;

describe('zero-trust CLI', () => {
  it('explain prints the verdict, the deciding policy and the declaring construct', async () => {
    const r = await zt(['explain', '--from', 'production/frontend', '--to', 'production/orders', '--method', 'GET', '--path', '/api/v1/orders/1', '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'DENIED: production/frontend -> production/orders GET /api/v1/orders/1',
      '  denied: no rule of the ALLOW policies that select production/orders matches (production/allow-nothing, production/orders-allow)',
    ]);
    expect(r.stdout).toContain('ALLOW production/orders-allow [declared by production/orders/from-production.payment-service-5ac84373]');
  });

  it('explain --format json gives the Decision', async () => {
    const r = await zt(['explain', '--from', 'production/payment-service', '--to', 'production/orders', '--method', 'POST', '--path', '/api/v1/orders/1', '--format', 'json', '-q']);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'ALLOWED', decidedBy: [{ name: 'orders-allow', rule: 0 }] });
  });

  it('explain takes workloads from the construct tree with --app', async () => {
    const r = await zt(['explain', '--app', 'apps/shop.ts', '--from', 'production/cart', '--to', 'production/payment-service']);
    expect(r.stdout.split('\n')[0]).toBe('ALLOWED: production/cart -> production/payment-service');
    expect(r.stderr).toBe('note: workloads from the construct tree\n');
  });

  it('graph prints a Mermaid flowchart and a reachability table; notes go to stderr', async () => {
    const r = await zt(['graph']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(r.stdout).toMatch(/^production\/frontend +production\/product-catalog +any +GET \/api\/v1\/products, \/api\/v1\/products\/\* +mTLS/m);
    expect(r.stderr).toContain('note: workloads inferred from the policies\' selectors and principals');
  });

  it('graph --to selects destinations, and draws only what the selection shows', async () => {
    const r = await zt(['graph', '-q', '--to', 'production/orders']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('n_production_payment_service -->|"GET, POST, PUT /api/v1/orders/*"| n_production_orders');
    expect(r.stdout).not.toContain('n_production_cart');
    expect(r.stdout.split('\n').filter((l) => /^\S+ +production\/\S+ +(any|\d+) /.test(l))).toEqual([
      expect.stringMatching(/^production\/payment-service +production\/orders +any +GET, POST, PUT \/api\/v1\/orders\/\*/),
    ]);
  });

  it('graph works on the seed YAML', async () => {
    const r = await zt(['graph', '--dir', 'examples/seed', '--format', 'markdown', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('```mermaid\nflowchart LR\n')).toBe(true);
    expect(r.stdout).toContain('TLS inside TLS');
  });

  it('diff OLD NEW exits 1 with --fail-on-widen when access widens, 0 otherwise', async () => {
    // The seed is the production shop: compare it with dist/ without the ambient payments namespace.
    const shop = mkdtempSync(join(tmpdir(), 'zt-shop-'));
    for (const file of ['legacy.k8s.yaml', 'mesh.k8s.yaml', 'production.k8s.yaml']) cpSync(join(ROOT, 'dist', file), join(shop, file));
    const widen = await zt(['diff', 'examples/seed', shop, '--fail-on-widen', '-q']);
    expect(widen.code).toBe(1);
    expect(widen.stdout.split('\n')[0]).toBe(`zero-trust diff examples/seed -> ${shop}: 3 edges added, 1 edge changed, 1 external service changed; WIDENS access`);
    const same = await zt(['diff', 'dist', 'dist', '--fail-on-widen', '-q']);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('zero-trust diff dist -> dist: no change in access\n');
    const md = await zt(['diff', shop, 'examples/seed', '--format', 'markdown', '-q']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`### zero-trust diff ${shop} -> examples/seed\n\n**3 edges removed, 1 edge changed, 1 external service changed; WIDENS access**`);
    expect(md.stdout).toContain('```mermaid');
    // Removing an edge narrows access: --fail-on-widen passes.
    const dir = mkdtempSync(join(tmpdir(), 'zt-narrow-'));
    cpSync(join(ROOT, 'dist'), dir, { recursive: true });
    const file = join(dir, 'production.k8s.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('              - PUT\n', ''));
    const narrow = await zt(['diff', 'dist', dir, '--fail-on-widen', '-q']);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toContain('< narrowed production/payment-service -> production/orders\n      any port: GET, POST, PUT /api/v1/orders/* -> GET, POST /api/v1/orders/*');
  });

  it('diff --base compares a git ref with the working tree', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'zt-git-'));
    cpSync(join(ROOT, 'dist'), join(repo, 'dist'), { recursive: true });
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    const file = join(repo, 'dist', 'production.k8s.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('- GET\n              - POST\n              - PUT', '- GET\n              - POST\n              - PUT\n              - DELETE'));
    const r = await zt(['diff', '--base', 'HEAD', '--fail-on-widen', '-q'], repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('> widened  production/payment-service -> production/orders\n      any port: GET, POST, PUT /api/v1/orders/* -> DELETE, GET, POST, PUT /api/v1/orders/*');
    expect(await zt(['diff', '--base', 'no-such-ref', '-q'], repo)).toMatchObject({ code: 2, stderr: 'zero-trust: error: unknown git ref "no-such-ref"\n' });
  });

  it('readiness lists the PERMISSIVE namespaces with the Prometheus query', async () => {
    const r = await zt(['readiness', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('namespace legacy: PERMISSIVE (PeerAuthentication legacy/default)');
    expect(r.stdout).toContain('istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none", destination_workload_namespace="legacy"}');
  });

  describe('errors are one line, exit 2, never a stack trace', () => {
    const cases: [string, string[], string][] = [
      ['a missing folder', ['graph', '--dir', 'no/such/folder'], 'zero-trust: error: folder no/such/folder does not exist\n'],
      ['an unknown workload', ['explain', '--from', 'production/nope', '--to', 'production/cart', '-q'],
        'zero-trust: error: unknown workload production/nope (workloads in production: cart, frontend, orders, payment-service, product-catalog)\n'],
      ['a missing required option', ['explain', '--to', 'production/cart'], 'zero-trust: error: required option \'--from <client>\' not specified\n'],
      ['diff without folders', ['diff'], 'zero-trust: error: give two folders (zero-trust diff OLD NEW) or a git ref (zero-trust diff --base main)\n'],
      ['a bad port', ['explain', '--from', 'plaintext', '--to', 'production/cart', '--port', '70000'], 'zero-trust: error: --port 70000 is not a port (1-65535)\n'],
      ['a graph larger than --max-pairs', ['graph', '-q', '--max-pairs', '2'],
        'zero-trust: error: the graph has more than 2 caller-destination pairs (16 after 1 of 13 destinations): select a part of it with --to or --from (a namespace or a workload), or raise --max-pairs\n'],
      ['a selection that names nothing', ['graph', '-q', '--from', 'nope'], 'zero-trust: error: --from nope: no caller is in namespace nope (give a namespace, namespace/workload, namespace/*, plaintext or principal:<td>/ns/<ns>/sa/<sa> of the configuration)\n'],
      ['a --max-pairs that is not a count', ['graph', '-q', '--max-pairs', '0'], 'zero-trust: error: --max-pairs 0 is not a positive whole number\n'],
    ];
    for (const [what, args, stderr] of cases) {
      it(what, async () => {
        expect(await zt(args)).toMatchObject({ code: 2, stdout: '', stderr });
      });
    }

    it('YAML that does not parse', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'zt-bad-'));
      writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nspec: [\n');
      const r = await zt(['graph', '--dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^zero-trust: error: \/.*broken\.yaml:\d+:\d+: YAML does not parse: .+\n$/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
