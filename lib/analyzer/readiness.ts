// STRICT readiness: for each namespace that still accepts plaintext, what would break if it went
// STRICT. Switching a namespace's PeerAuthentication to STRICT only refuses plaintext connections,
// so the clients that break are exactly those that reach it over plaintext today (no sidecar, or a
// DestinationRule that disables TLS). Workloads with their own PeerAuthentication mode keep it
// (workload > namespace). What the YAML does not declare is found with the Prometheus query.
import { Analysis, prepare, Prepared, withPeerAuthenticationsIn } from './analysis';
import { ambientState } from './ambient';
import type { Access } from './access';
import { callerEngine } from './callers';
import { compare, IstioObject } from './config';
import { formatRequests } from './format';
import type { MtlsMode } from './peer-authentication';

export interface BreakingClient {
  readonly from: string;
  readonly to: string;
  /** The plaintext access that STRICT would refuse. */
  readonly access: readonly Access[];
}

export interface NamespaceReadiness {
  readonly namespace: string;
  readonly mode: MtlsMode;
  /** The PeerAuthentication that sets the namespace's mode, or undefined for Istio's default. */
  readonly modeSource?: string;
  /** Declared clients that reach the namespace over plaintext today and would be refused. */
  readonly breaking: readonly BreakingClient[];
  /** Workloads whose own PeerAuthentication keeps them non-STRICT whatever the namespace says. */
  readonly exceptions: readonly { readonly workload: string; readonly port?: number; readonly mode: MtlsMode; readonly source?: string }[];
  /** PromQL that finds plaintext connections into the namespace, declared or not. */
  readonly queries: readonly string[];
}

/** A port of a workload that accepts plaintext inside a STRICT namespace (a port-level exception). */
export interface PlaintextException {
  readonly workload: string;
  readonly port?: number;
  readonly mode: MtlsMode;
  readonly source?: string;
  /** Who reaches it over plaintext; empty means the exception admits nobody. */
  readonly plaintextClients: readonly BreakingClient[];
  readonly queries: readonly string[];
}

export interface ReadinessReport {
  readonly namespaces: readonly NamespaceReadiness[];
  readonly exceptions: readonly PlaintextException[];
}

