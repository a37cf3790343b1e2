// `zero-trust graph`: who can reach whom, as a Mermaid flowchart (namespaces as subgraphs, layer-7
// limits on the edges) and as a reachability table.
import { ANY_MESH, ANYONE, collapsePorts, compressCallers, edgeLabel, Format, formatRef, formatRequests, isAudited, markdownText, table } from './format';
import type { Access } from './access';
import { accessCovers } from './coverage';
import { compare } from './config';
import { fitsMermaid, MERMAID_LIMITS, MermaidBuilder, namespaceNode } from './mermaid';
import { GraphNode, ReachabilityGraph, ReachEdge, selects } from './reachability';

/** An edge as shown: callers may be grouped ("anyone"), so the transport may be mixed. */
export interface DisplayEdge extends ReachEdge {
  readonly transport: string;
}

/**
 * Edges with callers grouped: callers with the same access to a destination (whatever their
 * transport) collapse into "anyone" or "any mesh workload" when they are all the callers, or when
 * every caller outside the group has access that covers the group's (and a line of its own).
 */
export function compressedEdges(graph: ReachabilityGraph): DisplayEdge[] {
  // With callers selected, "anyone" would only mean "every selected caller": no grouping.
  if (graph.selection?.from) return graph.edges.map((e) => ({ ...e, transport: [...new Set(e.access.map((a) => a.transport))].sort().join(' or ') }));
  const byKey = new Map(graph.edges.map((e) => [`${e.from}\u0000${e.to}`, e]));
  const items = graph.edges.map((edge) => ({
    from: edge.from, to: edge.to, key: JSON.stringify(edge.access.map((a) => ({ ...a, transport: '' }))), value: edge,
  }));
  return compressCallers(items, graph.callers, graph.plaintextCallers, (wider, narrower) => accessListCovers(wider.access, narrower.access)).map((g) => {
    const transports = [...new Set(g.callers.flatMap((c) => byKey.get(`${c}\u0000${g.to}`)!.access.map((a) => a.transport)))].sort();
    return { ...g.value, from: g.from, transport: transports.join(' or ') };
  });
}

/**
 * On every port class where `narrower` has access, `wider` has at least that access, as firmly
 * (not only through dry-run policies, not undecided where `narrower` is decided). Both lists are of
 * one destination, so they share its port classes.
 */
function accessListCovers(wider: readonly Access[], narrower: readonly Access[]): boolean {
  return narrower.every((n) => {
    const w = wider.find((x) => x.port === n.port);
    return w !== undefined && accessCovers(w, n) && (!w.dryRunOnly || n.dryRunOnly)
      && (w.undecided.length === 0 || w.undecided.join('\u0000') === n.undecided.join('\u0000'));
  });
}

/** The diagram of a graph, as drawn: at the workload level, or at the namespace level when that would not render. */
export interface GraphDiagram {
  readonly text: string;
  readonly level: 'workload' | 'namespace';
  /** Edges of the workload-level diagram (grouped callers and external clients included). */
  readonly edges: number;
  /** Edges drawn in `text`. */
  readonly drawn: number;
  /** What was left out and how to see it; absent when the whole graph is drawn. */
  readonly note?: string;
}

/**
 * The Mermaid flowchart of a graph that GitHub can render: every workload and edge when that fits
 * MERMAID_LIMITS, otherwise one node per namespace (and per caller class outside namespaces) with
 * the number of edges between them, the busiest first when even that does not fit.
 */
