import { Construct } from 'constructs';
import { checkAbsoluteFile, checkDnsLabel, checkDnsSubdomain, checkExternalHost, checkPort, failEarly } from './core/values';
import { checkInput, pathOf } from './options/check';
import * as Options from './options/schemas';
import { ExternalProtocol } from './types';
import type { IWorkload } from './workload';
import { IMeshMember, MeshModelBuilder } from './zero-trust-mesh';
import { ZeroTrustNamespace } from './zero-trust-namespace';

export interface ExternalMtlsServiceProps {
  /** The external host, a fully qualified name (no wildcard: it is resolved by DNS). */
  readonly host: string;
  /**
   * The server's TLS port.
   * @default 443
   */
  readonly port?: number;
  /**
   * The port the application calls in plain text (`http://<host>:<appPort>`); its sidecar forwards
   * to `port` and originates mutual TLS.
   * @default 80
   */
  readonly appPort?: number;
  /**
   * What the application sends to its sidecar. HTTPS and TLS are refused: origination would wrap
   * TLS in TLS.
   * @default ExternalProtocol.HTTP
   */
  readonly protocol?: ExternalProtocol;
  /** Workloads of this namespace that call the service; the DestinationRule selects them. */
  readonly clients: IWorkload[];
  /**
   * Client certificate file mounted in the sidecar.
   * @default - none; set it with privateKey, or use credentialName
   */
  readonly clientCertificate?: string;
  /**
   * Private key file mounted in the sidecar.
   * @default - none; set it with clientCertificate, or use credentialName
   */
  readonly privateKey?: string;
  /**
   * CA bundle file that verifies the server certificate.
   * @default - the proxy's default trust store
   */
  readonly caCertificates?: string;
  /**
   * Name of a secret in the namespace holding the client key pair (and CA), instead of files.
   * @default - none; use the file paths
   */
  readonly credentialName?: string;
  /**
   * SNI sent to the server.
   * @default - the host
   */
  readonly sni?: string;
  /**
   * Names the server certificate must carry.
   * @default - [host]
   */
  readonly subjectAltNames?: string[];
}

/**
 * An external service reached over mutual TLS: a ServiceEntry (MESH_EXTERNAL, DNS, exported to
 * this namespace only) and, per client workload, a DestinationRule that originates mutual TLS in
 * the client's sidecar. The application speaks plain HTTP to `http://<host>:<appPort>`.
 */
export class ExternalMtlsService extends Construct implements IMeshMember {
  public readonly namespace: ZeroTrustNamespace;
  public readonly host: string;
  private readonly props: ExternalMtlsServiceProps;

  constructor(scope: Construct, id: string, props: ExternalMtlsServiceProps) {
    props = checkInput(pathOf('ExternalMtlsService', scope, id), { argument: 'props' }, Options.externalMtlsServiceProps, props);
    super(scope, id);
    this.namespace = ZeroTrustNamespace.of(this);
    this.host = props.host;
    this.props = props;
    failEarly(this.node.path,
      checkDnsLabel('external service name (the construct id)', id),
      checkExternalHost(props.host),
      props.port !== undefined ? checkPort('port', props.port) : undefined,
      props.appPort !== undefined ? checkPort('appPort', props.appPort) : undefined,
      props.credentialName !== undefined ? checkDnsSubdomain('credentialName', props.credentialName) : undefined,
      ...(['clientCertificate', 'privateKey', 'caCertificates'] as const)
        .map((f) => (props[f] !== undefined ? checkAbsoluteFile(f, props[f]!) : undefined)));
    this.namespace.mesh._register(this);
  }

  /** @internal */
  public _contribute(model: MeshModelBuilder): void {
    const p = this.props;
    model.externalServices.push({
      name: this.node.id,
      namespace: this.namespace.namespaceName,
      host: p.host,
      port: p.port ?? 443,
      appPort: p.appPort ?? 80,
      protocol: p.protocol ?? ExternalProtocol.HTTP,
      clients: p.clients.map((c) => ({ namespace: c.namespaceName, workload: c.name })),
      ...(p.clientCertificate !== undefined ? { clientCertificate: p.clientCertificate } : {}),
      ...(p.privateKey !== undefined ? { privateKey: p.privateKey } : {}),
      ...(p.caCertificates !== undefined ? { caCertificates: p.caCertificates } : {}),
      ...(p.credentialName !== undefined ? { credentialName: p.credentialName } : {}),
      ...(p.sni !== undefined ? { sni: p.sni } : {}),
      ...(p.subjectAltNames !== undefined ? { subjectAltNames: [...p.subjectAltNames] } : {}),
      origin: this.node.path,
    });
  }
}
