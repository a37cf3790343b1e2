// Who-can-reach-whom without asking every caller about every destination. A destination's
// policies name a few principals and namespaces; every caller they do not single out sees the same
// rules match, so it gets the same access. Per destination, the callers are split into:
// - the callers some applicable rule tells apart (a principal, namespace, service account or trust
//   domain it names; found through indexes, not by asking every caller), grouped by which of those
//   values they match, and evaluated once per group;
// - the sidecar workloads of the namespaces whose DestinationRules may change what they send to it
//   (each evaluated on its own);
// - three classes, each evaluated once with a representative: the clients without a mesh identity
//   ("plaintext", workloads without a sidecar), every other identity (as "*/*"), and every other
//   sidecar workload (a workload of a namespace that no policy and no DestinationRule names).
// The access of every caller is exactly what evaluating it alone gives (tests compare both).
import type { Prepared } from './analysis';
import { Access, accessOnPorts } from './access';
import { waypointOf } from './ambient';
import { actionOf, list } from './authorization';
import { destinationHosts, hostScore, resolveHost } from './client-tls';
import { compare, IstioObject, objectId } from './config';
import { ACTION_ORDER, applicablePolicies, namedPorts } from './decide';
import { Inventory, workloadRef, WorkloadInfo } from './inventory';
import { expandTrustDomains, matchNamespace, matchPrincipal, matchServiceAccount, matchTrustDomain } from './match';
import type { WorkloadMtls } from './peer-authentication';
import { resolveClient, resolveDestination, ResolvedClient, UNNAMED_SERVICE_ACCOUNT } from './request';

export type NodeKind = 'workload' | 'namespace' | 'identity' | 'plaintext' | 'any-identity';

export interface GraphNode {
  /** The client/destination reference decide() accepts. */
  readonly id: string;
  readonly kind: NodeKind;
  readonly namespace?: string;
  readonly label: string;
}

/** How a caller connects: without a mesh identity, as an identity only, or as a sidecar workload. */
export type CallerClass = 'plaintext' | 'identity' | 'workload';
export const CALLER_CLASSES: readonly CallerClass[] = ['plaintext', 'identity', 'workload'];

export interface Caller {
  readonly id: string;
  readonly node: GraphNode;
  readonly client: ResolvedClient;
  readonly cls: CallerClass;
  /** The SPIFFE ID it presents over mTLS (every caller but the plaintext class). */
  readonly spiffeId?: string;
  /** Trust domain, namespace and service account of a well-formed `spiffe://td/ns/x/sa/y` ID. */
  readonly parts?: readonly [string, string, string];
}

/** What a destination's access depends on, cheap to compute: compared by the semantic diff. */
export interface DestinationInputs {
  readonly node: GraphNode;
  readonly workload: WorkloadInfo;
  /** Named ports, then 'other'. */
  readonly ports: readonly (number | 'other')[];
  /** Applicable AuthorizationPolicies, in evaluation order (CUSTOM, AUDIT, DENY, ALLOW, then id). */
  readonly policies: readonly IstioObject[];
  /** DestinationRules (of any namespace) whose host matches one of the destination's Services. */
  readonly destinationRules: readonly IstioObject[];
}

export interface DestinationAccess extends DestinationInputs {
  /** Exact access of the callers evaluated on their own or in a group (an empty list: none). */
  readonly special: ReadonlyMap<string, readonly Access[]>;
  /** Access of every other caller of each class. */
  readonly classes: Readonly<Record<CallerClass, readonly Access[]>>;
}

/** A condition on the caller's identity that some rule tests (one value of one field). */
interface Atom {
  readonly key: string;
  readonly kind: 'principal' | 'namespace' | 'serviceAccount' | 'trustDomain';
  readonly value: string;
  /** For serviceAccount: the namespace of a bare name (the policy's). */
  readonly namespace: string;
}

