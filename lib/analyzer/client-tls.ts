// What a client sidecar sends to an in-mesh destination: Istio's automatic mTLS, unless a
// DestinationRule `tls` setting overrides it (pilot/pkg/networking/core/cluster_tls.go). DR lookup
// (push_context.go:destinationRule): the client's namespace first, then the service's namespace,
// then the root namespace; the first level with a match wins and levels are never merged.
import { compare, IstioObject, objectId } from './config';
import type { Inventory, WorkloadInfo } from './inventory';
import { selects } from './peer-authentication';

export type ClientTls = 'ISTIO_MUTUAL' | 'DISABLE' | 'SIMPLE' | 'MUTUAL';

export interface ClientTlsSetting {
  readonly mode: ClientTls;
  /** The DestinationRule that set it. */
  readonly source: string;
}

/**
 * The DestinationRule TLS mode a client uses toward a destination workload's Services on a port,
 * or undefined when no DestinationRule sets one (automatic mTLS applies). The Service port is
 * taken to be the workload port (the inventory knows no port mapping).
 */
export function clientTlsOverride(
  destinationRules: readonly IstioObject[] | ((namespace: string) => readonly IstioObject[]),
  inventory: Inventory, client: WorkloadInfo, destination: WorkloadInfo, port: number | undefined,
): ClientTlsSetting | undefined {
  const hosts = destinationHosts(destination, inventory.clusterDomain);
  const levels = [client.namespace, destination.namespace, inventory.rootNamespace];
  // The DestinationRules of one namespace: a lookup (Prepared.destinationRulesIn) or a filter.
  const inNamespace = typeof destinationRules === 'function' ? destinationRules : (ns: string) => destinationRules.filter((dr) => dr.namespace === ns);
  for (const [index, level] of levels.entries()) {
    if (levels.indexOf(level) !== index) continue;
    const candidates = inNamespace(level).filter((dr) => dr.namespace === level && visibleTo(dr, client.namespace)
      && (dr.spec.workloadSelector === undefined || (dr.namespace === client.namespace && selects(dr.spec.workloadSelector?.matchLabels, client.labels))));
    let best: { dr: IstioObject; score: number } | undefined;
    for (const dr of candidates) {
      const host = resolveHost(String(dr.spec.host ?? ''), dr.namespace, inventory.clusterDomain);
      const score = Math.max(-1, ...hosts.map((h) => hostScore(host, h)));
      if (score >= 0 && (!best || score > best.score || (score === best.score && compare(objectId(dr), objectId(best.dr)) < 0))) best = { dr, score };
    }
    if (!best) continue;
    const spec = best.dr.spec.trafficPolicy ?? {};
    const portLevel = Array.isArray(spec.portLevelSettings)
      ? spec.portLevelSettings.find((s: any) => port !== undefined && Number(s?.port?.number) === port) : undefined;
    const mode = (portLevel?.tls?.mode ?? spec.tls?.mode) as ClientTls | undefined;
    return mode ? { mode, source: objectId(best.dr) } : undefined;
  }
  return undefined;
}

/** The cluster host names of a workload's Services, which DestinationRule hosts are matched against. */
export function destinationHosts(destination: WorkloadInfo, clusterDomain: string): string[] {
  return destination.services.map((s) => `${s}.${destination.namespace}.svc.${clusterDomain}`);
}

/** exportTo: absent or "*" is every namespace, "." its own, "~" none. */
function visibleTo(dr: IstioObject, namespace: string): boolean {
  const exportTo = dr.spec.exportTo;
  if (!Array.isArray(exportTo) || exportTo.length === 0) return true;
  return exportTo.some((e: string) => e === '*' || (e === '.' && dr.namespace === namespace) || e === namespace);
}

/** A DR host without a dot is a short name in the DR's namespace (ResolveShortnameToFQDN). */
export function resolveHost(host: string, namespace: string, clusterDomain: string): string {
  return host.includes('.') || host.includes('*') ? host : `${host}.${namespace}.svc.${clusterDomain}`;
}

/** How specifically `pattern` matches `host`: -1 no match, exact beats the longest wildcard suffix. */
export function hostScore(pattern: string, host: string): number {
  const p = pattern.toLowerCase();
  if (p === host) return 10_000;
  if (p === '*') return 0;
  if (p.startsWith('*') && host.endsWith(p.slice(1))) return p.length;
  return -1;
}
