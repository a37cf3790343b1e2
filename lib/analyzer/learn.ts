// `zero-trust learn`: observed traffic (prometheus.ts) against the declared policy. What a STRICT
// or enforced rollout would break, the plaintext clients of each destination port, the declared
// edges nobody used, and the `allowFrom` lines that would declare what is missing.
//
// Each flow is decided like `zero-trust explain` would, with the dry-run policies counted as
// enforced (Decision.dryRun): the rollout this report prepares is the one that enforces them.
import { Analysis, prepare } from './analysis';
import { compare } from './config';
import { decide, Verdict } from './decide';
import { findWorkload, splitRef } from './inventory';
import type { ObservedFlow } from './prometheus';
import { reachability } from './reachability';
import { UnknownWorkloadError } from './request';

export interface LearnedFlow extends ObservedFlow {
  /** The caller as the analyzer names it: a workload, `ns/*`, `principal:...` or `plaintext`. */
  readonly caller: string;
  /** The destination as the analyzer names it (`ns/*` when the inventory lacks the workload). */
  readonly to: string;
  /** With every policy enforced. */
  readonly verdict: Verdict;
  /** The verdict today, when dry-run policies make it differ. */
  readonly today?: Verdict;
  readonly summary: string;
}

export interface PlaintextPort {
  readonly destination: string;
  readonly port: number | 'any';
  /** The destination port's mTLS mode in the declared policy. */
  readonly mode?: string;
  /** The PeerAuthentication that sets it. */
  readonly modeSource?: string;
  /**
   * True when the mode comes from the namespace (or the mesh): switching the namespace to STRICT
   * refuses these clients. False for a workload's own exception, which the switch keeps.
   */
  readonly namespaceWide?: boolean;
  readonly clients: readonly { readonly caller: string; readonly source?: string; readonly count: number; readonly verdict: Verdict }[];
}

export interface LearnReport {
  readonly flows: readonly LearnedFlow[];
  /** Observed, and denied once every policy is enforced: what the rollout would break. */
  readonly wouldDeny: readonly LearnedFlow[];
  /** The verdict depends on what the metrics do not carry (method, path, port). */
  readonly dependsOnRequest: readonly LearnedFlow[];
  readonly plaintext: readonly PlaintextPort[];
  /** Declared edges (admitted by an ALLOW rule) that no observed flow used. */
  readonly unobserved: readonly { readonly from: string; readonly to: string }[];
  /** TypeScript lines that declare the denied mesh flows, and comments for the rest. */
  readonly suggestions: readonly string[];
  readonly notes: readonly string[];
}

