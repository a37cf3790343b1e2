import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { MtlsMode, ZeroTrustMesh, ZeroTrustNamespace, ZeroTrustNamespaceProps } from '../lib';
import { validateIstioObjects } from './support/istio-schema';

export type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec: any };

/**
 * Synthesizes an app the way `cdk8s synth` does (App.synth to a folder) and reads the files back.
 * Every Istio object (and every waypoint Gateway) synthesized by any test is checked against the
 * Istio 1.30.3 and Gateway API 1.6.1 CRD schemas and their CEL rules, as the API server would check it.
 */
export function synthFiles(build: (app: App) => void): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'zt-test-'));
  try {
    const app = new App({ outdir });
    build(app);
    app.synth();
    const files = Object.fromEntries(readdirSync(outdir).sort().map((f) => [f, readFileSync(join(outdir, f), 'utf8')]));
    const istio = Object.values(files).flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as Doc))
      .filter((d) => d.apiVersion.endsWith('.istio.io/v1') || d.apiVersion === 'gateway.networking.k8s.io/v1');
    const errors = validateIstioObjects(istio);
    if (errors.length > 0) throw new Error(`synthesized objects violate the Istio 1.30.3 or Gateway API 1.6.1 CRDs:\n${errors.join('\n')}`);
    return files;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** All synthesized documents, parsed. */
export function synthDocs(build: (app: App) => void): Doc[] {
  return Object.values(synthFiles(build)).flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as Doc));
}

export function find(docs: Doc[], kind: string, namespace: string, name: string): Doc {
  const doc = docs.find((d) => d.kind === kind && d.metadata.namespace === namespace && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${namespace}/${name} in ${docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`).join(', ')}`);
  return doc;
}

export function names(docs: Doc[], kind: string, namespace: string): string[] {
  return docs.filter((d) => d.kind === kind && d.metadata.namespace === namespace).map((d) => d.metadata.name).sort();
}

/** A mesh and one STRICT namespace "shop": the smallest setting for a construct test. */
export function meshAndNamespace(app: App, props: Partial<ZeroTrustNamespaceProps> = {}, id = 'shop') {
  const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
  const ns = new ZeroTrustNamespace(app, id, { mesh, ...props });
  return { mesh, ns };
}
