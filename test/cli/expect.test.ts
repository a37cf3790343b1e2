// `zero-trust explain --expect allowed|denied`: a CI step asserts one request the way
// `kubectl auth can-i` does, with the exit code. And a bad inventory file is one line, exit 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zeroTrust as zt } from '../support/cli';

const DENIED = ['explain', '--from', 'production/frontend', '--to', 'production/orders', '--method', 'GET', '--path', '/api/v1/orders/1', '-q'];
const ALLOWED = ['explain', '--from', 'production/payment-service', '--to', 'production/orders', '--method', 'POST', '--path', '/api/v1/orders/1', '-q'];

describe('explain --expect', () => {
  it('exits 0 when the verdict is the expected one', async () => {
    expect((await zt([...DENIED, '--expect', 'denied'])).code).toBe(0);
    expect((await zt([...ALLOWED, '--expect', 'allowed'])).code).toBe(0);
    expect((await zt([...ALLOWED, '--expect', 'ALLOWED', '--format', 'json'])).code).toBe(0);
  }, 60_000);
  it('exits 1 and says so on stderr when it differs', async () => {
    const r = await zt([...DENIED, '--expect', 'allowed']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^DENIED: production\/frontend -> production\/orders/);
    expect(r.stderr).toBe('zero-trust: expected ALLOWED, but production/frontend -> production/orders is DENIED\n');
    expect((await zt([...ALLOWED, '--expect', 'denied'])).code).toBe(1);
  }, 60_000);
  it('an UNDECIDED verdict is never the expected one', async () => {
    const r = await zt(['explain', '--from', 'production/frontend', '--to', 'production/product-catalog', '-q', '--expect', 'allowed']);
    expect(r.stdout).toMatch(/^UNDECIDED/);
    expect(r.code).toBe(1);
  }, 60_000);
  it('refuses another value with exit 2', async () => {
    const r = await zt([...DENIED, '--expect', 'maybe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'maybe' is invalid/);
  }, 60_000);
});

describe('--inventory is checked against schemas/inventory.schema.json', () => {
  it('a misspelt field is one line on stderr, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-inv-'));
    try {
      const file = join(dir, 'inventory.yaml');
      writeFileSync(file, 'workloads:\n  - { namespace: monitoring, name: prometheus, sidecar: "false" }\n');
      const r = await zt(['explain', '--inventory', file, '--from', 'monitoring/prometheus', '--to', 'production/cart', '-q']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`zero-trust: error: ${file}: workloads[0].sidecar must be true or false, got the string "false"\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
