// dist/ must only change when intent changes: byte-identical across runs and independent of the
// order in which constructs are declared.
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AllowEdge, ExternalMtlsService, MtlsMode, Peer, Workload, ZeroTrustMesh, ZeroTrustNamespace } from '../lib';
import { buildShop } from '../apps/shop';
import { synthFiles } from './helpers';

type Step = (ctx: { app: App; mesh: ZeroTrustMesh; ns: Record<string, ZeroTrustNamespace>; w: Record<string, Workload> }) => void;

/** The same intent as independent steps; a permutation of them must give the same files. */
const steps: Step[] = [
  ({ app, mesh, ns }) => { ns.prod = new ZeroTrustNamespace(app, 'prod', { mesh, denyFromNamespaces: ['dev', 'test'] }); },
  ({ app, mesh, ns }) => { ns.ops = new ZeroTrustNamespace(app, 'ops', { mesh }); },
];
const workloadSteps: Step[] = [
  ({ ns, w }) => { w.web = ns.prod.addWorkload('web'); },
  ({ ns, w }) => { w.api = ns.prod.addWorkload('api', { plaintext: [{ port: 9090, methods: ['GET'], paths: ['/metrics'] }] }); },
  ({ ns, w }) => { w.db = ns.prod.addWorkload('db'); },
  ({ ns, w }) => { w.grafana = ns.ops.addWorkload('grafana'); },
];
const edgeSteps: Step[] = [
  ({ ns, w }) => { new AllowEdge(ns.prod, 'web-api', { from: w.web, to: w.api, methods: ['POST', 'GET'], paths: ['/b', '/a/*'] }); },
  ({ w }) => { w.db.allowFrom(w.api, { ports: [5432] }); },
  ({ w }) => { w.api.allowFrom(Peer.serviceAccount('istio-ingress', 'gateway')); },
  ({ ns, w }) => { w.api.allowFrom(ns.ops, { ports: [9090] }); },
  ({ w }) => { w.grafana.allowFrom(Peer.anyAuthenticated()); },
  ({ ns, w }) => {
    new ExternalMtlsService(ns.prod, 'bank', { host: 'bank.example.com', clients: [w.db, w.api], credentialName: 'bank-cert' });
  },
];

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function synthInOrder(seed: number) {
  return synthFiles((app) => {
    const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
    const ctx = { app, mesh, ns: {}, w: {} } as Parameters<Step>[0];
    for (const group of [steps, workloadSteps, edgeSteps]) for (const step of shuffled(group, seed)) step(ctx);
  });
}

describe('deterministic output', () => {
  it('is byte-identical across runs', () => {
    expect(synthFiles(buildShop)).toEqual(synthFiles(buildShop));
  });
  it('does not depend on the order constructs are declared in', () => {
    const reference = synthInOrder(1);
    for (const seed of [2, 3, 4, 5, 6, 7, 8]) expect(synthInOrder(seed)).toEqual(reference);
  });
});
