// What ambient mode cannot enforce as declared, refused with the reason (see compile-ambient.ts for
// the Istio facts behind each rule).
import type { MeshModel, NamespaceModel } from './model';
import { dataplaneOf, describeSource, hasL7Limits, waypointOf } from './semantics';
import { checkDnsLabel } from './values';

type Report = (path: string, message: string | undefined) => void;

export function validateAmbient(mesh: MeshModel, report: Report): void {
  if (mesh.dataplane !== undefined && mesh.dataplane !== 'SIDECAR' && mesh.dataplane !== 'AMBIENT') {
    report(mesh.origin, `dataplane ${JSON.stringify(mesh.dataplane)} is not SIDECAR or AMBIENT`);
  }
  const ambient = new Map<string, NamespaceModel>();
  for (const ns of mesh.namespaces) {
    if (ns.dataplane !== undefined && ns.dataplane !== 'SIDECAR' && ns.dataplane !== 'AMBIENT') {
      report(ns.origin, `dataplane ${JSON.stringify(ns.dataplane)} is not SIDECAR or AMBIENT`);
      continue;
    }
    if (dataplaneOf(mesh, ns) !== 'AMBIENT') {
      if (ns.waypoint !== undefined) report(ns.origin, `namespace "${ns.name}" uses sidecars but declares a waypoint; only an ambient namespace has one`);
      continue;
    }
    ambient.set(ns.name, ns);
    validateAmbientNamespace(ns, report);
    // Audit mode (compile.ts) relies on dry-run policies, which ztunnel ignores (see ns.dryRun below).
    for (const w of ns.workloads) {
      if (w.dryRun) report(w.origin, `workload ${ns.name}/${w.name} is audited (Enforcement.DRY_RUN) in ambient namespace ${ns.name}: audit mode relies on dry-run policies, which ztunnel ignores by default. Stage the workload in sidecar mode, or enforce it`);
    }
  }
  if (ambient.size === 0) return;

  const sidecarNamespaces = mesh.namespaces.filter((n) => !ambient.has(n.name)).map((n) => n.name);
  for (const edge of mesh.edges) {
    const ns = ambient.get(edge.to.namespace);
    if (!ns) continue;
    const target = `${edge.to.namespace}/${edge.to.workload}`;
    if (hasL7Limits(edge) && waypointOf(ns) !== false) {
      // Sidecars never send to a waypoint: their requests meet ztunnel, which cannot see methods or
      // paths: the edge would look open and never work.
      const from = edge.from;
      const sidecarSource = from.kind === 'anyAuthenticated'
        ? (sidecarNamespaces.length > 0 ? `any authenticated workload, including those of sidecar namespace${sidecarNamespaces.length > 1 ? 's' : ''} ${sidecarNamespaces.join(', ')},` : undefined)
        : sidecarNamespaces.includes(from.namespace) ? `${describeSource(from)} runs in sidecar namespace ${from.namespace} and` : undefined;
      if (sidecarSource) {
        report(edge.origin, `edge ${describeSource(from)} -> ${target} limits methods or paths, but ${sidecarSource} never sends to a waypoint (only ambient workloads and ingress gateways do): ` +
          `its requests reach ztunnel, which cannot see methods or paths, and would be refused. Make ${from.kind === 'anyAuthenticated' ? 'the source' : `namespace ${from.namespace}`} ambient, or drop methods and paths (a layer-4 edge works across the boundary)`);
      }
    }
    if (edge.dryRun) report(edge.origin, `audited edge ${describeSource(edge.from)} -> ${target} in ambient namespace ${ns.name}: audit mode relies on dry-run policies, which ztunnel ignores by default. Stage the edge in sidecar mode, or enforce it`);
    if (hasL7Limits(edge) && waypointOf(ns) === false) {
      report(edge.origin, `edge ${describeSource(edge.from)} -> ${target} limits methods or paths, but ambient namespace ${ns.name} has no waypoint (Waypoint.NONE): ` +
        'ztunnel only sees layer 4, and drops an ALLOW rule with HTTP fields, so the edge would never work. Give the namespace a waypoint, or remove methods and paths');
    }
    const from = edge.from;
    if ((from.kind === 'workload' || from.kind === 'serviceAccount') && from.trustDomain === 'cluster.local' && mesh.trustDomain !== 'cluster.local') {
      // Sidecars read "cluster.local" in a principal as the local trust domain; ztunnel compares
      // trust domains literally, so the rule would admit nobody.
      report(edge.origin, `edge ${describeSource(from)} -> ${target} names trust domain "cluster.local" as an alias of the mesh's "${mesh.trustDomain}": ztunnel does not alias trust domains, ` +
        `so the rule would match no identity in ambient namespace ${ns.name}. Name the real trust domain ("${mesh.trustDomain}") or leave trustDomain out`);
    }
  }

  for (const svc of mesh.externalServices) {
    const ns = ambient.get(svc.namespace);
    if (!ns) continue;
    if (waypointOf(ns) === false) {
      report(svc.origin, `external service "${svc.name}" in ambient namespace ${ns.name} needs a waypoint: without a sidecar, only a waypoint can originate mutual TLS. Give the namespace a waypoint`);
    }
    if (svc.credentialName === undefined) {
      report(svc.origin, `external service "${svc.name}" is in ambient namespace ${ns.name}, where the waypoint originates mutual TLS: certificate files would be read inside the waypoint's pod, not the client's. ` +
        'Put the key pair in a secret and set credentialName');
    }
  }

  for (const tls of mesh.clientTls) {
    if (tls.mode === 'DISABLE' && ambient.has(tls.namespace)) {
      report(tls.origin, `client TLS DISABLE toward ${tls.namespace}/${tls.workload}: ambient namespace ${tls.namespace} always speaks mutual TLS (HBONE) between ztunnels; disabling it is not supported. Remove this policy`);
    }
  }
}

