// The decision of one request, as an Istio sidecar makes it:
// 1. the inbound PeerAuthentication mode of the destination port accepts the connection or not
//    (STRICT refuses plaintext; automatic mTLS sends mTLS unless the port is DISABLE);
// 2. AuthorizationPolicies from the root namespace and the destination's namespace whose selector
//    picks the destination: CUSTOM, then DENY (a match denies), then ALLOW (with at least one
//    enforced ALLOW policy, only a matching rule admits). Dry-run policies are not enforced.
// Anything the YAML cannot settle (CUSTOM providers, unmodelled `when` keys, targetRefs, request
// attributes not given) makes the verdict UNDECIDED, never a guess.
import { Analysis, prepare, Prepared } from './analysis';
import { ambientState, decideAmbientOnPort, evaluateZtunnelRule, mayApply } from './ambient';
import { actionOf, evaluateRule, list, RbacContext, targetRefsOf } from './authorization';
import { clientTlsOverride } from './client-tls';
import { compare, declaredBy, IstioObject, isAuditStandIn, isDryRun, objectId } from './config';
import type { WorkloadInfo } from './inventory';
import { Tri, triOr } from './match';
import type { MtlsMode, ResolvedMode } from './peer-authentication';
import { AnalyzerRequest, ResolvedClient, resolveClient, resolveDestination } from './request';

export type Verdict = 'ALLOWED' | 'DENIED' | 'UNDECIDED';

/** A policy, or one rule of it, with the construct that declared it when our compiler wrote it. */
export interface PolicyRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action?: string;
  /** 0-based rule index, when a rule decided. */
  readonly rule?: number;
  readonly dryRun?: boolean;
  /** An audit stand-in: enforced, admits what audited (dry-run) rules would deny. */
  readonly audit?: boolean;
  /** Construct path(s) from the `zero-trust.dev/declared-by` annotation. */
  readonly declaredBy?: string;
  readonly file: string;
}

export interface RuleTrace {
  readonly index: number;
  readonly result: Tri;
  /** Why it did not match, or what it depends on. */
  readonly detail: string;
  readonly declaredBy?: string;
}

/** How one applicable policy took part in the decision. */
export interface PolicyTrace {
  readonly policy: PolicyRef;
  readonly effect: 'matched' | 'not matched' | 'depends' | 'allow-nothing' | 'ignored';
  readonly note?: string;
  readonly rules: readonly RuleTrace[];
}

export interface Connection {
  /** What the client sends. */
  readonly transport: 'mTLS' | 'plaintext' | 'TLS';
  /** Why: "automatic mTLS", "the client has no sidecar", "DestinationRule ns/x sets DISABLE". */
  readonly how: string;
  /** The destination port's PeerAuthentication mode, and the policy that set it. */
  readonly mode: MtlsMode;
  readonly modeSource?: string;
  readonly accepted: Tri;
}

export interface PortDecision {
  readonly port: number | 'other';
  readonly verdict: Verdict;
  readonly summary: string;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly from: string;
  readonly to: string;
  /** The port decided on; 'any' when the request named none and every port gives this verdict. */
  readonly port: number | 'other' | 'any';
  /** The authorization filter chain the request meets. */
  readonly chain?: 'HTTP' | 'TCP';
  /** One line: the verdict's reason, naming the deciding policy. */
  readonly summary: string;
  readonly connection?: Connection;
  /** The policies (and rules) that decided. */
  readonly decidedBy: readonly PolicyRef[];
  /** Every applicable policy and what each of its rules did. */
  readonly trace: readonly PolicyTrace[];
  /** What made the verdict UNDECIDED. */
  readonly undecided: readonly string[];
  /** Set when enforcing the dry-run policies would change the verdict. */
  readonly dryRun?: { readonly verdict: Verdict; readonly summary: string; readonly decidedBy: readonly PolicyRef[] };
  /** Set when the request named no port and the verdict differs between ports. */
  readonly byPort?: readonly PortDecision[];
  /**
   * Ambient destinations: the proxies on the path (client -> ztunnel -> [waypoint -> ztunnel] ->
   * pod), each with the identity it sees and its own verdict, in path order.
   */
  readonly hops?: readonly Hop[];
  /** Ambient destinations: the proxy whose verdict decided ("waypoint payments/waypoint", "ztunnel"). */
  readonly decidedAt?: string;
  /** Assumptions the decision rests on (an identity taken to use the waypoint, say). */
  readonly notes?: readonly string[];
}

