// External services: ServiceEntries and the DestinationRules that originate TLS toward them
// (pilot/pkg/networking/core/cluster_tls.go). AuthorizationPolicies never restrict a sidecar's
// outbound calls, so who reaches an external host is decided by who sees the ServiceEntry and
// which DestinationRule applies to them. Known silent failures are reported as problems.
import { prepare } from './analysis';
import type { Analysis, Prepared } from './analysis';
import { ambientState } from './ambient';
import { actionOf } from './authorization';
import { ACTION_ORDER, authorize, finish } from './decide';
import { list } from './authorization';
import { compare, declaredBy, IstioObject, objectId } from './config';
import { WorkloadInfo, workloadRef } from './inventory';
import { selects } from './peer-authentication';

export interface ExternalPort {
  readonly number: number;
  readonly name: string;
  readonly protocol: string;
  readonly targetPort?: number;
}

export interface ExternalClient {
  /** A workload ("ns/name"), every workload of a namespace ("ns/*") or of the mesh ("*\/*"). */
  readonly client: string;
  readonly port: number;
  /** DestinationRule TLS mode the client's sidecar originates, or 'none' (the application's own protocol). */
  readonly tls: string;
  readonly destinationRule?: string;
}

export interface ExternalService {
  /** "namespace/name" of the ServiceEntry. */
  readonly id: string;
  readonly hosts: readonly string[];
  readonly ports: readonly ExternalPort[];
  readonly location: string;
  readonly resolution: string;
  readonly clients: readonly ExternalClient[];
  /** Configurations Istio accepts that do not work, with the fix. */
  readonly problems: readonly string[];
  readonly declaredBy?: string;
  readonly file: string;
}

