// Whether one set of requests contains another, to tell a widened layer-7 scope from a narrowed
// one. Conservative: when containment cannot be shown (two different templates, say), the answer
// is "no", so a change reads as "changed" (both wider and narrower) rather than a false "narrowed".
import { isPathTemplate, matchPath, matchValue } from './match';
import type { Access, Grant } from './reachability';

/** True when every request `b` admits, `a` admits too. */
export function accessCovers(a: Access | undefined, b: Access | undefined): boolean {
  if (!b) return true;
  if (!a) return false;
  if (!grantsCover(a.grants, b.grants)) return false;
  // a's exceptions must also be exceptions of b (a denies nothing b allows).
  return a.except.every((x) => b.except.some((y) => grantCovers(y, x)));
}

export function grantsCover(a: 'any' | readonly Grant[], b: 'any' | readonly Grant[]): boolean {
  if (a === 'any') return true;
  if (b === 'any') return false;
  return b.every((gb) => a.some((ga) => grantCovers(ga, gb)));
}

/** Every request `b` admits, `a` admits: each field of `a` is at least as wide as b's. */
export function grantCovers(a: Grant, b: Grant): boolean {
  const dims: [keyof Grant, (p: string, q: string) => boolean][] = [
    ['methods', (p, q) => patternCovers(p, q, matchValue)],
    ['paths', (p, q) => patternCovers(p, q, (pattern, value) => matchPath(pattern, value))],
    ['hosts', (p, q) => patternCovers(p.toLowerCase(), q.toLowerCase(), matchValue)],
  ];
  for (const [field, covers] of dims) {
    const pa = a[field];
    if (!pa) continue; // a does not constrain this field
    const pb = b[field];
    if (!pb) return false; // b is unconstrained there, a is not
    if (!pb.every((q) => pa.some((p) => covers(p, q)))) return false;
  }
  for (const field of ['notMethods', 'notPaths', 'notHosts'] as const) {
    const na = a[field];
    if (na && !na.every((v) => (b[field] ?? []).includes(v))) return false;
  }
  return true;
}

/** Does Istio pattern `p` match every value pattern `q` matches? */
export function patternCovers(p: string, q: string, match: (pattern: string, value: string) => boolean): boolean {
  if (p === q) return true;
  if (p === '*') return true;
  const literal = !q.includes('*') && !isPathTemplate(q);
  if (literal) return match(p, q);
  if (isPathTemplate(p) || isPathTemplate(q)) {
    // A prefix covers a template whose literal start carries that prefix.
    if (p.endsWith('*') && !p.startsWith('*') && isPathTemplate(q)) return q.slice(0, q.indexOf('{')).startsWith(p.slice(0, -1));
    return false;
  }
  if (q === '*') return false;
  if (p.endsWith('*') && !p.startsWith('*')) return q.endsWith('*') && !q.startsWith('*') && q.slice(0, -1).startsWith(p.slice(0, -1));
  if (p.startsWith('*')) return q.startsWith('*') && q.slice(1).endsWith(p.slice(1));
  return false;
}
