// Ambient destinations: how Istio's ambient data plane decides a request, hop by hop.
//
//   client -> (its ztunnel or sidecar) -> [waypoint -> ztunnel of the destination] -> pod
//   client -> (its ztunnel or sidecar) -> ztunnel of the destination -> pod
//
// A request takes the waypoint when the destination's Service uses one (inventory `waypoint`), it
// is sent to the Service (not straight to the pod IP: `bypassWaypoint`), and the client is in the
// mesh (a plaintext client cannot speak HBONE to a waypoint). The waypoint is an Envoy: it
// evaluates the policies bound to it with targetRefs (the destination's Service, the Gateway, the
// istio-waypoint GatewayClass in the root namespace) like a sidecar, seeing the client's identity.
// The destination's ztunnel evaluates the selector and namespace-wide policies with layer-4 fields
// only (pilot/pkg/serviceregistry/ambient/authorization.go): it ignores targetRefs, CUSTOM and
// dry-run policies; an ALLOW rule with an HTTP field never matches; a DENY rule loses its HTTP
// parts, and a `from`/`to` entry left empty matches nothing. Behind a waypoint it sees the
// waypoint's identity. Every hop must admit the request; the first that refuses decides.
import type { Prepared } from './analysis';
import { actionOf, evaluateRule, list, RbacContext, RuleResult, targetRefsOf } from './authorization';
import { compare, IstioObject, isDryRun, objectId } from './config';
import {
  ACTION_ORDER, applicablePolicies, authorize, chainOf, connect, Decision, finish, Hop, PolicyTrace, ref, requestAttributes, Verdict,
} from './decide';
import { ambientDeclarations, namespaceDataplane, WorkloadInfo } from './inventory';
import type { AnalyzerRequest, ResolvedClient } from './request';

/** How a destination's policies are enforced, as far as the inventory and the configuration tell. */
export type AmbientState = 'SIDECAR' | 'AMBIENT' | 'UNKNOWN';

const declarationsCache = new WeakMap<object, ReturnType<typeof ambientDeclarations>>();

/** The namespaces our compiler compiled for ambient in this configuration, with their Services' waypoints. */
export function declarations(p: Prepared) {
  let found = declarationsCache.get(p.analysis.config);
  if (!found) declarationsCache.set(p.analysis.config, (found = ambientDeclarations(p.analysis.config)));
  return found;
}

/**
 * AMBIENT or SIDECAR as the inventory says; when it does not say and our compiler compiled the
 * namespace for ambient, UNKNOWN: only the cluster knows whether the namespace carries the label.
 */
export function ambientState(p: Prepared, destination: WorkloadInfo): AmbientState {
  // An inventory inferred from the YAML takes the data plane from each configuration's own
  // annotations, so that the two sides of a diff each say what they were compiled for.
  if (p.analysis.inventory.dataplaneFromConfiguration) return declarations(p).has(destination.namespace) ? 'AMBIENT' : 'SIDECAR';
  let dataplane = destination.dataplane ?? namespaceDataplane(p.analysis.inventory, destination.namespace);
  if (destination.name === '*' && dataplane === undefined) {
    // A pod no workload names: its namespace decides, as far as its named workloads tell.
    const known = (p.workloadsByNamespace.get(destination.namespace) ?? []).map((w) => w.dataplane);
    dataplane = known.includes('AMBIENT') ? 'AMBIENT' : known.length > 0 && known.every((d) => d === 'SIDECAR') ? 'SIDECAR' : undefined;
  }
  if (dataplane) return dataplane;
  return declarations(p).has(destination.namespace) ? 'UNKNOWN' : 'SIDECAR';
}

const L4_SOURCE_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks'];
const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'];
const L4_OPERATION_FIELDS = ['ports', 'notPorts'];
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const L4_WHEN_KEYS = ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'];

/**
 * A rule as ztunnel receives it: only its layer-4 fields, or a reason why it never matches there.
 * ALLOW rules with an HTTP field are dropped; in a DENY rule a `from`/`to` entry or a `when`
 * condition left without fields is an empty match, which ztunnel skips (matches nothing).
 */
