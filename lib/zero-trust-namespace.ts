import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import type { SourceModel } from './core/model';
import { checkDnsLabel, checkLabels, failEarly } from './core/values';
import type { IPeer } from './peer';
import { brandPeer } from './options/brands';
import { checkInput, pathOf } from './options/check';
import { fastNamespaceProps } from './options/fast';
import * as Options from './options/schemas';
import { Dataplane, Enforcement, MtlsMode, Waypoint } from './types';
import { Workload, WorkloadOptions } from './workload';
import { foreignObjects, IMeshMember, MeshModelBuilder, useDictionaryChildren, ZeroTrustMesh } from './zero-trust-mesh';

const NAMESPACE_BRAND = Symbol.for('istio-zero-trust.ZeroTrustNamespace');

export interface ZeroTrustNamespaceProps {
  /** The mesh the namespace belongs to. */
  readonly mesh: ZeroTrustMesh;
  /**
   * mTLS mode of the namespace (its `default` PeerAuthentication).
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * Namespaces whose workloads may never reach this one, whatever an edge says. Matched on the
   * mTLS certificate, so only enforceable where the namespace refuses plaintext.
   * @default - no namespace is denied
   */
  readonly denyFromNamespaces?: string[];
  /**
   * Enforce the namespace's AuthorizationPolicies, or only log their decisions while migrating
   * (Istio's `istio.io/dry-run` annotation).
   * @default Enforcement.ENFORCED
   */
  readonly enforcement?: Enforcement;
  /**
   * Accept enforced identity rules (edges, denyFromNamespaces) toward workloads that also accept
   * plaintext. Plaintext requests carry no identity: they bypass a DENY and are refused by an
   * ALLOW. Without this flag such a combination is a synth error.
   * @default false
   */
  readonly acceptPlaintextBypass?: boolean;
  /**
   * Labels added to every object of the namespace.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Who enforces the namespace's policies: sidecars, or ztunnel and a waypoint (ambient). The same
   * edges mean the same access in both; see "Ambient mode" in the README.
   * @default - the mesh's dataplane
   */
  readonly dataplane?: Dataplane;
  /**
   * Ambient only: the waypoint that enforces edges with methods or paths. It is emitted only when
   * such an edge exists.
   * @default Waypoint.named('waypoint')
   */
  readonly waypoint?: Waypoint;
}

/**
 * A namespace closed by default: a PeerAuthentication of its mode, an allow-nothing
 * AuthorizationPolicy, an optional DENY for whole namespaces, and one ALLOW policy per workload
 * that has inbound edges. The construct id is the Kubernetes namespace name, and the objects are
 * synthesized into `<namespace>.k8s.yaml`.
 */
export class ZeroTrustNamespace extends Chart implements IPeer, IMeshMember {
  /** True for a ZeroTrustNamespace, from any copy of this library. */
  public static isZeroTrustNamespace(x: unknown): x is ZeroTrustNamespace {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[NAMESPACE_BRAND] === true;
  }

  /**
   * cdk8s's Chart implements `instanceof` with `Chart.isChart`, and subclasses inherit it: without
   * this, `x instanceof ZeroTrustNamespace` would be true for every chart.
   */
  public static [Symbol.hasInstance](x: unknown): x is ZeroTrustNamespace {
    return ZeroTrustNamespace.isZeroTrustNamespace(x);
  }

  /** The ZeroTrustNamespace a construct is declared in. */
  public static of(construct: IConstruct): ZeroTrustNamespace {
    for (let scope: IConstruct | undefined = construct; scope; scope = scope.node.scope) {
      if (ZeroTrustNamespace.isZeroTrustNamespace(scope)) return scope;
    }
    throw new Error(`[${construct.node.path}] is not inside a ZeroTrustNamespace; declare it with a ZeroTrustNamespace (or one of its workloads) as its scope`);
  }

  public readonly mesh: ZeroTrustMesh;
  /** The Kubernetes namespace name (the construct id). */
  public readonly namespaceName: string;
  public readonly mtls: MtlsMode;
  public readonly enforcement: Enforcement;
  public readonly denyFromNamespaces: readonly string[];
  public readonly acceptPlaintextBypass: boolean;
  public readonly peerName: string;
  /** The namespace's data plane (its own, or the mesh's). */
  public readonly dataplane: Dataplane;
  /** The namespace's waypoint (ambient only). */
  public readonly waypoint: Waypoint;

