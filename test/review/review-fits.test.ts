// A review that fits: `diff --format markdown` stays under GitHub's comment limit and its diagram
// renders whatever the size of the change; `graph` never prints a diagram Mermaid cannot render;
// labels and cells escape what Mermaid or GitHub would eat.
import { describe, expect, it } from 'vitest';
import {
  analysisFromModel, DEFAULT_MARKDOWN_BUDGET, GITHUB_COMMENT_LIMIT, graphDiagram, MERMAID_LIMITS, reachability, renderDiff, renderGraph,
  renderGraphMermaid, semanticDiff,
} from '../../lib/analyzer';
import { inventoryFromModel } from '../../lib/analyzer/inventory';
import { buildMesh, MeshShape, teams } from './fixtures';
import { analysis, STRICT_MESH } from '../analyzer/helpers';

const TIMEOUT = 120_000;

/** The Mermaid blocks of a Markdown text. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}

function edgeLines(diagram: string): string[] {
  return diagram.split('\n').filter((l) => /-->|==>|-\.->/.test(l));
}

/**
 * 60 workloads in 10 namespaces, then one more namespace of 6 workloads that may each call the 60
 * (one inventory, as with --app: before the change the new workloads existed without policies).
 */
function addingANamespace() {
  const base = teams(10, 6);
  const bigger: MeshShape = {
    namespaces: [...base.namespaces, ['payments', 6]],
    edges: [
      ...base.edges,
      ...base.namespaces.flatMap(([ns]) => [0, 1, 2, 3, 4, 5].flatMap((i) => [0, 1, 2, 3, 4, 5].map((j) => [`payments/svc-${j}`, `${ns}/svc-${i}`, { methods: ['GET', 'POST', 'PUT', 'DELETE'], paths: ['/api/v1/payments/*', '/api/v1/refunds/*', '/api/v1/invoices/*', '/api/v1/customers/*'] }] as const))),
    ],
  };
  const after = buildMesh(bigger);
  const inventory = inventoryFromModel(after); // one inventory for both sides, as --app gives
  const before = { ...analysisFromModel(buildMesh(base)), inventory };
  return semanticDiff(before, { ...analysisFromModel(after), inventory });
}

describe('diff --format markdown fits a pull-request comment', () => {
  it('adding one namespace of 6 workloads to a 60-workload mesh', () => {
    const diff = addingANamespace();
    expect(diff.edges.filter((e) => e.kind === 'added')).toHaveLength(360);
    // Everything, row by row, is too long for a comment.
    const full = renderDiff(diff, 'markdown', 'review', { maxChars: Infinity });
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    expect(full.split('\n').filter((l) => l.startsWith('| added | payments/'))).toHaveLength(360);

    const md = renderDiff(diff, 'markdown', 'review', { fullReport: 'in the job summary' });
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MARKDOWN_BUDGET);
    expect(md).toContain('**360 edges added, 7 edges removed; WIDENS access**');
    // Grouped by namespace and caller class: one row per destination namespace and kind.
    expect(md).toContain('367 changed edges by namespace and caller class:');
    expect(md).toContain('| added | workloads of payments | team-00 | 36 | payments/svc-0 -> team-00/svc-0: any port: nothing -> DELETE, GET, POST, PUT /api/v1/customers/\\*, /api/v1/invoices/\\*, /api/v1/payments/\\*, /api/v1/refunds/\\* |');
    expect(md).toContain('| removed | any mesh workload | payments | 7 | any mesh workload -> payments/\\*: any port: all requests -> nothing |');
    // The diagram is drawn per namespace (367 edges of workloads would be a 10,000-pixel-tall picture).
    const [diagram] = mermaidBlocks(md);
    expect(edgeLines(diagram)).toHaveLength(11);
    expect(diagram).toContain('n_namespace_payments ==>|"36 added"| n_namespace_team_00');
    expect(diagram).toContain('n_any_mesh_workload -.->|"7 removed"| n_namespace_payments');
    expect(md).toContain('Diagram: 367 changed edges are more than a readable diagram holds: drawn per namespace');
    // What is left out is said, with where the rest is.
    const shown = md.split('\n').filter((l) => /^\| (added|removed) \| (payments\/|any mesh workload \| payments\/)/.test(l)).length;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(367);
    expect(md).toContain(`_${shown} of 367 edges shown, those that widen access first; the complete report: in the job summary_`);
    // The rows that widen access went in first: not one removal.
    expect(md).not.toMatch(/^\| removed \| any mesh workload \| payments\/svc-0 \|/m);
    expect(full).toMatch(/^\| removed \| any mesh workload \| payments\/svc-0 \|/m);
  }, TIMEOUT);

  it('stays under any budget given', () => {
    const diff = addingANamespace();
    for (const maxChars of [1000, 5000, 20_000]) {
      const md = renderDiff(diff, 'markdown', 'review', { maxChars });
      expect(md.length).toBeLessThanOrEqual(maxChars);
      expect(md).toContain('**360 edges added, 7 edges removed; WIDENS access**');
    }
  }, TIMEOUT);

  it('stays small and unchanged for a small change', () => {
    const base = teams(2, 3);
    const after = buildMesh({ ...base, edges: [...base.edges, ['team-00/svc-0', 'team-01/svc-2']] });
    const inventory = inventoryFromModel(after);
    const md = renderDiff(semanticDiff({ ...analysisFromModel(buildMesh(base)), inventory }, { ...analysisFromModel(after), inventory }), 'markdown', 'review');
    expect(md).toContain('n_team_00_svc_0 ==>|"added"| n_team_01_svc_2');
    expect(md).toContain('| added | team-00/svc-0 | team-01/svc-2 | any port: nothing -> all requests |');
    expect(md).not.toContain('by namespace and caller class');
    expect(md).not.toContain('shown, those that widen');
  });

  it('refuses a budget too small for any report', () => {
    const diff = addingANamespace();
    expect(() => renderDiff(diff, 'markdown', 'review', { maxChars: 10 })).toThrow(/maxChars 10 is too small for a report: give at least 1000/);
  }, TIMEOUT);
});

