// `zero-trust diff` counts the workloads a mesh-wide PeerAuthentication change reaches or does not
// reach. Each real workload counts once, whether the inventory is inferred from the YAML or declared
// with --app: a service account that differs from the app label, a caller outside the app (an
// ingress gateway) and a plaintext scraper are identities, not more workloads.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { inferInventory, mergeInventories, parseIstioConfig, readYamlFiles } from '../../lib/analyzer';
import { buildMeshDefaultApp, WORKLOADS } from '../fixtures/mesh-default-app';
import { zeroTrust } from '../support/cli';

const APP = 'test/fixtures/mesh-default-app.ts';

/** The fixture synthesized, and a copy with the mesh-wide PeerAuthentication set to PERMISSIVE. */
function versions(): { strict: string; permissive: string } {
  const root = mkdtempSync(join(tmpdir(), 'zt-mesh-default-'));
  const strict = join(root, 'strict');
  const permissive = join(root, 'permissive');
  buildMeshDefaultApp(new App({ outdir: strict })).synth();
  cpSync(strict, permissive, { recursive: true });
  const mesh = join(permissive, 'mesh.k8s.yaml');
  const text = readFileSync(mesh, 'utf8');
  expect(text.match(/mode: STRICT/g)).toHaveLength(1);
  writeFileSync(mesh, text.replace('mode: STRICT', 'mode: PERMISSIVE'));
  return { strict, permissive };
}

describe('diff: the mesh-wide default counts each workload once', () => {
  it('inferred from the YAML and declared with --app, reached + overridden is the number of workloads', async () => {
    const { strict, permissive } = versions();
    const counts: unknown[] = [];
    for (const extra of [[], ['--app', APP]]) {
      const r = await zeroTrust(['diff', strict, permissive, '--format', 'json', '-q', ...extra]);
      expect(r.code).toBe(0);
      const meshDefault = JSON.parse(r.stdout).meshDefault;
      expect(meshDefault).toMatchObject({ kind: 'weakened', before: 'STRICT', after: 'PERMISSIVE' });
      counts.push({ reached: meshDefault.reached, overridden: meshDefault.overridden });
    }
    // Both namespaces declare their own mode: the default reaches none of the four.
    expect(counts).toEqual([{ reached: 0, overridden: WORKLOADS }, { reached: 0, overridden: WORKLOADS }]);
    const text = await zeroTrust(['diff', strict, permissive, '-q']);
    expect(text.stdout).toContain(`mesh default: STRICT -> PERMISSIVE (istio-system/default); reaches 0 workloads, ${WORKLOADS} workloads override it`);
  });

  it('on the reference app, as the README shows: 8 declared workloads, 7 a policy selects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-mesh-permissive-'));
    cpSync('dist', dir, { recursive: true });
    const mesh = join(dir, 'mesh.k8s.yaml');
    writeFileSync(mesh, readFileSync(mesh, 'utf8').replace('mode: STRICT', 'mode: PERMISSIVE'));
    const declared = await zeroTrust(['diff', 'dist', dir, '--format', 'json', '-q', '--app', 'apps/shop.ts']);
    expect(JSON.parse(declared.stdout).meshDefault).toMatchObject({ reached: 0, overridden: 8 });
    // production/frontend receives no edge (only a caller); the ingress gateway is a caller the app does not declare.
    const inferred = await zeroTrust(['diff', 'dist', dir, '--format', 'json', '-q']);
    expect(JSON.parse(inferred.stdout).meshDefault).toMatchObject({ reached: 0, overridden: 7 });
  });

  it('the inferred inventory marks the identities it saw only as principals as callers', () => {
    const { strict } = versions();
    const inventory = inferInventory(parseIstioConfig(readYamlFiles(strict)));
    const refs = (callerOnly: boolean) => inventory.workloads.filter((w) => !!w.callerOnly === callerOnly).map((w) => `${w.namespace}/${w.name}`);
    expect(refs(false)).toEqual(['jobs/worker', 'shop/api', 'shop/db', 'shop/web']);
    // api-sa is api's, worker-sa is worker's: the YAML does not say so, and they are not counted again.
    expect(refs(true)).toEqual(['istio-ingress/ingress-gateway', 'jobs/worker-sa', 'shop/api-sa']);
    expect(inventory.workloads.find((w) => w.name === 'db')).toMatchObject({ labels: { app: 'db', tier: 'data' } });
    expect(inventory.workloads.find((w) => w.name === 'web')!.callerOnly).toBeUndefined();
    // Merging the two sides of a diff: a side that selects a workload knows it better than one that only saw it call.
    const caller = { ...inventory, workloads: inventory.workloads.map((w) => (w.name === 'db' ? { ...w, labels: { app: 'db' }, callerOnly: true } : w)) };
    for (const merged of [mergeInventories(caller, inventory), mergeInventories(inventory, caller)]) {
      expect(merged.workloads.find((w) => w.name === 'db')).toMatchObject({ labels: { app: 'db', tier: 'data' } });
      expect(merged.workloads.find((w) => w.name === 'db')!.callerOnly).toBeUndefined();
    }
  });
});