export function graphDiagram(graph: ReachabilityGraph): GraphDiagram {
  const edges = compressedEdges(graph);
  const m = new MermaidBuilder();
  // Every workload, even a closed one; in a selection, the selected ones and those on an edge shown.
  const selectors = [...(graph.selection?.to ?? []), ...(graph.selection?.from ?? [])];
  const onEdge = new Set(edges.flatMap((e) => [e.from, e.to]));
  const drawn = (node: GraphNode) => !graph.selection || onEdge.has(node.id) || selectors.some((s) => selects(s, node));
  const workloads = graph.nodes.filter((node) => node.kind === 'workload' && drawn(node)).map((n) => n.id);
  const lines: { from: string; to: string; label: string; dashed: boolean }[] = [];
  for (const edge of edges) {
    lines.push({ from: edge.from, to: edge.to, label: edgeLabel(edge), dashed: edge.access.every((a) => a.dryRunOnly || isAudited(a) || a.undecided.length > 0) });
  }
  for (const svc of graph.external) {
    const target = `external:${svc.hosts.join(', ')}`;
    for (const client of svc.clients) {
      const port = svc.ports.find((p) => p.number === client.port);
      const forward = port?.targetPort !== undefined && port.targetPort !== port.number ? ` to ${port.targetPort}` : '';
      const label = `${port?.protocol ?? ''} ${client.port}${forward}${client.tls !== 'none' ? `, tls ${client.tls}` : ''}${svc.problems.length > 0 ? ', BROKEN' : ''}`;
      lines.push({ from: client.client, to: target, label: label.trim(), dashed: svc.problems.length > 0 });
    }
  }
  const externalNodes = graph.external.map((svc) => `external:${svc.hosts.join(', ')}`);
  // Beyond the edge limit the text is not even built: a 6,000-edge diagram is not rendered anyway.
  if (lines.length <= MERMAID_LIMITS.edges) {
    for (const id of workloads) m.node(id);
    for (const e of lines) m.edge(e.from, e.to, e.label, e.dashed ? 'dashed' : 'solid');
    for (const id of externalNodes) m.node(id);
    const text = m.render();
    if (fitsMermaid(m.edgeCount, text)) return { text, level: 'workload', edges: lines.length, drawn: lines.length };
  }
  return namespaceDiagram(lines, [...workloads, ...externalNodes]);
}