export function strictReadiness(analysis: Analysis): ReadinessReport {
  const p = prepare(analysis);
  const engine = callerEngine(p);
  const root = analysis.inventory.rootNamespace;
  const plaintextAccess = (access: readonly Access[]) => access.filter((a) => a.transport === 'plaintext');
  const byCaller = (x: { from: string; to: string }, y: { from: string; to: string }) => compare(x.from, y.from) || compare(x.to, y.to);

  const namespaces: NamespaceReadiness[] = [];
  for (const ns of p.namespaces) {
    if (ns === root) continue;
    const mode = p.mtlsOf(ns).base;
    if (mode.mode === 'STRICT') continue;
    // The namespace as if its PeerAuthentication were STRICT: what remains reachable over plaintext
    // then comes from workload-level exceptions, which the namespace switch does not touch. Only
    // the mTLS modes of the namespace change, so only its own destinations are evaluated again.
    const strict = engine.whatIf(withPeerAuthenticationsIn(p, ns, strictPeerAuthentications(p.peerAuthenticationsIn(ns), ns)));
    const breaking: BreakingClient[] = [];
    for (const destination of engine.destinations) {
      if (!destination.id.startsWith(`${ns}/`)) continue;
      let stillOpen: Map<string, readonly Access[]> | undefined;
      for (const { from, access } of engine.edgesTo(destination, plaintextAccess)) {
        stillOpen ??= new Map(strict.edgesTo(destination, plaintextAccess).map((e) => [e.from, e.access]));
        const open = stillOpen.get(from) ?? [];
        const refused = access.filter((a) => !open.some((o) => o.port === a.port));
        if (refused.length > 0) breaking.push({ from, to: destination.id, access: refused });
      }
    }
    const exceptions = (p.workloadsByNamespace.get(ns) ?? []).filter((w) => w.sidecar).flatMap((w) => {
      const m = p.mtlsOf(ns, w);
      const own = m.workloadPolicy && m.base.source !== mode.source && m.base.mode !== 'STRICT' ? [{ workload: `${ns}/${w.name}`, mode: m.base.mode, ...(m.base.source ? { source: m.base.source } : {}) }] : [];
      const ports = m.ports.map((port) => ({ port, r: m.modeFor(port) })).filter(({ r }) => r.mode !== 'STRICT' && r.port !== undefined)
        .map(({ port, r }) => ({ workload: `${ns}/${w.name}`, port, mode: r.mode, ...(r.source ? { source: r.source } : {}) }));
      return [...own, ...ports];
    });
    namespaces.push({
      namespace: ns,
      mode: mode.mode,
      ...(mode.source ? { modeSource: mode.source } : {}),
      breaking: breaking.sort(byCaller),
      exceptions,
      queries: queries(`destination_workload_namespace="${ns}"`, namespaceIsAmbient(p, ns)),
    });
  }

  // Plaintext exceptions inside STRICT namespaces: who do they actually admit?
  const exceptions: PlaintextException[] = [];
  const destinationCount = new Map<string, number>();
  for (const d of engine.destinations) destinationCount.set(d.id, (destinationCount.get(d.id) ?? 0) + 1);
  for (const w of analysis.inventory.workloads) {
    if (!w.sidecar || w.namespace === root || p.mtlsOf(w.namespace).base.mode !== 'STRICT') continue;
    const m = p.mtlsOf(w.namespace, w);
    const ref = `${w.namespace}/${w.name}`;
    const scopes: { port?: number; mode: MtlsMode; source?: string }[] = [];
    if (m.base.mode !== 'STRICT') scopes.push({ mode: m.base.mode, ...(m.base.source ? { source: m.base.source } : {}) });
    for (const port of m.ports) {
      const r = m.modeFor(port);
      if (r.mode !== 'STRICT' && r.port !== undefined) scopes.push({ port, mode: r.mode, ...(r.source ? { source: r.source } : {}) });
    }
    if (scopes.length === 0) continue;
    const destination = engine.destination(ref);
    const edges = destination ? engine.edgesTo(destination, plaintextAccess).map((e) => ({ from: e.from, to: ref, access: e.access })) : [];
    // (A destination listed twice, a workload listed twice in an inventory file, has every edge twice.)
    const plaintext = Array.from({ length: destinationCount.get(ref) ?? 0 }, () => edges).flat().sort(byCaller);
    for (const scope of scopes) {
      const clients = plaintext
        .map((e) => ({ from: e.from, to: e.to, access: e.access.filter((a) => scope.port === undefined || a.port === scope.port) }))
        .filter((c) => c.access.length > 0);
      exceptions.push({
        workload: ref, ...scope, plaintextClients: clients,
        queries: queries(`destination_workload_namespace="${w.namespace}", destination_workload="${w.name}"`, ambientState(p, w) === 'AMBIENT'),
      });
    }
  }
  return { namespaces, exceptions };
}

/**
 * A namespace's PeerAuthentications with its namespace-wide ones replaced by a STRICT one (as
 * applying `mtls: STRICT` to the namespace's default policy would do).
 */
function strictPeerAuthentications(current: readonly IstioObject[], namespace: string): IstioObject[] {
  const isNamespacePolicy = (o: IstioObject) => Object.keys(o.spec.selector?.matchLabels ?? {}).length === 0;
  const strict: IstioObject = {
    kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', name: 'default', namespace, annotations: {},
    spec: { mtls: { mode: 'STRICT' } }, source: { file: '(what-if: STRICT)', document: 0 },
  };
  return [...current.filter((o) => !isNamespacePolicy(o)), strict];
}

