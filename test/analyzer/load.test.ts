import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, inferInventory, inventoryFromModel, loadIstioDir, parseInventory, parseIstioConfig } from '../../lib/analyzer';
import { shopModel } from './helpers';

describe('loading Istio YAML', () => {
  it('reads multi-document files of any API version and skips other kinds with a note', () => {
    const config = parseIstioConfig([{ path: 'a.yaml', text: `
apiVersion: v1
kind: Namespace
metadata: { name: prod }
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: { name: p, namespace: prod }
spec: {}
---
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: { name: d }
spec: { host: x }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs, namespace: prod }
spec: {}
` }]);
    expect(config.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual([
      'AuthorizationPolicy prod/p',
      'DestinationRule default/d', // no namespace: kubectl applies it to "default"
    ]);
    expect(config.notes).toEqual([
      'a.yaml: Namespace (v1) is not analyzed; skipped',
      'a.yaml: VirtualService (networking.istio.io/v1) is not analyzed; skipped',
    ]);
  });

  it('unpacks kind: List', () => {
    const config = parseIstioConfig([{ path: 'l.yaml', text: JSON.stringify({ kind: 'List', items: [{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'x', namespace: 'a' }, spec: {} }] }) }]);
    expect(config.objects.map((o) => o.name)).toEqual(['x']);
  });

  it('names the file and line of YAML that does not parse', () => {
    expect(() => parseIstioConfig([{ path: 'bad.yaml', text: 'kind: AuthorizationPolicy\nspec: [\n' }])).toThrow(/^bad\.yaml:\d+:\d+: YAML does not parse: /);
  });

  it('refuses an Istio object without a name', () => {
    expect(() => parseIstioConfig([{ path: 'n.yaml', text: 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { namespace: a }\n' }]))
      .toThrow('n.yaml: document 1: AuthorizationPolicy has no metadata.name');
  });

  it('walks a folder recursively, in sorted order, and reports a missing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-load-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.yml'), 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: b, namespace: x }\nspec: {}\n');
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: a, namespace: x }\nspec: {}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not yaml');
    expect(loadIstioDir(dir).objects.map((o) => o.name)).toEqual(['a', 'b']);
    expect(() => loadIstioDir(join(dir, 'missing'))).toThrow(ConfigError);
    expect(() => loadIstioDir(join(dir, 'missing'))).toThrow(/does not exist$/);
  });

  it('names a file that cannot be read, as the error of the configuration', () => {
    // Each file is read when it is parsed; a broken symbolic link fails there, with its name.
    const dir = mkdtempSync(join(tmpdir(), 'zt-load-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: a, namespace: x }\nspec: {}\n');
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'b.yaml'));
    expect(() => loadIstioDir(dir)).toThrow(ConfigError);
    expect(() => loadIstioDir(dir)).toThrow(new RegExp(`^${join(dir, 'b.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot be read: ENOENT: no such file or directory$`));
  });
});

describe('inventories', () => {
  it('takes workloads from the construct tree', () => {
    const inventory = inventoryFromModel(shopModel());
    expect(inventory.workloads.map((w) => `${w.namespace}/${w.name}:${w.serviceAccount}`)).toEqual([
      'payments/checkout:checkout', 'payments/ledger:ledger', 'payments/vault:vault',
      'production/cart:cart', 'production/frontend:frontend', 'production/orders:orders',
      'production/payment-service:payment-service', 'production/product-catalog:product-catalog',
    ]);
    // The ambient namespace, and the waypoint in front of the workloads with a layer-7 edge.
    expect(inventory.workloads.map((w) => `${w.name}:${w.dataplane}:${w.waypoint ?? '-'}`).slice(0, 4))
      .toEqual(['checkout:AMBIENT:waypoint', 'ledger:AMBIENT:waypoint', 'vault:AMBIENT:-', 'cart:SIDECAR:-']);
    expect(inventory.workloads[3].labels).toEqual({ app: 'cart' });
  });

  it('reads an inventory file with defaults', () => {
    const inventory = parseInventory(`
trustDomain: example.org
workloads:
  - { namespace: prod, name: web, serviceAccount: web-sa, ports: [{ number: 8080, protocol: http }] }
  - { namespace: monitoring, name: prometheus, sidecar: false }
`, 'inv.yaml');
    expect(inventory.trustDomain).toBe('example.org');
    expect(inventory.workloads).toEqual([
      { namespace: 'monitoring', name: 'prometheus', labels: { app: 'prometheus' }, serviceAccount: 'prometheus', sidecar: false, ports: [], services: ['prometheus'] },
      { namespace: 'prod', name: 'web', labels: { app: 'web' }, serviceAccount: 'web-sa', sidecar: true, ports: [{ number: 8080, protocol: 'HTTP' }], services: ['web'] },
    ]);
    expect(() => parseInventory('workloads: [{ name: x }]', 'inv.yaml')).toThrow('inv.yaml: workloads[0].namespace is required: a string');
    expect(() => parseInventory('{}', 'inv.yaml')).toThrow('an inventory needs a "workloads" list');
  });

  it('infers workloads from selectors and principals, and says what it assumed', () => {
    const inventory = inferInventory(loadIstioDir('examples/seed'));
    expect(inventory.workloads.map((w) => `${w.namespace}/${w.name}`)).toEqual([
      'production/frontend', 'production/orders', 'production/payment-service', 'production/product-catalog',
    ]);
    expect(inventory.notes).toContain('assumed production/orders runs as service account "orders"');
    expect(inventory.notes).toContain('assumed production/frontend (seen only as a principal) has pod labels app=frontend');
    expect(inventory.notes).not.toContain('assumed production/payment-service runs as service account "payment-service"');
  });
});
