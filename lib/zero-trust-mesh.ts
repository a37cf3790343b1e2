import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct, IValidation } from 'constructs';
import { CompiledMesh, compileMesh } from './core/compile';
import type { ClientTlsModel, EdgeModel, ExternalServiceModel, MeshModel, NamespaceModel } from './core/model';
import { ValidationIssue, ZeroTrustValidationError } from './core/validate';
import { checkDnsLabel, checkDnsSubdomain, checkTrustDomain, failEarly } from './core/values';
import { checkInput, pathOf } from './options/check';
import * as Options from './options/schemas';
import { Dataplane, MtlsMode } from './types';

export interface ZeroTrustMeshProps {
  /**
   * Trust domain of the mesh's identities (principals are `<trustDomain>/ns/<ns>/sa/<sa>`).
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * Istio's root namespace, where mesh-wide policies live.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
  /**
   * Mesh-wide mTLS mode, the default for every namespace.
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * DNS suffix of in-cluster services, used for DestinationRule hosts.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * The data plane of every namespace that does not choose one.
   * @default Dataplane.SIDECAR
   */
  readonly dataplane?: Dataplane;
}

/** Anything that contributes to the mesh's intent model. */
export interface IMeshMember extends IConstruct {
  /** @internal */
  _contribute(model: MeshModelBuilder): void;
}

/** Mutable collections the members fill in, turned into a MeshModel once per synth. */
export interface MeshModelBuilder {
  readonly namespaces: NamespaceModel[];
  readonly edges: EdgeModel[];
  readonly externalServices: ExternalServiceModel[];
  readonly clientTls: ClientTlsModel[];
}

const MESH_BRAND = Symbol.for('istio-zero-trust.ZeroTrustMesh');

/** The meshes of each construct tree, by root namespace. */
const MESHES_BY_ROOT = new WeakMap<IConstruct, Map<string, ZeroTrustMesh>>();

/**
 * The mesh: its trust domain, root namespace and mesh-wide mTLS mode. Synthesizes the mesh-wide
 * PeerAuthentication into `mesh.k8s.yaml` (with the default id) and compiles the policies of every
 * ZeroTrustNamespace that belongs to it, once per synth.
 */