export function ztunnelRule(rule: any, action: string): { rule: any } | { never: string } {
  if (rule === null || typeof rule !== 'object') return { never: 'null rule' };
  const http: string[] = [];
  const strip = (entry: any, keep: string[], httpFields: string[]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry ?? {})) {
      if (list(v).length === 0) continue;
      if (keep.includes(k)) out[k] = v;
      else if (httpFields.includes(k)) http.push(k);
      // anything else (remoteIpBlocks) is not translated for ztunnel: dropped without a warning
    }
    return out;
  };
  const from = list(rule.from).map((f: any) => strip(f?.source, L4_SOURCE_FIELDS, HTTP_SOURCE_FIELDS));
  const to = list(rule.to).map((t: any) => strip(t?.operation, L4_OPERATION_FIELDS, HTTP_OPERATION_FIELDS));
  const when = list(rule.when).filter((w: any) => {
    if (L4_WHEN_KEYS.includes(String(w?.key))) return true;
    http.push(`when ${w?.key}`);
    return false;
  });
  if (action === 'ALLOW' && http.length > 0) return { never: `dropped at ztunnel: an ALLOW rule with HTTP field ${http[0]} never matches there` };
  if (when.length < list(rule.when).length) return { never: `ztunnel cannot evaluate when ${http.find((h) => h.startsWith('when'))!.slice(5)}: the condition matches nothing there` };
  const nonEmpty = (entries: Record<string, unknown>[]) => entries.filter((e) => Object.keys(e).length > 0);
  if (list(rule.from).length > 0 && nonEmpty(from).length === 0) return { never: `at ztunnel its from has only ${http.length > 0 ? `HTTP fields (${http.join(', ')})` : 'fields ztunnel ignores'}, an empty match` };
  if (list(rule.to).length > 0 && nonEmpty(to).length === 0) return { never: `at ztunnel its to has only ${http.length > 0 ? `HTTP fields (${http.join(', ')})` : 'fields ztunnel ignores'}, an empty match` };
  const out: Record<string, unknown> = {};
  if (list(rule.from).length > 0) out.from = nonEmpty(from).map((source) => ({ source }));
  if (list(rule.to).length > 0) out.to = nonEmpty(to).map((operation) => ({ operation }));
  if (when.length > 0) out.when = when;
  return { rule: out };
}

/** evaluateRule as ztunnel applies the rule: layer 4 only, on its (TCP) view of the connection. */
export function evaluateZtunnelRule(rule: any, action: string, ctx: RbacContext): RuleResult {
  const translated = ztunnelRule(rule, action);
  if ('never' in translated) return { result: 'no', detail: translated.never };
  return evaluateRule(translated.rule, action, { ...ctx, chain: 'TCP' });
}

/** The waypoint the destination's Services use, if any: the inventory's, or the configuration's (see ambientState). */
export function waypointOf(p: Prepared, destination: WorkloadInfo): string | undefined {
  if (p.analysis.inventory.dataplaneFromConfiguration) return declarations(p).get(destination.namespace)?.waypoints.get(destination.name);
  return destination.waypoint;
}

/** Does a targetRefs policy bind to the waypoint in front of `destination`? */
export function boundToWaypoint(p: Prepared, policy: IstioObject, destination: WorkloadInfo): boolean {
  const rootNamespace = p.analysis.inventory.rootNamespace;
  const waypoint = waypointOf(p, destination);
  if (waypoint === undefined) return false;
  return targetRefsOf(policy).some((t) => {
    const group = t.group ?? '';
    if (t.kind === 'GatewayClass') return group === 'gateway.networking.k8s.io' && t.name === 'istio-waypoint' && policy.namespace === rootNamespace;
    if (policy.namespace !== destination.namespace) return false; // waypoints live in the destination's namespace here
    if (t.kind === 'Gateway') return group === 'gateway.networking.k8s.io' && t.name === waypoint;
    if (t.kind === 'Service') return group === '' && destination.services.includes(t.name);
    return false;
  });
}

/**
 * False for a targetRefs policy that can take no part in a request to `destination`: one bound to a
 * Gateway or GatewayClass (never a sidecar) or to another workload's Service, when no waypoint of
 * the destination binds it. Policies without targetRefs always may.
 */
export function mayApply(p: Prepared, policy: IstioObject, destination: WorkloadInfo): boolean {
  const targets = targetRefsOf(policy);
  if (targets.length === 0) return true;
  if (boundToWaypoint(p, policy, destination)) return true;
  const state = ambientState(p, destination);
  if (state === 'AMBIENT' || destination.dataplane === 'SIDECAR') return false;
  return !targets.every((t) => t.kind === 'Gateway' || t.kind === 'GatewayClass');
}