const WELL_FORMED = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;
/** A namespace no Kubernetes object can have: stands for "a namespace nothing names". */
const UNNAMED_NAMESPACE = UNNAMED_SERVICE_ACCOUNT;

const engines = new WeakMap<Prepared, CallerEngine>();

/** The caller classes of a prepared analysis, built once and cached with it. */
export function callerEngine(p: Prepared): CallerEngine {
  let engine = engines.get(p);
  if (!engine) engines.set(p, (engine = new CallerEngine(p)));
  return engine;
}

export class CallerEngine {
  /** Every caller worth asking about, sorted by id. */
  public readonly callers: readonly Caller[];
  /** Destinations, sorted by id. */
  public readonly destinations: readonly GraphNode[];
  /** The callers without a mesh identity, by id: `plaintext` and workloads without a sidecar. */
  public readonly plaintextCallers: readonly string[];
  private readonly byCallerId: Map<string, Caller>;
  private readonly byDestinationId: ReadonlyMap<string, GraphNode>;
  private readonly ofClass: Record<CallerClass, Caller[]>;
  /** Sidecar workload callers by namespace. */
  private readonly workloadsIn: Map<string, Caller[]>;
  /** Callers with a SPIFFE ID that is not of the form spiffe://td/ns/x/sa/y: always evaluated alone. */
  private readonly odd: Caller[];
  private readonly wellFormed: Caller[];
  private readonly bySpiffeId: Map<string, Caller[]>;
  private readonly byNamespace: Map<string, Caller[]>;
  private readonly byServiceAccount: Map<string, Caller[]>;
  /** Well-formed callers whose trust domain is not the one of "*\/*". */
  private readonly otherTrustDomain: Caller[];
  private readonly exceptionCache: Map<string, readonly Caller[]>;
  private readonly inputsCache = new Map<string, DestinationInputs>();
  private readonly accessCache = new Map<string, DestinationAccess>();
  private readonly representatives: Record<CallerClass, ResolvedClient>;
  private readonly anyId: string;
  private drIndex?: { exact: Map<string, number[]>; wildcard: number[] };
  private occurrences?: Map<string, number>;

