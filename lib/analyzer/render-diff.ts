// `zero-trust diff`: the semantic change, as plain text for a terminal or as Markdown for a pull
// request comment, with a Mermaid diagram of the changed edges.
import { compare } from './config';
import type { EdgeChange, MeshDefaultChange, SemanticDiff } from './diff';
import { isEmptyDiff } from './diff';
import type { Access } from './access';
import { ANY_MESH, ANYONE, Cell, compressCallers, Format, isAudited, markdownText, table } from './format';
import { fitsMermaid, MERMAID_LIMITS, MermaidBuilder, namespaceNode } from './mermaid';

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
    diff.meshDefault ? `mesh-wide mTLS default ${diff.meshDefault.kind} (${meshDefaultReach(diff.meshDefault)})` : '',
    count(diff.external.length, 'external service changed', 'external services changed'),
    count(diff.enforcement.length, 'enforcement change', 'enforcement changes'),
    count(diff.dataplanes?.length ?? 0, 'data plane changed', 'data planes changed'),
  ].filter(Boolean);
  if (parts.length === 0) return 'no change in access';
  return `${parts.join(', ')}; ${diff.widens ? 'WIDENS access' : 'does not widen access'}`;
}

export function renderDiff(diff: SemanticDiff, format: Format, title = 'zero-trust diff', options: DiffRenderOptions = {}): string {
  return format === 'markdown' ? renderMarkdown(diff, title, options) : renderText(diff, title);
}

function meshDefaultReach(m: MeshDefaultChange): string {
  const workloads = (n: number) => `${n.toLocaleString('en-US')} workload${n === 1 ? '' : 's'}`;
  return `reaches ${workloads(m.reached)}, ${workloads(m.overridden)} override it`;
}

function modeTarget(m: SemanticDiff['modes'][number]): string {
  const who = m.workload.endsWith('/*') ? `namespace ${m.workload.slice(0, -2)} (default)` : m.workload;
  return m.port === 'other' ? who : `${who} port ${m.port}`;
}

/**
 * An edge change whose new access an audit stand-in admits: it exists while the declared policy is
 * audited, and enforcing the declared policy removes it. Shown apart from the rest.
 */
export function isAuditChange(e: { after: readonly Access[] }): boolean {
  return e.after.some(isAudited);
}

export const AUDIT_HEADING = 'Audit: admitted while the declared policy is audited (logged, not enforced); enforcing it removes this access';

