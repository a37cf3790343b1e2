// Extracts the OpenAPI v3 schemas (with their CEL rules) of the Gateway API kinds this library
// emits (a waypoint is a Gateway of class istio-waypoint) from the Gateway API v1.6.1 CRDs, for
// test/support/istio-schema.ts. The CRDs are not committed; the derived
// imports/gateway-api-1.6.1-schemas.json is, like imports/istio-1.30.3-schemas.json.
// Usage: node scripts/extract-gateway-api-schemas.mjs [path/to/gateway-api-folder]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSchemas, writeSchemas } from './crd-schemas.mjs';

const FILES = ['gateways-v1.6.1.yaml', 'gatewayclasses-v1.6.1.yaml'];
const folder = process.argv[2] ?? '../shared/gateway-api';
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'imports', 'gateway-api-1.6.1-schemas.json');

writeSchemas(target, extractSchemas(FILES.map((f) => join(folder, f)), ['Gateway', 'GatewayClass'], 'v1'));
