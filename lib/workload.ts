import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import type { EdgeModel, SourceModel, WorkloadModel } from './core/model';
import { checkDnsLabel, checkDnsSubdomain, checkIpBlock, checkLabels, checkPlaintextException, checkPort, checkTrustDomain, failEarly } from './core/values';
import { EdgeDeclaration, IAllowEdge } from './edge-declaration';
import type { IPeer } from './peer';
import { brandDeclaredWorkload, brandImportedWorkload, isLibraryPeer, isLibraryWorkload } from './options/brands';
import { checkInput, pathOf } from './options/check';
import { fastEdgeOptions, fastWorkloadOptions } from './options/fast';
import * as Options from './options/schemas';
import { EdgeOptions, Enforcement, MtlsMode, PlaintextException, WorkloadPort } from './types';
import { ZeroTrustNamespace } from './zero-trust-namespace';

export interface WorkloadOptions {
  /**
   * The Kubernetes service account the pods run as: their mesh identity.
   * @default - the workload name
   */
  readonly serviceAccount?: string;
  /**
   * Labels that select the workload's pods.
   * @default { app: <workload name> }
   */
  readonly labels?: Record<string, string>;
  /**
   * mTLS mode for this workload only.
   * @default - inherits the namespace mode
   */
  readonly mtls?: MtlsMode;
  /**
   * Ports that accept plaintext, such as a metrics port scraped by a Prometheus without sidecar.
   * Each gets a PERMISSIVE port-level mode and an ALLOW rule for clients without a mesh identity.
   * @default - none
   */
  readonly plaintextPorts?: number[];
  /**
   * Addresses allowed to reach the plaintext ports (the scraper's pod CIDR, say).
   * @default - any client without a mesh identity
   */
  readonly plaintextIpBlocks?: string[];
  /**
   * Plaintext exceptions limited to what the client without a sidecar needs:
   * `[{ port: 9080, methods: ['GET'], paths: ['/metrics'] }]`. Each port gets a PERMISSIVE
   * port-level mode and one ALLOW rule for clients without a mesh identity, limited as given. On a
   * port that also serves identity edges, an exception needs methods or paths (or
   * `acceptIdentityBypass: true`).
   * @default - none
   */
  readonly plaintext?: PlaintextException[];
  /**
   * The ports the workload serves, with their protocol. When declared, edges may only name these
   * ports, and methods or paths toward a TCP port are refused.
   * @default - not declared: any port, and every port is assumed to speak HTTP
   */
  readonly ports?: WorkloadPort[];
  /**
   * Enforcement.DRY_RUN audits the workload: its policy (every edge toward it) is evaluated and
   * logged but not enforced, and an enforced stand-in admits every request it would deny, so that
   * a team can tighten one workload at a time. The namespace's DENY rules stay enforced.
   * @default Enforcement.ENFORCED
   */
  readonly enforcement?: Enforcement;
}

export interface WorkloadProps extends WorkloadOptions {}

/** A workload: a source of edges, and a destination when declared in a ZeroTrustNamespace. */
export interface IWorkload extends IPeer {
  /** The workload name. */
  readonly name: string;
  /** The namespace it runs in. */
  readonly namespaceName: string;
  /** Its service account, the identity it presents. */
  readonly serviceAccount: string;
  /** Admits requests from a peer to this workload. */
  allowFrom(peer: IPeer, options?: EdgeOptions): IAllowEdge;
  /** Admits requests from this workload to another one. */
  allowTo(destination: IWorkload, options?: EdgeOptions): IAllowEdge;
}

export interface WorkloadAttributes {
  /** Namespace of the workload. */
  readonly namespace: string;
  /** Workload name. */
  readonly name: string;
  /**
   * Its service account.
   * @default - the workload name
   */
  readonly serviceAccount?: string;
  /**
   * Trust domain of its identity.
   * @default - the trust domain of the destination's mesh
   */
  readonly trustDomain?: string;
}

/**
 * A workload of a ZeroTrustNamespace: the pods selected by its labels, running as its service
 * account. Its inbound edges are merged into one ALLOW policy named `<name>-allow`.
 */
export class Workload extends Construct implements IWorkload {
  /**
   * A workload declared outside this code (another team's repository). It can be the source of an
   * edge; it cannot be a destination, because its namespace's policies are not emitted here.
   */
  public static fromAttributes(attrs: WorkloadAttributes): IWorkload {
    attrs = checkInput('Workload.fromAttributes', { argument: 'attributes' }, Options.workloadAttributes, attrs);
    const serviceAccount = attrs.serviceAccount ?? attrs.name;
    failEarly(`Workload.fromAttributes(${attrs.namespace}/${attrs.name})`,
      checkDnsLabel('namespace', attrs.namespace),
      checkDnsLabel('workload name', attrs.name),
      checkDnsSubdomain('service account', serviceAccount),
      attrs.trustDomain !== undefined ? checkTrustDomain(attrs.trustDomain) : undefined);
    return brandImportedWorkload(new ImportedWorkload(attrs.namespace, attrs.name, serviceAccount, attrs.trustDomain));
  }

