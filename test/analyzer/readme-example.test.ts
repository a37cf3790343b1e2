// The matcher example of the README, verbatim but for the import paths: the documentation runs.
import { expect, it } from 'vitest';
import { App } from 'cdk8s';
import { loadIstioDir, inventoryFromModel } from '../../lib/analyzer';
import { zeroTrustMatchers } from '../../lib/testing';
import { buildShop } from '../../apps/shop';
import { ZeroTrustMesh } from '../../lib';

expect.extend(zeroTrustMatchers);

const mesh = buildShop(new App()).node.findAll().find(ZeroTrustMesh.isZeroTrustMesh)!;

it('keeps production closed', () => {
  const model = mesh.toModel(); // compiled in memory, no files
  expect(model).toDeny('development/*', 'production/payment-service');
  expect(model).toDeny('plaintext', 'production/payment-service', { port: 8080 });
  expect(model).toAllow('production/frontend', 'production/product-catalog', { method: 'GET', path: '/api/v1/products/1' });
});

it('the synthesized YAML says the same', () => {
  const dist = { config: loadIstioDir('dist'), inventory: inventoryFromModel(mesh.toModel()) };
  expect(dist).not.toAllow('production/frontend', 'production/orders', { method: 'GET', path: '/api/v1/orders/1' });
});