/** Decides every observed flow against the declared policy. */
export function learnFromTraffic(analysis: Analysis, flows: readonly ObservedFlow[]): LearnReport {
  if (!Array.isArray(flows)) throw new TypeError('learnFromTraffic: flows must be an array of ObservedFlow (parsePrometheusAnswer gives them)');
  const notes = new Set<string>();
  const { inventory } = analysis;
  const learned: LearnedFlow[] = [];
  for (const flow of flows) {
    const to = findWorkload(inventory, flow.destination) ? flow.destination : `${splitRef(flow.destination)[0]}/*`;
    if (to !== flow.destination) notes.add(`${flow.destination} is not in the inventory: decided as ${to} (a pod no workload policy selects)`);
    const caller = callerOf(flow, analysis);
    let decision;
    try {
      decision = decide(analysis, { from: caller, to, ...(flow.port !== undefined ? { port: flow.port } : {}), protocol: flow.protocol });
    } catch (error) {
      if (!(error instanceof UnknownWorkloadError)) throw error;
      notes.add(`${flow.source ?? caller} -> ${flow.destination}: ${error.message}; left out`);
      continue;
    }
    const verdict = decision.dryRun?.verdict ?? decision.verdict;
    learned.push({
      ...flow, caller, to, verdict, summary: decision.dryRun?.summary ?? decision.summary,
      ...(decision.dryRun && decision.dryRun.verdict !== decision.verdict ? { today: decision.verdict } : {}),
    });
  }
  learned.sort((a, b) => compare(a.caller, b.caller) || compare(a.to, b.to) || (a.port ?? 0) - (b.port ?? 0) || compare(a.protocol, b.protocol));

  const plaintextByPort = new Map<string, Omit<PlaintextPort, 'clients'> & { clients: PlaintextPort['clients'][number][] }>();
  for (const f of learned) {
    if (!f.plaintext) continue;
    const port = f.port ?? 'any';
    const key = `${f.to}\u0000${port}`;
    let entry = plaintextByPort.get(key);
    if (!entry) {
      const connection = safeDecide(analysis, f)?.connection;
      const base = prepare(analysis).mtlsOf(splitRef(f.to)[0]).base;
      entry = {
        destination: f.to, port, clients: [],
        ...(connection ? { mode: connection.mode, ...(connection.modeSource ? { modeSource: connection.modeSource } : {}), namespaceWide: connection.modeSource === base.source } : {}),
      };
      plaintextByPort.set(key, entry);
    }
    entry.clients.push({ caller: f.caller, ...(f.source ? { source: f.source } : {}), count: f.count, verdict: f.verdict });
  }

  const observed = new Set(learned.map((f) => `${f.caller}\u0000${f.to}`));
  const unobserved = reachability(analysis).edges
    .filter((e) => e.access.some((a) => a.via.length > 0) && !e.from.endsWith('/*') && !e.to.endsWith('/*') && !observed.has(`${e.from}\u0000${e.to}`))
    .map((e) => ({ from: e.from, to: e.to }));

  const wouldDeny = learned.filter((f) => f.verdict === 'DENIED');
  return {
    flows: learned,
    wouldDeny,
    dependsOnRequest: learned.filter((f) => f.verdict === 'UNDECIDED'),
    plaintext: [...plaintextByPort.values()].sort((a, b) => compare(a.destination, b.destination) || String(a.port).localeCompare(String(b.port), 'en', { numeric: true })),
    unobserved,
    suggestions: suggestions(wouldDeny, analysis),
    notes: [...notes].sort(compare),
  };
}

function safeDecide(analysis: Analysis, f: LearnedFlow) {
  try {
    return decide(analysis, { from: f.caller, to: f.to, ...(f.port !== undefined ? { port: f.port } : {}), protocol: f.protocol });
  } catch {
    return undefined;
  }
}

/**
 * How the analyzer names the caller of a flow: `plaintext` when the connection carried no client
 * certificate; the workload when the inventory knows it; else its certificate's identity; else
 * "some workload of its namespace".
 */
function callerOf(flow: ObservedFlow, analysis: Analysis): string {
  if (flow.plaintext) return 'plaintext';
  if (flow.source && findWorkload(analysis.inventory, flow.source)) return flow.source;
  if (flow.principal && /^[^/]+\/ns\/[^/]+\/sa\/[^/]+$/.test(flow.principal)) return `principal:${flow.principal}`;
  if (flow.source) return `${splitRef(flow.source)[0]}/*`;
  return '*/*';
}

/**
 * Lines of TypeScript: an `addWorkload` for each observed destination the code does not declare,
 * one `allowFrom` per denied (caller, destination) of the mesh, comments for plaintext clients.
 */
