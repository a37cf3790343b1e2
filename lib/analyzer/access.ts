// What one caller may do on one port of a destination: the same evaluation as decide(), but
// symbolic in the layer-7 attributes. Instead of a verdict for one method and path, it collects the
// methods, paths and hosts the matching ALLOW rules admit (and the ones partial DENY rules take
// away). reachability() asks it once per class of callers that the policies cannot tell apart.
import type { Prepared } from './analysis';
import { actionOf, evaluateRule, list, RbacContext, targetRefsOf } from './authorization';
import { compare, declaredBy, IstioObject, isAuditStandIn, isDryRun, objectId } from './config';
import { ambientState, boundToWaypoint, evaluateZtunnelRule, takesWaypoint, waypointIdentity } from './ambient';
import { ACTION_ORDER, chainOf, connect, Enforcer, PolicyRef, ref } from './decide';
import type { WorkloadInfo } from './inventory';
import type { ResolvedClient } from './request';

/** A set of HTTP requests one `to` entry admits: every listed field must match. */
export interface Grant {
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  readonly hosts?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly notPaths?: readonly string[];
  readonly notHosts?: readonly string[];
}

export const L7_FIELDS = ['hosts', 'methods', 'paths', 'notHosts', 'notMethods', 'notPaths'] as const;

/** What a caller may do on one port of a destination. */
export interface Access {
  readonly port: number | 'other';
  readonly transport: 'mTLS' | 'plaintext' | 'TLS';
  /** 'any' request, or only requests within one of the grants. */
  readonly grants: 'any' | readonly Grant[];
  /** Requests a DENY rule takes away from the grants. */
  readonly except: readonly Grant[];
  /** Why this access may not exist (CUSTOM, unknown `when` keys, IP conditions, targetRefs). */
  readonly undecided: readonly string[];
  /** The ALLOW rules that admit it; empty when no enforced ALLOW policy selects the destination. */
  readonly via: readonly PolicyRef[];
  /** Only open because policies are dry-run: enforcing them would remove it. */
  readonly dryRunOnly: boolean;
}

/** Access of one caller to one port of a destination, or undefined when it has none. */
export function accessOn(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, port: number | 'other', policies: IstioObject[]): Access | undefined {
  const enforced = scope(p, client, destination, port, policies, false);
  if (!enforced) return undefined;
  const hasDryRun = policies.some((policy) => isDryRun(policy) || isAuditStandIn(policy));
  const shadow = hasDryRun ? scope(p, client, destination, port, policies, true) : enforced;
  return { ...enforced, port, dryRunOnly: shadow === undefined };
}

/** The access of one caller on every port class of a destination (the ports with none left out). */
export function accessOnPorts(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, ports: readonly (number | 'other')[], policies: IstioObject[]): Access[] {
  return ports.map((port) => accessOn(p, client, destination, port, policies)).filter((a): a is Access => a !== undefined);
}

type Scope = Omit<Access, 'port' | 'dryRunOnly'>;

function scope(p: Prepared, client: ResolvedClient, destination: WorkloadInfo, port: number | 'other', policies: IstioObject[], enforceDryRun: boolean): Scope | undefined {
  const ambient = ambientState(p, destination);
  if (ambient === 'UNKNOWN') {
    // Whether the namespace is ambient is not known: the access may or may not exist.
    return { transport: 'mTLS', grants: 'any', except: [], undecided: [`${destination.namespace} was compiled for ambient; the inventory does not say whether it is`], via: [] };
  }
  const mtls = p.mtlsOf(destination.namespace, destination.name === '*' ? undefined : destination);
  const resolved = mtls.modeFor(port === 'other' ? undefined : port);
  // ztunnel has no DISABLE: it accepts plaintext on such a port like PERMISSIVE.
  const mode = ambient === 'AMBIENT' && resolved.mode === 'DISABLE' ? { ...resolved, mode: 'PERMISSIVE' as const } : resolved;
  const connection = connect(p, client, destination, port, mode);
  const undecided: string[] = [];
  if (mode.ambiguous) undecided.push(`PeerAuthentications ${mode.ambiguous.join(', ')} compete without creationTimestamp`);
  const clientId = connection.transport === 'mTLS' && 'spiffeId' in client && client.spiffeId ? client.spiffeId : undefined;
  const base = { port, trustDomains: p.trustDomains, policyNamespace: destination.namespace };

  if (ambient === 'AMBIENT' && takesWaypoint(p, client, destination, connection.transport, false)) {
    // Two hops: the waypoint decides on the client; the destination's ztunnel must admit the waypoint.
    const atWaypoint = grantsAt({ ...base, ...(clientId ? { spiffeId: clientId } : {}), chain: chainOf(destination, port) },
      policies.filter((x) => boundToWaypoint(p, x, destination)), enforceDryRun, 'waypoint');
    if (!atWaypoint) return undefined;
    const atZtunnel = grantsAt({ ...base, spiffeId: waypointIdentity(p, destination), chain: 'TCP' }, policies, enforceDryRun, 'ztunnel');
    if (!atZtunnel) return undefined;
    return { transport: connection.transport, ...atWaypoint, undecided: [...new Set([...undecided, ...atWaypoint.undecided, ...atZtunnel.undecided])].sort(compare) };
  }
  if (connection.accepted === 'no' && !mode.ambiguous) return undefined;
  if (connection.accepted === 'maybe') undecided.push(`non-Istio TLS (${connection.how}) toward a ${mode.mode} port`);
  const ctx: RbacContext = { ...base, ...(clientId ? { spiffeId: clientId } : {}), chain: ambient === 'AMBIENT' ? 'TCP' : chainOf(destination, port) };
  const enforcer = ambient === 'AMBIENT' ? 'ztunnel' : 'sidecar';
  const found = grantsAt(ctx, policies, enforceDryRun, enforcer, destination.dataplane === 'SIDECAR');
  if (!found) return undefined;
  return { transport: connection.transport, ...found, undecided: [...new Set([...undecided, ...found.undecided])].sort(compare) };
}

