// The inventory file's schema: checked when the file is read, and published as JSON Schema in
// schemas/inventory.schema.json so that editors complete and check it (`$schema` at the top of the
// file, or yaml-language-server's `# yaml-language-server: $schema=...` comment). A misspelt
// key (`serviceAccont: x`) or a string where a boolean belongs (`sidecar: "false"`) used to be
// read as absent or as true and silently changed a verdict; now it is an error naming the field.
import { z } from 'zod';
import { checkInput } from '../options/check';
import { ConfigError } from './config';

const port = z.int().min(1).max(65535);

const workload = z.strictObject({
  namespace: z.string().min(1).meta({ description: 'Kubernetes namespace of the workload.' }),
  name: z.string().min(1).meta({ description: 'Workload name, as used in --from and --to.' }),
  serviceAccount: z.string().min(1).optional().meta({ description: 'Service account the pods run as (their mesh identity). Default: the name.' }),
  labels: z.record(z.string(), z.string()).optional().meta({ description: 'Pod labels, matched by workload selectors. Default: { app: <name> }.' }),
  sidecar: z.boolean().optional().meta({ description: 'false for a client without an Istio sidecar (it speaks plaintext). Default: true.' }),
  ports: z.array(z.union([
    port,
    z.strictObject({
      number: port,
      protocol: z.string().min(1).optional().meta({ description: 'Istio protocol name (HTTP, HTTP2, GRPC, TCP, ...). Default: HTTP.' }),
    }),
  ], { error: 'a port number or { number, protocol }' })).optional().meta({ description: 'Declared ports; a bare number is an HTTP port. An undeclared port is protocol-sniffed.' }),
  services: z.array(z.string().min(1)).optional().meta({ description: 'Kubernetes Services in front of the workload. Default: [<name>].' }),
  dataplane: z.enum(['sidecar', 'ambient', 'SIDECAR', 'AMBIENT']).optional().meta({ description: 'ambient when its namespace has istio.io/dataplane-mode=ambient.' }),
  waypoint: z.string().min(1).optional().meta({ description: 'Ambient only: the waypoint its Services use (istio.io/use-waypoint).' }),
});

export const inventorySchema = z.strictObject({
  $schema: z.string().optional().meta({ description: 'The JSON Schema of this file, for editors.' }),
  trustDomain: z.string().min(1).optional().meta({ description: 'Trust domain of the mesh identities. Default: cluster.local.' }),
  rootNamespace: z.string().min(1).optional().meta({ description: "Istio's root namespace. Default: istio-system." }),
  clusterDomain: z.string().min(1).optional().meta({ description: 'Cluster DNS suffix. Default: cluster.local.' }),
  workloads: z.array(workload).meta({ description: 'The workloads the analyzer reasons about.' }),
  dataplanes: z.record(z.string(), z.enum(['sidecar', 'ambient', 'SIDECAR', 'AMBIENT'])).optional()
    .meta({ description: 'The data plane of whole namespaces (istio.io/dataplane-mode), for pods no workload names; a workload\'s own dataplane wins.' }),
}).meta({ title: 'zero-trust inventory', description: 'Workloads for zero-trust explain, graph, diff and readiness (--inventory).' });

export type InventoryFile = z.output<typeof inventorySchema>;

/** Where the schema is published in the repository. */
export const INVENTORY_SCHEMA_PATH = 'schemas/inventory.schema.json';

/** The published JSON Schema, generated from the same definition the reader checks against. */
export function inventoryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(inventorySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** Checks a parsed inventory file; throws a ConfigError naming the file, the field and the fix. */
export function checkInventoryFile(raw: unknown, file: string): InventoryFile {
  try {
    return checkInput(file, { argument: 'inventory', keyword: 'field' }, inventorySchema, raw);
  } catch (error) {
    // `[file] message` → `file: message`, the analyzer's error form.
    throw new ConfigError((error as Error).message.replace(/^\[(.*?)\] /, '$1: '));
  }
}
