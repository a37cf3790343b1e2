// Extracts the OpenAPI v3 schemas (with their CEL rules) of the Gateway API kinds this library
// emits (a waypoint is a Gateway of class istio-waypoint) from the Gateway API v1.6.1 CRDs, for
// test/support/istio-schema.ts. The CRDs are not committed; the derived
// imports/gateway-api-1.6.1-schemas.json is, like imports/istio-1.30.3-schemas.json.
// Usage: node scripts/extract-gateway-api-schemas.mjs [path/to/gateway-api-folder]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const FILES = ['gateways-v1.6.1.yaml', 'gatewayclasses-v1.6.1.yaml'];
const VERSION = 'v1';
const folder = process.argv[2] ?? '../shared/gateway-api';
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'imports', 'gateway-api-1.6.1-schemas.json');

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

const schemas = {};
for (const file of FILES) {
  for (const doc of parseAllDocuments(readFileSync(join(folder, file), 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const version = crd.spec.versions.find((v) => v.name === VERSION);
    if (!version?.schema?.openAPIV3Schema) throw new Error(`${crd.metadata.name}: no ${VERSION} schema`);
    schemas[`${crd.spec.group}/${VERSION}/${crd.spec.names.kind}`] = version.schema.openAPIV3Schema;
  }
}
for (const kind of ['Gateway', 'GatewayClass']) {
  if (!(`gateway.networking.k8s.io/${VERSION}/${kind}` in schemas)) throw new Error(`no ${VERSION} CRD for ${kind} in ${folder}`);
}
writeFileSync(target, JSON.stringify(sortKeys(schemas), null, 2) + '\n');
console.log(`wrote ${Object.keys(schemas).sort().join(', ')} to ${target}`);
