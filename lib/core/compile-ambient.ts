// The compiler for ambient namespaces: the same intent as sidecar mode, enforced by two proxies.
//
// Facts of Istio's ambient data plane this module relies on (Istio 1.30, translator in
// pilot/pkg/serviceregistry/ambient/authorization.go, docs ambient/usage/l4-policy, waypoint):
// - The node's ztunnel enforces AuthorizationPolicies with a `selector`, or none (namespace-wide;
//   mesh-wide in the root namespace). It knows identities, namespaces, IP blocks and ports only:
//   an ALLOW rule with an HTTP field never matches there, a DENY rule loses its HTTP parts, CUSTOM
//   is not supported, and policies with targetRefs are not for it.
// - A waypoint (a Gateway of class istio-waypoint) enforces only policies bound with targetRefs: a
//   Service that uses it, a ServiceEntry, the Gateway itself, or the GatewayClass (root namespace,
//   Istio 1.26+). Its pods run as a service account named after the Gateway.
// - Traffic goes through a waypoint only toward a Service labelled istio.io/use-waypoint (ingress
//   gateways only with istio.io/ingress-use-waypoint: "true"). Behind the waypoint, the
//   destination's ztunnel sees the waypoint's identity, not the client's.
//
// - Sidecars never send to a waypoint (Istio 1.30: only ambient clients, and ingress gateways with
//   istio.io/ingress-use-waypoint, do): a sidecar client reaches the destination's ztunnel directly.
//
// So: a workload with an edge that limits methods or paths is "L7-protected": every edge toward it
// is enforced at the waypoint (bound to its Service), and its ztunnel admits the waypoint's
// identity plus the layer-4 edges only, so that a request sent straight to the pod (bypassing the
// waypoint) gets no more than a layer-4 edge grants it. Every
// other workload keeps the sidecar-mode ALLOW policy, which ztunnel enforces as it is (it has only
// layer-4 fields). Plaintext ports stay at ztunnel: clients without a mesh identity never use a waypoint.
import {
  DestinationRuleSpec, DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode, ServiceEntrySpec, ServiceEntrySpecLocation,
  ServiceEntrySpecResolution, toJson_DestinationRuleSpec, toJson_ServiceEntrySpec,
} from '../../imports/networking.istio.io';
import { AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import {
  DATAPLANE_ANNOTATION, DATAPLANE_MODE_LABEL, INGRESS_USE_WAYPOINT_LABEL, REQUIRED_LABELS_ANNOTATION, USE_WAYPOINT_LABEL,
  WAYPOINT_CLASS, WAYPOINT_FOR_LABEL,
} from './annotations';
import {
  authorizationPolicy, compileClientTls, compileNamespace, compileWorkload, document, edgeMergeableRule, IstioDocument, MergeableRule, mergeRules, NETWORKING_API,
  SECURITY_API,
} from './compile';
import type { ClientTlsModel, EdgeModel, ExternalServiceModel, MeshModel, NamespaceModel, WorkloadModel } from './model';
import { compareStrings, dataplaneOf, hasL7Limits, principal, sortedUnique, waypointOf } from './semantics';

export const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Workloads whose edges need the waypoint: at least one edge limits methods or paths. */
export function l7ProtectedWorkloads(ns: NamespaceModel, edgesByWorkload: ReadonlyMap<string, readonly EdgeModel[]> | undefined): Set<string> {
  const names = new Set<string>();
  for (const workload of ns.workloads) {
    if ((edgesByWorkload?.get(workload.name) ?? []).some(hasL7Limits)) names.add(workload.name);
  }
  return names;
}

/** Mesh-wide objects of ambient mode: default deny at every waypoint. */
export function compileAmbientMesh(mesh: MeshModel): IstioDocument[] {
  if (!mesh.namespaces.some((ns) => dataplaneOf(mesh, ns) === 'AMBIENT')) return [];
  // The waypoint's counterpart of a namespace's allow-nothing: attached to the GatewayClass in the
  // root namespace (Istio 1.26+), an ALLOW policy without rules closes every waypoint until a
  // policy bound to one of its Services admits a request.
  const root = { name: mesh.rootNamespace, labels: {} };
  return [document(SECURITY_API, 'AuthorizationPolicy', root, 'waypoint-allow-nothing', {
    action: 'ALLOW',
    targetRefs: [{ group: GATEWAY_GROUP, kind: 'GatewayClass', name: WAYPOINT_CLASS }],
  }, [mesh.origin])];
}

export function compileAmbientNamespace(
  mesh: MeshModel, ns: NamespaceModel, edgesByWorkload: ReadonlyMap<string, readonly EdgeModel[]> | undefined,
  external: readonly ExternalServiceModel[], clientTls: readonly ClientTlsModel[],
): IstioDocument[] {
  const protectedNames = l7ProtectedWorkloads(ns, edgesByWorkload);
  const waypoint = waypointOf(ns);
  const needsWaypoint = waypoint !== false && (protectedNames.size > 0 || external.length > 0);

  // The namespace's PeerAuthentication and allow-nothing/deny-namespaces policies have no selector:
  // ztunnel enforces them for every pod of the namespace, as sidecars would.
  const docs = compileNamespace(ns);
  // The labels each object needs, by `Namespace/<ns>` and `Service/<ns>/<name>`: a Map, not an object
  // keyed by those names (see requiredLabelsJson).
  const required = new Map<string, Readonly<Record<string, string>>>([[`Namespace/${ns.name}`, { [DATAPLANE_MODE_LABEL]: 'ambient' }]]);

  for (const workload of ns.workloads) {
    const edges = edgesByWorkload?.get(workload.name) ?? [];
    if (!needsWaypoint || !protectedNames.has(workload.name)) {
      docs.push(...compileWorkload(mesh, ns, workload, edges));
      continue;
    }
    // ztunnel: the waypoint, the declared plaintext ports (plaintext clients never see a waypoint),
    // and the edges without methods or paths: sidecars never send to a waypoint (only ambient
    // clients and gateways do), so a sidecar client of a layer-4 edge arrives here with its own
    // identity, and admitting it directly grants nothing beyond its edge. A client whose edges
    // limit methods or paths is admitted only through the waypoint.
    const viaWaypoint: EdgeModel = {
      from: { kind: 'serviceAccount', namespace: ns.name, serviceAccount: waypoint as string },
      to: { namespace: ns.name, workload: workload.name },
      origin: `${ns.origin}/waypoint`,
    };
    docs.push(...compileWorkload(mesh, ns, workload, [viaWaypoint, ...edges.filter((e) => !hasL7Limits(e))]));
    docs.push(waypointPolicy(mesh, ns, workload, edges));
    required.set(`Service/${ns.name}/${workload.name}`, { [INGRESS_USE_WAYPOINT_LABEL]: 'true', [USE_WAYPOINT_LABEL]: waypoint as string });
  }

  if (needsWaypoint) {
    docs.push(gateway(ns, waypoint as string));
    // Per waypoint too, so that the namespace stays closed on Istio before 1.26 (no GatewayClass attachment).
    docs.push(authorizationPolicy(ns, `${waypoint}-allow-nothing`, { action: AuthorizationPolicySpecAction.ALLOW, targetRefs: [gatewayRef(waypoint as string)] }, [ns.origin]));
    if (ns.denyFromNamespaces.length > 0) {
      // Behind the waypoint ztunnel sees the waypoint's identity, so the namespace DENY must also be
      // enforced where the client's identity is seen.
      docs.push(authorizationPolicy(ns, `${waypoint}-deny-namespaces`, {
        action: AuthorizationPolicySpecAction.DENY,
        rules: [{ from: [{ source: { namespaces: sortedUnique(ns.denyFromNamespaces) } }] }],
        targetRefs: [gatewayRef(waypoint as string)],
      }, [ns.origin]));
    }
  }
  for (const svc of external) docs.push(...compileAmbientExternalService(mesh, ns, svc, waypoint as string));
  for (const tls of clientTls) docs.push(compileClientTls(mesh, ns, tls));

  // The first object of the namespace says which data plane it was compiled for and which labels
  // must be set by whoever owns the Namespace and Service objects (see "Ambient mode" in README).
  const pa = docs[0];
  pa.metadata.annotations![DATAPLANE_ANNOTATION] = 'AMBIENT';
  pa.metadata.annotations![REQUIRED_LABELS_ANNOTATION] = requiredLabelsJson(required);
  return docs;
}

/**
 * The required-labels annotation: a JSON object of the objects' names, sorted, each with its labels,
 * sorted. Written key by key rather than through an object keyed by those names: V8 keeps a hidden
 * class for every distinct chain of property names, and objects keyed by every namespace and
 * Service (thousands of distinct first keys) slowed every later object-heavy step of the process,
 * like workloads' children once did (see useDictionaryChildren in zero-trust-mesh.ts). Measured:
 * after 4,000 such objects, writing the same YAML took 1.2x to 1.3x as long with a 600 MB peak
 * instead of 263 MB; small-4000-ambient synthesized in 19 s with a 1.2 GB peak, now 12.5 s and
 * 0.5 GB. The keys are never integer-like (they start with `Namespace/` or `Service/`), so this is
 * exactly JSON.stringify of the object with sorted keys.
 */
export function requiredLabelsJson(required: ReadonlyMap<string, Readonly<Record<string, string>>>): string {
  const entries = [...required.keys()].sort(compareStrings).map((key) => {
    const labels = required.get(key)!;
    // Label names are a few constants: an object for them is fine.
    return `${JSON.stringify(key)}:${JSON.stringify(Object.fromEntries(Object.keys(labels).sort(compareStrings).map((label) => [label, labels[label]])))}`;
  });
  return `{${entries.join(',')}}`;
}

/** The edges of an L7-protected workload, enforced by the waypoint for its Service. */
function waypointPolicy(mesh: MeshModel, ns: NamespaceModel, workload: WorkloadModel, edges: readonly EdgeModel[]): IstioDocument {
  const rules: MergeableRule[] = edges.map((edge) => edgeMergeableRule(mesh, edge));
  const merged = mergeRules(rules);
  return authorizationPolicy(ns, `${workload.name}-waypoint-allow`, {
    action: AuthorizationPolicySpecAction.ALLOW,
    rules: merged.rules,
    // The Service in front of the workload is named after it (the convention the analyzer's
    // inventory uses too); a waypoint ignores `selector`.
    targetRefs: [{ group: '', kind: 'Service', name: workload.name }],
  }, merged.origins);
}

function gatewayRef(name: string) {
  return { group: GATEWAY_GROUP, kind: 'Gateway', name };
}

function gateway(ns: NamespaceModel, name: string): IstioDocument {
  const doc = document(GATEWAY_API, 'Gateway', ns, name, {
    gatewayClassName: WAYPOINT_CLASS,
    listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
  }, [ns.origin]);
  // Service traffic only (Istio's default): a waypoint for workload-addressed traffic would need
  // pod labels this compiler cannot set.
  (doc.metadata as { labels?: Record<string, string> }).labels = { ...ns.labels, [WAYPOINT_FOR_LABEL]: 'service' };
  return doc;
}

/**
 * An external service in ambient mode: no sidecar can originate TLS, so the waypoint does it for a
 * ServiceEntry labelled to use it, with the key pair from a secret (credentialName). A policy bound
 * to the ServiceEntry admits only the declared clients, as the workloadSelector does in sidecar mode.
 */
function compileAmbientExternalService(mesh: MeshModel, ns: NamespaceModel, svc: ExternalServiceModel, waypoint: string): IstioDocument[] {
  const serviceEntry: ServiceEntrySpec = {
    hosts: [svc.host],
    location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
    resolution: ServiceEntrySpecResolution.DNS,
    exportTo: ['.'],
    ports: [{ number: svc.appPort, name: `http-${svc.appPort}`, protocol: 'HTTP', ...(svc.appPort !== svc.port ? { targetPort: svc.port } : {}) }],
  };
  const entry = document(NETWORKING_API, 'ServiceEntry', ns, svc.name, toJson_ServiceEntrySpec(serviceEntry)!, [svc.origin]);
  (entry.metadata as { labels?: Record<string, string> }).labels = { ...ns.labels, [USE_WAYPOINT_LABEL]: waypoint };
  const rule: DestinationRuleSpec = {
    host: svc.host,
    exportTo: ['.'],
    trafficPolicy: {
      portLevelSettings: [{
        port: { number: svc.appPort },
        tls: {
          mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.MUTUAL,
          credentialName: svc.credentialName,
          sni: svc.sni ?? svc.host,
          subjectAltNames: sortedUnique(svc.subjectAltNames ?? [svc.host]),
        },
      }],
    },
  };
  const clients = sortedUnique(svc.clients.map((c) => {
    const w = ns.workloads.find((x) => x.name === c.workload)!;
    return principal(mesh.trustDomain, ns.name, w.serviceAccount);
  }));
  return [
    entry,
    document(NETWORKING_API, 'DestinationRule', ns, svc.name, toJson_DestinationRuleSpec(rule)!, [svc.origin]),
    authorizationPolicy(ns, `${svc.name}-clients`, {
      action: AuthorizationPolicySpecAction.ALLOW,
      rules: [{ from: [{ source: { principals: clients } }] }],
      targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: svc.name }],
    }, [svc.origin]),
  ];
}