function suggestions(denied: readonly LearnedFlow[], analysis: Analysis): string[] {
  const pairs = new Map<string, { caller: string; destination: string; source?: string; ports: Set<number>; anyPort: boolean; count: number; plaintext: boolean }>();
  for (const f of denied) {
    const key = `${f.caller}\u0000${f.destination}\u0000${f.plaintext}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { caller: f.caller, destination: f.destination, ...(f.source ? { source: f.source } : {}), ports: new Set(), anyPort: false, count: 0, plaintext: f.plaintext }));
    if (f.port === undefined) pair.anyPort = true;
    else pair.ports.add(f.port);
    pair.count += f.count;
  }
  if (pairs.size === 0) return [];
  const declared = (ref: string) => findWorkload(analysis.inventory, ref) !== undefined;
  const sorted = [...pairs.values()].sort((a, b) => compare(a.destination, b.destination) || compare(a.caller, b.caller));
  const missing = [...new Set(sorted.map((p) => p.destination).filter((d) => !declared(d)))];
  const names = variableNames([...sorted.flatMap((p) => [p.destination, ...(declared(p.caller) ? [p.caller] : [])])], [...new Set(missing.map((d) => splitRef(d)[0]))]);
  const lines: string[] = [];
  for (const d of missing) {
    const [ns, name] = splitRef(d);
    lines.push(`const ${names.get(d)} = ${names.get(`namespace:${ns}`)}.addWorkload(${quote(name)}); // observed, not declared`);
  }
  for (const p of sorted) {
    const ports = !p.anyPort && p.ports.size > 0 ? [...p.ports].sort((a, b) => a - b) : undefined;
    const seen = `${Math.round(p.count).toLocaleString('en-US')} observed`;
    if (p.plaintext) {
      lines.push(`// ${p.source ?? 'clients without a sidecar'} -> ${p.destination}${ports ? ` port ${ports.join(', ')}` : ''}: plaintext (${seen}); ` +
        `give the client a sidecar, or declare plaintextPorts: [${ports ? ports.join(', ') : '<port>'}] (and plaintextIpBlocks) on ${p.destination}`);
      continue;
    }
    const options = ports ? `, { ports: [${ports.join(', ')}] }` : '';
    lines.push(`${names.get(p.destination)}.allowFrom(${peerExpression(p.caller, names, analysis)}${options}); // ${p.caller} -> ${p.destination}, ${seen}`);
  }
  const variables = [...names.entries()].filter(([ref]) => !missing.includes(ref)).sort(([a], [b]) => compare(a, b))
    .map(([ref, name]) => (ref.startsWith('namespace:') ? `${name} = the ZeroTrustNamespace ${ref.slice('namespace:'.length)}` : `${name} = ${ref}`));
  const staging = lines.some((l) => l.includes('.allowFrom('))
    ? ['// To stage them before enforcing, audit them: enforcement: Enforcement.DRY_RUN in the options of an edge with limits, or on addWorkload (README, "Audit mode").']
    : [];
  return [`// Variables are your constructs: ${variables.join(', ')}.`, ...lines, ...staging];
}

function peerExpression(caller: string, names: ReadonlyMap<string, string>, analysis: Analysis): string {
  const name = names.get(caller);
  if (name) return name;
  if (caller.startsWith('principal:')) {
    const [td, , ns, , sa] = caller.slice('principal:'.length).split('/');
    const trustDomain = td !== analysis.inventory.trustDomain ? `, { trustDomain: ${quote(td)} }` : '';
    return `Peer.serviceAccount(${quote(ns)}, ${quote(sa)}${trustDomain})`;
  }
  // "ns/*": some workload of the namespace the inventory does not list.
  return `Peer.namespace(${quote(splitRef(caller)[0])})`;
}

/**
 * camelCase variable names for workload references, the namespace prepended where two workloads
 * share a name; namespaces get theirs under "namespace:<ns>".
 */
