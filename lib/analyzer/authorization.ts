// How one AuthorizationPolicy rule matches one request (pilot/pkg/security/authz/model):
// rules are OR'ed; in a rule, any `from` AND any `to` AND every `when`; fields of one source or
// operation are AND'ed, values of one field OR'ed, `notX` is NOT(any of X). Identity fields use
// Envoy's `authenticated` matcher and never match plaintext. On a TCP filter chain an ALLOW rule
// with any HTTP-only value is dropped whole, while DENY and AUDIT just ignore those values.
import { IstioObject } from './config';
import { matchIp, matchNamespace, matchPath, matchPrincipal, matchServiceAccount, matchTrustDomain, matchValue, tri, Tri, triAnd, triNot, triOr } from './match';

/** The peer and request as the sidecar's RBAC filter sees them. */
export interface RbacContext {
  /** The peer's SPIFFE URI on an mTLS connection; undefined on plaintext. */
  readonly spiffeId?: string;
  readonly sourceIp?: string;
  readonly remoteIp?: string;
  /** Destination (container) port; 'other' is a port that no policy names. */
  readonly port: number | 'other';
  /** The filter chain: HTTP RBAC or network (TCP) RBAC. */
  readonly chain: 'HTTP' | 'TCP';
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  /** Request headers (lower-case names); undefined when the request does not say. */
  readonly headers?: Readonly<Record<string, string>>;
  /** JWT `iss/sub`; '' for a request without a token; undefined when the request does not say. */
  readonly requestPrincipal?: string;
  readonly trustDomains: readonly string[];
  /** Namespace of the policy, for bare service accounts. */
  readonly policyNamespace: string;
}

export interface RuleResult {
  readonly result: Tri;
  /** Why it did not match, or what it depends on; empty when it matched. */
  readonly detail: string;
}