/** One enforcement point on an ambient path. */
export interface Hop {
  /** "waypoint <ns>/<name>" or "ztunnel". */
  readonly proxy: string;
  /** The peer identity the proxy sees (a SPIFFE ID), or "none (plaintext)". */
  readonly identity: string;
  readonly verdict: Verdict;
  readonly summary: string;
  readonly decidedBy: readonly PolicyRef[];
  readonly trace: readonly PolicyTrace[];
  readonly undecided: readonly string[];
}

/**
 * Decides a request against loaded Istio configuration and a workload inventory. Pure and
 * deterministic; throws UnknownWorkloadError for a caller or destination the inventory lacks.
 */
export function decide(analysis: Analysis, request: AnalyzerRequest): Decision {
  const p = prepare(analysis);
  const client = resolveClient(analysis.inventory, request.from);
  const destination = resolveDestination(analysis.inventory, request.to);
  if (request.port !== undefined) return decideOnPort(p, client, destination, request, request.port);

  const ports: (number | 'other')[] = [...namedPorts(p, destination), 'other'];
  const decisions = ports.map((port) => decideOnPort(p, client, destination, request, port));
  const other = decisions[decisions.length - 1];
  if (new Set(decisions.map((d) => d.verdict)).size === 1) return { ...other, port: 'any' };
  const byPort = decisions.map((d) => ({ port: d.port as number | 'other', verdict: d.verdict, summary: d.summary }));
  const groups = (['ALLOWED', 'DENIED', 'UNDECIDED'] as Verdict[])
    .map((v) => [v, byPort.filter((d) => d.verdict === v).map((d) => (d.port === 'other' ? 'any other port' : `port ${d.port}`))] as const)
    .filter(([, names]) => names.length > 0)
    .map(([v, names]) => `${v} on ${names.join(', ')}`);
  return {
    ...other,
    verdict: 'UNDECIDED',
    port: 'any',
    summary: `depends on the port: ${groups.join('; ')}`,
    decidedBy: [],
    trace: [],
    connection: undefined,
    undecided: ['the request names no port and the verdict differs between ports'],
    byPort,
  };
}

/** Ports that some policy of the destination names; every other port behaves alike. */
export function namedPorts(p: Prepared, destination: WorkloadInfo): number[] {
  const ports = new Set<number>(p.mtlsOf(destination.namespace, destination.name === '*' ? undefined : destination).ports);
  for (const port of destination.ports) ports.add(port.number);
  for (const policy of applicablePolicies(p, destination)) {
    if (!mayApply(p, policy, destination)) continue; // its ports say nothing about this destination
    for (const rule of list(policy.spec.rules)) {
      for (const to of list(rule?.to)) for (const f of ['ports', 'notPorts']) for (const v of list(to?.operation?.[f])) ports.add(Number(v));
      for (const when of list(rule?.when)) if (when?.key === 'destination.port') for (const v of [...list(when.values), ...list(when.notValues)]) ports.add(Number(v));
    }
  }
  return [...ports].filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
}

/**
 * AuthorizationPolicies that apply to a workload: those of the root namespace (mesh-wide without a
 * selector) and of its own namespace, whose selector is a subset of its labels.
 */
export function applicablePolicies(p: Prepared, destination: WorkloadInfo): IstioObject[] {
  return [...p.policiesSelecting(destination)];
}

export const ACTION_ORDER = ['CUSTOM', 'AUDIT', 'DENY', 'ALLOW'];

