// The intent model: what a platform team declared, as plain data. The constructs build it; the
// compiler turns it into Istio objects; the analyzer and property tests build it directly. Every
// item carries `origin`, the construct path (or any label) that declared it, so that errors and
// `zero-trust explain` can point back at the code.

/** Istio's PeerAuthentication modes, without UNSET: inheriting is expressed by leaving a mode out. */
export type Mode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/**
 * Who enforces a namespace's policies: a sidecar in every pod, or Istio's ambient data plane (the
 * node's ztunnel for layer 4, a waypoint proxy for layer 7). See lib/core/compile-ambient.ts.
 */
export type DataplaneName = 'SIDECAR' | 'AMBIENT';

/** Application protocol of a workload port; methods and paths only exist on HTTP-family ports. */
export type PortProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP';

export interface MeshModel {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  /** DNS suffix of in-cluster services, used for DestinationRule hosts. */
  readonly clusterDomain: string;
  readonly mode: Mode;
  /** The data plane of namespaces that do not choose one; absent means SIDECAR. */
  readonly dataplane?: DataplaneName;
  readonly origin: string;
  readonly namespaces: readonly NamespaceModel[];
  readonly edges: readonly EdgeModel[];
  readonly externalServices: readonly ExternalServiceModel[];
  readonly clientTls: readonly ClientTlsModel[];
}

export interface NamespaceModel {
  readonly name: string;
  readonly mode: Mode;
  /** Every AuthorizationPolicy of the namespace carries istio.io/dry-run: logged, not enforced. */
  readonly dryRun: boolean;
  readonly denyFromNamespaces: readonly string[];
  /** The user accepts identity rules toward ports that also take plaintext (see README). */
  readonly acceptPlaintextBypass: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** The namespace's data plane; absent means the mesh's. */
  readonly dataplane?: DataplaneName;
  /**
   * Ambient only: the name of the namespace's waypoint (a Gateway of class istio-waypoint, whose
   * pods run as a service account of the same name), or false for none (layer-7 limits refused).
   * Absent means "waypoint".
   */
  readonly waypoint?: string | false;
  readonly origin: string;
  readonly workloads: readonly WorkloadModel[];
}

export interface WorkloadPortModel {
  readonly number: number;
  readonly protocol: PortProtocol;
}

export interface WorkloadModel {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Overrides the namespace mode for this workload. */
  readonly mode?: Mode;
  /** Ports that accept plaintext (PERMISSIVE port-level mode plus an ALLOW rule for them). */
  readonly plaintextPorts: readonly number[];
  /** Narrows who may reach the plaintext ports; by default any client without a mesh identity. */
  readonly plaintextIpBlocks: readonly string[];
  /**
   * Plaintext exceptions limited to methods, paths or addresses, each on one port (PERMISSIVE
   * port-level mode plus one ALLOW rule for clients without a mesh identity).
   */
  readonly plaintextExceptions?: readonly PlaintextExceptionModel[];
  /** Declared ports; when present, edges may only name these ports. */
  readonly ports: readonly WorkloadPortModel[];
  /**
   * Audit mode: the workload's policy is evaluated and logged (istio.io/dry-run) but not enforced;
   * an enforced stand-in admits what it would deny. See compileWorkload.
   */
  readonly dryRun?: boolean;
  readonly origin: string;
}

export interface PlaintextExceptionModel {
  readonly port: number;
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  readonly ipBlocks?: readonly string[];
  /** Accepted on a port that also serves identity edges, without methods or paths (see README). */
  readonly acceptIdentityBypass?: boolean;
}

/** Who an edge admits. Every kind is matched through the mTLS peer certificate. */
export type SourceModel =
  | { readonly kind: 'workload'; readonly namespace: string; readonly name: string; readonly serviceAccount: string; readonly trustDomain?: string }
  | { readonly kind: 'serviceAccount'; readonly namespace: string; readonly serviceAccount: string; readonly trustDomain?: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'anyAuthenticated' };

export interface EdgeModel {
  readonly from: SourceModel;
  readonly to: { readonly namespace: string; readonly workload: string };
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  readonly ports?: readonly number[];
  /** Audit mode: the limits are logged but not enforced; the source is admitted without them. */
  readonly dryRun?: boolean;
  readonly origin: string;
}

/** Protocol the application speaks to its sidecar for an external service. */
export type AppProtocol = 'HTTP' | 'HTTPS' | 'TLS';

export interface ExternalServiceModel {
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  /** The external server's TLS port. */
  readonly port: number;
  /** The port the application calls in plain text; the sidecar forwards it to `port` over mTLS. */
  readonly appPort: number;
  readonly protocol: AppProtocol;
  readonly clients: readonly { readonly namespace: string; readonly workload: string }[];
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly sni?: string;
  readonly subjectAltNames?: readonly string[];
  readonly origin: string;
}

export type ClientTlsSetting = 'ISTIO_MUTUAL' | 'DISABLE';

/** A DestinationRule that tells clients how to speak to a workload's Kubernetes Service. */
export interface ClientTlsModel {
  readonly namespace: string;
  readonly workload: string;
  readonly service: string;
  readonly mode: ClientTlsSetting;
  readonly origin: string;
}