export class ZeroTrustMesh extends Chart {
  /** True for a ZeroTrustMesh, from any copy of this library. */
  public static isZeroTrustMesh(x: unknown): x is ZeroTrustMesh {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MESH_BRAND] === true;
  }

  /**
   * cdk8s's Chart implements `instanceof` with `Chart.isChart`, and subclasses inherit it: without
   * this, `x instanceof ZeroTrustMesh` would be true for every chart.
   */
  public static [Symbol.hasInstance](x: unknown): x is ZeroTrustMesh {
    return ZeroTrustMesh.isZeroTrustMesh(x);
  }

  public readonly trustDomain: string;
  public readonly rootNamespace: string;
  public readonly mtls: MtlsMode;
  public readonly clusterDomain: string;
  public readonly dataplane: Dataplane;

  private readonly members: IMeshMember[] = [];
  /**
   * The constructs that report issues of their own path (see reporterOf): a construct its own, a
   * workload also those of the edges it recorded with allowFrom/allowTo.
   */
  private readonly attached = new WeakSet<IConstruct>();
  private compiled?: { readonly version: number; readonly result: CompiledMesh | ZeroTrustValidationError; readonly messages: Map<IConstruct, string[]> };
  private version = 0;
  /** issuesFor, bound once: shared by the validation of every attached construct. */
  private readonly issuesOf = (member: IConstruct) => this.issuesFor(member);

  constructor(scope: Construct, id: string, props: ZeroTrustMeshProps = {}) {
    props = checkInput(pathOf('ZeroTrustMesh', scope, id), { argument: 'props', optional: true }, Options.meshProps, props);
    super(scope, id, { namespace: props.rootNamespace ?? 'istio-system' });
    Object.defineProperty(this, MESH_BRAND, { value: true });
    this.trustDomain = props.trustDomain ?? 'cluster.local';
    this.rootNamespace = props.rootNamespace ?? 'istio-system';
    this.mtls = props.mtls ?? MtlsMode.STRICT;
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.dataplane = props.dataplane ?? Dataplane.SIDECAR;
    failEarly(this.node.path,
      checkTrustDomain(this.trustDomain),
      checkDnsLabel('root namespace', this.rootNamespace),
      checkDnsSubdomain('cluster domain', this.clusterDomain));
    // Each mesh emits PeerAuthentication "default" in its root namespace: a second mesh with the same
    // root namespace would emit a second, conflicting mesh-wide policy of the same name.
    let meshes = MESHES_BY_ROOT.get(this.node.root);
    if (!meshes) MESHES_BY_ROOT.set(this.node.root, (meshes = new Map()));
    const other = meshes.get(this.rootNamespace);
    if (other) {
      failEarly(this.node.path, `root namespace "${this.rootNamespace}" is already the root namespace of mesh ${other.node.path}: both would emit the mesh-wide PeerAuthentication "default" there, ` +
        'and one would overwrite the other. Declare one ZeroTrustMesh per root namespace');
    }
    meshes.set(this.rootNamespace, this);

    this._attach(this);
  }

  /** @internal Registers a namespace, edge or external service: it contributes to the model. */
  public _register(member: IMeshMember): void {
    this.members.push(member);
    this._attach(member);
  }

  /**
   * @internal
   * Makes a construct report the validation issues whose origin is its own path, plus its own
   * checks (`_ownIssues`, a Workload's). Validation runs once per synth: App.synth() calls every
   * construct's validations, and all of them read the one cached compilation.
   */
  public _attach(construct: IConstruct & { _ownIssues?(): string[] }): void {
    this.attached.add(construct);
    this.version++;
    construct.node.addValidation(new MemberValidation(this.issuesOf, construct));
  }

  /**
   * @internal
   * The declared intent changed (an edge was recorded with allowFrom/allowTo): the next synth
   * compiles again. The edge's reporter is its workload, found when an issue names it (see
   * reporterOf): registering every edge's path here cost a map entry per edge.
   */
  public _changed(): void {
    this.version++;
  }

  /** The intent model of everything declared in this mesh so far. */
  public toModel(): MeshModel {
    const builder: MeshModelBuilder = { namespaces: [], edges: [], externalServices: [], clientTls: [] };
    for (const member of this.members) member._contribute(builder);
    return {
      trustDomain: this.trustDomain,
      rootNamespace: this.rootNamespace,
      clusterDomain: this.clusterDomain,
      mode: this.mtls,
      ...(this.dataplane !== Dataplane.SIDECAR ? { dataplane: this.dataplane } : {}),
      origin: this.node.path,
      ...builder,
    };
  }

  /**
   * The compiled objects of every namespace. Compiled at most once per change of the declared
   * intent, so that N charts cost one compilation, not N.
   * @internal
   */
  public _compile(): CompiledMesh {
    const { result } = this.compilation();
    if (result instanceof ZeroTrustValidationError) throw result;
    return result;
  }

  /** The mesh-wide objects, in the root namespace. */
  public toJson(): any[] {
    return [...this._compile().mesh, ...foreignObjects(this)];
  }

  private issuesFor(member: IConstruct): string[] {
    return this.compilation().messages.get(member) ?? [];
  }

  private compilation() {
    if (this.compiled?.version !== this.version) {
      const model = this.toModel();
      let result: CompiledMesh | ZeroTrustValidationError;
      let issues: readonly ValidationIssue[] = [];
      try {
        result = compileMesh(model);
      } catch (error) {
        if (!(error instanceof ZeroTrustValidationError)) throw error;
        result = error;
        issues = error.issues;
      }
      this.compiled = { version: this.version, result, messages: this.messagesByReporter(issues) };
    }
    return this.compiled;
  }

  /**
   * The construct that reports issues of `origin`: the attached construct of that path, else the
   * workload that recorded an edge of that path with allowFrom/allowTo (`<workload path>/<edge
   * id>`; a child construct with such an id is refused, see Workload), else the mesh.
   */
  private reporterOf(origin: string): IConstruct {
    // Found by walking the construct tree along the path: only for issues, so no construct pays for
    // a lookup table while it is declared.
    const ids = origin.split('/');
    let construct: IConstruct | undefined = this.node.root;
    let parent: IConstruct | undefined;
    for (const id of ids) {
      parent = construct;
      construct = construct?.node.tryFindChild(id);
    }
    if (construct !== undefined && this.attached.has(construct)) return construct;
    // (A Workload, recognized by its method: importing the class here would be an import cycle.)
    const recorder = parent as { _declaresEdge?: (id: string) => boolean } | undefined;
    if (construct === undefined && parent !== undefined && ids.length > 1 && this.attached.has(parent) && typeof recorder!._declaresEdge === 'function' && recorder!._declaresEdge(ids[ids.length - 1])) return parent;
    return this;
  }

  /**
   * Each issue as its reporter's message. cdk8s prefixes a message with the reporter's path, so an
   * issue of the reporter itself is its bare message, one of an edge recorded on a workload starts
   * with the edge's id (`[shop/api] from-shop.web: ...`), and any other starts with its origin.
   */
  private messagesByReporter(issues: readonly ValidationIssue[]): Map<IConstruct, string[]> {
    const messages = new Map<IConstruct, string[]>();
    for (const issue of issues) {
      const reporter = this.reporterOf(issue.path);
      const base = reporter.node.path;
      const message = issue.path === base ? issue.message
        : reporter !== this && issue.path.startsWith(`${base}/`) ? `${issue.path.slice(base.length + 1)}: ${issue.message}`
          : `[${issue.path}] ${issue.message}`;
      let list = messages.get(reporter);
      if (!list) messages.set(reporter, (list = []));
      list.push(message);
    }
    return messages;
  }
}