function decideOnPort(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, request: AnalyzerRequest, port: number | 'other'): Decision {
  const to = destination.name === '*' ? `${destination.namespace}/*` : `${destination.namespace}/${destination.name}`;
  const base = { from: client.label, to, port };
  const ambient = ambientState(p, destination);
  if (ambient !== 'SIDECAR') return decideAmbientOnPort(p, client, destination, request, port, ambient);
  if (!destination.sidecar) {
    return { ...base, verdict: 'ALLOWED', summary: `${to} has no sidecar: Istio enforces no policy on it`, decidedBy: [], trace: [], undecided: [] };
  }
  const mode = p.mtlsOf(destination.namespace, destination.name === '*' ? undefined : destination).modeFor(port === 'other' ? undefined : port);
  const declared = port === 'other' ? undefined : destination.ports.find((d) => d.number === port);
  const chain = chainOf(destination, port, request.protocol);
  const connection = connect(p, client, destination, port, mode);
  const undecided: string[] = [];
  if (mode.ambiguous) {
    // The mode itself is unknown, so is what the connection carries: nothing below is certain.
    return {
      ...base, chain, connection, verdict: 'UNDECIDED', decidedBy: [], trace: [],
      summary: `undecided: PeerAuthentications ${mode.ambiguous.join(', ')} compete in one scope without creationTimestamp; Istio uses the oldest, which the YAML does not tell`,
      undecided: [`PeerAuthentications ${mode.ambiguous.join(', ')} compete in one scope without creationTimestamp`],
    };
  }
  if (connection.accepted === 'no') {
    const pa = mode.source ? p.peerAuthentication(mode.source) : undefined;
    return {
      ...base, chain, connection, verdict: 'DENIED',
      summary: connection.transport === 'plaintext'
        ? `connection refused: ${to}${port === 'other' ? '' : ` port ${port}`} is STRICT (${mode.source ? `PeerAuthentication ${mode.source}` : 'default'}) and the client sends plaintext (${connection.how})`
        : `connection fails: ${to}${port === 'other' ? '' : ` port ${port}`} is DISABLE (${mode.source ? `PeerAuthentication ${mode.source}` : 'default'}) and does not terminate the mTLS the client sends (${connection.how})`,
      decidedBy: pa ? [ref(pa)] : [], trace: [], undecided: [],
    };
  }
  if (connection.accepted === 'maybe') undecided.push(`the client originates non-Istio TLS (${connection.how}) toward a ${mode.mode} port`);

  const method = request.method ?? (String(declared?.protocol).toUpperCase() === 'GRPC' ? 'POST' : undefined);
  const ctx: RbacContext = {
    ...(connection.transport === 'mTLS' && client.kind !== 'plaintext' && 'spiffeId' in client && client.spiffeId ? { spiffeId: client.spiffeId } : {}),
    ...(request.sourceIp !== undefined ? { sourceIp: request.sourceIp } : {}),
    ...(request.remoteIp !== undefined ? { remoteIp: request.remoteIp } : {}),
    port,
    chain,
    ...requestAttributes(request, chain, method),
    trustDomains: p.trustDomains,
    policyNamespace: destination.namespace,
  };
  const policies = applicablePolicies(p, destination)
    .sort((a, b) => ACTION_ORDER.indexOf(actionOf(a)) - ACTION_ORDER.indexOf(actionOf(b)) || compare(objectId(a), objectId(b)));
  const noWaypoint = destination.dataplane === 'SIDECAR';
  const enforced = authorize(policies, ctx, to, false, 'sidecar', noWaypoint);
  const result: Decision = { ...base, chain, connection, ...finish(enforced, undecided) };
  if (policies.some((policy) => isDryRun(policy) || isAuditStandIn(policy))) {
    const shadow = finish(authorize(policies, ctx, to, true, 'sidecar', noWaypoint), undecided);
    if (shadow.verdict !== result.verdict) return { ...result, dryRun: { verdict: shadow.verdict, summary: shadow.summary, decidedBy: shadow.decidedBy } };
  }
  return result;
}