/** The policies the destination's waypoint enforces for it, in evaluation order. */
export function waypointPolicies(p: Prepared, destination: WorkloadInfo): IstioObject[] {
  return applicablePolicies(p, destination).filter((policy) => boundToWaypoint(p, policy, destination)).sort(byAction);
}

/** The policies the destination's ztunnel sees (it skips the targetRefs ones itself, with a trace). */
export function ztunnelPolicies(p: Prepared, destination: WorkloadInfo): IstioObject[] {
  return applicablePolicies(p, destination).sort(byAction);
}

function byAction(a: IstioObject, b: IstioObject): number {
  return ACTION_ORDER.indexOf(actionOf(a)) - ACTION_ORDER.indexOf(actionOf(b)) || compare(objectId(a), objectId(b));
}

/** The SPIFFE identity of a destination's waypoint (its pods run as the Gateway's name). */
export function waypointIdentity(p: Prepared, destination: WorkloadInfo): string {
  return `spiffe://${p.analysis.inventory.trustDomain}/ns/${destination.namespace}/sa/${waypointOf(p, destination)}`;
}

/**
 * Whether a request to `destination` goes through its waypoint: the destination's Services use one,
 * the request is sent to the Service (not to the pod IP), and the client sends to waypoints. Only
 * ambient clients and ingress gateways (istio.io/ingress-use-waypoint) do: a sidecar never does
 * (Istio 1.30 programs waypoint endpoints for gateways only), and a plaintext client cannot.
 */
export function takesWaypoint(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, transport: string, bypass: boolean | undefined): boolean {
  return waypointOf(p, destination) !== undefined && !bypass && transport === 'mTLS' && !isSidecarClient(p, client);
}

/**
 * True for a client known to run a sidecar: an inventory workload whose data plane is not ambient,
 * or an identity of a namespace known to use sidecars. An identity the inventory does not place is
 * taken to be an ambient workload or a gateway (the compiler asks for istio.io/ingress-use-waypoint).
 */
export function isSidecarClient(p: Prepared, client: ResolvedClient): boolean {
  if (client.kind === 'plaintext') return false;
  const inventory = p.analysis.inventory;
  // An inferred inventory knows a namespace from the configuration alone: one our compiler wrote
  // policies for is ambient or sidecar as annotated; any other (an ingress gateway's) is not placed.
  const ns = client.kind === 'workload' ? client.workload.namespace : client.namespace;
  if (inventory.dataplaneFromConfiguration) return ns !== undefined && p.configuredNamespaces.has(ns) && !declarations(p).has(ns);
  if (client.kind === 'workload') return ambientState(p, client.workload) !== 'AMBIENT';
  if (ns === undefined) return false;
  const known = namespaceDataplane(inventory, ns) ?? (p.workloadsByNamespace.get(ns) ?? []).find((w) => w.dataplane !== undefined)?.dataplane;
  return known === 'SIDECAR';
}

