// Extracts the OpenAPI v3 schemas (with their CEL rules, `x-kubernetes-validations`) of the four
// kinds this library emits from Istio's CRD bundle, for test/support/istio-schema.ts. The bundle is
// large and is not committed; the derived imports/istio-1.30.3-schemas.json is, like the generated
// imports/ classes. Usage: node scripts/extract-istio-schemas.mjs [path/to/crd-all.gen.yaml]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const KINDS = ['PeerAuthentication', 'AuthorizationPolicy', 'DestinationRule', 'ServiceEntry'];
// Only v1 is emitted by the library (served since Istio 1.22), so only v1 is validated against.
const VERSION = 'v1';
const source = process.argv[2] ?? '../shared/istio/crd-all-1.30.3.yaml';
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'imports', 'istio-1.30.3-schemas.json');

/** Sorts object keys recursively (array order is meaningful and kept), so the output is stable. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

const docs = parseAllDocuments(readFileSync(source, 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${source}: ${d.errors[0].message}`);
  return d.toJS();
});
const schemas = {};
for (const crd of docs) {
  if (crd?.kind !== 'CustomResourceDefinition' || !KINDS.includes(crd.spec?.names?.kind)) continue;
  const version = crd.spec.versions.find((v) => v.name === VERSION);
  if (!version?.schema?.openAPIV3Schema) throw new Error(`${crd.metadata.name}: no ${VERSION} schema`);
  const key = `${crd.spec.group}/${VERSION}/${crd.spec.names.kind}`;
  if (key in schemas) throw new Error(`${key} defined twice in ${source}`);
  schemas[key] = version.schema.openAPIV3Schema;
}
const found = Object.keys(schemas).map((k) => k.split('/').pop());
const missing = KINDS.filter((k) => !found.includes(k));
if (missing.length > 0) throw new Error(`${source} has no ${VERSION} CRD for ${missing.join(', ')}`);

writeFileSync(target, JSON.stringify(sortKeys(schemas), null, 2) + '\n');
console.log(`wrote ${Object.keys(schemas).sort().join(', ')} to ${target}`);