/**
 * The authorization filter chain of a port: HTTP, HTTP2 and GRPC ports get the HTTP RBAC filter,
 * other declared protocols the network (TCP) one; an undeclared port is sniffed, so the request's
 * own protocol decides.
 */
export function chainOf(destination: WorkloadInfo, port: number | 'other', protocol: 'HTTP' | 'TCP' = 'HTTP'): 'HTTP' | 'TCP' {
  const declared = port === 'other' ? undefined : destination.ports.find((d) => d.number === port);
  if (!declared) return protocol;
  return ['HTTP', 'HTTP2', 'GRPC'].includes(String(declared.protocol).toUpperCase()) ? 'HTTP' : 'TCP';
}

/** What the client sends, and whether the destination port's mode accepts it. */
export function connect(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, port: number | 'other', mode: ResolvedMode): Connection {
  const modeInfo = { mode: mode.mode, ...(mode.source ? { modeSource: mode.source } : {}) };
  let transport: Connection['transport'];
  let how: string;
  if (client.kind === 'plaintext') {
    transport = 'plaintext';
    how = 'the client has no sidecar';
  } else if (client.kind === 'workload' && !client.workload.sidecar) {
    transport = 'plaintext';
    how = `${client.label} has no sidecar`;
  } else {
    const override = client.kind === 'workload'
      ? clientTlsOverride(p.destinationRulesIn, p.analysis.inventory, client.workload, destination, port === 'other' ? undefined : port) : undefined;
    if (override) {
      // An explicit DestinationRule tls replaces automatic mTLS completely.
      transport = override.mode === 'DISABLE' ? 'plaintext' : override.mode === 'ISTIO_MUTUAL' ? 'mTLS' : 'TLS';
      how = `DestinationRule ${override.source} sets tls ${override.mode}`;
    } else if (mode.mode === 'DISABLE') {
      // Automatic mTLS marks an endpoint mTLS-capable only when its port is not DISABLE.
      transport = 'plaintext';
      how = 'automatic mTLS sends plaintext to a DISABLE port';
    } else {
      transport = 'mTLS';
      how = 'automatic mTLS';
    }
  }
  let accepted: Tri = 'yes';
  if (mode.mode === 'STRICT') accepted = transport === 'plaintext' ? 'no' : transport === 'TLS' ? 'maybe' : 'yes';
  else if (mode.mode === 'DISABLE') accepted = transport === 'mTLS' ? 'no' : transport === 'TLS' ? 'maybe' : 'yes';
  else accepted = transport === 'TLS' ? 'maybe' : 'yes';
  return { transport, how, ...modeInfo, accepted };
}

export interface AuthzOutcome {
  readonly trace: PolicyTrace[];
  readonly denied: PolicyRef[];
  readonly allowed: PolicyRef[];
  readonly allowPolicies: PolicyRef[];
  dryRunAllows: number;
  /** ALLOW rules whose match depends on something unknown. */
  readonly allowMaybe: string[];
  readonly undecided: string[];
  readonly to: string;
}

/**
 * Which proxy evaluates the policies: a sidecar (the classic data plane), ztunnel (ambient, layer 4
 * only; see ambient.ts) or a waypoint (an Envoy like a sidecar, for the policies bound to it).
 */
export type Enforcer = 'sidecar' | 'ztunnel' | 'waypoint';