  /**
   * With `base`, the engine of a what-if variant of base's analysis (withPeerAuthenticationsIn)
   * that has the same callers and destinations: only the evaluation differs.
   */
  constructor(private readonly p: Prepared, base?: CallerEngine) {
    if (base) {
      this.destinations = base.destinations;
      this.byDestinationId = base.byDestinationId;
      this.callers = base.callers;
      this.plaintextCallers = base.plaintextCallers;
      this.byCallerId = base.byCallerId;
      this.ofClass = base.ofClass;
      this.workloadsIn = base.workloadsIn;
      this.odd = base.odd;
      this.wellFormed = base.wellFormed;
      this.bySpiffeId = base.bySpiffeId;
      this.byNamespace = base.byNamespace;
      this.byServiceAccount = base.byServiceAccount;
      this.otherTrustDomain = base.otherTrustDomain;
      this.exceptionCache = base.exceptionCache; // depends on the callers and the trust domain only
      this.representatives = base.representatives;
      this.anyId = base.anyId;
      this.drIndex = base.drIndex;
      return;
    }
    const { inventory } = p.analysis;
    this.byCallerId = new Map();
    this.ofClass = { plaintext: [], identity: [], workload: [] };
    this.workloadsIn = new Map();
    this.odd = [];
    this.wellFormed = [];
    this.bySpiffeId = new Map();
    this.byNamespace = new Map();
    this.byServiceAccount = new Map();
    this.otherTrustDomain = [];
    this.exceptionCache = new Map();
    this.destinations = destinationsOf(p);
    this.byDestinationId = new Map(this.destinations.map((d) => [d.id, d]));
    const callers: Caller[] = [];
    let resolved = resolutions.get(inventory);
    if (!resolved) resolutions.set(inventory, (resolved = new Map()));
    for (const node of callerNodes(p)) {
      let r = resolved.get(node.id);
      if (!r) resolved.set(node.id, (r = resolve(inventory, node.id)));
      const { client, cls, spiffeId } = r;
      const caller: Caller = { id: node.id, node, client, cls, ...(spiffeId !== undefined ? { spiffeId } : {}), ...(r.parts ? { parts: r.parts } : {}) };
      callers.push(caller);
      this.byCallerId.set(caller.id, caller);
      this.ofClass[cls].push(caller);
      if (cls === 'workload') push(this.workloadsIn, (client as { workload: WorkloadInfo }).workload.namespace, caller);
      if (cls === 'plaintext') continue;
      if (!caller.parts) {
        this.odd.push(caller);
        continue;
      }
      this.wellFormed.push(caller);
      push(this.bySpiffeId, spiffeId!, caller);
      push(this.byNamespace, caller.parts[1], caller);
      push(this.byServiceAccount, `${caller.parts[1]}/${caller.parts[2]}`, caller);
    }
    this.callers = callers;
    this.plaintextCallers = ['plaintext', ...inventory.workloads.filter((w) => !w.sidecar).map(workloadRef)].sort(compare);
    const anyone = resolveClient(inventory, '*/*') as { spiffeId: string } & ResolvedClient;
    this.anyId = anyone.spiffeId;
    const anyTrustDomain = trustDomainOf(this.anyId);
    for (const c of this.wellFormed) if (c.parts![0] !== anyTrustDomain) this.otherTrustDomain.push(c);
    this.representatives = {
      plaintext: resolveClient(inventory, 'plaintext'),
      identity: anyone,
      // A sidecar workload of a namespace that nothing names, with the identity of "*/*".
      workload: {
        kind: 'workload',
        label: '*/*',
        workload: { namespace: UNNAMED_NAMESPACE, name: UNNAMED_SERVICE_ACCOUNT, labels: {}, serviceAccount: UNNAMED_SERVICE_ACCOUNT, sidecar: true, ports: [], services: [] },
        spiffeId: this.anyId,
      },
    };
  }

  /** The engine of `variant`, a what-if of this analysis with the same callers (shares their indexes). */
  public whatIf(variant: Prepared): CallerEngine {
    return new CallerEngine(variant, this);
  }

  public caller(id: string): Caller | undefined {
    return this.byCallerId.get(id);
  }

  public destination(id: string): GraphNode | undefined {
    return this.byDestinationId.get(id);
  }

  /** The mTLS modes of a destination's ports. */
  public mtlsOf(destination: WorkloadInfo): WorkloadMtls {
    return this.p.mtlsOf(destination.namespace, destination.name === '*' ? undefined : destination);
  }

  /** The callers of a class, in id order. */
  public callersOf(cls: CallerClass): readonly Caller[] {
    return this.ofClass[cls];
  }

  /** What a destination's access depends on (cheap: no rule is evaluated). */
  public inputs(node: GraphNode): DestinationInputs {
    let inputs = this.inputsCache.get(node.id);
    if (!inputs) {
      const workload = resolveDestination(this.p.analysis.inventory, node.id);
      const policies = applicablePolicies(this.p, workload)
        .sort((a, b) => ACTION_ORDER.indexOf(actionOf(a)) - ACTION_ORDER.indexOf(actionOf(b)) || compare(objectId(a), objectId(b)));
      inputs = { node, workload, ports: [...namedPorts(this.p, workload), 'other'], policies, destinationRules: this.destinationRulesFor(workload) };
      this.inputsCache.set(node.id, inputs);
    }
    return inputs;
  }

  /** Every caller's access to a destination, by class and exception. */
  public access(node: GraphNode): DestinationAccess {
    let result = this.accessCache.get(node.id);
    if (!result) {
      result = this.evaluate(this.inputs(node));
      this.accessCache.set(node.id, result);
    }
    return result;
  }

