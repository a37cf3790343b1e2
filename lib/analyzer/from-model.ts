// Analyzing a construct-tree model directly: compile it with the core compiler (no files written)
// and take the workloads from the model. What the matchers and property tests start from.
import { compileMesh, IstioDocument } from '../core/compile';
import type { MeshModel } from '../core/model';
import type { Analysis } from './analysis';
import { IstioConfig, parseIstioConfig } from './config';
import { inventoryFromModel } from './inventory';

/**
 * An analysis of a construct-tree model without writing files: compiles it with the core compiler
 * and takes the workloads from the model. Throws ZeroTrustValidationError for an invalid model.
 */
export function analysisFromModel(mesh: MeshModel): Analysis {
  const compiled = compileMesh(mesh);
  const docs: IstioDocument[] = [...compiled.mesh, ...[...compiled.namespaces.values()].flat()];
  return { config: configFromDocuments(docs, 'model'), inventory: inventoryFromModel(mesh) };
}

/** Istio objects already in memory (compiler output, test fixtures) as an IstioConfig. */
export function configFromDocuments(docs: readonly unknown[], label = 'memory'): IstioConfig {
  return parseIstioConfig([{ path: label, text: docs.map((d) => JSON.stringify(d)).join('\n---\n') }]);
}
