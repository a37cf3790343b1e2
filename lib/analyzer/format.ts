// Words and tables shared by the renderers: how an access, a grant and a policy reference read.
import { compare } from './config';
import type { PolicyRef } from './decide';
import type { Access, Grant, ReachEdge } from './reachability';

export type Format = 'text' | 'markdown';

/** "GET, POST /api/v1/orders/*", "host api.example.com", "not DELETE". */
export function formatGrant(grant: Grant): string {
  const parts: string[] = [];
  if (grant.methods) parts.push(grant.methods.join(', '));
  if (grant.notMethods) parts.push(`not ${grant.notMethods.join(', ')}`);
  if (grant.paths) parts.push(grant.paths.join(', '));
  if (grant.notPaths) parts.push(`not ${grant.notPaths.join(', ')}`);
  if (grant.hosts) parts.push(`host ${grant.hosts.join(', ')}`);
  if (grant.notHosts) parts.push(`not host ${grant.notHosts.join(', ')}`);
  return parts.join(' ') || 'all requests';
}

/** What one port's access admits, in words. */
export function formatRequests(access: Access): string {
  const base = access.grants === 'any' ? 'all requests' : access.grants.length === 0 ? 'nothing for sure' : access.grants.map(formatGrant).join(' | ');
  const except = access.except.length > 0 ? ` except ${access.except.map(formatGrant).join(' | ')}` : '';
  return base + except;
}

/** Same access on every port: the per-port list collapses to one "any port" entry. */
export function collapsePorts(access: readonly Access[]): { ports: string; access: Access }[] {
  const other = access.find((a) => a.port === 'other');
  const signature = (a: Access) => JSON.stringify({ ...a, port: 0, via: a.via.map((r) => `${r.namespace}/${r.name}#${r.rule}`) });
  if (other && access.every((a) => signature(a) === signature(other))) return [{ ports: 'any', access: other }];
  return access.map((a) => ({ ports: a.port === 'other' ? 'other ports' : String(a.port), access: a }));
}

/**
 * True when an audit stand-in admits (part of) this access: it exists while the declared policy is
 * audited (logged, not enforced), and enforcing the declared policy would take it away.
 */
export function isAudited(access: Access): boolean {
  return access.via.some((v) => v.audit === true);
}

/** A compact label for an edge, for diagrams. */
export function edgeLabel(edge: ReachEdge): string {
  return collapsePorts(edge.access).map(({ ports, access }) => {
    const bits = [
      ports === 'any' ? '' : ports === 'other ports' ? 'other ports' : `port ${ports}`,
      access.grants === 'any' && access.except.length === 0 ? '' : formatRequests(access),
      access.transport === 'plaintext' && !edge.from.startsWith('any') ? 'plaintext' : '',
      isAudited(access) ? 'audit' : access.dryRunOnly ? 'dry-run only' : '',
      access.undecided.length > 0 ? 'undecided' : '',
    ].filter(Boolean);
    return bits.join(', ');
  }).filter(Boolean).join('; ');
}

export function formatRef(r: PolicyRef): string {
  const rule = r.rule !== undefined ? ` rule ${r.rule}` : '';
  const by = r.declaredBy ? ` [declared by ${r.declaredBy}]` : '';
  return `${r.namespace}/${r.name}${rule}${by}`;
}

/**
 * Text for GitHub Markdown, where it is rendered and sanitized: `<` would open an HTML tag
 * (`<namespace>` disappears, `<img>` is markup), `&` an entity, `*` and `_` pair into emphasis
 * ("*\/*" would lose its stars), `` ` `` opens code, `[` a link, `@name` mentions a user and
 * `\` escapes what follows. Each is escaped. A `>` can only start a quote at the start of a line:
 * escaped there, and left readable elsewhere ("GET -> GET, POST").
 */