/** What the policies admit at one enforcement point, for a connection described by `ctx`. */
function grantsAt(ctx: RbacContext, policies: IstioObject[], enforceDryRun: boolean, enforcer: Enforcer, noWaypoint = false): Omit<Scope, 'transport'> | undefined {
  const undecided: string[] = [];
  let allowPolicies = 0;
  let any = false;
  const grants: Grant[] = [];
  const except: Grant[] = [];
  const via: PolicyRef[] = [];
  const allowUndecided: string[] = [];
  let fullyDenied = false;
  const evaluate = enforcer === 'ztunnel' ? evaluateZtunnelRule : evaluateRule;
  for (const policy of policies) {
    const action = actionOf(policy);
    const dryRun = isDryRun(policy) && (action === 'ALLOW' || action === 'DENY');
    // With the dry-run policies enforced, an audit stand-in no longer stands in for anything.
    const enforced = enforceDryRun ? !isAuditStandIn(policy) : !dryRun;
    if (!enforced || action === 'AUDIT' || !ACTION_ORDER.includes(action)) continue;
    const targets = targetRefsOf(policy);
    if (enforcer === 'ztunnel' && (targets.length > 0 || action === 'CUSTOM' || dryRun)) continue; // see ambient.ts
    if (enforcer === 'sidecar' && targets.length > 0) {
      if (!noWaypoint && !targets.every((t) => t.kind === 'Gateway' || t.kind === 'GatewayClass')) undecided.push(`${objectId(policy)} has targetRefs (a waypoint may be in front)`);
      continue;
    }
    const rules = list(policy.spec.rules);
    if (action === 'ALLOW') allowPolicies++;
    rules.forEach((rule, index) => {
      const c = { ...ctx, policyNamespace: policy.namespace };
      if (evaluate(rule, action, c).result === 'no') return;
      const rest = evaluate(withoutL7(rule), action, c).result;
      const owner = declaredBy(policy)?.[index];
      const ruleRef: PolicyRef = { ...ref(policy), rule: index, ...(owner !== undefined ? { declaredBy: owner } : {}) };
      if (rest === 'maybe' || action === 'CUSTOM') {
        (action === 'ALLOW' ? allowUndecided : undecided).push(`${objectId(policy)} rule ${index} (${action}) depends on more than the method, path and host`);
        return;
      }
      // The rule matches whatever the method, path and host: each `to` entry it has is one grant.
      const ops = list(rule.to).map((t: any) => t?.operation ?? {})
        .filter((op: any) => evaluate({ to: [{ operation: stripL7(op) }] }, action, c).result === 'yes' || (enforcer === 'ztunnel' && Object.keys(stripL7(op)).length === 0))
        .map(l7Of);
      // ztunnel and TCP chains see no method, path or host: a matching rule admits (or denies) everything.
      const all = ops.length === 0 || ops.some((g: Grant) => Object.keys(g).length === 0) || ctx.chain === 'TCP';
      if (action === 'DENY') {
        if (all) fullyDenied = true;
        else except.push(...ops);
      } else {
        via.push(ruleRef);
        if (all) any = true;
        else grants.push(...ops);
      }
    });
  }
  if (fullyDenied) return undefined;
  // With an enforced ALLOW policy, only what its rules grant is open.
  const open = allowPolicies === 0 || any;
  if (!open && grants.length === 0 && allowUndecided.length === 0) return undefined;
  return {
    grants: open ? 'any' : uniqueGrants(grants),
    except: uniqueGrants(except),
    undecided: [...new Set([...undecided, ...(open ? [] : allowUndecided)])].sort(compare),
    via,
  };
}

function uniqueGrants(grants: Grant[]): Grant[] {
  const byKey = new Map(grants.map((g) => [JSON.stringify(g), g]));
  return [...byKey.entries()].sort(([a], [b]) => compare(a, b)).map(([, g]) => g);
}

function withoutL7(rule: any): any {
  if (!rule || typeof rule !== 'object') return rule;
  return { ...rule, ...(Array.isArray(rule.to) ? { to: rule.to.map((t: any) => ({ operation: stripL7(t?.operation ?? {}) })) } : {}) };
}

function stripL7(op: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(op).filter(([k]) => !(L7_FIELDS as readonly string[]).includes(k)));
}

function l7Of(op: Record<string, unknown>): Grant {
  const grant: Record<string, string[]> = {};
  for (const field of L7_FIELDS) {
    const values = list(op[field]).map(String);
    if (values.length > 0) grant[field] = [...new Set(values)].sort(compare);
  }
  return grant;
}