  private readonly workloadList: Workload[] = [];
  /** The namespace as a source in the model: one frozen object, shared by its edges. */
  private source?: SourceModel;
  private readonly namespaceLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: ZeroTrustNamespaceProps) {
    const where = pathOf('ZeroTrustNamespace', scope, id); // checks the scope and the id first
    // Plain props take the fast path (lib/options/fast.ts); anything else, and every error, the schema.
    props = fastNamespaceProps(props) ?? checkInput(where, { argument: 'props' }, Options.namespaceProps, props);
    super(scope, id, { namespace: id, labels: props.labels });
    Object.defineProperty(this, NAMESPACE_BRAND, { value: true });
    brandPeer(this);
    useDictionaryChildren(this); // its children are workloads and edges with user-chosen ids
    failEarly(this.node.path, checkDnsLabel('namespace (the construct id)', id));
    if (scope.node.scope !== undefined) {
      // A nested chart makes cdk8s prefix every output file with an index.
      failEarly(this.node.path, 'a ZeroTrustNamespace must be created directly in the App, not inside another construct, so that it synthesizes to <namespace>.k8s.yaml');
    }
    this.mesh = props.mesh;
    this.namespaceName = id;
    this.mtls = props.mtls ?? MtlsMode.STRICT;
    this.enforcement = props.enforcement ?? Enforcement.ENFORCED;
    this.denyFromNamespaces = [...(props.denyFromNamespaces ?? [])];
    this.acceptPlaintextBypass = props.acceptPlaintextBypass ?? false;
    this.namespaceLabels = { ...(props.labels ?? {}) };
    this.peerName = `ns.${id}`;
    this.dataplane = props.dataplane ?? props.mesh.dataplane;
    this.waypoint = props.waypoint ?? Waypoint.named('waypoint');

    if (this.waypoint.name !== false) failEarly(this.node.path, checkDnsLabel('waypoint name', this.waypoint.name));
    if (props.waypoint !== undefined && this.dataplane !== Dataplane.AMBIENT) {
      failEarly(this.node.path, 'waypoint is set but the namespace uses sidecars: only an ambient namespace (dataplane: Dataplane.AMBIENT) has a waypoint. Remove waypoint or make the namespace ambient');
    }

    if (props.denyFromNamespaces !== undefined && props.denyFromNamespaces.length === 0) {
      failEarly(this.node.path, 'denyFromNamespaces is an empty list; omit it to deny no namespace');
    }
    failEarly(this.node.path, ...this.denyFromNamespaces.map((ns) => checkDnsLabel('denyFromNamespaces entry', ns)));
    if (Object.keys(this.namespaceLabels).length > 0) failEarly(this.node.path, checkLabels('labels', this.namespaceLabels));

    this.mesh._register(this);
  }

  /**
   * Declares a workload of this namespace. By default it runs as service account `name` and its
   * pods carry the label `app: name`.
   */
  public addWorkload(name: string, options: WorkloadOptions = {}): Workload {
    // A string needs no schema run (Options.name is a string); anything else gets the schema's message.
    if (typeof name !== 'string') checkInput(this.node.path, { verb: 'addWorkload', argument: 'name' }, Options.name, name);
    // (An id every object answers, such as "constructor", is refused by the Workload itself, in words.)
    const existing = name in Object.prototype ? undefined : this.node.tryFindChild(name);
    if (existing instanceof Workload) {
      failEarly(`${this.node.path}/${name}`, `duplicate workload "${name}": namespace ${this.namespaceName} already declares it. Declare each workload once and reuse the returned object`);
    } else if (existing !== undefined) {
      failEarly(`${this.node.path}/${name}`, `workload "${name}" has the construct id of another construct in namespace ${this.namespaceName}; rename that construct`);
    }
    return new Workload(this, name, options);
  }

  /** The workloads declared in this namespace. */
  public get workloads(): readonly Workload[] {
    return [...this.workloadList];
  }

  /** @internal */
  public _addWorkload(workload: Workload): void {
    this.workloadList.push(workload);
    this.mesh._attach(workload);
  }

  /** @internal Every workload of this namespace, matched on the namespace of its certificate. */
  public _toSource(): SourceModel {
    return this.source ??= Object.freeze({ kind: 'namespace', namespace: this.namespaceName });
  }

  /** @internal */
  public _contribute(model: MeshModelBuilder): void {
    model.namespaces.push({
      name: this.namespaceName,
      mode: this.mtls,
      dryRun: this.enforcement === Enforcement.DRY_RUN,
      denyFromNamespaces: this.denyFromNamespaces,
      acceptPlaintextBypass: this.acceptPlaintextBypass,
      labels: this.namespaceLabels,
      ...(this.dataplane !== this.mesh.dataplane ? { dataplane: this.dataplane } : {}),
      ...(this.dataplane === Dataplane.AMBIENT && this.waypoint.name !== 'waypoint' ? { waypoint: this.waypoint.name } : {}),
      origin: this.node.path,
      workloads: this.workloadList.map((w) => w._toModel()),
    });
    for (const workload of this.workloadList) workload._contributeEdges(model.edges);
  }

  /** The namespace's compiled objects (compiled once per synth for the whole mesh). */
  public toJson(): any[] {
    return [...(this.mesh._compile().namespaces.get(this.namespaceName) ?? []), ...foreignObjects(this)];
  }
}