  /** Access of one caller to one destination; undefined for the destination itself. */
  public accessOf(d: DestinationAccess, caller: Caller): readonly Access[] | undefined {
    if (caller.id === d.node.id) return undefined;
    return d.special.get(caller.id) ?? d.classes[caller.cls];
  }

  /** Access of one caller, evaluated alone (without evaluating every class of the destination). */
  public accessAlone(inputs: DestinationInputs, caller: Caller): readonly Access[] | undefined {
    if (caller.id === inputs.node.id) return undefined;
    const cached = this.accessCache.get(inputs.node.id);
    if (cached) return this.accessOf(cached, caller);
    return accessOnPorts(this.p, caller.client, inputs.workload, inputs.ports, inputs.policies as IstioObject[]);
  }

  /**
   * The callers with access to a destination, unsorted: one entry per caller listed (an id listed
   * twice gets two). `keep` narrows each access first (to plaintext ports, say); a class whose
   * kept access is empty is skipped without listing its callers.
   */
  public edgesTo(node: GraphNode, keep: (access: readonly Access[]) => readonly Access[] = (access) => access): { from: string; access: readonly Access[] }[] {
    if (!this.occurrences) {
      this.occurrences = new Map();
      for (const c of this.callers) this.occurrences.set(c.id, (this.occurrences.get(c.id) ?? 0) + 1);
    }
    const d = this.access(node);
    const out: { from: string; access: readonly Access[] }[] = [];
    for (const [from, access] of d.special) {
      const kept = access.length > 0 ? keep(access) : access;
      if (kept.length === 0) continue;
      for (let i = this.occurrences.get(from) ?? 0; i > 0; i--) out.push({ from, access: kept });
    }
    for (const cls of CALLER_CLASSES) {
      const access = d.classes[cls];
      const kept = access.length > 0 ? keep(access) : access;
      if (kept.length === 0) continue;
      for (const c of this.classMembers(d, cls)) out.push({ from: c.id, access: kept });
    }
    return out;
  }

  /** The callers of a class that take the class's access to `d` (not evaluated on their own). */
  public *classMembers(d: DestinationAccess, cls: CallerClass): Iterable<Caller> {
    for (const c of this.ofClass[cls]) if (c.id !== d.node.id && !d.special.has(c.id)) yield c;
  }

  private evaluate(inputs: DestinationInputs): DestinationAccess {
    const { node, workload, ports } = inputs;
    const policies = inputs.policies as IstioObject[];
    const evaluate = (client: ResolvedClient) => accessOnPorts(this.p, client, workload, ports, policies);

    // Which identity conditions each caller satisfies differently from "*/*".
    const atoms = new Map<string, Atom>();
    for (const policy of policies) for (const atom of atomsOf(policy)) atoms.set(atom.key, atom);
    const signature = new Map<Caller, number[]>();
    let index = 0;
    for (const atom of atoms.values()) {
      for (const c of this.exceptions(atom)) push(signature, c, index);
      index++;
    }
    // Namespaces whose workloads may reach it with a DestinationRule TLS setting of their own.
    let drNamespaces: Set<string> | undefined;
    if (inputs.destinationRules.length > 0) {
      const root = this.p.analysis.inventory.rootNamespace;
      drNamespaces = new Set([workload.namespace, root]);
      for (const dr of inputs.destinationRules) {
        drNamespaces.add(dr.namespace);
        for (const e of list(dr.spec.exportTo)) if (typeof e === 'string') drNamespaces.add(e);
      }
    }

    const groups = new Map<string, Caller[]>();
    const add = (key: string, c: Caller) => {
      if (c.id !== node.id) push(groups, key, c);
    };
    for (const [c, sig] of signature) {
      if (c.cls === 'workload' && drNamespaces?.has((c.client as { workload: WorkloadInfo }).workload.namespace)) continue; // alone, below
      add(`${c.cls}:${sig.join(',')}`, c);
    }
    for (const c of this.odd) add(`!${c.id}`, c);
    if (drNamespaces) for (const ns of drNamespaces) for (const c of this.workloadsIn.get(ns) ?? []) add(`!${c.id}`, c);

    const special = new Map<string, readonly Access[]>();
    for (const members of groups.values()) {
      const access = evaluate(members[0].client);
      for (const c of members) special.set(c.id, access);
    }
    const identity = evaluate(this.representatives.identity);
    const classes: Record<CallerClass, readonly Access[]> = {
      plaintext: evaluate(this.representatives.plaintext),
      identity,
      // Without a matching DestinationRule no workload gets a TLS override: it is just an identity.
      workload: drNamespaces ? evaluate(this.representatives.workload) : identity,
    };
    return { ...inputs, special, classes };
  }

