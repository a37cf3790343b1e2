// `zero-trust explain`: the verdict on its first line, then why: the connection, the deciding
// policy and rule with the construct that declared it, and every policy that was evaluated.
import type { Decision, PolicyTrace } from './decide';
import { formatRef } from './format';
import type { AnalyzerRequest } from './request';

export function describeRequest(request: AnalyzerRequest): string {
  const parts = [
    request.port !== undefined ? `port ${request.port}` : '',
    request.protocol === 'TCP' ? 'TCP' : '',
    request.method ?? '',
    request.path ?? '',
    request.host ? `host ${request.host}` : '',
    request.bypassWaypoint ? 'straight to the pod (bypassing the waypoint)' : '',
  ].filter(Boolean);
  return parts.join(' ');
}

export function renderExplain(decision: Decision, request: AnalyzerRequest): string {
  const what = describeRequest(request);
  const out = [`${decision.verdict}: ${decision.from} -> ${decision.to}${what ? ` ${what}` : ''}`, `  ${decision.summary}`];
  if (decision.byPort) {
    out.push('', 'by port:');
    for (const p of decision.byPort) out.push(`  ${p.port === 'other' ? 'any other port' : `port ${p.port}`}: ${p.verdict}: ${p.summary}`);
    out.push('', 'Pass --port to explain one of them.');
    return out.join('\n') + '\n';
  }
  const c = decision.connection;
  if (c) {
    out.push('', `connection: ${c.transport} (${c.how}); ${decision.to}${typeof decision.port === 'number' ? ` port ${decision.port}` : ''} is ${c.mode} (${c.modeSource ? `PeerAuthentication ${c.modeSource}` : 'Istio default'})`);
  }
  if (decision.hops) {
    // Ambient: the path, the identity each proxy sees, and which proxy decided.
    const proxies = decision.hops.map((h) => h.proxy);
    if (proxies.length === 1 && proxies[0].startsWith('waypoint')) proxies.push('ztunnel (not reached)');
    out.push('', `path: ${decision.from} -> ${proxies.join(' -> ')} -> ${decision.to}`);
    out.push(`decided at: ${decision.decidedAt}`);
    for (const n of decision.notes ?? []) out.push(`assuming: ${n}`);
    for (const hop of decision.hops) {
      out.push('', `at ${hop.proxy} (sees ${hop.identity}): ${hop.verdict}: ${hop.summary}`);
      for (const r of hop.decidedBy) out.push(`  decided by ${r.kind === 'AuthorizationPolicy' ? `${r.action} ` : `${r.kind} `}${formatRef(r)}${r.dryRun ? ' (dry-run)' : ''}`);
      for (const u of hop.undecided) out.push(`  cannot decide because: ${u}`);
      for (const t of hop.trace) out.push(...traceLines(t));
    }
    if (decision.dryRun) out.push('', `if the dry-run policies were enforced: ${decision.dryRun.verdict}: ${decision.dryRun.summary}`);
    return out.join('\n') + '\n';
  }
  if (decision.decidedBy.length > 0) {
    out.push('', 'decided by:');
    for (const r of decision.decidedBy) out.push(`  ${r.kind === 'AuthorizationPolicy' ? `${r.action} ` : `${r.kind} `}${formatRef(r)}${r.dryRun ? ' (dry-run)' : ''}`);
  }
  if (decision.undecided.length > 0) {
    out.push('', 'cannot decide because:');
    for (const u of decision.undecided) out.push(`  ${u}`);
  }
  if (decision.dryRun) {
    out.push('', `if the dry-run policies were enforced: ${decision.dryRun.verdict}: ${decision.dryRun.summary}`);
  }
  if (decision.trace.length > 0) {
    out.push('', 'policies evaluated (CUSTOM, DENY, then ALLOW):');
    for (const t of decision.trace) out.push(...traceLines(t));
  }
  return out.join('\n') + '\n';
}

function traceLines(t: PolicyTrace): string[] {
  const r = t.policy;
  const head = `  ${(r.action ?? '').padEnd(6)} ${r.namespace}/${r.name}: ${t.effect}${t.note ? ` (${t.note})` : ''}`;
  const rules = t.rules.map((rule) => `         rule ${rule.index}: ${rule.result === 'yes' ? 'matches' : rule.result === 'no' ? `no, ${rule.detail}` : rule.detail}` +
    `${rule.declaredBy ? ` [declared by ${rule.declaredBy}]` : ''}`);
  const declared = t.rules.length === 0 && r.declaredBy ? [`         [declared by ${r.declaredBy}]`] : [];
  return [head, ...rules, ...declared];
}