  public readonly name: string;
  public readonly namespace: ZeroTrustNamespace;
  public readonly namespaceName: string;
  public readonly serviceAccount: string;
  public readonly labels: Readonly<Record<string, string>>;
  public readonly mtls?: MtlsMode;
  /** ENFORCED, or DRY_RUN when the workload is audited. */
  public readonly enforcement: Enforcement;
  public readonly peerName: string;
  private readonly plaintextPorts: readonly number[];
  private readonly plaintextIpBlocks: readonly string[];
  private readonly plaintextExceptions: readonly PlaintextException[];
  private readonly ports: readonly WorkloadPort[];
  /**
   * The ids of the edges declared with allowFrom/allowTo (plain records, not constructs: see
   * EdgeDeclaration), so that each is declared once. An edge without limits, enforced, has the id
   * `from-<peer>` and is recorded by its peer's name: a string every edge of that peer shares, whose
   * hash is computed once, where a fresh id per edge would be hashed at each call. Any other edge is
   * recorded by its id (see hasEdge for where the two meet).
   */
  private readonly plainPeers = new Set<string>();
  /** Made at the first edge with limits or audited: most workloads of a large mesh have none. */
  private otherIds?: Set<string>;
  /** Whether a peer of plainPeers has a name that ends like another edge's id (see hasEdge). */
  private plainPeerLikeId = false;
  /** Every edge toward this workload, however declared, in declaration order. */
  private readonly inbound: EdgeDeclaration[] = [];
  /** The workload as a source and as a destination in the model: one frozen object each, shared by its edges. */
  private source?: SourceModel;
  private destination?: EdgeModel['to'];

  constructor(scope: ZeroTrustNamespace, id: string, props: WorkloadProps = {}) {
    const where = pathOf('Workload', scope, id); // checks the scope and the id first
    // Plain options take the fast path (lib/options/fast.ts); anything else, and every error, the schema.
    props = fastWorkloadOptions(props) ?? checkInput(where, { argument: 'options', optional: true }, Options.workloadOptions, props);
    super(scope, id);
    brandDeclaredWorkload(this);
    if (!(scope instanceof ZeroTrustNamespace)) failEarly(this.node.path, 'a Workload must be declared in a ZeroTrustNamespace (use namespace.addWorkload())');
    this.namespace = scope;
    this.name = id;
    this.namespaceName = scope.namespaceName;
    this.serviceAccount = props.serviceAccount ?? id;
    this.labels = props.labels ? { ...props.labels } : { app: id };
    this.mtls = props.mtls;
    this.enforcement = props.enforcement ?? Enforcement.ENFORCED;
    // Copies of the caller's lists; an absent list is one shared, frozen empty list (most workloads
    // declare none, and a mesh has tens of thousands of workloads).
    this.plaintextPorts = props.plaintextPorts ? [...props.plaintextPorts] : NO_NUMBERS;
    this.plaintextIpBlocks = props.plaintextIpBlocks ? [...props.plaintextIpBlocks] : NO_STRINGS;
    this.plaintextExceptions = props.plaintext ?? NO_EXCEPTIONS; // fresh objects and arrays from the schema
    this.ports = props.ports ? [...props.ports] : NO_PORTS;
    this.peerName = `${this.namespaceName}.${id}`;

    failEarly(this.node.path,
      checkDnsLabel('workload name', id),
      checkDnsSubdomain('service account', this.serviceAccount),
      checkLabels('labels', this.labels));
    if (props.plaintextPorts || props.plaintextIpBlocks || props.plaintext || props.ports) this.checkLists(props);
    scope._addWorkload(this);
  }

  /** The lists of the options: none empty, every value checked. */
  private checkLists(props: WorkloadProps): void {
    if (props.plaintextPorts?.length === 0) failEarly(this.node.path, 'plaintextPorts is an empty list; omit it instead');
    if (props.plaintextIpBlocks?.length === 0) failEarly(this.node.path, 'plaintextIpBlocks is an empty list; omit it instead');
    if (props.plaintext?.length === 0) failEarly(this.node.path, 'plaintext is an empty list; omit it instead');
    if (props.ports?.length === 0) failEarly(this.node.path, 'ports is an empty list; omit it instead');
    // Indexed loops, first problem only: a valid workload allocates nothing here.
    let problem: string | undefined;
    for (let i = 0; i < this.plaintextPorts.length && problem === undefined; i++) problem = checkPort('plaintext port', this.plaintextPorts[i]);
    for (let i = 0; i < this.plaintextIpBlocks.length && problem === undefined; i++) problem = checkIpBlock(this.plaintextIpBlocks[i]);
    for (let i = 0; i < this.plaintextExceptions.length && problem === undefined; i++) {
      problem = checkPlaintextException(`plaintext[${i}]`, this.plaintextExceptions[i]).find((m) => m !== undefined);
    }
    for (let i = 0; i < this.ports.length && problem === undefined; i++) problem = checkPort('port', this.ports[i].number);
    if (problem !== undefined) failEarly(this.node.path, problem);
  }

