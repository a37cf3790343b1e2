// The inventory file is checked against the schema published in schemas/inventory.schema.json,
// and the published file is exactly what the code generates. Regenerate it with
//   UPDATE_SCHEMAS=1 npx vitest run test/analyzer/inventory-schema.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../lib/analyzer';
import { INVENTORY_SCHEMA_PATH, inventoryJsonSchema } from '../../lib/analyzer/inventory-schema';

const published = join(__dirname, '..', '..', INVENTORY_SCHEMA_PATH);
const generated = `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
if (process.env.UPDATE_SCHEMAS) writeFileSync(published, generated);

describe('inventory schema', () => {
  it('the published JSON Schema is the one the code generates', () => {
    expect(readFileSync(published, 'utf8')).toBe(generated);
  });

  it('refuses a misspelt key with the nearest field name: it used to be ignored', () => {
    expect(() => parseInventory('workloads:\n  - { namespace: shop, name: api, serviceAccont: api-sa }\n', 'inventory.yaml'))
      .toThrow(/^inventory\.yaml: unknown field "serviceAccont" in workloads\[0\]; did you mean "serviceAccount"\?$/);
    expect(() => parseInventory('trustdomain: x\nworkloads: []\n', 'inventory.yaml')).toThrow(/^inventory\.yaml: unknown field "trustdomain"; did you mean "trustDomain"\?$/);
  });
  it('refuses sidecar: "false": a string was read as true and changed the verdict', () => {
    expect(() => parseInventory('workloads:\n  - { namespace: monitoring, name: prometheus, sidecar: "false" }\n', 'inventory.yaml'))
      .toThrow(/^inventory\.yaml: workloads\[0\]\.sidecar must be true or false, got the string "false"$/);
  });
  it('refuses wrong ports, labels and data planes', () => {
    expect(() => parseInventory('workloads:\n  - { namespace: a, name: b, ports: ["8080"] }\n')).toThrow(/workloads\[0\]\.ports\[0\] must be a port number or \{ number, protocol \}, got the string "8080"/);
    expect(() => parseInventory('workloads:\n  - { namespace: a, name: b, ports: [{ number: 70000 }] }\n')).toThrow(/workloads\[0\]\.ports\[0\]/);
    expect(() => parseInventory('workloads:\n  - { namespace: a, name: b, labels: { app: 5 } }\n')).toThrow(/workloads\[0\]\.labels\.app must be a string, got 5/);
    expect(() => parseInventory('workloads:\n  - { namespace: a }\n')).toThrow(/workloads\[0\]\.name is required: a string/);
    expect(() => parseInventory('workloads:\n  - { namespace: a, name: b, dataplane: node }\n')).toThrow(/workloads\[0\]\.dataplane must be one of "sidecar", "ambient", "SIDECAR", "AMBIENT", got the string "node"/);
  });
  it('accepts the README\'s example and a $schema key, and the published schema accepts them too', () => {
    const text = [
      '$schema: ../schemas/inventory.schema.json',
      'trustDomain: cluster.local',
      'workloads:',
      '  - { namespace: production, name: frontend }',
      '  - { namespace: production, name: api, serviceAccount: api-sa, labels: { app: api, tier: backend }, ports: [{ number: 8080, protocol: HTTP }, { number: 5432, protocol: TCP }, 9090] }',
      '  - { namespace: monitoring, name: prometheus, sidecar: false }',
      '  - { namespace: payments, name: ledger, dataplane: ambient, waypoint: waypoint }',
    ].join('\n');
    const inventory = parseInventory(text);
    expect(inventory.workloads.find((w) => w.name === 'prometheus')!.sidecar).toBe(false);
    expect(inventory.workloads.find((w) => w.name === 'api')!.ports).toEqual([{ number: 8080, protocol: 'HTTP' }, { number: 5432, protocol: 'TCP' }, { number: 9090, protocol: 'HTTP' }]);
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(generated));
    expect(validate(require('yaml').parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ workloads: [{ namespace: 'a', name: 'b', serviceAccont: 'x' }] })).toBe(false);
    expect(validate({ workloads: [{ namespace: 'a', name: 'b', sidecar: 'false' }] })).toBe(false);
  });
});