export function authorize(policies: IstioObject[], ctx: RbacContext, to: string, enforceDryRun: boolean, enforcer: Enforcer = 'sidecar', noWaypoint = false): AuthzOutcome {
  const out: AuthzOutcome = { trace: [], denied: [], allowed: [], allowPolicies: [], dryRunAllows: 0, allowMaybe: [], undecided: [], to };
  for (const policy of policies) {
    const action = actionOf(policy);
    const dryRun = isDryRun(policy) && (action === 'ALLOW' || action === 'DENY');
    // With the dry-run policies enforced, an audit stand-in no longer stands in for anything.
    const standIn = enforceDryRun && isAuditStandIn(policy);
    const enforced = (!dryRun || enforceDryRun) && !standIn;
    if (standIn) {
      out.trace.push({ policy: ref(policy), effect: 'ignored', note: 'audit stand-in: left out when the audited policies are enforced', rules: [] });
      continue;
    }
    const policyRef = ref(policy);
    const trace = (effect: PolicyTrace['effect'], note?: string, rules: RuleTrace[] = []) => out.trace.push({ policy: policyRef, effect, ...(note ? { note } : {}), rules });

    const targets = targetRefsOf(policy);
    if (enforcer === 'ztunnel') {
      // pilot's ambient translator: targetRefs are for waypoints, CUSTOM is unsupported, and a
      // dry-run policy is not sent to ztunnel unless AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY is set.
      const skip = targets.length > 0 ? 'has targetRefs: for a waypoint, ztunnel ignores it'
        : action !== 'ALLOW' && action !== 'DENY' ? `ztunnel does not support ${action}: not enforced`
          : dryRun ? 'dry-run: ztunnel ignores it (without Istio 1.29 and its feature flag)' : undefined;
      if (skip) {
        trace('ignored', skip);
        continue;
      }
    }
    if (targets.length > 0 && enforcer === 'sidecar') {
      // Sidecars ignore policies with targetRefs; Gateway and GatewayClass targets bind to gateway
      // and waypoint pods only, but a Service or ServiceEntry target binds to a waypoint the YAML may put in the path.
      const named = targets.map((t) => `${t.kind}/${t.name}`).join(', ');
      if (targets.every((t) => t.kind === 'Gateway' || t.kind === 'GatewayClass')) {
        trace('ignored', `targets ${named}: applies to gateway and waypoint pods, never to a sidecar`);
      } else if (noWaypoint) {
        trace('ignored', `targets ${named}: the inventory says ${to} has a sidecar and no waypoint in front of it`);
      } else {
        trace('depends', `targets ${named}: a sidecar ignores it, a waypoint in front of ${to} would enforce it`);
        if (enforced) out.undecided.push(`${objectId(policy)} (${action}) targets ${named}: the analyzer does not model waypoints`);
      }
      continue;
    }
    if (!ACTION_ORDER.includes(action)) {
      trace('ignored', `unknown action ${action}: Istio ignores the policy`);
      continue;
    }
    const rules = list(policy.spec.rules);
    if (rules.length === 0) {
      // No rules: a never-matching policy. As ALLOW that is deny-all for the selected workloads.
      if (action === 'ALLOW') {
        trace('allow-nothing', dryRun && !enforceDryRun ? 'dry-run: not enforced' : 'no rules: admits nothing');
        if (enforced) out.allowPolicies.push(policyRef);
        else out.dryRunAllows++;
      } else {
        trace('ignored', `${action} without rules never matches`);
      }
      continue;
    }
    const owners = declaredBy(policy);
    const results = rules.map((rule, index): RuleTrace => {
      const r = (enforcer === 'ztunnel' ? evaluateZtunnelRule : evaluateRule)(rule, action, { ...ctx, policyNamespace: policy.namespace });
      return { index, result: r.result, detail: r.detail, ...(owners?.[index] !== undefined ? { declaredBy: owners[index] } : {}) };
    });
    const overall = triOr(results.map((r) => r.result));
    const effect = overall === 'yes' ? 'matched' : overall === 'no' ? 'not matched' : 'depends';
    const notes = [dryRun && !enforceDryRun ? 'dry-run: not enforced' : '', action === 'AUDIT' ? 'AUDIT only logs' : ''].filter(Boolean).join('; ');
    trace(effect, notes || undefined, results);
    if (!enforced || action === 'AUDIT') {
      if (action === 'ALLOW' && !enforced) out.dryRunAllows++;
      continue;
    }
    const hits = results.filter((r) => r.result === 'yes').map((r) => ({ ...policyRef, rule: r.index, ...(r.declaredBy ? { declaredBy: r.declaredBy } : {}) }));
    const maybes = results.filter((r) => r.result === 'maybe').map((r) => `${objectId(policy)} rule ${r.index} (${action}) ${r.detail}`);
    if (action === 'CUSTOM') {
      if (overall !== 'no') out.undecided.push(`${objectId(policy)} (CUSTOM, provider ${policy.spec.provider?.name ?? 'unset'}) ${overall === 'yes' ? 'matches: an external authorizer decides' : maybes[0]}`);
    } else if (action === 'DENY') {
      out.denied.push(...hits);
      out.undecided.push(...maybes);
    } else {
      out.allowPolicies.push(policyRef);
      out.allowed.push(...hits);
      out.allowMaybe.push(...maybes);
    }
  }
  return out;
}