  /**
   * Admits requests from a peer to this workload, optionally limited to methods, paths and ports.
   * The edge is recorded on this workload (no construct is added) and identified as
   * `<workload path>/from-<peer>`, plus a digest of the limits when there are any.
   */
  public allowFrom(peer: IPeer, options: EdgeOptions = EMPTY): IAllowEdge {
    // The schema is z.custom(isLibraryPeer): asked only for its message when the predicate fails
    // (edges are the bulk of a large mesh, and a schema run costs more than the predicate).
    if (!isLibraryPeer(peer)) checkInput(this.node.path, { verb: 'allowFrom', argument: 'the peer' }, Options.peer, peer);
    // Most edges have no limits: no options object to check then. Plain options take the fast path
    // (lib/options/fast.ts); anything else, and every error, the schema.
    if (options !== EMPTY) options = fastEdgeOptions(options) ?? checkInput(this.node.path, { verb: 'allowFrom', argument: 'options', optional: true }, Options.edgeOptions, options);
    const id = edgeId(peer, options);
    if (this.hasEdge(peer.peerName, id)) {
      failEarly(`${this.node.path}/${id ?? `from-${peer.peerName}`}`, `duplicate edge ${peer.peerName} -> ${this.namespaceName}/${this.name}: it is already declared with the same limits`);
    }
    const edge = new EdgeDeclaration(peer, this, options, undefined, id);
    if (id !== undefined) {
      (this.otherIds ??= new Set()).add(id);
    } else {
      this.plainPeers.add(peer.peerName);
      if (!this.plainPeerLikeId && LIKE_ID_SUFFIX.test(peer.peerName)) this.plainPeerLikeId = true;
    }
    this.inbound.push(edge);
    this.namespace.mesh._changed();
    return edge;
  }

  /** Admits requests from this workload to another one; the edge is recorded at the destination. */
  public allowTo(destination: IWorkload, options: EdgeOptions = EMPTY): IAllowEdge {
    if (!isLibraryWorkload(destination)) checkInput(this.node.path, { verb: 'allowTo', argument: 'destination' }, Options.workload, destination);
    return destination.allowFrom(this, options);
  }

  /**
   * Every edge toward this workload, declared with allowFrom/allowTo or as an AllowEdge, in
   * declaration order: for checks of your own (an Aspect, a test) over what the policy admits.
   */
  public get inboundEdges(): readonly IAllowEdge[] {
    return this.inbound.map((declaration) => declaration.declaredAs ?? declaration);
  }

  /**
   * @internal Checks of the workload itself, run at synth: an edge recorded by allowFrom is
   * identified as `<path>/from-<peer>`, and a child construct with that id would be a second
   * declaration with the same path. Checked once, in either order of declaration, rather than with
   * a child lookup at every allowFrom.
   */
  public _ownIssues(): string[] {
    const clashes: string[] = [];
    for (const child of this.node.children) {
      const id = child.node.id;
      if (!this._declaresEdge(id)) continue;
      clashes.push(`${id}: the edge recorded by allowFrom/allowTo is identified as "${id}", the construct id of another construct in workload ${this.namespaceName}/${this.name}; rename that construct`);
    }
    return clashes;
  }

  /** @internal True if allowFrom/allowTo declared an edge with this id. */
  public _declaresEdge(id: string): boolean {
    return this.otherIds?.has(id) === true || (id.startsWith('from-') && this.plainPeers.has(id.slice('from-'.length)));
  }

  /**
   * Whether an edge from this peer with this id (undefined: the plain `from-<peer>`) is declared.
   * A plain id equals another edge's id only when the peer's name ends like that id's suffix (a
   * peer named `ns.api-0123abcd` and the edge from `ns.api` whose limits digest to 0123abcd), so
   * the other set is only asked then.
   */
  private hasEdge(peerName: string, id: string | undefined): boolean {
    if (id === undefined) {
      return this.plainPeers.has(peerName) || (this.otherIds !== undefined && LIKE_ID_SUFFIX.test(peerName) && this.otherIds.has(`from-${peerName}`));
    }
    return this.otherIds?.has(id) === true || (this.plainPeerLikeId && this.plainPeers.has(id.slice('from-'.length)));
  }

