// External services: ServiceEntries and the DestinationRules that originate TLS toward them
// (pilot/pkg/networking/core/cluster_tls.go). AuthorizationPolicies never restrict a sidecar's
// outbound calls, so who reaches an external host is decided by who sees the ServiceEntry and
// which DestinationRule applies to them. Known silent failures are reported as problems.
import { prepare } from './analysis';
import type { Analysis } from './analysis';
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
    .map((se) => describeEntry(analysis, se, p.destinationRules, byHost, p.workloadsByNamespace))
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
  workloadsByNamespace: ReadonlyMap<string, readonly WorkloadInfo[]>,
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