/** True when the namespace's pods are ambient (by the inventory, or its workloads). */
function namespaceIsAmbient(p: Prepared, ns: string): boolean {
  return ambientState(p, { namespace: ns, name: '*', labels: {}, serviceAccount: '', sidecar: true, ports: [], services: [] }) === 'AMBIENT';
}

/**
 * The seed's query for plaintext connections (Istio's `connection_security_policy="none"` label,
 * reported by the destination), for TCP connections and for HTTP requests. In an ambient
 * namespace the destination's ztunnel reports them, as TCP connections only, and labels a
 * plaintext connection `connection_security_policy="unknown"` (ztunnel's inbound passthrough).
 */
function queries(selector: string, ambient = false): string[] {
  if (ambient) {
    return [`sum by (source_workload_namespace, source_workload, destination_workload) (increase(istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="unknown", ${selector}}[7d]))`];
  }
  return [
    `sum by (source_workload_namespace, source_workload, destination_workload) (increase(istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none", ${selector}}[7d]))`,
    `sum by (source_workload_namespace, source_workload, destination_workload) (increase(istio_requests_total{reporter="destination", connection_security_policy="none", ${selector}}[7d]))`,
  ];
}

export function renderReadiness(report: ReadinessReport, format: 'text' | 'markdown'): string {
  const h = (level: number, text: string) => (format === 'markdown' ? `${'#'.repeat(level + 2)} ${text}` : text);
  const code = (q: string) => (format === 'markdown' ? ['```promql', q, '```'] : [`    ${q}`]);
  const describeAccess = (access: readonly Access[]) => access.map((a) => `${a.port === 'other' ? 'any port' : `port ${a.port}`}: ${formatRequests(a)}${a.dryRunOnly ? ' (dry-run only)' : ''}`).join('; ');
  const who = (from: string) => (from === 'plaintext' ? 'any client without a sidecar' : from);
  const out: string[] = [h(1, 'STRICT readiness')];
  if (report.namespaces.length === 0) out.push('', 'Every namespace is STRICT.');
  for (const ns of report.namespaces) {
    out.push('', h(2, `namespace ${ns.namespace}: ${ns.mode} (${ns.modeSource ? `PeerAuthentication ${ns.modeSource}` : 'Istio default'})`));
    if (ns.breaking.length === 0) {
      out.push('', 'No known client reaches it over plaintext: going STRICT breaks nothing the configuration and inventory know of.');
    } else {
      out.push('', 'Clients that reach it over plaintext today and would be refused if it went STRICT:');
      for (const b of [...ns.breaking].sort((x, y) => compare(x.from, y.from) || compare(x.to, y.to))) out.push(`- ${who(b.from)} -> ${b.to} (${describeAccess(b.access)})`);
    }
    for (const e of ns.exceptions) out.push(`- ${e.workload}${e.port !== undefined ? ` port ${e.port}` : ''} stays ${e.mode} (${e.source ?? 'default'}): workload-level modes win over the namespace's`);
    out.push('', 'Plaintext connections the YAML does not declare (run before switching, expect no series):');
    for (const q of ns.queries) out.push(...code(q));
  }
  out.push('', h(1, 'Plaintext exceptions in STRICT namespaces'));
  if (report.exceptions.length === 0) out.push('', 'None.');
  for (const e of report.exceptions) {
    out.push('', h(2, `${e.workload}${e.port !== undefined ? ` port ${e.port}` : ''}: ${e.mode} (${e.source ?? 'default'})`));
    if (e.plaintextClients.length === 0) {
      out.push('', 'No plaintext client is allowed: the exception admits nobody, because no ALLOW rule matches a request without a mesh identity. ' +
        'If a scraper without a sidecar needs this port, add an ALLOW rule with `notPrincipals: ["*"]` limited to the port.');
    } else {
      out.push('', 'Reached over plaintext by:');
      for (const c of e.plaintextClients) out.push(`- ${who(c.from)} (${describeAccess(c.access)})`);
    }
    for (const q of e.queries.slice(0, 1)) out.push(...code(q));
  }
  return out.join('\n') + '\n';
}
