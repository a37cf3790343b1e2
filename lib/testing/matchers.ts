// Vitest matchers for a team's own invariants, next to its policy code:
//
//   expect(analysis).toAllow('production/frontend', 'production/cart', { method: 'GET' });
//   expect(analysis).toDeny('development/*', 'production/payment-service');
//
// The received value is an Analysis ({ config, inventory }, e.g. from loadIstioDir) or a MeshModel
// (ZeroTrustMesh.toModel()), which is compiled in memory. A "namespace/*" caller or destination
// means every one of them: every known workload of the namespace plus any other workload there,
// so toDeny('development/*', ...) holds only when no workload of development gets through.
import type {} from 'vitest'; // the module augmented below; type-only, so nothing loads vitest at run time
import { Analysis, analysisFromModel, AnalyzerRequest, decide, Decision } from '../analyzer';
import { prepare } from '../analyzer/analysis';
import type { MeshModel } from '../core/model';

/** The request part of a matcher call: port, method, path, host, headers, IPs, JWT. */
export type RequestOptions = Omit<AnalyzerRequest, 'from' | 'to'>;

export interface ZeroTrustMatchers<R = unknown> {
  /** Every caller matched by `from` may send `request` to every destination matched by `to`. */
  toAllow(from: string, to: string, request?: RequestOptions): R;
  /** Istio refuses `request` from every caller matched by `from` to every destination matched by `to`. */
  toDeny(from: string, to: string, request?: RequestOptions): R;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function toAnalysis(received: unknown): Analysis {
  const value = received as Partial<Analysis & MeshModel>;
  if (value && typeof value === 'object' && value.config && value.inventory) return value as Analysis;
  if (value && typeof value === 'object' && Array.isArray(value.namespaces) && Array.isArray(value.edges)) return analysisFromModel(value as MeshModel);
  throw new TypeError('toAllow/toDeny expect an Analysis ({ config, inventory }) or a MeshModel (ZeroTrustMesh.toModel())');
}

/** Expands "ns/*" into the namespace's known workloads plus its "any other workload". */
export function expandCallers(analysis: Analysis, pattern: string, asDestination = false): string[] {
  if (!pattern.endsWith('/*') || pattern === '*/*') return [pattern];
  const ns = pattern.slice(0, -2);
  const known = analysis.inventory.workloads.filter((w) => w.namespace === ns && (!asDestination || w.sidecar)).map((w) => `${w.namespace}/${w.name}`);
  if (asDestination) return [...known, pattern];
  const identities = [...prepare(analysis).policies.values()].flat()
    .flatMap((p) => (Array.isArray(p.spec.rules) ? p.spec.rules : []))
    .flatMap((r: any) => (Array.isArray(r?.from) ? r.from : []))
    .flatMap((f: any) => (Array.isArray(f?.source?.principals) ? f.source.principals : []))
    .map(String)
    .filter((principal: string) => principal.split('/').length === 5 && principal.split('/')[2] === ns && !principal.includes('*'))
    .filter((principal: string) => !analysis.inventory.workloads.some((w) => w.namespace === ns && w.serviceAccount === principal.split('/')[4]))
    .map((principal: string) => `principal:${principal}`);
  return [...new Set([...known, ...identities, pattern])];
}

function check(expected: 'ALLOWED' | 'DENIED', received: unknown, from: string, to: string, request: RequestOptions = {}): MatcherResult {
  const analysis = toAnalysis(received);
  const decisions: Decision[] = [];
  for (const caller of expandCallers(analysis, from)) {
    for (const destination of expandCallers(analysis, to, true)) {
      if (caller === destination) continue;
      decisions.push(decide(analysis, { ...request, from: caller, to: destination }));
    }
  }
  const failures = decisions.filter((d) => d.verdict !== expected);
  const what = [request.method, request.path, request.port !== undefined ? `port ${request.port}` : ''].filter(Boolean).join(' ');
  const line = (d: Decision) => `  ${d.from} -> ${d.to}: ${d.verdict}: ${d.summary}`;
  return {
    pass: failures.length === 0,
    message: () => failures.length === 0
      ? `expected ${from} -> ${to}${what ? ` ${what}` : ''} not to be ${expected}, but every request was:\n${decisions.map(line).join('\n')}`
      : `expected ${from} -> ${to}${what ? ` ${what}` : ''} to be ${expected}:\n${failures.map(line).join('\n')}`,
  };
}

/** The matchers, for `expect.extend(zeroTrustMatchers)`. */
export const zeroTrustMatchers = {
  toAllow(received: unknown, from: string, to: string, request?: RequestOptions): MatcherResult {
    return check('ALLOWED', received, from, to, request);
  },
  toDeny(received: unknown, from: string, to: string, request?: RequestOptions): MatcherResult {
    return check('DENIED', received, from, to, request);
  },
};

declare module 'vitest' {
  interface Assertion<T = any> extends ZeroTrustMatchers<T> {}
  interface AsymmetricMatchersContaining extends ZeroTrustMatchers {}
}