export function markdownText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/^>/, '&gt;')
    .replace(/([*_`[\]])/g, '\\$1')
    .replace(/@/g, '&#64;')
    .replace(/[\r\n]+/g, ' ');
}

/** A table cell: a string, or lines (joined with `<br>` in Markdown, "; " in text). */
export type Cell = string | readonly string[];

/** A left-aligned text table, or a Markdown table. */
export function table(headers: string[], rows: Cell[][], format: Format): string {
  if (format === 'markdown') {
    // `|` ends a cell.
    const esc = (cell: Cell) => (typeof cell === 'string' ? [cell] : cell).map((s) => markdownText(s).replace(/\|/g, '\\|')).join('<br>');
    return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
  }
  return textTable(headers, rows.map((r) => r.map((c) => (typeof c === 'string' ? c : c.join('; ')))));
}

function textTable(headers: string[], rows: string[][]): string {
  // (No spread: a large mesh has more rows than a call can take arguments.)
  const widths = headers.map((h, i) => rows.reduce((width, r) => Math.max(width, r[i].length), h.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * Groups callers that share one change or access toward a destination: when a group holds every
 * caller, it reads "anyone"; every caller but plaintext ones, "any mesh workload".
 *
 * With `covers` (does access `wider` admit everything `narrower` admits?), a group also reads so
 * when every caller outside it is in a group of the same destination whose access covers its own:
 * "any mesh workload: GET" stays true when six callers can do more, and those six are listed on
 * their own. Of two groups that cover each other only the larger (then the first by key) absorbs
 * the other, so that no caller is described by two group rows.
 */
export function compressCallers<T>(
  items: readonly { from: string; to: string; key: string; value: T }[], callers: readonly string[], plaintextCallers: readonly string[] = ['plaintext'],
  covers?: (wider: T, narrower: T) => boolean,
): { from: string; to: string; value: T; callers: string[] }[] {
  type Group = { key: string; to: string; value: T; callers: string[]; all: number; mesh: number; anyPlaintext: boolean };
  const groups = new Map<string, Group>();
  const byDestination = new Map<string, Group[]>();
  for (const item of items) {
    const k = `${item.to}\u0000${item.key}`;
    let group = groups.get(k);
    if (!group) {
      groups.set(k, (group = { key: item.key, to: item.to, value: item.value, callers: [], all: 0, mesh: 0, anyPlaintext: false }));
      let list = byDestination.get(item.to);
      if (!list) byDestination.set(item.to, (list = []));
      list.push(group);
    }
    group.callers.push(item.from);
  }
  // "Every caller but the destination is in the group", by counting (linear in the group, not in
  // every caller): `all` is the callers but the destination, `mesh` those of them with an identity.
  const plaintext = new Set(plaintextCallers);
  const multiplicity = new Map<string, number>();
  let meshTotal = 0;
  for (const c of callers) {
    multiplicity.set(c, (multiplicity.get(c) ?? 0) + 1);
    if (!plaintext.has(c)) meshTotal++;
  }
  let distinctMesh = 0;
  for (const c of multiplicity.keys()) if (!plaintext.has(c)) distinctMesh++;
  for (const group of groups.values()) {
    for (const c of new Set(group.callers)) {
      if (plaintext.has(c)) group.anyPlaintext = true;
      if (c === group.to || !multiplicity.has(c)) continue;
      group.all++;
      if (!plaintext.has(c)) group.mesh++;
    }
  }
  const absorbs = (h: Group, g: Group) => h !== g && covers !== undefined && covers(h.value, g.value)
    && !(covers(g.value, h.value) && (g.callers.length > h.callers.length || (g.callers.length === h.callers.length && g.key < h.key)));
  const out: { from: string; to: string; value: T; callers: string[] }[] = [];
  for (const group of groups.values()) {
    const toCount = multiplicity.get(group.to) ?? 0;
    const toIsMesh = toCount > 0 && !plaintext.has(group.to);
    const allLength = callers.length - toCount;
    const meshLength = meshTotal - (toIsMesh ? toCount : 0);
    let coveredAll = group.all;
    let coveredMesh = group.mesh;
    if (covers) {
      for (const other of byDestination.get(group.to)!) {
        if (!absorbs(other, group)) continue;
        coveredAll += other.all;
        coveredMesh += other.mesh;
      }
    }
    const everyone = coveredAll === multiplicity.size - (toCount > 0 ? 1 : 0);
    const everyMesh = coveredMesh === distinctMesh - (toIsMesh ? 1 : 0);
    if (allLength > 2 && everyone) out.push({ from: ANYONE, to: group.to, value: group.value, callers: group.callers });
    else if (meshLength > 2 && everyMesh && !group.anyPlaintext) {
      out.push({ from: ANY_MESH, to: group.to, value: group.value, callers: group.callers });
    }
    else for (const from of group.callers) out.push({ from, to: group.to, value: group.value, callers: [from] });
  }
  return out.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
}

export const ANYONE = 'anyone';
export const ANY_MESH = 'any mesh workload';
