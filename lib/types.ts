import { checkDnsLabel, checkPort, failEarly, show } from './core/values';

// The library's own enum-like types. The generated Istio enums (ISTIO_UNDERSCORE_MUTUAL and
// friends) stay inside the compiler.

/** How a workload's sidecar treats inbound connections (PeerAuthentication mode). */
export enum MtlsMode {
  /** Only mutual TLS; plaintext connections are refused. */
  STRICT = 'STRICT',
  /** Mutual TLS and plaintext are both accepted: for migrations only. */
  PERMISSIVE = 'PERMISSIVE',
  /** Plaintext only: the sidecar does not terminate mutual TLS. */
  DISABLE = 'DISABLE',
}

/** Who enforces a namespace's policies. */
export enum Dataplane {
  /** An Envoy sidecar in every pod enforces every policy (Istio's classic data plane). */
  SIDECAR = 'SIDECAR',
  /**
   * Istio's ambient data plane: the node's ztunnel enforces layer-4 rules, and a waypoint proxy
   * enforces edges with methods or paths. The namespace must carry `istio.io/dataplane-mode: ambient`.
   */
  AMBIENT = 'AMBIENT',
}

/** The waypoint of an ambient namespace: the proxy that enforces layer-7 limits. */
export class Waypoint {
  /**
   * A waypoint named `name` (a Gateway of class istio-waypoint), emitted by the compiler when a
   * workload of the namespace has an edge with methods or paths. Its pods run as service account
   * `name`, the identity the workloads' ztunnel admits.
   */
  public static named(name: string): Waypoint {
    failEarly('Waypoint.named', typeof name === 'string' ? checkDnsLabel('waypoint name', name) : `name must be a string, got ${show(name)}`);
    return new Waypoint(name);
  }
  /** No waypoint: edges with methods or paths toward the namespace are refused. */
  public static readonly NONE = new Waypoint(false);

  private constructor(
    /** The Gateway name, or false for none. */
    public readonly name: string | false,
  ) {}
}

/** Whether a namespace's AuthorizationPolicies are enforced or only logged (istio.io/dry-run). */
export enum Enforcement {
  /** Policies allow and deny requests. */
  ENFORCED = 'ENFORCED',
  /**
   * Policies are evaluated and their decision is logged and counted, but every request goes
   * through: the staging step while a namespace migrates from PERMISSIVE to STRICT.
   */
  DRY_RUN = 'DRY_RUN',
}

/** How clients of a workload's Service speak to it (DestinationRule TLS mode). */
export enum ClientTlsMode {
  /** Mutual TLS with the mesh's certificates. */
  ISTIO_MUTUAL = 'ISTIO_MUTUAL',
  /** Plaintext, for a workload without a sidecar. */
  DISABLE = 'DISABLE',
}

/** What the application sends to its sidecar for an external service. */
export enum ExternalProtocol {
  /** Plain HTTP; the sidecar originates mutual TLS. The documented shape. */
  HTTP = 'HTTP',
  /** The application speaks HTTPS itself. Refused: origination would wrap TLS in TLS. */
  HTTPS = 'HTTPS',
  /** The application speaks TLS itself. Refused: origination would wrap TLS in TLS. */
  TLS = 'TLS',
}

/** A port a workload serves, with its protocol. Methods and paths only apply to HTTP ports. */
export class WorkloadPort {
  /** HTTP/1.1 */
  public static http(port: number): WorkloadPort { return WorkloadPort.make('http', port, 'HTTP'); }
  /** HTTP/2 */
  public static http2(port: number): WorkloadPort { return WorkloadPort.make('http2', port, 'HTTP2'); }
  /** gRPC: every call is a POST; paths are "/package.Service/Method". */
  public static grpc(port: number): WorkloadPort { return WorkloadPort.make('grpc', port, 'GRPC'); }
  /** Opaque TCP: no methods or paths. */
  public static tcp(port: number): WorkloadPort { return WorkloadPort.make('tcp', port, 'TCP'); }

  private static make(factory: string, port: number, protocol: WorkloadPort['protocol']): WorkloadPort {
    failEarly(`WorkloadPort.${factory}`, checkPort('port', port));
    return new WorkloadPort(port, protocol);
  }

  private constructor(public readonly number: number, public readonly protocol: 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP') {}
}

/**
 * A plaintext exception limited to what a client without a sidecar needs, such as a Prometheus
 * scraping an application port: `{ port: 9080, methods: ['GET'], paths: ['/metrics'] }`.
 */
export interface PlaintextException {
  /** The workload (container) port that accepts plaintext. */
  readonly port: number;
  /**
   * HTTP methods plaintext clients may use, upper case.
   * @default - every method
   */
  readonly methods?: string[];
  /**
   * Paths plaintext clients may request (same forms as an edge's paths).
   * @default - every path
   */
  readonly paths?: string[];
  /**
   * Addresses plaintext clients may come from (the scraper's pod CIDR, say).
   * @default - any client without a mesh identity
   */
  readonly ipBlocks?: string[];
  /**
   * Accept an exception without methods or paths on a port that also serves identity edges: any
   * client without a sidecar can then send any request to that port, and the identity the edges
   * check no longer protects it.
   * @default false
   */
  readonly acceptIdentityBypass?: boolean;
}

/** Layer-7 limits of an edge. Every list must be non-empty when given. */
export interface EdgeOptions {
  /**
   * HTTP methods, upper case.
   * @default - every method
   */
  readonly methods?: string[];
  /**
   * Paths: exact ("/api/v1/products"), prefix ("/api/v1/products/*"), suffix ("*.json") or
   * template ("/api/{*}/items", "/files/{**}").
   * @default - every path
   */
  readonly paths?: string[];
  /**
   * Workload (container) ports.
   * @default - every port
   */
  readonly ports?: number[];
  /**
   * Enforcement.DRY_RUN audits the edge's limits: the source is admitted on every port, method and
   * path, and the requests outside the limits are logged as "would be denied" (istio.io/dry-run).
   * An edge without limits removes nothing and cannot be audited: audit the workload instead.
   * @default Enforcement.ENFORCED
   */
  readonly enforcement?: Enforcement;
}