/**
 * Gives a construct a children table in dictionary mode before its first child is added.
 *
 * constructs' Node creates its children table as `{}` and adds each child as a property. V8 shares
 * one transition tree among all `{}` objects, keyed by property name: a workload's first child is
 * an AllowEdge with an id of the user's (`edge-123`), so thousands of workloads add thousands of
 * distinct first keys, the tree fills up (V8 stops caching transitions), and from then on every
 * object built as `{}` plus properties in the process gets a fresh hidden class, including the
 * contexts `yaml` creates for every key it writes. At 60,000 edges that made writing the YAML about
 * four times slower. A dictionary-mode table adds no transition. Only a performance hint: the
 * object keeps `{}`'s prototype and behaviour, and nothing changes if Node's internals differ.
 * @internal
 */
export function useDictionaryChildren(construct: IConstruct): void {
  const node = construct.node as unknown as { _children?: Record<string, IConstruct> };
  if (!('_children' in node) || node._children !== undefined) return;
  const table: Record<string, IConstruct> = {};
  // Deleting a property that is not the last one added switches V8 to dictionary mode.
  (table as any)['zero-trust:a'] = undefined;
  (table as any)['zero-trust:b'] = undefined;
  delete table['zero-trust:a'];
  delete table['zero-trust:b'];
  node._children = table;
}

/**
 * ApiObjects a user added to one of our charts by hand; synthesized after the compiled objects,
 * sorted, so that the chart stays independent of declaration order.
 */
export function foreignObjects(chart: Chart): Record<string, unknown>[] {
  // One walk of the chart's subtree, in findAll's order, collecting only ApiObjects (findAll would
  // list every edge).
  const objects: ApiObject[] = [];
  const stack: IConstruct[] = [...chart.node.children].reverse();
  while (stack.length > 0) {
    const construct = stack.pop()!;
    if (construct instanceof ApiObject && Chart.of(construct) === chart) objects.push(construct);
    const children = construct.node.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return objects.map((o) => o.toJson()).sort((a, b) => {
    const ka = `${a.kind}/${a.metadata?.name}`;
    const kb = `${b.kind}/${b.metadata?.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * The validation a mesh adds to each construct it attaches: its issues from the mesh's compilation,
 * then its own checks. An object of two fields rather than a closure: a large mesh attaches tens of
 * thousands of workloads, and a closure with its context and a `{ validate }` literal kept about
 * three times the memory of this object, for the whole life of the app.
 */
class MemberValidation implements IValidation {
  constructor(
    private readonly issuesOf: (member: IConstruct) => string[],
    private readonly member: IConstruct & { _ownIssues?(): string[] },
  ) {}

  public validate(): string[] {
    const own = this.issuesOf(this.member);
    const extra = this.member._ownIssues?.();
    return extra === undefined || extra.length === 0 ? own : [...own, ...extra];
  }
}
