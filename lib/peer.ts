import type { SourceModel } from './core/model';
import { checkDnsLabel, checkDnsSubdomain, checkTrustDomain, failEarly } from './core/values';
import { brandPeer } from './options/brands';
import { checkInput } from './options/check';
import * as Options from './options/schemas';

/**
 * Something that can be the source of an edge. Every kind is recognised through its mutual-TLS
 * certificate; plaintext requests never match a peer.
 */
export interface IPeer {
  /** A short, stable description, used in construct ids and messages. */
  readonly peerName: string;
  /** @internal */
  _toSource(): SourceModel;
}

export interface ServiceAccountPeerOptions {
  /**
   * Trust domain of the identity, for a peer in another mesh.
   * @default - the trust domain of the destination's mesh
   */
  readonly trustDomain?: string;
}

const ANY_AUTHENTICATED: SourceModel = Object.freeze({ kind: 'anyAuthenticated' });

/** Sources that are not workloads declared in this code. */
export class Peer {
  /**
   * An identity declared outside the code, such as an ingress gateway's service account.
   * Matches the principal `<trust domain>/ns/<namespace>/sa/<serviceAccount>`.
   */
  public static serviceAccount(namespace: string, serviceAccount: string, options: ServiceAccountPeerOptions = {}): IPeer {
    // A string needs no schema run (Options.name is a string); anything else gets the schema's message.
    if (typeof namespace !== 'string') checkInput('Peer.serviceAccount', { argument: 'namespace' }, Options.name, namespace);
    if (typeof serviceAccount !== 'string') checkInput('Peer.serviceAccount', { argument: 'serviceAccount' }, Options.name, serviceAccount);
    options = checkInput('Peer.serviceAccount', { argument: 'options', optional: true }, Options.serviceAccountPeerOptions, options);
    failEarly(`Peer.serviceAccount(${JSON.stringify(namespace)}, ${JSON.stringify(serviceAccount)})`,
      checkDnsLabel('namespace', namespace),
      checkDnsSubdomain('service account', serviceAccount),
      options.trustDomain !== undefined ? checkTrustDomain(options.trustDomain) : undefined);
    const source: SourceModel = Object.freeze({ kind: 'serviceAccount', namespace, serviceAccount, ...(options.trustDomain ? { trustDomain: options.trustDomain } : {}) });
    return brandPeer({ peerName: `sa.${namespace}.${serviceAccount}`, _toSource: () => source });
  }

  /** Every workload of a namespace (matched on the namespace of its certificate). */
  public static namespace(namespace: string): IPeer {
    if (typeof namespace !== 'string') checkInput('Peer.namespace', { argument: 'namespace' }, Options.name, namespace);
    failEarly(`Peer.namespace(${JSON.stringify(namespace)})`, checkDnsLabel('namespace', namespace));
    const source: SourceModel = Object.freeze({ kind: 'namespace', namespace });
    return brandPeer({ peerName: `ns.${namespace}`, _toSource: () => source });
  }

  /** Any workload with a mesh identity (principal "*"): never a plaintext client. */
  public static anyAuthenticated(): IPeer {
    return brandPeer({ peerName: 'any-authenticated', _toSource: () => ANY_AUTHENTICATED });
  }

  private constructor() {}
}