  /**
   * The callers for which the condition holds differently than for "*\/*". Found through an index
   * when the value is exact; a value with wildcards is tested against every caller, once.
   */
  private exceptions(atom: Atom): readonly Caller[] {
    const cached = this.exceptionCache.get(atom.key);
    if (cached) return cached;
    const trustDomains = this.p.trustDomains;
    const test = (id: string): boolean => {
      switch (atom.kind) {
        case 'principal': return matchPrincipal(atom.value, id, trustDomains);
        case 'namespace': return matchNamespace(atom.value, id);
        case 'serviceAccount': return matchServiceAccount(atom.value, atom.namespace, id);
        case 'trustDomain': return matchTrustDomain(atom.value, id, trustDomains);
      }
    };
    const anyValue = test(this.anyId);
    const v = atom.value;
    let candidates: readonly Caller[] | undefined; // undefined: every well-formed caller
    switch (atom.kind) {
      case 'principal':
        if (v === '*') candidates = []; // any non-empty ID: every caller with one, and "*/*", match
        else if (!v.includes('*') && !anyValue) {
          // An exact principal matches exactly the IDs it expands to (trust domain aliases).
          candidates = expandTrustDomains(v, trustDomains).flatMap((c) => this.bySpiffeId.get(`spiffe://${c}`) ?? []);
        }
        break;
      case 'namespace':
        // `.*\/ns/<v>/.*` over spiffe://td/ns/x/sa/y with a plain v holds only for x = v (or
        // through the literal segments "ns" and "sa"; those values are tested against everyone).
        if (!anyValue && !/[*/]/.test(v) && v !== 'ns' && v !== 'sa') candidates = this.byNamespace.get(v) ?? [];
        break;
      case 'serviceAccount': {
        const slash = v.indexOf('/');
        const ns = slash < 0 ? atom.namespace : v.slice(0, slash);
        const sa = slash < 0 ? v : v.slice(slash + 1);
        if (!anyValue && !ns.includes('/') && !sa.includes('/')) candidates = this.byServiceAccount.get(`${ns}/${sa}`) ?? [];
        break;
      }
      case 'trustDomain':
        // Only the trust domain is read: callers in the trust domain of "*/*" answer as it does.
        candidates = this.otherTrustDomain;
        break;
    }
    const result = (candidates ?? this.wellFormed).filter((c) => test(c.spiffeId!) !== anyValue);
    this.exceptionCache.set(atom.key, result);
    return result;
  }

  /** DestinationRules whose host matches one of the workload's Services, in configuration order. */
  private destinationRulesFor(workload: WorkloadInfo): IstioObject[] {
    const hosts = destinationHosts(workload, this.p.analysis.inventory.clusterDomain);
    if (hosts.length === 0 || this.p.destinationRules.length === 0) return [];
    const rules = this.p.destinationRules;
    if (!this.drIndex) {
      const exact = new Map<string, number[]>();
      const wildcard: number[] = [];
      rules.forEach((dr, i) => {
        const host = resolveHost(String(dr.spec.host ?? ''), dr.namespace, this.p.analysis.inventory.clusterDomain).toLowerCase();
        if (host.startsWith('*')) wildcard.push(i);
        else push(exact, host, i);
      });
      this.drIndex = { exact, wildcard };
    }
    const positions = new Set<number>();
    for (const h of hosts) {
      // hostScore: a pattern without a leading '*' matches only the identical host.
      for (const i of this.drIndex.exact.get(h) ?? []) positions.add(i);
      for (const i of this.drIndex.wildcard) {
        if (hostScore(resolveHost(String(rules[i].spec.host ?? ''), rules[i].namespace, this.p.analysis.inventory.clusterDomain), h) >= 0) positions.add(i);
      }
    }
    return [...positions].sort((a, b) => a - b).map((i) => rules[i]);
  }
}

