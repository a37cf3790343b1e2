// Extracts the OpenAPI v3 schemas (with their CEL rules, `x-kubernetes-validations`) of the four
// kinds this library emits from Istio's CRD bundle, for test/support/istio-schema.ts. The bundle is
// large and is not committed; the derived imports/istio-1.30.3-schemas.json is, like the generated
// imports/ classes. Usage: node scripts/extract-istio-schemas.mjs [path/to/crd-all.gen.yaml]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSchemas, writeSchemas } from './crd-schemas.mjs';

const KINDS = ['PeerAuthentication', 'AuthorizationPolicy', 'DestinationRule', 'ServiceEntry'];
// Only v1 is emitted by the library (served since Istio 1.22), so only v1 is validated against.
const source = process.argv[2] ?? '../shared/istio/crd-all-1.30.3.yaml';
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'imports', 'istio-1.30.3-schemas.json');

writeSchemas(target, extractSchemas([source], KINDS, 'v1'));