function validateAmbientNamespace(ns: NamespaceModel, report: Report): void {
  const waypoint = waypointOf(ns);
  if (waypoint !== false) report(ns.origin, checkDnsLabel('waypoint name', waypoint));
  if (ns.mode === 'DISABLE') {
    report(ns.origin, `namespace "${ns.name}" is ambient and mTLS DISABLE: ztunnel does not support disabling mutual TLS. Use PERMISSIVE to accept plaintext, or STRICT`);
  }
  if (ns.dryRun) {
    // Istio skips a dry-run policy for ztunnel unless AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY
    // is set (Istio 1.29+); a ztunnel older than 1.29 with the flag enforces it.
    report(ns.origin, `namespace "${ns.name}" is ambient and in dry-run: ztunnel ignores dry-run policies unless Istio 1.29+ runs with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY, ` +
      'and an older ztunnel given them enforces them. Enforce the namespace, or stage the migration in sidecar mode');
  }
  for (const workload of ns.workloads) {
    if (workload.mode === 'DISABLE') {
      report(workload.origin, `workload "${workload.name}" is in ambient namespace ${ns.name} and mTLS DISABLE: ztunnel does not support disabling mutual TLS. Use PERMISSIVE or plaintextPorts`);
    }
    if (waypoint !== false && workload.serviceAccount === waypoint) {
      report(workload.origin, `workload "${workload.name}" runs as service account "${waypoint}", the identity of the namespace's waypoint: ztunnel would admit it wherever it admits the waypoint. ` +
        'Give the workload another serviceAccount, or name the waypoint differently (waypoint: Waypoint.named(...))');
    }
    if (waypoint !== false && workload.name === waypoint) {
      report(workload.origin, `workload "${workload.name}" has the name of the namespace's waypoint, whose Deployment and Service Istio names "${waypoint}". Rename one of them`);
    }
  }
}