function variableNames(refs: readonly string[], namespaces: readonly string[] = []): Map<string, string> {
  const unique = [...new Set(refs)].sort(compare);
  const byName = new Map<string, number>();
  for (const ref of unique) byName.set(splitRef(ref)[1], (byName.get(splitRef(ref)[1]) ?? 0) + 1);
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const ref of unique) {
    const [ns, name] = splitRef(ref);
    let base = camel(byName.get(name)! > 1 ? `${ns}-${name}` : name);
    if (RESERVED.has(base)) base = `${base}Workload`;
    let candidate = base;
    for (let i = 2; used.has(candidate); i++) candidate = `${base}${i}`;
    used.add(candidate);
    out.set(ref, candidate);
  }
  for (const ns of namespaces) {
    let candidate = camel(ns);
    if (RESERVED.has(candidate)) candidate = `${candidate}Namespace`;
    if (used.has(candidate)) candidate = `${candidate}Namespace`;
    for (let i = 2; used.has(candidate); i++) candidate = `${camel(ns)}Namespace${i}`;
    used.add(candidate);
    out.set(`namespace:${ns}`, candidate);
  }
  return out;
}

export function camel(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
  return /^[0-9]/.test(joined) || joined === '' ? `w${joined}` : joined;
}

const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'let', 'static', 'yield', 'await', 'interface', 'package', 'private', 'protected', 'public', 'implements']);

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The report in words. */
export function renderLearn(report: LearnReport, title = 'zero-trust learn'): string {
  const count = (f: { protocol: string; count: number }) => `${Math.round(f.count).toLocaleString('en-US')} ${f.protocol === 'TCP' ? 'connections' : 'requests'}`;
  const where = (f: LearnedFlow) => `${f.source && f.caller !== f.source ? `${f.caller} (${f.source})` : f.caller} -> ${f.to}${f.port !== undefined ? ` port ${f.port}` : ''}`;
  const out = [`${title}: ${report.flows.length} observed flows; ${report.wouldDeny.length} would be denied, ${report.dependsOnRequest.length} depend on the request, ` +
    `${report.plaintext.length} destination ports with plaintext clients, ${report.unobserved.length} declared edges never observed`];
  const section = (heading: string, lines: string[], empty: string) => out.push('', heading, ...(lines.length > 0 ? lines : [`  ${empty}`]));
  section('Observed traffic the declared policy would deny (what an enforced or STRICT rollout breaks)', report.wouldDeny.map((f) =>
    `  ${where(f)}  ${f.protocol}  ${count(f)}${codes(f)}\n      ${f.today ? `today ${f.today} (dry-run); ` : ''}${f.summary}`), 'none');
  section('Observed traffic whose verdict depends on what the metrics do not carry (method, path, port)', report.dependsOnRequest.map((f) =>
    `  ${where(f)}  ${f.protocol}  ${count(f)}\n      ${f.summary}`), 'none');
  section('Plaintext clients per destination port', report.plaintext.map((p) =>
    `  ${p.destination} ${p.port === 'any' ? 'any port' : `port ${p.port}`}${p.mode ? ` (${p.mode}${p.modeSource ? ` by ${p.modeSource}` : ''}` +
    `${p.mode === 'STRICT' ? '' : p.namespaceWide ? ': a STRICT namespace refuses them' : ': a workload exception, kept when the namespace goes STRICT'})` : ''}: ` +
    p.clients.map((c) => `${c.source ?? 'unknown client'} ${Math.round(c.count).toLocaleString('en-US')} ${c.verdict === 'DENIED' ? 'denied' : c.verdict === 'ALLOWED' ? 'allowed' : 'undecided'}`).join(', ')), 'none');
  section('Declared edges never observed', report.unobserved.map((e) => `  ${e.from} -> ${e.to}`), 'none');
  section('TypeScript for the observed edges that are not declared', report.suggestions.map((l) => `  ${l}`), 'none needed');
  if (report.notes.length > 0) section('Notes', report.notes.map((n) => `  ${n}`), '');
  return out.join('\n') + '\n';
}

function codes(f: LearnedFlow): string {
  const entries = Object.entries(f.responseCodes).sort(([a], [b]) => compare(a, b));
  return entries.length > 0 ? ` (${entries.map(([c, n]) => `${c}: ${Math.round(n).toLocaleString('en-US')}`).join(', ')})` : '';
}