function namespaceDiagram(lines: readonly { from: string; to: string; dashed: boolean }[], nodes: readonly string[]): GraphDiagram {
  const pairs = new Map<string, { from: string; to: string; count: number; dashed: number }>();
  for (const e of lines) {
    const from = namespaceNode(e.from);
    const to = namespaceNode(e.to);
    const key = `${from}\u0000${to}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { from, to, count: 0, dashed: 0 }));
    pair.count++;
    if (e.dashed) pair.dashed++;
  }
  // The busiest pairs first, so that what a trimmed diagram keeps is what matters most.
  const sorted = [...pairs.values()].sort((a, b) => b.count - a.count || compare(a.from, b.from) || compare(a.to, b.to));
  const namespaces = [...new Set(nodes.map(namespaceNode))];
  const select = 'select a part with --to <namespace|namespace/workload> or --from <namespace|namespace/workload> to see workloads';
  const build = (count: number, withIdle: boolean) => {
    const m = new MermaidBuilder();
    const kept = sorted.slice(0, count);
    const leftOut = sorted.length - kept.length;
    m.comment(`${lines.length} edges are more than Mermaid lays out (${MERMAID_LIMITS.edges} edges, ${MERMAID_LIMITS.chars} characters): one node per namespace, ` +
      `${leftOut > 0 ? `the ${count} busiest of ${sorted.length} namespace pairs drawn` : 'every namespace pair drawn'}; ${select}`);
    if (withIdle) for (const ns of namespaces) m.node(ns);
    for (const p of kept) m.edge(p.from, p.to, `${p.count} edge${p.count === 1 ? '' : 's'}`, p.dashed === p.count ? 'dashed' : 'solid');
    return { text: m.render(), edges: m.edgeCount, leftOut };
  };
  let count = Math.min(sorted.length, MERMAID_LIMITS.edges);
  let result = build(count, true);
  if (!fitsMermaid(result.edges, result.text)) result = build(count, false);
  while (count > 0 && !fitsMermaid(result.edges, result.text)) {
    count = Math.floor(count * 0.8);
    result = build(count, false);
  }
  const note = `the graph has ${lines.length.toLocaleString('en-US')} edges, more than Mermaid lays out (${MERMAID_LIMITS.edges} edges, ` +
    `${MERMAID_LIMITS.chars.toLocaleString('en-US')} characters): drawn at the namespace level` +
    `${result.leftOut > 0 ? `, the ${count.toLocaleString('en-US')} busiest of ${sorted.length.toLocaleString('en-US')} namespace pairs` : ''}; ${select}`;
  return { text: result.text, level: 'namespace', edges: lines.length, drawn: result.edges, note };
}

/** The diagram alone: what `graph --format mermaid` prints (never more than Mermaid renders). */
export function renderGraphMermaid(graph: ReachabilityGraph): string {
  return graphDiagram(graph).text;
}

export function renderGraphTable(graph: ReachabilityGraph, format: Format): string {
  const rows: string[][] = [];
  for (const edge of compressedEdges(graph)) {
    for (const { ports, access } of collapsePorts(edge.access)) {
      const notes = [
        isAudited(access) ? 'audit: admitted while the declared policy is audited (logged, not enforced)' : access.dryRunOnly ? 'dry-run only: enforcing would deny' : '',
        access.undecided.length > 0 ? `undecided: ${access.undecided.join('; ')}` : '',
        access.via.length === 0 ? 'no enforced ALLOW policy' : access.via.map(formatRef).join('; '),
      ].filter(Boolean).join('; ');
      rows.push([edge.from, edge.to, ports, formatRequests(access), edge.transport.includes(' or ') ? edge.transport : access.transport, notes]);
    }
  }
  const main = table(['FROM', 'TO', 'PORT', 'REQUESTS', 'TRANSPORT', 'WHY'], rows, format);
  const external = graph.external.flatMap((svc) => svc.clients.map((c) => [c.client, svc.hosts.join(', '), String(c.port), c.tls, c.destinationRule ?? '-', svc.problems.length > 0 ? 'yes' : 'no']));
  const problems = graph.external.flatMap((svc) => svc.problems.map((p) => `- ${p}`));
  const parts = [main];
  if (external.length > 0) parts.push(table(['CLIENT', 'EXTERNAL HOST', 'PORT', 'TLS', 'DESTINATION RULE', 'PROBLEM'], external, format));
  if (problems.length > 0) parts.push(`External service problems:\n${problems.join('\n')}`);
  return parts.join('\n\n');
}

/** Both views: the diagram (fenced in Markdown) and the table. */
export function renderGraph(graph: ReachabilityGraph, format: Format): string {
  const { text: diagram, note } = graphDiagram(graph);
  const legend = `"${ANYONE}" is every caller including plaintext clients; "${ANY_MESH}" every caller with a sidecar. ` +
    "A caller with a line of its own has the access on that line, which includes the group's." + ambientLegend(graph);
  if (format === 'markdown') {
    return ['```mermaid', diagram, '```', '', ...(note ? [`Diagram: ${markdownText(note)}.`, ''] : []), legend, '', renderGraphTable(graph, 'markdown'), ''].join('\n');
  }
  return [diagram, '', ...(note ? [`Diagram: ${note}.`, ''] : []), legend, '', renderGraphTable(graph, 'text'), ''].join('\n');
}

/** Which destinations the ambient data plane guards, and which of them sit behind a waypoint. */
function ambientLegend(graph: ReachabilityGraph): string {
  if (!graph.ambient || graph.ambient.length === 0) return '';
  const parts = graph.ambient.map((a) => a.behindWaypoint.length === 0
    ? `${a.namespace} (ztunnel)`
    : `${a.namespace} (ztunnel; behind a waypoint: ${a.behindWaypoint.map((b) => `${b.workload} via ${b.waypoint}`).join(', ')})`);
  return ` Ambient namespaces: ${parts.join('; ')}. Requests from ambient workloads and gateways to a workload behind a waypoint are decided there, and its ztunnel admits the waypoint and the layer-4 edges only (sidecars never use a waypoint); zero-trust explain shows each hop.`;
}
