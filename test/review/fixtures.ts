// Meshes of a given size built with the constructs, for the review-size tests.
import { App } from 'cdk8s';
import { MtlsMode, Workload, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import type { MeshModel } from '../../lib/core/model';

export interface MeshShape {
  /** Namespaces and the number of workloads of each. */
  readonly namespaces: readonly (readonly [string, number])[];
  /** Edges by "ns/workload" reference, with an optional layer-7 scope. */
  readonly edges: readonly (readonly [string, string, { readonly methods?: readonly string[]; readonly paths?: readonly string[] }?])[];
}

export function buildMesh(shape: MeshShape): MeshModel {
  const app = new App();
  const mesh = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
  const workloads = new Map<string, Workload>();
  for (const [name, count] of shape.namespaces) {
    const ns = new ZeroTrustNamespace(app, name, { mesh, mtls: MtlsMode.STRICT });
    for (let i = 0; i < count; i++) workloads.set(`${name}/svc-${i}`, ns.addWorkload(`svc-${i}`));
  }
  for (const [from, to, options] of shape.edges) {
    workloads.get(to)!.allowFrom(workloads.get(from)!, {
      ...(options?.methods ? { methods: [...options.methods] } : {}),
      ...(options?.paths ? { paths: [...options.paths] } : {}),
    });
  }
  return mesh.toModel();
}

/** `count` namespaces team-00.. of `size` workloads each, each workload calling the next one of its namespace. */
export function teams(count: number, size: number): MeshShape {
  const namespaces: [string, number][] = [];
  const edges: [string, string, { methods?: string[]; paths?: string[] }?][] = [];
  for (let n = 0; n < count; n++) {
    const ns = `team-${String(n).padStart(2, '0')}`;
    namespaces.push([ns, size]);
    for (let i = 0; i + 1 < size; i++) edges.push([`${ns}/svc-${i}`, `${ns}/svc-${i + 1}`, { methods: ['GET'], paths: ['/api/v1/*'] }]);
  }
  return { namespaces, edges };
}