const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const HTTP_WHEN_KEYS = [/^request\.headers\[/, /^request\.auth\./];
const KNOWN_WHEN_KEYS = [
  /^request\.headers\[.*\]$/, /^request\.auth\.(principal|audiences|presenter)$/, /^request\.auth\.claims\[.*\]$/,
  /^source\.(ip|namespace|serviceAccount|trustDomain|principal)$/, /^remote\.ip$/, /^destination\.(ip|port)$/,
  /^connection\.sni$/, /^experimental\.envoy\.filters\./,
];

export function isHttpOnlyWhenKey(key: string): boolean {
  return HTTP_WHEN_KEYS.some((r) => r.test(key));
}

/** True when a rule uses a value that only exists on HTTP traffic. */
export function usesHttpOnlyFields(rule: any): string | undefined {
  for (const from of list(rule?.from)) for (const f of HTTP_SOURCE_FIELDS) if (list(from?.source?.[f]).length > 0) return f;
  for (const to of list(rule?.to)) for (const f of HTTP_OPERATION_FIELDS) if (list(to?.operation?.[f]).length > 0) return f;
  for (const when of list(rule?.when)) if (isHttpOnlyWhenKey(String(when?.key))) return `when ${when.key}`;
  return undefined;
}

/** Evaluates rule `rule` of a policy with action `action` against the context. */
export function evaluateRule(rule: any, action: string, ctx: RbacContext): RuleResult {
  if (rule === null || typeof rule !== 'object') return { result: 'no', detail: 'null rule (rejected by the webhook)' };
  for (const when of list(rule.when)) {
    if (!KNOWN_WHEN_KEYS.some((r) => r.test(String(when?.key)))) {
      // model.New fails on an unknown attribute and the rule is skipped, whatever the action.
      return { result: 'no', detail: `rule skipped by Istio: unknown when key "${when?.key}"` };
    }
  }
  const tcp = ctx.chain === 'TCP';
  // Only ALLOW rules are dropped: Istio builds CUSTOM like DENY, removing the HTTP-only fields, so
  // on a TCP port a CUSTOM rule widens and sends more connections to the external authorizer.
  if (tcp && action === 'ALLOW') {
    const http = usesHttpOnlyFields(rule);
    if (http) return { result: 'no', detail: `dropped on a TCP port: an ALLOW rule with HTTP-only field ${http} is removed whole` };
  }

  const froms = list(rule.from);
  const tos = list(rule.to);
  const whens = list(rule.when).filter((w: any) => !(tcp && isHttpOnlyWhenKey(String(w.key))));

  const fromResults = froms.map((f: any) => evaluateFields(f?.source ?? {}, ctx, sourceField));
  const toResults = tos.map((t: any) => evaluateFields(t?.operation ?? {}, ctx, operationField));
  const whenResults = whens.map((w: any) => evaluateWhen(w, ctx));

  const parts: RuleResult[] = [];
  if (froms.length > 0) parts.push(anyOf(fromResults));
  if (tos.length > 0) parts.push(anyOf(toResults));
  parts.push(...whenResults);
  const result = triAnd(parts.map((p) => p.result));
  const detail = result === 'yes' ? '' : parts.filter((p) => p.result === result).map((p) => p.detail).filter(Boolean).join('; ');
  return { result, detail };
}

function anyOf(results: RuleResult[]): RuleResult {
  const result = triOr(results.map((r) => r.result));
  return { result, detail: result === 'yes' ? '' : results.filter((r) => r.result === result).map((r) => r.detail)[0] ?? '' };
}

type FieldEvaluator = (field: string, values: string[], ctx: RbacContext) => RuleResult | undefined;

function evaluateFields(fields: Record<string, any>, ctx: RbacContext, evaluate: FieldEvaluator): RuleResult {
  const results: RuleResult[] = [];
  for (const [field, raw] of Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const values = list(raw).map(String);
    if (values.length === 0) continue; // an empty list decodes to nil: no constraint
    // DENY/AUDIT/CUSTOM on a TCP chain ignore HTTP-only values; ALLOW rules with them were dropped above.
    if (ctx.chain === 'TCP' && (HTTP_SOURCE_FIELDS.includes(field) || HTTP_OPERATION_FIELDS.includes(field))) continue;
    const r = evaluate(field, values, ctx);
    if (r) results.push(r);
  }
  const result = triAnd(results.map((r) => r.result));
  return { result, detail: result === 'yes' ? '' : results.filter((r) => r.result === result).map((r) => r.detail).join(', ') };
}

/** A positive field matches when any value matches; its not-form when none does. */
function field(name: string, values: string[], negated: boolean, match: Tri, what: string, shown: string | undefined): RuleResult {
  const result = negated ? triNot(match) : match;
  if (result === 'yes') return { result, detail: '' };
  if (result === 'maybe') return { result, detail: `depends on the ${what} (${name}: ${values.join(', ')})` };
  const verb = negated ? 'is one of' : 'is not one of';
  return { result, detail: shown === undefined ? `${what} is absent (${name}: ${values.join(', ')})` : `${what} ${shown} ${verb} [${values.join(', ')}]` };
}

function identityField(name: string, values: string[], ctx: RbacContext, what: string, test: (v: string, id: string) => boolean): RuleResult {
  const negated = name.startsWith('not');
  if (ctx.spiffeId === undefined) {
    // The `authenticated` matcher never matches a plaintext connection: positive fields fail, not-forms pass.
    const result: Tri = negated ? 'yes' : 'no';
    return { result, detail: result === 'no' ? `plaintext request has no ${what} (${name}: ${values.join(', ')})` : '' };
  }
  const match = tri(values.some((v) => test(v, ctx.spiffeId!)));
  // The identity is only shown in the message of a field that fails.
  return field(name, values, negated, match, what, (negated ? triNot(match) : match) === 'no' ? show(what, ctx.spiffeId) : undefined);
}

/** The part of a SPIFFE ID a field looks at, for messages. */
function show(what: string, spiffeId: string): string {
  const id = spiffeId.replace(/^spiffe:\/\//, '');
  const parts = id.split('/');
  if (what === 'source namespace' && parts[1] === 'ns') return parts[2];
  if (what === 'source service account' && parts[1] === 'ns' && parts[3] === 'sa') return `${parts[2]}/${parts[4]}`;
  if (what === 'source trust domain') return parts[0];
  return id;
}

function ipField(name: string, values: string[], ip: string | undefined, what: string): RuleResult {
  const negated = name.startsWith('not');
  return field(name, values, negated, ip === undefined ? 'maybe' : tri(values.some((v) => matchIp(v, ip))), what, ip);
}

function sourceField(name: string, values: string[], ctx: RbacContext): RuleResult | undefined {
  switch (name) {
    case 'principals': case 'notPrincipals':
      return identityField(name, values, ctx, 'source principal', (v, id) => matchPrincipal(v, id, ctx.trustDomains));
    case 'namespaces': case 'notNamespaces':
      return identityField(name, values, ctx, 'source namespace', (v, id) => matchNamespace(v, id));
    case 'serviceAccounts': case 'notServiceAccounts':
      return identityField(name, values, ctx, 'source service account', (v, id) => matchServiceAccount(v, ctx.policyNamespace, id));
    case 'trustDomains': case 'notTrustDomains':
      return identityField(name, values, ctx, 'source trust domain', (v, id) => matchTrustDomain(v, id, ctx.trustDomains));
    case 'ipBlocks': case 'notIpBlocks':
      return ipField(name, values, ctx.sourceIp, 'source IP');
    case 'remoteIpBlocks': case 'notRemoteIpBlocks':
      return ipField(name, values, ctx.remoteIp, 'remote IP');
    case 'requestPrincipals': case 'notRequestPrincipals':
      return field(name, values, name.startsWith('not'), ctx.requestPrincipal === undefined ? 'maybe'
        : tri(ctx.requestPrincipal !== '' && values.some((v) => matchValue(v, ctx.requestPrincipal))), 'request principal (JWT)', ctx.requestPrincipal || undefined);
    default:
      return undefined;
  }
}

function operationField(name: string, values: string[], ctx: RbacContext): RuleResult | undefined {
  const negated = name.startsWith('not');
  switch (name) {
    case 'ports': case 'notPorts':
      return field(name, values, negated, tri(ctx.port !== 'other' && values.includes(String(ctx.port))), 'port', ctx.port === 'other' ? 'any other port' : String(ctx.port));
    case 'methods': case 'notMethods':
      return field(name, values, negated, ctx.method === undefined ? 'maybe' : tri(values.some((v) => matchValue(v, ctx.method))), 'method', ctx.method);
    case 'paths': case 'notPaths':
      return field(name, values, negated, ctx.path === undefined ? 'maybe' : tri(values.some((v) => matchPath(v, ctx.path!))), 'path', ctx.path);
    case 'hosts': case 'notHosts':
      return field(name, values, negated, ctx.host === undefined ? 'maybe' : tri(values.some((v) => matchValue(v, ctx.host, true))), 'host', ctx.host);
    default:
      return undefined;
  }
}

function evaluateWhen(when: any, ctx: RbacContext): RuleResult {
  const key = String(when?.key);
  const values = list(when?.values).map(String);
  const notValues = list(when?.notValues).map(String);
  const test = (v: string): Tri => {
    switch (true) {
      case key === 'source.ip': return ctx.sourceIp === undefined ? 'maybe' : tri(matchIp(v, ctx.sourceIp));
      case key === 'remote.ip': return ctx.remoteIp === undefined ? 'maybe' : tri(matchIp(v, ctx.remoteIp));
      case key === 'source.principal': return tri(ctx.spiffeId !== undefined && matchPrincipal(v, ctx.spiffeId, ctx.trustDomains));
      case key === 'source.namespace': return tri(ctx.spiffeId !== undefined && matchNamespace(v, ctx.spiffeId));
      case key === 'source.serviceAccount': return tri(ctx.spiffeId !== undefined && matchServiceAccount(v, ctx.policyNamespace, ctx.spiffeId));
      case key === 'source.trustDomain': return tri(ctx.spiffeId !== undefined && matchTrustDomain(v, ctx.spiffeId, ctx.trustDomains));
      case key === 'destination.port': return tri(ctx.port !== 'other' && String(ctx.port) === v);
      case key.startsWith('request.headers['): {
        if (ctx.headers === undefined) return 'maybe';
        const header = ctx.headers[key.slice('request.headers['.length, -1).toLowerCase()];
        return tri(header !== undefined && matchValue(v, header));
      }
      case key === 'request.auth.principal':
        return ctx.requestPrincipal === undefined ? 'maybe' : tri(ctx.requestPrincipal !== '' && matchValue(v, ctx.requestPrincipal));
      default:
        // request.auth.claims/audiences/presenter, destination.ip, connection.sni, experimental.*: not modelled.
        return 'maybe';
    }
  };
  const positive: Tri = values.length > 0 ? triOr(values.map(test)) : 'yes';
  const negative: Tri = notValues.length > 0 ? triNot(triOr(notValues.map(test))) : 'yes';
  const result = triAnd([positive, negative]);
  const shown = [values.length > 0 ? `values: ${values.join(', ')}` : '', notValues.length > 0 ? `notValues: ${notValues.join(', ')}` : ''].filter(Boolean).join('; ');
  if (result === 'yes') return { result, detail: '' };
  return { result, detail: result === 'maybe' ? `depends on when ${key} (${shown}), which the analyzer does not know` : `when ${key} does not hold (${shown})` };
}

/** `action` of a policy: unset means ALLOW. */
export function actionOf(policy: IstioObject): string {
  return typeof policy.spec.action === 'string' ? policy.spec.action : 'ALLOW';
}

/** The policy's target references (targetRef and targetRefs), if any. */
export function targetRefsOf(policy: IstioObject): { kind: string; name: string; group?: string }[] {
  return [policy.spec.targetRef, ...list(policy.spec.targetRefs)].filter((t) => t && typeof t === 'object');
}

export function list(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