/** What a caller id stands for in an inventory; the same for every configuration analyzed with it. */
type Resolution = Pick<Caller, 'client' | 'cls' | 'spiffeId' | 'parts'>;
const resolutions = new WeakMap<Inventory, Map<string, Resolution>>();

function resolve(inventory: Inventory, id: string): Resolution {
  const client = resolveClient(inventory, id);
  const cls: CallerClass = client.kind === 'plaintext' || (client.kind === 'workload' && !client.workload.sidecar) ? 'plaintext'
    : client.kind === 'workload' ? 'workload' : 'identity';
  const spiffeId = cls === 'plaintext' ? undefined : (client as { spiffeId?: string }).spiffeId;
  const m = spiffeId !== undefined ? WELL_FORMED.exec(spiffeId) : null;
  return { client, cls, ...(spiffeId !== undefined ? { spiffeId } : {}), ...(m ? { parts: [m[1], m[2], m[3]] as const } : {}) };
}

/** The identity conditions of a policy's rules: source fields and `when` keys on the peer. */
const atomCache = new WeakMap<IstioObject, readonly Atom[]>();

function atomsOf(policy: IstioObject): readonly Atom[] {
  let atoms = atomCache.get(policy);
  if (atoms) return atoms;
  const out = new Map<string, Atom>();
  const add = (kind: Atom['kind'], value: string) => {
    const ns = kind === 'serviceAccount' ? policy.namespace : '';
    const key = `${kind}\u0000${ns}\u0000${value}`;
    if (!out.has(key)) out.set(key, { key, kind, value, namespace: ns });
  };
  const FIELDS: [string, Atom['kind']][] = [
    ['principals', 'principal'], ['notPrincipals', 'principal'], ['namespaces', 'namespace'], ['notNamespaces', 'namespace'],
    ['serviceAccounts', 'serviceAccount'], ['notServiceAccounts', 'serviceAccount'], ['trustDomains', 'trustDomain'], ['notTrustDomains', 'trustDomain'],
  ];
  const WHEN: Record<string, Atom['kind']> = {
    'source.principal': 'principal', 'source.namespace': 'namespace', 'source.serviceAccount': 'serviceAccount', 'source.trustDomain': 'trustDomain',
  };
  for (const rule of list(policy.spec.rules)) {
    for (const from of list(rule?.from)) {
      const source = from?.source;
      if (source === null || typeof source !== 'object') continue;
      for (const [field, kind] of FIELDS) for (const v of list(source[field])) add(kind, String(v));
    }
    for (const when of list(rule?.when)) {
      const kind = WHEN[String(when?.key)];
      if (kind) for (const v of [...list(when?.values), ...list(when?.notValues)]) add(kind, String(v));
    }
  }
  atoms = [...out.values()];
  atomCache.set(policy, atoms);
  return atoms;
}

