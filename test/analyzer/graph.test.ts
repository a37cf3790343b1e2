// Grouping callers in the graph: "anyone" includes plaintext clients, "any mesh workload" does not.
import { describe, expect, it } from 'vitest';
import { reachability, renderGraphMermaid } from '../../lib/analyzer';
import { compressedEdges } from '../../lib/analyzer/render-graph';
import { analysis, STRICT_MESH } from './helpers';

const workloads = [
  { namespace: 'shop', name: 'web' },
  { namespace: 'shop', name: 'api' },
  { namespace: 'monitoring', name: 'prometheus', sidecar: false },
];

describe('graph grouping', () => {
  it('groups every mTLS caller of an open STRICT namespace as "any mesh workload", without the sidecar-less one', () => {
    const graph = reachability(analysis(STRICT_MESH, workloads));
    expect(graph.plaintextCallers).toEqual(['monitoring/prometheus', 'plaintext']);
    expect(graph.edges.some((e) => e.from === 'monitoring/prometheus')).toBe(false);
    expect(compressedEdges(graph).map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'any mesh workload -> shop/*', 'any mesh workload -> shop/api', 'any mesh workload -> shop/web',
    ]);
  });

  it('groups them as "anyone" when plaintext gets in too, and keeps single callers apart', () => {
    const permissive = STRICT_MESH.replace('STRICT', 'PERMISSIVE') + `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: shop }
spec: { selector: { matchLabels: { app: api } }, rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }] }] }
`;
    const graph = reachability(analysis(permissive, workloads));
    expect(compressedEdges(graph).map((e) => `${e.from} -> ${e.to} (${e.transport})`)).toEqual([
      'anyone -> shop/* (mTLS or plaintext)', 'anyone -> shop/web (mTLS or plaintext)', 'shop/web -> shop/api (mTLS)',
    ]);
    expect(renderGraphMermaid(graph)).toContain('n_shop_web --> n_shop_api');
  });
});
