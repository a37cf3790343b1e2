// toAllow / toDeny, as a team would use them next to its policy code.
import { describe, expect, it } from 'vitest';
import { inventoryFromModel, loadIstioDir } from '../../lib/analyzer';
import { expandCallers, zeroTrustMatchers } from '../../lib/testing';
import { shopModel } from './helpers';

expect.extend(zeroTrustMatchers);

const model = shopModel();
const dist = { config: loadIstioDir('dist'), inventory: inventoryFromModel(model) };

describe('toAllow / toDeny', () => {
  it('hold for the shop\'s declared edges and invariants', () => {
    expect(dist).toAllow('production/frontend', 'production/product-catalog', { method: 'GET', path: '/api/v1/products/1' });
    expect(dist).toDeny('production/frontend', 'production/product-catalog', { method: 'DELETE', path: '/api/v1/products/1' });
    expect(dist).toDeny('development/*', 'production/*');
    expect(dist).toDeny('plaintext', 'production/payment-service', { port: 8080 });
    expect(dist).toAllow('plaintext', 'production/payment-service', { port: 9090 });
    expect(dist).not.toAllow('production/frontend', 'production/orders', { method: 'GET', path: '/api/v1/orders/1' });
  });

  it('accept a MeshModel and compile it in memory', () => {
    expect(model).toAllow('production/cart', 'production/payment-service');
    expect(model).toDeny('production/orders', 'production/payment-service');
  });

  it('fail with the decisions that broke the expectation', () => {
    expect(() => expect(dist).toAllow('production/*', 'production/cart')).toThrow(
      /expected production\/\* -> production\/cart to be ALLOWED:\n  production\/orders -> production\/cart: DENIED: denied: no rule/,
    );
    expect(() => expect(dist).toDeny('production/frontend', 'production/cart')).toThrow('production/frontend -> production/cart: ALLOWED: allowed by production/cart-allow rule 0 (ALLOW)');
    // UNDECIDED satisfies neither.
    expect(() => expect(dist).toAllow('production/payment-service', 'production/orders')).toThrow(/UNDECIDED/);
    expect(() => expect(dist).toDeny('production/payment-service', 'production/orders')).toThrow(/UNDECIDED/);
  });

  it('"ns/*" means every known workload of the namespace plus any other one', () => {
    expect(expandCallers(dist, 'production/*')).toEqual([
      'production/cart', 'production/frontend', 'production/orders', 'production/payment-service', 'production/product-catalog', 'production/*',
    ]);
    expect(expandCallers(dist, 'development/*')).toEqual(['development/*']);
  });

  it('reject a received value that is neither an Analysis nor a MeshModel', () => {
    expect(() => expect({}).toAllow('a/b', 'c/d')).toThrow('toAllow/toDeny expect an Analysis');
  });
});