function trustDomainOf(spiffeId: string): string {
  return spiffeId.slice('spiffe://'.length).split('/')[0];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Every caller worth asking about: workloads, namespaces, named identities, plaintext, anyone else. */
export function callerNodes(p: Prepared): GraphNode[] {
  const { inventory } = p.analysis;
  const nodes: GraphNode[] = inventory.workloads.map((w) => ({ id: workloadRef(w), kind: 'workload', namespace: w.namespace, label: w.name }));
  const namespaces = new Set(p.namespaces);
  const known = new Set<string>();
  for (const w of inventory.workloads) if (w.sidecar) known.add(`${w.namespace}/${w.serviceAccount}`);
  // A waypoint is a proxy on the path to the workloads behind it, not a caller of its own.
  for (const w of inventory.workloads) {
    const waypoint = waypointOf(p, w);
    if (waypoint !== undefined) known.add(`${w.namespace}/${waypoint}`);
  }
  const identities = new Set<string>();
  for (const policies of p.policies.values()) {
    for (const policy of policies) {
      for (const named of namedSources(policy.spec)) {
        if (named.principal === undefined) namespaces.add(named.namespace);
        else {
          namespaces.add(named.namespace);
          if (!known.has(named.account)) identities.add(named.principal);
        }
      }
    }
  }
  for (const ns of namespaces) nodes.push({ id: `${ns}/*`, kind: 'namespace', namespace: ns, label: `any other workload of ${ns}` });
  for (const id of identities) nodes.push({ id: `principal:${id}`, kind: 'identity', namespace: id.split('/')[2], label: id });
  nodes.push({ id: '*/*', kind: 'any-identity', label: 'any other mesh workload' });
  nodes.push({ id: 'plaintext', kind: 'plaintext', label: 'plaintext clients (no sidecar)' });
  return nodes.sort((a, b) => compare(a.id, b.id));
}

/** A namespace, or an exact principal `td/ns/<ns>/sa/<sa>` (with "ns/sa" as account), a rule names as a source. */
type NamedSource = { readonly namespace: string; readonly principal?: undefined } | { readonly namespace: string; readonly principal: string; readonly account: string };

// By policy spec: the two sides of a diff share the specs of the files they share.
const namedSourceCache = new WeakMap<object, readonly NamedSource[]>();

/** The exact namespaces and principals of a policy's sources, in rule order. */
function namedSources(spec: Readonly<Record<string, any>>): readonly NamedSource[] {
  let named = namedSourceCache.get(spec);
  if (named) return named;
  const out: NamedSource[] = [];
  const principal = (value: unknown) => {
    const text = String(value);
    if (text.includes('*')) return;
    const parts = text.split('/');
    if (parts.length !== 5 || parts[1] !== 'ns' || parts[3] !== 'sa') return;
    out.push({ namespace: parts[2], principal: text, account: `${parts[2]}/${parts[4]}` });
  };
  const namespace = (value: unknown) => {
    const text = String(value);
    if (!text.includes('*')) out.push({ namespace: text });
  };
  for (const rule of list(spec.rules)) {
    for (const from of list(rule?.from)) {
      const source = from?.source;
      if (!source) continue;
      for (const ns of list(source.namespaces)) namespace(ns);
      for (const ns of list(source.notNamespaces)) namespace(ns);
      for (const pr of list(source.principals)) principal(pr);
      for (const pr of list(source.notPrincipals)) principal(pr);
    }
  }
  named = out;
  namedSourceCache.set(spec, named);
  return named;
}

/** Destinations: workloads with a sidecar, and for each namespace a pod that no workload policy selects. */
export function destinationsOf(p: Prepared): GraphNode[] {
  const { inventory } = p.analysis;
  const nodes: GraphNode[] = inventory.workloads.filter((w) => w.sidecar)
    .map((w) => ({ id: workloadRef(w), kind: 'workload', namespace: w.namespace, label: w.name }));
  // A namespace is a destination when something is declared for it: an Istio object, or a workload with a sidecar.
  for (const ns of p.namespaces) {
    const sidecars = (p.workloadsByNamespace.get(ns) ?? []).some((w) => w.sidecar);
    if (!sidecars && (!p.configuredNamespaces.has(ns) || ns === inventory.rootNamespace)) continue;
    nodes.push({ id: `${ns}/*`, kind: 'namespace', namespace: ns, label: `any other workload of ${ns}` });
  }
  return nodes.sort((a, b) => compare(a.id, b.id));
}