export function decideAmbientOnPort(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, request: AnalyzerRequest, port: number | 'other', state: AmbientState): Decision {
  const to = destination.name === '*' ? `${destination.namespace}/*` : `${destination.namespace}/${destination.name}`;
  const base = { from: client.label, to, port };
  if (state === 'UNKNOWN') {
    const why = `namespace ${destination.namespace} was compiled for ambient (zero-trust.dev/dataplane), but the inventory does not say whether it carries istio.io/dataplane-mode=ambient ` +
      'and its Services istio.io/use-waypoint; declare dataplane and waypoint in the inventory, or pass --app';
    return { ...base, verdict: 'UNDECIDED', summary: `undecided: ${why}`, decidedBy: [], trace: [], undecided: [why] };
  }
  const mtls = p.mtlsOf(destination.namespace, destination.name === '*' ? undefined : destination).modeFor(port === 'other' ? undefined : port);
  if (mtls.ambiguous) {
    const why = `PeerAuthentications ${mtls.ambiguous.join(', ')} compete in one scope without creationTimestamp`;
    return { ...base, verdict: 'UNDECIDED', summary: `undecided: ${why}; Istio uses the oldest, which the YAML does not tell`, decidedBy: [], trace: [], undecided: [why] };
  }
  // ztunnel has no DISABLE: it accepts plaintext on such a port like PERMISSIVE.
  const mode = mtls.mode === 'DISABLE' ? { ...mtls, mode: 'PERMISSIVE' as const } : mtls;
  const connection = connect(p, client, destination, port, mode);
  const chain = chainOf(destination, port, request.protocol);
  const clientId = connection.transport === 'mTLS' && client.kind !== 'plaintext' && 'spiffeId' in client && client.spiffeId ? client.spiffeId : undefined;
  const common = {
    ...(request.sourceIp !== undefined ? { sourceIp: request.sourceIp } : {}),
    ...(request.remoteIp !== undefined ? { remoteIp: request.remoteIp } : {}),
    port,
    trustDomains: p.trustDomains,
    policyNamespace: destination.namespace,
  };
  const hops: Hop[] = [];
  let dryRun: Decision['dryRun'];

  const viaWaypoint = takesWaypoint(p, client, destination, connection.transport, request.bypassWaypoint);
  if (viaWaypoint) {
    const declared = port === 'other' ? undefined : destination.ports.find((d) => d.number === port);
    const method = request.method ?? (String(declared?.protocol).toUpperCase() === 'GRPC' ? 'POST' : undefined);
    const ctx: RbacContext = {
      ...common,
      ...(clientId ? { spiffeId: clientId } : {}),
      chain,
      ...requestAttributes(request, chain, method),
    };
    const policies = waypointPolicies(p, destination);
    const proxy = `waypoint ${destination.namespace}/${waypointOf(p, destination)}`;
    const outcome = finish(authorize(policies, ctx, to, false, 'waypoint'), []);
    hops.push({ proxy, identity: clientId ?? 'none (plaintext)', ...outcome });
    if (policies.some((x) => isDryRun(x))) {
      const shadow = finish(authorize(policies, ctx, to, true, 'waypoint'), []);
      if (shadow.verdict !== outcome.verdict) dryRun = { verdict: shadow.verdict, summary: `${shadow.summary} (at ${proxy})`, decidedBy: shadow.decidedBy };
    }
  } else if (connection.accepted === 'no') {
    const summary = `connection refused: ${to}${port === 'other' ? '' : ` port ${port}`} is STRICT (${mode.source ? `PeerAuthentication ${mode.source}` : 'default'}) and the client sends plaintext (${connection.how})`;
    const pa = mode.source ? p.peerAuthentication(mode.source) : undefined;
    hops.push({ proxy: 'ztunnel', identity: 'none (plaintext)', verdict: 'DENIED', summary, decidedBy: pa ? [ref(pa)] : [], trace: [], undecided: [] });
  }
  if (hops.length === 0 || (viaWaypoint && hops[0].verdict !== 'DENIED')) {
    const identity = viaWaypoint ? waypointIdentity(p, destination) : clientId;
    const ctx: RbacContext = { ...common, ...(identity ? { spiffeId: identity } : {}), chain: 'TCP' };
    const undecided = !viaWaypoint && connection.accepted === 'maybe' ? [`the client originates non-Istio TLS (${connection.how}) toward a ${mode.mode} port`] : [];
    hops.push({ proxy: 'ztunnel', identity: identity ?? 'none (plaintext)', ...finish(authorize(ztunnelPolicies(p, destination), ctx, to, false, 'ztunnel'), undecided) });
  }

  const denied = hops.find((h) => h.verdict === 'DENIED');
  const open = hops.find((h) => h.verdict === 'UNDECIDED');
  const deciding = denied ?? open ?? hops[0];
  const verdict: Verdict = denied ? 'DENIED' : open ? 'UNDECIDED' : 'ALLOWED';
  const where = `${deciding.proxy}, which sees ${deciding.identity}`;
  const summary = verdict === 'ALLOWED' && hops.length > 1
    ? `${deciding.summary} (at ${where}); ztunnel admits the waypoint`
    : `${deciding.summary} (at ${where})`;
  const notes = viaWaypoint && client.kind === 'identity'
    ? [`${client.label} is taken to be an ambient workload or an ingress gateway, which use the waypoint; a sidecar client would not (declare its namespace's data plane in the inventory)`]
    : [];
  return {
    ...base, chain, connection, verdict, summary,
    ...(notes.length > 0 ? { notes } : {}),
    decidedBy: deciding.decidedBy,
    trace: hops.flatMap((h) => h.trace as PolicyTrace[]),
    undecided: hops.flatMap((h) => h.undecided),
    hops,
    decidedAt: deciding.proxy,
    ...(dryRun ? { dryRun } : {}),
  };
}