export function externalServices(analysis: Analysis): ExternalService[] {
  const p = prepare(analysis);
  const byHost = hostIndex(p.destinationRules);
  return p.serviceEntries
    .filter((se) => (se.spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL')
    .map((se) => describeEntry(analysis, se, p.destinationRules, byHost, p.workloadsByNamespace, p))
    .sort((a, b) => compare(a.id, b.id));
}

/** DestinationRules by lower-cased host, and the wildcard ones, as positions in configuration order. */
interface HostIndex {
  readonly exact: ReadonlyMap<string, readonly number[]>;
  readonly wildcard: readonly number[];
}

function hostIndex(destinationRules: readonly IstioObject[]): HostIndex {
  const exact = new Map<string, number[]>();
  const wildcard: number[] = [];
  destinationRules.forEach((dr, i) => {
    const p = String(dr.spec.host ?? '').toLowerCase();
    if (p === '*' || p.startsWith('*')) wildcard.push(i);
    else {
      const list = exact.get(p);
      if (list) list.push(i);
      else exact.set(p, [i]);
    }
  });
  return { exact, wildcard };
}

function describeEntry(
  analysis: Analysis, se: IstioObject, destinationRules: readonly IstioObject[], byHost: HostIndex,
  workloadsByNamespace: ReadonlyMap<string, readonly WorkloadInfo[]>, p: Prepared,
): ExternalService {
  const hosts = list(se.spec.hosts).map(String).sort(compare);
  const ports: ExternalPort[] = list(se.spec.ports).map((port: any) => ({
    number: Number(port?.number),
    name: String(port?.name ?? ''),
    protocol: String(port?.protocol ?? 'TCP').toUpperCase(),
    ...(port?.targetPort !== undefined ? { targetPort: Number(port.targetPort) } : {}),
  })).sort((a, b) => a.number - b.number);
  // The DestinationRules whose host matches one of the entry's hosts, in configuration order.
  const positions = new Set<number>();
  for (const h of hosts) {
    for (const i of byHost.exact.get(h.toLowerCase()) ?? []) positions.add(i);
    for (const i of byHost.wildcard) if (hostMatches(String(destinationRules[i].spec.host ?? ''), h)) positions.add(i);
  }
  const rules = [...positions].sort((a, b) => a - b).map((i) => destinationRules[i]);
  const clients: ExternalClient[] = [];
  const problems: string[] = [];
  const waypoint = viaWaypoint(p, se);
  if (waypoint !== undefined) {
    // Ambient: the waypoint originates TLS for every client it admits (see ambientClients).
    const admitted = ambientClients(p, se, waypoint);
    for (const port of ports) {
      const covering = rules.map((dr) => ({ dr, tls: tlsFor(dr, port.number) })).filter((x) => x.tls !== undefined);
      for (const client of admitted) {
        if (covering.length === 0) clients.push({ client, port: port.number, tls: 'none' });
        for (const { dr, tls } of covering) clients.push({ client, port: port.number, tls: String(tls.mode ?? 'DISABLE'), destinationRule: objectId(dr) });
      }
      for (const { dr, tls } of covering) {
        const mode = String(tls.mode ?? 'DISABLE');
        // A waypoint reads credentialName itself; a workloadSelector never selects it.
        problems.push(...tlsProblems(se, port, dr, tls, mode, true).filter((x) => !x.includes('credentialName without workloadSelector')));
        if (dr.spec.workloadSelector) problems.push(`${objectId(dr)} on ${objectId(se)} port ${port.number}: the waypoint ${se.namespace}/${waypoint} originates TLS here, and a DestinationRule with a workloadSelector does not apply to it. Remove the workloadSelector`);
      }
    }
    const owners = declaredBy(se);
    return {
      id: objectId(se), hosts, ports, location: String(se.spec.location ?? 'MESH_EXTERNAL'), resolution: String(se.spec.resolution ?? 'NONE'),
      clients: clients.sort((a, b) => compare(a.client, b.client) || a.port - b.port),
      problems: [...new Set(problems)].sort(compare),
      ...(owners ? { declaredBy: [...new Set(owners)].join(', ') } : {}),
      file: se.source.file,
    };
  }
  const exportTo = list(se.spec.exportTo).map(String);
  const everyone = exportTo.length === 0 || exportTo.includes('*') ? '*/*' : `${se.namespace}/*`;

  for (const port of ports) {
    const covering = rules.map((dr) => ({ dr, tls: tlsFor(dr, port.number) })).filter((x) => x.tls !== undefined);
    if (covering.length === 0) clients.push({ client: everyone, port: port.number, tls: 'none' });
    for (const { dr, tls } of covering) {
      const mode = String(tls.mode ?? 'DISABLE');
      const selector = dr.spec.workloadSelector?.matchLabels;
      const selected = selector
        ? (workloadsByNamespace.get(dr.namespace) ?? []).filter((w) => selects(selector, w.labels)).map(workloadRef)
        : [dr.namespace === analysis.inventory.rootNamespace || (exportedEverywhere(dr) && everyone === '*/*') ? '*/*' : `${dr.namespace}/*`];
      for (const client of selected) clients.push({ client, port: port.number, tls: mode, destinationRule: objectId(dr) });
      problems.push(...tlsProblems(se, port, dr, tls, mode, selector !== undefined));
    }
  }
  const owners = declaredBy(se);
  return {
    id: objectId(se),
    hosts,
    ports,
    location: String(se.spec.location ?? 'MESH_EXTERNAL'),
    resolution: String(se.spec.resolution ?? 'NONE'),
    clients: clients.sort((a, b) => compare(a.client, b.client) || a.port - b.port),
    problems: [...new Set(problems)].sort(compare),
    ...(owners ? { declaredBy: [...new Set(owners)].join(', ') } : {}),
    file: se.source.file,
  };
}

function tlsProblems(se: IstioObject, port: ExternalPort, dr: IstioObject, tls: any, mode: string, hasSelector: boolean): string[] {
  const problems: string[] = [];
  const where = `${objectId(dr)} (tls ${mode}) on ${objectId(se)} port ${port.number}`;
  const originates = mode === 'SIMPLE' || mode === 'MUTUAL';
  if (originates && (port.protocol === 'HTTPS' || port.protocol === 'TLS')) {
    // An HTTPS/TLS port is passed through by SNI: the application already speaks TLS.
    problems.push(`${where}: TLS inside TLS. Port ${port.number} is ${port.protocol}, so the application already speaks TLS and the sidecar ` +
      `encrypts it again; the server rejects the connection. Declare the port HTTP (the application sends plain HTTP, the sidecar originates TLS, targetPort ${port.targetPort ?? port.number}) or remove the DestinationRule tls`);
  }
  if (originates && tls.credentialName && !String(tls.credentialName).startsWith('configmap://') && !hasSelector) {
    problems.push(`${where}: credentialName without workloadSelector is ignored by sidecars, which then send plaintext. Add a workloadSelector or use certificate files`);
  }
  if (mode === 'MUTUAL' && !tls.credentialName && (!tls.clientCertificate || !tls.privateKey)) {
    problems.push(`${where}: MUTUAL needs clientCertificate and privateKey (or credentialName); without them the cluster gets no TLS`);
  }
  if (originates && tls.sni && list(tls.subjectAltNames).length === 0 && list(se.spec.subjectAltNames).length === 0) {
    problems.push(`${where}: sni is set without subjectAltNames, so the server's host name is not verified (only its CA chain)`);
  }
  if (mode === 'ISTIO_MUTUAL') {
    problems.push(`${where}: ISTIO_MUTUAL presents the mesh certificate, which only Istio peers accept; use MUTUAL or SIMPLE toward an external server`);
  }
  return problems;
}

/** A DestinationRule without exportTo (or with "*") is seen from every namespace. */
function exportedEverywhere(dr: IstioObject): boolean {
  const exportTo = list(dr.spec.exportTo).map(String);
  return exportTo.length === 0 || exportTo.includes('*');
}

/** The DR TLS settings for a port: portLevelSettings win over the top-level tls. */
function tlsFor(dr: IstioObject, port: number): any {
  const policy = dr.spec.trafficPolicy ?? {};
  const portLevel = list(policy.portLevelSettings).find((s: any) => Number(s?.port?.number) === port);
  return portLevel?.tls ?? policy.tls;
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  return p === h || p === '*' || (p.startsWith('*') && h.endsWith(p.slice(1)));
}

/**
 * The waypoint an ambient ServiceEntry's traffic goes through (its istio.io/use-waypoint label, in
 * an ambient namespace), or undefined: sidecars originate TLS themselves.
 */
function viaWaypoint(p: Prepared, se: IstioObject): string | undefined {
  const waypoint = se.labels?.['istio.io/use-waypoint'];
  if (waypoint === undefined) return undefined;
  const pod: WorkloadInfo = { namespace: se.namespace, name: '*', labels: {}, serviceAccount: '', sidecar: true, ports: [], services: [] };
  return ambientState(p, pod) === 'AMBIENT' ? waypoint : undefined;
}

/**
 * The workloads the waypoint lets use an ambient ServiceEntry: the policies bound to it (the
 * ServiceEntry, the Gateway, the istio-waypoint GatewayClass in the root namespace) evaluated with
 * each workload's identity, as the waypoint would. A workload whose access depends on the request
 * (methods, paths) is listed: some of its requests go out.
 */
function ambientClients(p: Prepared, se: IstioObject, waypoint: string): string[] {
  const root = p.analysis.inventory.rootNamespace;
  const bound = [...(p.policies.get(root) ?? []), ...(se.namespace !== root ? p.policies.get(se.namespace) ?? [] : [])].filter((policy) => {
    const targets = [policy.spec.targetRef, ...list(policy.spec.targetRefs)].filter((t: any) => t && typeof t === 'object');
    return targets.some((t: any) => (t.kind === 'GatewayClass' && t.name === 'istio-waypoint' && policy.namespace === root)
      || (policy.namespace === se.namespace && ((t.kind === 'Gateway' && t.name === waypoint) || (t.kind === 'ServiceEntry' && t.name === se.name))));
  }).sort((a, b) => ACTION_ORDER.indexOf(actionOf(a)) - ACTION_ORDER.indexOf(actionOf(b)) || compare(objectId(a), objectId(b)));
  const exportTo = list(se.spec.exportTo).map(String);
  const visible = (w: WorkloadInfo) => exportTo.length === 0 || exportTo.includes('*') || (exportTo.includes('.') && w.namespace === se.namespace) || exportTo.includes(w.namespace);
  const inventory = p.analysis.inventory;
  return inventory.workloads.filter((w) => w.sidecar && visible(w)).filter((w) => {
    const ctx = {
      spiffeId: `spiffe://${inventory.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}`,
      port: 'other' as const, chain: 'HTTP' as const, trustDomains: p.trustDomains, policyNamespace: se.namespace,
    };
    return finish(authorize(bound, ctx, objectId(se), false, 'waypoint'), []).verdict !== 'DENIED';
  }).map(workloadRef).sort(compare);
}