export function finish(o: AuthzOutcome, connectionUndecided: string[]): Pick<Decision, 'verdict' | 'summary' | 'decidedBy' | 'trace' | 'undecided'> {
  const common = { trace: o.trace };
  if (o.denied.length > 0) {
    return { ...common, verdict: 'DENIED', summary: `denied by ${describe(o.denied[0])} (DENY)`, decidedBy: o.denied, undecided: [] };
  }
  // Every check can only deny more, so a definite "no ALLOW rule matches" is DENIED whatever else is unknown.
  if (o.allowPolicies.length > 0 && o.allowed.length === 0 && o.allowMaybe.length === 0) {
    return {
      ...common, verdict: 'DENIED',
      summary: `denied: no rule of the ALLOW policies that select ${o.to} matches (${o.allowPolicies.map((r) => `${r.namespace}/${r.name}`).join(', ')})`,
      decidedBy: o.allowPolicies, undecided: [],
    };
  }
  const undecided = [...connectionUndecided, ...o.undecided, ...(o.allowed.length === 0 ? o.allowMaybe : [])];
  if (undecided.length > 0) {
    return { ...common, verdict: 'UNDECIDED', summary: `undecided: ${undecided[0]}`, decidedBy: [], undecided };
  }
  if (o.allowed.length > 0) {
    return { ...common, verdict: 'ALLOWED', summary: `allowed by ${describe(o.allowed[0])} (ALLOW)`, decidedBy: o.allowed, undecided: [] };
  }
  const why = o.dryRunAllows > 0 ? 'every ALLOW policy that selects it is dry-run' : 'no ALLOW policy selects it';
  return { ...common, verdict: 'ALLOWED', summary: `allowed: ${why}, so ${o.to} admits every request that no DENY matches`, decidedBy: [], undecided: [] };
}

function describe(r: PolicyRef): string {
  return `${r.namespace}/${r.name}${r.rule !== undefined ? ` rule ${r.rule}` : ''}`;
}

export function ref(obj: IstioObject): PolicyRef {
  const owners = declaredBy(obj);
  return {
    kind: obj.kind,
    namespace: obj.namespace,
    name: obj.name,
    ...(obj.kind === 'AuthorizationPolicy' ? { action: actionOf(obj) } : {}),
    ...(isDryRun(obj) ? { dryRun: true } : {}),
    ...(isAuditStandIn(obj) ? { audit: true } : {}),
    ...(owners && owners.length > 0 ? { declaredBy: [...new Set(owners)].join(', ') } : {}),
    file: obj.source.file,
  };
}

/**
 * The request-level attributes a proxy that parses HTTP sees (a sidecar on an HTTP port, a
 * waypoint): method, path and host only on the HTTP chain, header names lower-cased as Envoy does.
 */
export function requestAttributes(request: AnalyzerRequest, chain: RbacContext['chain'], method: string | undefined): Partial<RbacContext> {
  return {
    ...(chain === 'HTTP' && method !== undefined ? { method } : {}),
    ...(chain === 'HTTP' && request.path !== undefined ? { path: request.path } : {}),
    ...(chain === 'HTTP' && request.host !== undefined ? { host: request.host } : {}),
    ...(request.headers !== undefined ? { headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])) } : {}),
    ...(request.requestPrincipal !== undefined ? { requestPrincipal: request.requestPrincipal } : {}),
  };
}
