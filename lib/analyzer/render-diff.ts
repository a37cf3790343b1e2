// `zero-trust diff`: the semantic change, as plain text for a terminal or as Markdown for a pull
// request comment, with a Mermaid diagram of the changed edges.
import type { SemanticDiff } from './diff';
import { isEmptyDiff } from './diff';
import { compressCallers, Format, table } from './format';
import { MermaidBuilder } from './mermaid';

const SYMBOL = { added: '+', removed: '-', widened: '>', narrowed: '<', changed: '~' } as const;
const COLOR = { added: '#2da44e', removed: '#cf222e', widened: '#bf8700', narrowed: '#0969da', changed: '#8250df' } as const;

/** Edge changes with callers grouped ("anyone") when every caller changed the same way. */
export function groupedEdgeChanges(diff: SemanticDiff) {
  const items = diff.edges.map((e) => ({ from: e.from, to: e.to, key: JSON.stringify([e.kind, e.details]), value: e }));
  return compressCallers(items, diff.callers, diff.plaintextCallers).map((g) => ({ ...g.value, from: g.from }));
}

export function summarizeDiff(diff: SemanticDiff): string {
  const count = (n: number, one: string, many: string) => (n > 0 ? `${n} ${n === 1 ? one : many}` : '');
  const edges = groupedEdgeChanges(diff);
  const kinds = (kind: string) => edges.filter((e) => e.kind === kind).length;
  const parts = [
    count(kinds('added'), 'edge added', 'edges added'),
    count(kinds('removed'), 'edge removed', 'edges removed'),
    count(kinds('widened'), 'scope widened', 'scopes widened'),
    count(kinds('narrowed'), 'scope narrowed', 'scopes narrowed'),
    count(kinds('changed'), 'edge changed', 'edges changed'),
    count(diff.modes.filter((m) => m.kind === 'weakened').length, 'mTLS mode weakened', 'mTLS modes weakened'),
    count(diff.modes.filter((m) => m.kind === 'strengthened').length, 'mTLS mode strengthened', 'mTLS modes strengthened'),
    count(diff.external.length, 'external service changed', 'external services changed'),
    count(diff.enforcement.length, 'enforcement change', 'enforcement changes'),
  ].filter(Boolean);
  if (parts.length === 0) return 'no change in access';
  return `${parts.join(', ')}; ${diff.widens ? 'WIDENS access' : 'does not widen access'}`;
}

export function renderDiff(diff: SemanticDiff, format: Format, title = 'zero-trust diff'): string {
  return format === 'markdown' ? renderMarkdown(diff, title) : renderText(diff, title);
}

function modeTarget(m: SemanticDiff['modes'][number]): string {
  const who = m.workload.endsWith('/*') ? `namespace ${m.workload.slice(0, -2)} (default)` : m.workload;
  return m.port === 'other' ? who : `${who} port ${m.port}`;
}

function renderText(diff: SemanticDiff, title: string): string {
  const out = [`${title}: ${summarizeDiff(diff)}`];
  if (isEmptyDiff(diff)) return out.join('\n') + '\n';
  const edges = groupedEdgeChanges(diff);
  if (edges.length > 0) {
    out.push('', 'Reachability');
    for (const e of edges) {
      out.push(`  ${SYMBOL[e.kind]} ${e.kind.padEnd(8)} ${e.from} -> ${e.to}`);
      for (const d of e.details) out.push(`      ${d}`);
    }
  }
  if (diff.modes.length > 0) {
    out.push('', 'mTLS');
    for (const m of diff.modes) {
      out.push(`  ${m.kind === 'weakened' ? '!' : '+'} ${m.kind.padEnd(12)} ${modeTarget(m)}: ${m.before} -> ${m.after}${m.afterSource ? ` (${m.afterSource})` : ''}`);
    }
  }
  if (diff.external.length > 0) {
    out.push('', 'External services');
    for (const e of diff.external) {
      out.push(`  ${e.kind === 'added' ? '+' : e.kind === 'removed' ? '-' : '~'} ${e.kind.padEnd(8)} ${e.key}`);
      for (const d of e.details) out.push(`      ${d}`);
    }
  }
  if (diff.enforcement.length > 0) {
    out.push('', 'Enforcement');
    for (const e of diff.enforcement) out.push(`  ${e.kind === 'enforced to dry-run' ? '!' : '+'} ${e.policy}: ${e.kind}${e.declaredBy ? ` [declared by ${e.declaredBy}]` : ''}`);
  }
  return out.join('\n') + '\n';
}

function renderMarkdown(diff: SemanticDiff, title: string): string {
  const out = [`### ${title}`, '', `**${summarizeDiff(diff)}**`];
  if (isEmptyDiff(diff)) return out.join('\n') + '\n';
  const edges = groupedEdgeChanges(diff);
  if (edges.length > 0) {
    const m = new MermaidBuilder();
    for (const e of edges) m.edge(e.from, e.to, e.kind, e.kind === 'removed' ? 'dashed' : e.kind === 'added' ? 'thick' : 'solid', COLOR[e.kind]);
    out.push('', '#### Reachability', '', '```mermaid', m.render(), '```', '');
    out.push(table(['change', 'from', 'to', 'what'], edges.map((e) => [e.kind, e.from, e.to, e.details.join('<br>')]), 'markdown'));
  }
  if (diff.modes.length > 0) {
    out.push('', '#### mTLS', '');
    out.push(table(['change', 'where', 'before', 'after', 'set by'], diff.modes.map((m) => [m.kind, modeTarget(m), m.before, m.after, m.afterSource ?? 'default']), 'markdown'));
  }
  if (diff.external.length > 0) {
    out.push('', '#### External services', '');
    out.push(table(['change', 'host', 'what'], diff.external.map((e) => [e.kind, e.key, e.details.join('<br>')]), 'markdown'));
  }
  if (diff.enforcement.length > 0) {
    out.push('', '#### Enforcement', '');
    out.push(table(['policy', 'change', 'declared by'], diff.enforcement.map((e) => [e.policy, e.kind, e.declaredBy ?? '-']), 'markdown'));
  }
  return out.join('\n') + '\n';
}
