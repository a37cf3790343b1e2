import { Construct } from 'constructs';
import { checkDnsLabel, failEarly } from './core/values';
import { checkInput, pathOf } from './options/check';
import * as Options from './options/schemas';
import { ClientTlsMode } from './types';
import type { IWorkload } from './workload';
import { IMeshMember, MeshModelBuilder } from './zero-trust-mesh';
import { ZeroTrustNamespace } from './zero-trust-namespace';

export interface ClientTlsPolicyProps {
  /** The workload whose Service the clients call. */
  readonly workload: IWorkload;
  /** How clients speak to it. */
  readonly mode: ClientTlsMode;
  /**
   * The Kubernetes Service in front of the workload.
   * @default - the workload name
   */
  readonly service?: string;
}

/**
 * A DestinationRule telling clients how to reach a workload's Service: plaintext for a workload
 * without a sidecar, or Istio mutual TLS. Disabling TLS toward a STRICT workload is refused: it
 * would break every client.
 */
export class ClientTlsPolicy extends Construct implements IMeshMember {
  private readonly props: ClientTlsPolicyProps;

  constructor(scope: Construct, id: string, props: ClientTlsPolicyProps) {
    props = checkInput(pathOf('ClientTlsPolicy', scope, id), { argument: 'props' }, Options.clientTlsPolicyProps, props);
    super(scope, id);
    this.props = props;
    failEarly(this.node.path, checkDnsLabel('service', props.service ?? props.workload.name));
    ZeroTrustNamespace.of(this).mesh._register(this);
  }

  /** @internal */
  public _contribute(model: MeshModelBuilder): void {
    model.clientTls.push({
      namespace: this.props.workload.namespaceName,
      workload: this.props.workload.name,
      service: this.props.service ?? this.props.workload.name,
      mode: this.props.mode,
      origin: this.node.path,
    });
  }
}