describe('graph never prints a diagram Mermaid cannot render', () => {
  /** 100 namespaces of 10 workloads; each workload may be called by 6 workloads of the next namespaces. */
  function sixThousandEdges() {
    const namespaces: [string, number][] = [];
    const edges: [string, string][] = [];
    for (let n = 0; n < 100; n++) namespaces.push([`ns-${String(n).padStart(3, '0')}`, 10]);
    for (let n = 0; n < 100; n++) {
      for (let i = 0; i < 10; i++) {
        for (let k = 1; k <= 6; k++) edges.push([`ns-${String((n + k) % 100).padStart(3, '0')}/svc-${(i + k) % 10}`, `ns-${String(n).padStart(3, '0')}/svc-${i}`]);
      }
    }
    return reachability(analysisFromModel(buildMesh({ namespaces, edges })));
  }

  it('a 6,000-edge graph prints a renderable namespace-level diagram that says how to select', () => {
    const graph = sixThousandEdges();
    expect(graph.edges).toHaveLength(6000);
    const diagram = graphDiagram(graph);
    expect(diagram.level).toBe('namespace');
    expect(diagram.edges).toBe(6000);
    expect(diagram.text.length).toBeLessThanOrEqual(MERMAID_LIMITS.chars);
    expect(edgeLines(diagram.text).length).toBe(diagram.drawn);
    expect(diagram.drawn).toBeLessThanOrEqual(MERMAID_LIMITS.edges);
    expect(diagram.drawn).toBe(300); // 100 namespaces, each called from 6 others: 600 pairs, the 300 busiest drawn
    // 600 namespace pairs are more than the limit: the busiest are drawn, and the diagram says so.
    expect(diagram.note).toMatch(/^the graph has 6,000 edges, more than Mermaid lays out \(300 edges, 40,000 characters\): drawn at the namespace level, the \d+ busiest of 600 namespace pairs; select a part with --to/);
    expect(diagram.text.split('\n')[1]).toMatch(/^ {2}%% 6000 edges are more than Mermaid lays out .*--to <namespace\|namespace\/workload> or --from/);
    expect(renderGraphMermaid(graph)).toBe(diagram.text);
    // The text view keeps every row of the table and explains the diagram.
    const text = renderGraph(graph, 'text');
    expect(text).toContain('Diagram: the graph has 6,000 edges');
    // Markdown: the note's <namespace> would be eaten by GitHub as a tag.
    expect(renderGraph(graph, 'markdown')).toContain('--to &lt;namespace|namespace/workload> or --from &lt;namespace|namespace/workload> to see workloads.');
  }, TIMEOUT);

  it('a selection small enough is drawn workload by workload', () => {
    const graph = reachability(analysisFromModel(buildMesh(teams(3, 4))), { to: ['team-01'] });
    const diagram = graphDiagram(graph);
    expect(diagram.level).toBe('workload');
    expect(diagram.note).toBeUndefined();
    expect(diagram.text).toContain('n_team_01_svc_0 -->|"GET /api/v1/*"| n_team_01_svc_1');
  }, TIMEOUT);
});

describe('labels and cells escape what Mermaid or GitHub would eat', () => {
  const yaml = `${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: prod }
spec:
  selector: { matchLabels: { app: api } }
  rules:
    - from: [{ source: { principals: [cluster.local/ns/prod/sa/web] } }]
      to: [{ operation: { methods: [GET], paths: ['/q"<script>|x', '/a#b&c\`d@team*_[x]'] } }]
`;
  const workloads = [{ namespace: 'prod', name: 'api' }, { namespace: 'prod', name: 'web' }];

  it('in the Mermaid diagram', () => {
    const text = renderGraphMermaid(reachability(analysis(yaml, workloads)));
    const line = text.split('\n').find((l) => l.includes('n_prod_web -->'))!;
    expect(line).toBe('  n_prod_web -->|"GET /a#35;b#38;c#96;d@team*_[x], /q#quot;#lt;script#gt;#124;x"| n_prod_api');
  });

  it('in the Markdown table', () => {
    const closed = analysis(`${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: prod }
spec: {}
`, workloads);
    const md = renderDiff(semanticDiff(closed, analysis(yaml, workloads)), 'markdown', 'review <b>');
    expect(md).toContain('### review &lt;b>');
    expect(md).toContain('| added | prod/web | prod/api | any port: nothing -> GET /a#b&amp;c\\`d&#64;team\\*\\_\\[x\\], /q"&lt;script>\\|x |');
    expect(md).not.toMatch(/<script>/);
  });
});