function renderText(diff: SemanticDiff, title: string): string {
  const out = [`${title}: ${summarizeDiff(diff)}`];
  if (isEmptyDiff(diff)) return out.join('\n') + '\n';
  const all = groupedEdgeChanges(diff);
  for (const [heading, edges] of [['Reachability', all.filter((e) => !isAuditChange(e))], [AUDIT_HEADING, all.filter(isAuditChange)]] as const) {
    if (edges.length === 0) continue;
    out.push('', heading);
    for (const e of edges) {
      out.push(`  ${SYMBOL[e.kind]} ${e.kind.padEnd(8)} ${e.from} -> ${e.to}`);
      for (const d of e.details) out.push(`      ${d}`);
    }
  }
  if (diff.modes.length > 0 || diff.meshDefault) {
    out.push('', 'mTLS');
    const d = diff.meshDefault;
    if (d) {
      out.push(`  ${d.kind === 'weakened' ? '!' : '+'} ${d.kind.padEnd(12)} mesh default: ${d.before} -> ${d.after}${d.afterSource ? ` (${d.afterSource})` : ''}; ${meshDefaultReach(d)} (their namespace's or their own PeerAuthentication)`);
    }
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
  if (diff.dataplanes && diff.dataplanes.length > 0) {
    out.push('', 'Data plane');
    for (const d of diff.dataplanes) out.push(`  ~ namespace ${d.namespace}: ${dataplaneName(d.before)} -> ${dataplaneName(d.after)}`);
  }
  return out.join('\n') + '\n';
}

function dataplaneName(d: 'SIDECAR' | 'AMBIENT' | 'UNKNOWN'): string {
  return d === 'AMBIENT' ? 'ambient (ztunnel and waypoint)' : d === 'SIDECAR' ? 'sidecars' : 'unknown (compiled for ambient, labels not declared)';
}

/** GitHub refuses an issue or pull-request comment longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/**
 * What `renderDiff(..., 'markdown')` stays under by default: the comment limit, less room for the
 * marker the workflow prepends and a footer.
 */
export const DEFAULT_MARKDOWN_BUDGET = 60_000;
/**
 * The most changed edges a diff diagram draws workload by workload: a picture of a few hundred
 * edges lays out (MERMAID_LIMITS) but is thousands of pixels tall and unreadable in a comment.
 */
export const DIFF_DIAGRAM_EDGES = 100;
/** Above this many rows of edge changes, the report opens with a table grouped by namespace and caller class. */
export const GROUP_ABOVE_ROWS = 40;

export interface DiffRenderOptions {
  /**
   * Markdown only: the most characters the report may take. Rows beyond it are left out (the ones
   * that widen access are kept first) and the report says how many.
   * @default DEFAULT_MARKDOWN_BUDGET; Infinity for no budget (the diagram still stays renderable)
   */
  readonly maxChars?: number;
  /** Markdown only: where the complete report is, named wherever rows are left out. */
  readonly fullReport?: string;
}

interface Section {
  readonly heading: string;
  readonly headers: string[];
  readonly rows: { cells: Cell[]; first: boolean }[];
  /** What the rows are, for "N of M <what> shown". */
  readonly what: string;
}

function renderMarkdown(diff: SemanticDiff, title: string, options: DiffRenderOptions): string {
  const budget = options.maxChars ?? DEFAULT_MARKDOWN_BUDGET;
  if (!(budget >= 1000)) throw new RangeError(`maxChars ${budget} is too small for a report: give at least 1000`);
  const head = [`### ${markdownText(title)}`, '', `**${summarizeDiff(diff)}**`];
  if (isEmptyDiff(diff)) return head.join('\n') + '\n';
  const edges = groupedEdgeChanges(diff);
  const fixed = [...head];
  const sections: Section[] = [];
  if (edges.length > 0) {
    const diagram = diffDiagram(edges, Math.min(MERMAID_LIMITS.chars, Math.floor(budget / 3)));
    fixed.push('', '#### Reachability', '', '```mermaid', diagram.text, '```');
    if (diagram.note) fixed.push('', `Diagram: ${markdownText(diagram.note)}.`);
    if (edges.length > GROUP_ABOVE_ROWS) {
      sections.push({ heading: `${edges.length.toLocaleString('en-US')} changed edges by namespace and caller class:`, headers: ['change', 'callers', 'to namespace', 'edges', 'for example'], rows: groupRows(edges, diff), what: 'groups' });
    }
    const plain = edges.filter((e) => !isAuditChange(e));
    const audit = edges.filter(isAuditChange);
    if (plain.length > 0) {
      sections.push({
        heading: edges.length > GROUP_ABOVE_ROWS ? 'Edge by edge:' : '',
        headers: ['change', 'from', 'to', 'what'],
        rows: plain.map((e) => ({ cells: [e.kind, e.from, e.to, e.details], first: e.widens })),
        what: 'edges',
      });
    }
    if (audit.length > 0) {
      sections.push({
        heading: `#### ${AUDIT_HEADING}`,
        headers: ['change', 'from', 'to', 'what'],
        rows: audit.map((e) => ({ cells: [e.kind, e.from, e.to, e.details], first: e.widens })),
        what: 'audit edges',
      });
    }
  }
  if (diff.modes.length > 0 || diff.meshDefault) {
    const d = diff.meshDefault;
    const meshRow = d ? [{ cells: [d.kind, `mesh default (${meshDefaultReach(d)})`, d.before, d.after, d.afterSource ?? 'default'], first: d.kind === 'weakened' }] : [];
    sections.push({
      heading: '#### mTLS',
      headers: ['change', 'where', 'before', 'after', 'set by'],
      rows: [...meshRow, ...diff.modes.map((m) => ({ cells: [m.kind, modeTarget(m), m.before, m.after, m.afterSource ?? 'default'], first: m.kind === 'weakened' }))],
      what: 'mode changes',
    });
  }
  if (diff.external.length > 0) {
    sections.push({
      heading: '#### External services',
      headers: ['change', 'host', 'what'],
      rows: diff.external.map((e) => ({ cells: [e.kind, e.key, e.details], first: e.widens })),
      what: 'external services',
    });
  }
  if (diff.enforcement.length > 0) {
    sections.push({
      heading: '#### Enforcement',
      headers: ['policy', 'change', 'declared by'],
      rows: diff.enforcement.map((e) => ({ cells: [e.policy, e.kind, e.declaredBy ?? '-'], first: e.kind === 'enforced to dry-run' })),
      what: 'enforcement changes',
    });
  }
  if (diff.dataplanes && diff.dataplanes.length > 0) {
    sections.push({
      heading: '#### Data plane',
      headers: ['namespace', 'before', 'after'],
      rows: diff.dataplanes.map((d) => ({ cells: [d.namespace, dataplaneName(d.before), dataplaneName(d.after)], first: false })),
      what: 'data plane changes',
    });
  }
  // Rows go in while they fit: first every row that widens access (or weakens mTLS), in section
  // order, then the others. Each section keeps its own order.
  const rendered = sections.map((s) => ({ section: s, lines: s.rows.map((r) => table(s.headers, [r.cells], 'markdown').split('\n')[2]), keep: s.rows.map(() => false) }));
  const where = options.fullReport ? `: ${markdownText(options.fullReport)}` : '';
  const leftOutLine = (shown: number, total: number, what: string) => `_${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${what} shown, those that widen access first; the complete report${where || ' is not in this comment'}_`;
  let used = [...fixed, ''].join('\n').length;
  for (const r of rendered) {
    used += r.section.heading.length + 2 + table(r.section.headers, [], 'markdown').length + 2;
    used += leftOutLine(r.lines.length, r.lines.length, r.section.what).length + 2; // reserved in case rows are left out
  }
  for (const first of [true, false]) {
    for (const r of rendered) {
      r.section.rows.forEach((row, i) => {
        if (row.first !== first || r.keep[i]) return;
        const cost = r.lines[i].length + 1;
        if (used + cost <= budget) {
          r.keep[i] = true;
          used += cost;
        }
      });
    }
  }
  const out = fixed;
  for (const r of rendered) {
    const shown = r.keep.filter(Boolean).length;
    out.push('');
    if (r.section.heading) out.push(r.section.heading, '');
    out.push(table(r.section.headers, [], 'markdown'), ...r.lines.filter((_, i) => r.keep[i]));
    if (shown < r.lines.length) out.push('', leftOutLine(shown, r.lines.length, r.section.what));
  }
  return out.join('\n') + '\n';
}

/** Who the callers of an edge are, coarsely: a namespace's workloads or identities, or a class outside namespaces. */
function callerClass(ref: string, plaintext: ReadonlySet<string>): string {
  if (ref === ANYONE || ref === ANY_MESH) return ref;
  if (ref === 'plaintext') return 'plaintext clients';
  if (ref === '*/*') return 'other mesh identities';
  if (ref.startsWith('principal:')) return `identities of ${ref.split('/')[2]}`;
  const ns = ref.split('/')[0];
  return plaintext.has(ref) ? `workloads of ${ns} without sidecar` : `workloads of ${ns}`;
}

function groupRows(edges: ReturnType<typeof groupedEdgeChanges>, diff: SemanticDiff): Section['rows'] {
  const plaintext = new Set(diff.plaintextCallers);
  const groups = new Map<string, { kind: string; callers: string; to: string; count: number; widens: boolean; example: string }>();
  for (const e of edges) {
    const callers = callerClass(e.from, plaintext);
    const to = e.to.split('/')[0];
    const key = `${KIND_ORDER.indexOf(e.kind)}\u0000${callers}\u0000${to}`;
    const group = groups.get(key);
    if (group) {
      group.count++;
      group.widens ||= e.widens;
    } else {
      groups.set(key, { kind: e.kind, callers, to, count: 1, widens: e.widens, example: `${e.from} -> ${e.to}: ${e.details[0] ?? ''}` });
    }
  }
  return [...groups.entries()].sort(([a], [b]) => compare(a, b))
    .map(([, g]) => ({ cells: [g.kind, g.callers, g.to, String(g.count), g.example], first: true }));
}

const KIND_ORDER = ['added', 'widened', 'changed', 'narrowed', 'removed'];

/**
 * The changed edges as a diagram GitHub renders: each edge when they fit MERMAID_LIMITS (and
 * `maxChars`), otherwise one node per namespace (or caller class) and one edge per kind of change
 * with its count, the ones that widen access and the busiest first.
 */
export function diffDiagram(edges: ReturnType<typeof groupedEdgeChanges>, maxChars: number = MERMAID_LIMITS.chars): { text: string; note?: string } {
  const fits = (m: MermaidBuilder, text: string) => fitsMermaid(m.edgeCount, text) && text.length <= maxChars;
  if (edges.length <= DIFF_DIAGRAM_EDGES) {
    const m = new MermaidBuilder();
    for (const e of edges) m.edge(e.from, e.to, isAuditChange(e) ? `${e.kind}, audit` : e.kind, e.kind === 'removed' || isAuditChange(e) ? 'dashed' : e.kind === 'added' ? 'thick' : 'solid', COLOR[e.kind]);
    const text = m.render();
    if (fits(m, text)) return { text };
  }
  const pairs = new Map<string, { from: string; to: string; kind: EdgeChange['kind']; count: number; widens: boolean }>();
  for (const e of edges) {
    const from = namespaceNode(e.from);
    const to = namespaceNode(e.to);
    const key = `${from}\u0000${to}\u0000${e.kind}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { from, to, kind: e.kind, count: 0, widens: false }));
    pair.count++;
    pair.widens ||= e.widens;
  }
  const sorted = [...pairs.values()].sort((a, b) => Number(b.widens) - Number(a.widens) || b.count - a.count || compare(a.from, b.from) || compare(a.to, b.to) || compare(a.kind, b.kind));
  const build = (count: number) => {
    const m = new MermaidBuilder();
    m.comment(`${edges.length} changed edges, drawn per namespace${count < sorted.length ? ` (${count} of ${sorted.length} namespace-level edges)` : ''}`);
    for (const p of sorted.slice(0, count)) m.edge(p.from, p.to, `${p.count} ${p.kind}`, p.kind === 'removed' ? 'dashed' : p.kind === 'added' ? 'thick' : 'solid', COLOR[p.kind]);
    return { m, text: m.render() };
  };
  let count = Math.min(sorted.length, MERMAID_LIMITS.edges);
  let result = build(count);
  while (count > 0 && !fits(result.m, result.text)) {
    count = Math.floor(count * 0.8);
    result = build(count);
  }
  const left = sorted.length - count;
  const note = `${edges.length.toLocaleString('en-US')} changed edges are more than a readable diagram holds: drawn per namespace, with the number of edges of each kind of change` +
    (left > 0 ? `; ${left.toLocaleString('en-US')} of ${sorted.length.toLocaleString('en-US')} namespace-level edges left out (those that widen access and the busiest are drawn)` : '');
  return { text: result.text, note };
}