  /** @internal Records an edge declared as an AllowEdge construct (its `declaredAs`) toward this workload. */
  public _addInbound(declaration: EdgeDeclaration): void {
    this.inbound.push(declaration);
  }

  /** @internal The edges toward this workload, in the intent model. */
  public _contributeEdges(edges: EdgeModel[]): void {
    for (let i = 0; i < this.inbound.length; i++) edges.push(this.inbound[i].toModel()); // indexed: no iterator per workload
  }

  /** @internal */
  public _toSource(): SourceModel {
    return this.source ??= Object.freeze({ kind: 'workload', namespace: this.namespaceName, name: this.name, serviceAccount: this.serviceAccount });
  }

  /** @internal The workload as the destination of an edge in the model. */
  public _toDestination(): EdgeModel['to'] {
    return this.destination ??= Object.freeze({ namespace: this.namespaceName, workload: this.name });
  }

  /** @internal */
  public _toModel(): WorkloadModel {
    return {
      name: this.name,
      namespace: this.namespaceName,
      serviceAccount: this.serviceAccount,
      labels: this.labels,
      ...(this.mtls !== undefined ? { mode: this.mtls } : {}),
      plaintextPorts: this.plaintextPorts,
      plaintextIpBlocks: this.plaintextIpBlocks,
      ...(this.plaintextExceptions.length > 0 ? { plaintextExceptions: this.plaintextExceptions } : {}),
      ports: this.ports.map((p) => ({ number: p.number, protocol: p.protocol })),
      ...(this.enforcement === Enforcement.DRY_RUN ? { dryRun: true } : {}),
      origin: this.node.path,
    };
  }
}

const NO_NUMBERS: readonly number[] = Object.freeze([]);
const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_EXCEPTIONS: readonly PlaintextException[] = Object.freeze([]);
const NO_PORTS: readonly WorkloadPort[] = Object.freeze([]);

/** The default options of allowFrom/allowTo, recognised without a schema check. */
const EMPTY: EdgeOptions = Object.freeze({});

class ImportedWorkload implements IWorkload {
  public readonly peerName: string;
  constructor(
    public readonly namespaceName: string,
    public readonly name: string,
    public readonly serviceAccount: string,
    private readonly trustDomain?: string,
  ) {
    this.peerName = `${namespaceName}.${name}`;
  }

  public allowFrom(): IAllowEdge {
    throw new Error(`[Workload.fromAttributes(${this.namespaceName}/${this.name})] allowFrom: cannot allow traffic to ${this.namespaceName}/${this.name}: it was imported with Workload.fromAttributes() and is outside any ZeroTrustNamespace, ` +
      'so no policy can be emitted for it. Declare its namespace with ZeroTrustNamespace and the workload with addWorkload()');
  }

  public allowTo(destination: IWorkload, options: EdgeOptions = EMPTY): IAllowEdge {
    checkInput(`Workload.fromAttributes(${this.namespaceName}/${this.name})`, { verb: 'allowTo', argument: 'destination' }, Options.workload, destination);
    return destination.allowFrom(this, options);
  }

  public _toSource(): SourceModel {
    return {
      kind: 'workload', namespace: this.namespaceName, name: this.name, serviceAccount: this.serviceAccount,
      ...(this.trustDomain !== undefined ? { trustDomain: this.trustDomain } : {}),
    };
  }
}

/**
 * Construct id of an edge made by allowFrom/allowTo: the peer, plus a digest of the layer-7 limits
 * when there are any, so that two edges from one peer with different limits can coexist and the
 * id never depends on declaration order. Undefined for the plain id `from-<peer>` (no limits,
 * enforced), which is not built: such an edge is recorded by its peer's name (see plainPeers).
 */
function edgeId(peer: IPeer, options: EdgeOptions): string | undefined {
  const audit = options.enforcement === Enforcement.DRY_RUN ? '-audit' : '';
  if (options.methods === undefined && options.paths === undefined && options.ports === undefined) return audit === '' ? undefined : `from-${peer.peerName}${audit}`;
  const json = JSON.stringify([options.methods, options.paths, options.ports]);
  let digest = digests.get(json);
  if (digest === undefined) {
    digest = createHash('sha256').update(json).digest('hex').slice(0, 8);
    if (digests.size >= 10_000) digests.clear();
    digests.set(json, digest);
  }
  return `from-${peer.peerName}-${digest}${audit}`;
}

/** The end of an id that is not its peer's plain `from-<peer>`: a digest of limits, or the audit mark (see edgeId). */
const LIKE_ID_SUFFIX = /-(?:[0-9a-f]{8}|audit)$/;

/** Digests of edge limits: many edges share their limits (`['GET']`), and a sha256 costs more than a lookup. */
const digests = new Map<string, string>();

