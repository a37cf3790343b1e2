// What both schema extractors share: read CustomResourceDefinitions from YAML, keep the OpenAPI v3
// schema (with its CEL rules, `x-kubernetes-validations`) of one version of the wanted kinds, and
// write them with sorted keys, so that the committed JSON changes only when a schema does.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** Sorts object keys recursively (array order is meaningful and kept). */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

/**
 * The schemas of `kinds` at `version` found in `files`, keyed `<group>/<version>/<Kind>`; throws
 * when a file does not parse, a kind is missing or defined twice, or has no such version.
 */
export function extractSchemas(files, kinds, version) {
  const schemas = {};
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition' || !kinds.includes(crd.spec?.names?.kind)) continue;
      const served = crd.spec.versions.find((v) => v.name === version);
      if (!served?.schema?.openAPIV3Schema) throw new Error(`${crd.metadata.name}: no ${version} schema`);
      const key = `${crd.spec.group}/${version}/${crd.spec.names.kind}`;
      if (key in schemas) throw new Error(`${key} defined twice in ${files.join(', ')}`);
      schemas[key] = served.schema.openAPIV3Schema;
    }
  }
  const found = Object.keys(schemas).map((k) => k.split('/').pop());
  const missing = kinds.filter((k) => !found.includes(k));
  if (missing.length > 0) throw new Error(`${files.join(', ')} has no ${version} CRD for ${missing.join(', ')}`);
  return schemas;
}

export function writeSchemas(target, schemas) {
  writeFileSync(target, JSON.stringify(sortKeys(schemas), null, 2) + '\n');
  console.log(`wrote ${Object.keys(schemas).sort().join(', ')} to ${target}`);
}
