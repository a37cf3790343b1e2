// Regenerates imports/ from a local copy of Istio's CRD bundle, for machines without network access.
// Only the four kinds the library emits are imported: the generated code for the whole bundle is
// large and nothing else uses it. Usage: node scripts/import-istio.mjs [path/to/crd-all.gen.yaml]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const KINDS = ['PeerAuthentication', 'AuthorizationPolicy', 'DestinationRule', 'ServiceEntry'];
const source = process.argv[2] ?? '../shared/istio/crd-all-1.30.3.yaml';

const docs = parseAllDocuments(readFileSync(source, 'utf8')).map((d) => d.toJS());
const wanted = docs.filter((d) => d?.kind === 'CustomResourceDefinition' && KINDS.includes(d.spec?.names?.kind));
if (wanted.length !== KINDS.length) {
  throw new Error(`expected ${KINDS.length} CRDs (${KINDS.join(', ')}) in ${source}, found ${wanted.length}`);
}
const dir = mkdtempSync(join(tmpdir(), 'istio-crds-'));
for (const crd of wanted) {
  // Only v1 is emitted (served since Istio 1.22); the older versions would triple the generated code.
  crd.spec.versions = crd.spec.versions.filter((v) => v.name === 'v1');
  const group = crd.spec.group; // one import module per API group, named after it
  const file = join(dir, `${group}.yaml`);
  const previous = (() => { try { return readFileSync(file, 'utf8') + '---\n'; } catch { return ''; } })();
  writeFileSync(file, previous + stringify(crd));
}
for (const group of [...new Set(wanted.map((c) => c.spec.group))].sort()) {
  execFileSync('npx', ['cdk8s', 'import', '--no-check-upgrade', '--no-save', '-l', 'typescript', '-o', 'imports', join(dir, `${group}.yaml`)], { stdio: 'inherit' });
}

// The schemas and CEL rules of the same four kinds, for the tests that validate every synthesized
// object the way the API server would (test/support/istio-schema.ts).
execFileSync('node', ['scripts/extract-istio-schemas.mjs', source], { stdio: 'inherit' });
