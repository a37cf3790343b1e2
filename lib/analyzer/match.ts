// Istio's value matchers, as pilot/pkg/security/authz/matcher and model/generator.go build them,
// plus a three-valued logic: a condition on something the request does not say (no path given,
// no source IP) is 'maybe', never a guess.

import { ipInBlock } from '../core/ip';

export type Tri = 'yes' | 'no' | 'maybe';

export function triAnd(values: Iterable<Tri>): Tri {
  let result: Tri = 'yes';
  for (const v of values) {
    if (v === 'no') return 'no';
    if (v === 'maybe') result = 'maybe';
  }
  return result;
}

export function triOr(values: Iterable<Tri>): Tri {
  let result: Tri = 'no';
  for (const v of values) {
    if (v === 'yes') return 'yes';
    if (v === 'maybe') result = 'maybe';
  }
  return result;
}

export function triNot(value: Tri): Tri {
  return value === 'yes' ? 'no' : value === 'no' ? 'yes' : 'maybe';
}

export function tri(value: boolean): Tri {
  return value ? 'yes' : 'no';
}

/**
 * Istio's generic matcher (matcher.StringMatcherWithPrefix / HeaderMatcher): "*" alone is present and
 * non-empty, a leading "*" a suffix match, a trailing "*" a prefix match, anything else exact (a
 * "*" in the middle is taken literally). Case-sensitive unless `ignoreCase` (hosts).
 */
export function matchValue(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return v.length > 0;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

/**
 * AuthorizationPolicy `principals`: matched against the peer's SPIFFE URI with `spiffe://` prepended
 * by Istio (so a value written with `spiffe://` never matches). "*" is any mTLS peer. A value
 * `<td>/ns/<ns>/sa/<sa>` whose trust domain is the mesh's, an alias, or the literal
 * `cluster.local` is expanded to every trust domain of the mesh (ReplaceTrustDomainAliases).
 */
export function matchPrincipal(pattern: string, spiffeId: string, trustDomains: readonly string[]): boolean {
  if (pattern === '*') return spiffeId.length > 0;
  for (const candidate of expansions(pattern, trustDomains)) {
    const full = `spiffe://${candidate}`;
    if (candidate.startsWith('*')) {
      if (spiffeId.startsWith('spiffe://') && spiffeId.endsWith(candidate.slice(1))) return true;
    } else if (candidate.endsWith('*')) {
      if (spiffeId.startsWith(full.slice(0, -1))) return true;
    } else if (spiffeId === full) {
      return true;
    }
  }
  return false;
}

/** The principals a value stands for: itself, plus every trust domain of the mesh for a mesh principal. */
export function expandTrustDomains(pattern: string, trustDomains: readonly string[]): string[] {
  return [...expansions(pattern, trustDomains)];
}

function expansions(pattern: string, trustDomains: readonly string[]): readonly string[] {
  let cache = EXPANSIONS.get(trustDomains);
  if (!cache) EXPANSIONS.set(trustDomains, (cache = new Map()));
  let expanded = cache.get(pattern);
  if (!expanded) {
    if (cache.size >= REGEX_CACHE_LIMIT) cache.clear();
    cache.set(pattern, (expanded = expand(pattern, trustDomains)));
  }
  return expanded;
}

// Expansions by trust domain list (one per analysis) and value.
const EXPANSIONS = new WeakMap<readonly string[], Map<string, readonly string[]>>();

function expand(pattern: string, trustDomains: readonly string[]): string[] {
  const parts = pattern.split('/');
  if (parts.length !== 5 || parts[0] === '*' || parts[0].startsWith('*')) return [pattern];
  if (parts[0] !== 'cluster.local' && !trustDomains.includes(parts[0])) return [pattern];
  return [...new Set([pattern, ...trustDomains.map((td) => [td, ...parts.slice(1)].join('/'))])];
}

/** `namespaces`: the regex `.*\/ns/<v>/.*` over the SPIFFE URI, every `*` becoming `.*` (any position). */
export function matchNamespace(pattern: string, spiffeId: string): boolean {
  return cachedRegex('ns', pattern, () => `^.*/ns/${pattern.split('*').map(escapeRegex).join('.*')}/.*$`).test(spiffeId);
}

/** `serviceAccounts`: `sa` or `ns/sa`; a bare `sa` is in the POLICY's namespace. */
export function matchServiceAccount(pattern: string, policyNamespace: string, spiffeId: string): boolean {
  const slash = pattern.indexOf('/');
  const ns = slash < 0 ? policyNamespace : pattern.slice(0, slash);
  const sa = slash < 0 ? pattern : pattern.slice(slash + 1);
  return cachedRegex('sa', `${ns}\u0000${sa}`, () => `^spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?$`).test(spiffeId);
}

/** `trustDomains`: "*" any, exact `td` (a prefix `spiffe://td/`), or a `*` at one end over `[^/]*`. */
export function matchTrustDomain(pattern: string, spiffeId: string, trustDomains: readonly string[]): boolean {
  if (!spiffeId.startsWith('spiffe://')) return false;
  const td = spiffeId.slice('spiffe://'.length).split('/')[0];
  if (pattern === '*') return true;
  const candidates = trustDomains.includes(pattern) ? trustDomains : [pattern];
  return candidates.some((c) => (c.startsWith('*') ? td.endsWith(c.slice(1)) : c.endsWith('*') ? td.startsWith(c.slice(0, -1)) : td === c));
}

// Envoy's uri_template literal characters; `{*}` is one or more of them, `{**}` adds '/'.
const SEGMENT = "[a-zA-Z0-9\\-._~%!$&'()+,;:@=]";

/** True when Istio turns a path into an Envoy URI template (it contains `{*}` or `{**}`). */
export function isPathTemplate(pattern: string): boolean {
  return pattern.includes('{*}') || pattern.includes('{**}');
}

/**
 * `paths`: matched against the path without its query string. Templates: `{*}` is exactly one
 * segment, `{**}` zero or more, and the whole path must match; other values use the generic
 * exact/prefix/suffix/presence rule.
 */
export function matchPath(pattern: string, path: string): boolean {
  const bare = path.split('?')[0].split('#')[0];
  if (isPathTemplate(pattern)) {
    return cachedRegex('path', pattern, () => `^${pattern.split(/(\{\*\*\}|\{\*\})/).map((part) => {
      if (part === '{**}') return `${SEGMENT.slice(0, -1)}/]*`;
      if (part === '{*}') return `${SEGMENT}+`;
      return escapeRegex(part);
    }).join('')}$`).test(bare);
  }
  return matchValue(pattern, bare);
}

/** IPv4/IPv6 address or CIDR membership: the compiler's parser (lib/core/ip.ts), Node's `net`. */
export function matchIp(block: string, ip: string): boolean {
  return ipInBlock(block, ip);
}

// Compiled matchers, shared by every decision: the same few patterns are tested against many
// identities and paths. Bounded, so that a long-running process does not grow without end.
const REGEX_CACHE = new Map<string, RegExp>();
const REGEX_CACHE_LIMIT = 50_000;

function cachedRegex(kind: string, key: string, source: () => string): RegExp {
  const k = `${kind}\u0000${key}`;
  let regex = REGEX_CACHE.get(k);
  if (!regex) {
    if (REGEX_CACHE.size >= REGEX_CACHE_LIMIT) REGEX_CACHE.clear();
    REGEX_CACHE.set(k, (regex = new RegExp(source())));
  }
  return regex;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
