// Small fixtures for analyzer tests: Istio YAML inline, and an inventory written as a list.
import { App } from 'cdk8s';
import { buildShop } from '../../apps/shop';
import { Analysis, Inventory, parseIstioConfig, WorkloadInfo } from '../../lib/analyzer';
import { MeshModel } from '../../lib/core/model';
import { ZeroTrustMesh } from '../../lib/zero-trust-mesh';

type W = Partial<WorkloadInfo> & { namespace: string; name: string };

export function inventory(workloads: W[], extra: Partial<Inventory> = {}): Inventory {
  return {
    trustDomain: 'cluster.local',
    rootNamespace: 'istio-system',
    clusterDomain: 'cluster.local',
    notes: [],
    ...extra,
    workloads: workloads.map((w) => ({
      labels: { app: w.name }, serviceAccount: w.name, sidecar: true, ports: [], services: [w.name], ...w,
    })),
  };
}

/** An analysis of inline YAML with the given workloads. */
export function analysis(yaml: string, workloads: W[], extra: Partial<Inventory> = {}): Analysis {
  return { config: parseIstioConfig([{ path: 'test.yaml', text: yaml }]), inventory: inventory(workloads, extra) };
}

/** The reference shop's model, from its construct tree. */
export function shopModel(): MeshModel {
  const app = buildShop(new App());
  const mesh = app.node.findAll().find(ZeroTrustMesh.isZeroTrustMesh)!;
  return mesh.toModel();
}

export const STRICT_MESH = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
`;
