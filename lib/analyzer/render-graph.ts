// `zero-trust graph`: who can reach whom, as a Mermaid flowchart (namespaces as subgraphs, layer-7
// limits on the edges) and as a reachability table.
import { ANY_MESH, ANYONE, collapsePorts, compressCallers, edgeLabel, Format, formatRef, formatRequests, table } from './format';
import type { Access } from './access';
import { accessCovers } from './coverage';
import { MermaidBuilder } from './mermaid';
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

export function renderGraphMermaid(graph: ReachabilityGraph): string {
  const m = new MermaidBuilder();
  const edges = compressedEdges(graph);
  // Every workload, even a closed one; in a selection, the selected ones and those on an edge shown.
  const selectors = [...(graph.selection?.to ?? []), ...(graph.selection?.from ?? [])];
  const onEdge = new Set(edges.flatMap((e) => [e.from, e.to]));
  const drawn = (node: GraphNode) => !graph.selection || onEdge.has(node.id) || selectors.some((s) => selects(s, node));
  for (const node of graph.nodes) if (node.kind === 'workload' && drawn(node)) m.node(node.id);
  for (const edge of edges) {
    const dashed = edge.access.every((a) => a.dryRunOnly || a.undecided.length > 0);
    m.edge(edge.from, edge.to, edgeLabel(edge), dashed ? 'dashed' : 'solid');
  }
  for (const svc of graph.external) {
    const target = `external:${svc.hosts.join(', ')}`;
    m.node(target);
    for (const client of svc.clients) {
      const port = svc.ports.find((p) => p.number === client.port);
      const forward = port?.targetPort !== undefined && port.targetPort !== port.number ? ` to ${port.targetPort}` : '';
      const label = `${port?.protocol ?? ''} ${client.port}${forward}${client.tls !== 'none' ? `, tls ${client.tls}` : ''}${svc.problems.length > 0 ? ', BROKEN' : ''}`;
      m.edge(client.client, target, label.trim(), svc.problems.length > 0 ? 'dashed' : 'solid');
    }
  }
  return m.render();
}

export function renderGraphTable(graph: ReachabilityGraph, format: Format): string {
  const rows: string[][] = [];
  for (const edge of compressedEdges(graph)) {
    for (const { ports, access } of collapsePorts(edge.access)) {
      const notes = [
        access.dryRunOnly ? 'dry-run only: enforcing would deny' : '',
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
  const diagram = renderGraphMermaid(graph);
  const legend = `"${ANYONE}" is every caller including plaintext clients; "${ANY_MESH}" every caller with a sidecar. ` +
    "A caller with a line of its own has the access on that line, which includes the group's.";
  if (format === 'markdown') {
    return ['```mermaid', diagram, '```', '', legend, '', renderGraphTable(graph, 'markdown'), ''].join('\n');
  }
  return [diagram, '', legend, '', renderGraphTable(graph, 'text'), ''].join('\n');
}
