// Fast paths for the option checks that run once per edge (allowFrom, allowTo, new AllowEdge), once
// per workload and once per namespace: those are the bulk of a large mesh, and a zod run costs
// several times the rest of declaring one. Each function returns the parsed value when the input is
// certainly one the schema accepts (plain objects, known keys, lists of the right primitives), and
// undefined for anything else: the schema then decides, and words the error. The schema stays the
// authority: test/property/fast-options.test.ts checks that whatever a fast path accepts, the
// schema accepts too, with the same result.
import type { AllowEdgeProps } from '../allow-edge';
import { Dataplane, EdgeOptions, Enforcement, MtlsMode, Waypoint, WorkloadPort } from '../types';
import type { WorkloadOptions } from '../workload';
import type { ZeroTrustNamespaceProps } from '../zero-trust-namespace';
import { isLibraryPeer, isLibraryWorkload, isZeroTrustMesh } from './brands';

/** A field's value as the schema would parse it (lists copied), or NOT_SURE when the schema must decide. */
type Field = (value: unknown) => unknown;
const NOT_SURE = Symbol('not sure');

/**
 * A plain object whose every own key (symbols and non-enumerable ones included: anything unusual
 * goes to the schema) is one of `fields` with a value that field accepts; the parsed copy, in the
 * input's key order, or undefined.
 */
function plainObject(value: unknown, fields: Readonly<Record<string, Field>>): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const result: Record<string, unknown> = {};
  const keys = Reflect.ownKeys(input);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(fields, key)) return undefined;
    const parsed = fields[key](input[key]);
    if (parsed === NOT_SURE) return undefined;
    result[key] = parsed;
  }
  return result;
}

const oneOf = (values: readonly unknown[]): Field => (v) => (values.includes(v) ? v : NOT_SURE);
const when = (test: (v: unknown) => boolean): Field => (v) => (test(v) ? v : NOT_SURE);
const listOf = (type: 'string' | 'number'): Field => (v) => copyList(v, type) ?? NOT_SURE;
const strings = listOf('string');
const numbers = listOf('number');
const boolean = when((v) => typeof v === 'boolean');
const stringRecord: Field = (v) => copyStringRecord(v) ?? NOT_SURE;
const enforcement = oneOf(Object.values(Enforcement));
const mtlsMode = oneOf(Object.values(MtlsMode));

const EDGE_OPTIONS: Record<string, Field> = { methods: strings, paths: strings, ports: numbers, enforcement };
const ALLOW_EDGE_PROPS: Record<string, Field> = { ...EDGE_OPTIONS, from: when(isLibraryPeer), to: when(isLibraryWorkload) };
const PLAINTEXT_EXCEPTION: Record<string, Field> = {
  port: when((v) => typeof v === 'number' && Number.isFinite(v)), methods: strings, paths: strings, ipBlocks: strings, acceptIdentityBypass: boolean,
};
const WORKLOAD_OPTIONS: Record<string, Field> = {
  enforcement,
  mtls: mtlsMode,
  serviceAccount: when((v) => typeof v === 'string'),
  labels: stringRecord,
  plaintextPorts: numbers,
  plaintextIpBlocks: strings,
  plaintext: (v) => listOfParsed(v, (e) => { const x = plainObject(e, PLAINTEXT_EXCEPTION); return x?.port === undefined ? NOT_SURE : x; }),
  ports: (v) => listOfParsed(v, when((p) => p instanceof WorkloadPort)),
};
const NAMESPACE_PROPS: Record<string, Field> = {
  mesh: when(isZeroTrustMesh),
  mtls: mtlsMode,
  enforcement,
  dataplane: oneOf(Object.values(Dataplane)),
  denyFromNamespaces: strings,
  acceptPlaintextBypass: boolean,
  labels: stringRecord,
  waypoint: when((v) => v instanceof Waypoint),
};

/** Options of allowFrom/allowTo (Options.edgeOptions), or undefined when the schema must decide. */
export function fastEdgeOptions(value: unknown): EdgeOptions | undefined {
  return plainObject(value, EDGE_OPTIONS) as EdgeOptions | undefined;
}

/** Props of an AllowEdge (Options.allowEdgeProps), or undefined when the schema must decide. */
export function fastAllowEdgeProps(value: unknown): AllowEdgeProps | undefined {
  const props = plainObject(value, ALLOW_EDGE_PROPS);
  return props !== undefined && props.from !== undefined && props.to !== undefined ? props as unknown as AllowEdgeProps : undefined;
}

/** Options of addWorkload (Options.workloadOptions), or undefined when the schema must decide. */
export function fastWorkloadOptions(value: unknown): WorkloadOptions | undefined {
  return plainObject(value, WORKLOAD_OPTIONS) as WorkloadOptions | undefined;
}

/** Props of a ZeroTrustNamespace (Options.namespaceProps), or undefined when the schema must decide. */
export function fastNamespaceProps(value: unknown): ZeroTrustNamespaceProps | undefined {
  const props = plainObject(value, NAMESPACE_PROPS);
  return props?.mesh === undefined ? undefined : props as unknown as ZeroTrustNamespaceProps;
}

/** A fresh copy of a plain array of strings, or of finite numbers; undefined for anything else. */
function copyList(value: unknown, type: 'string' | 'number'): unknown[] | undefined {
  if (!isPlainArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== type || (type === 'number' && !Number.isFinite(item))) return undefined;
  }
  return value.slice(); // exactly its length (a pushed-to array keeps room for more)
}

/** A fresh plain array of each item parsed, or NOT_SURE when any item is. */
function listOfParsed(value: unknown, item: Field): unknown {
  if (!isPlainArray(value)) return NOT_SURE;
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    const parsed = item(value[i]);
    if (parsed === NOT_SURE) return NOT_SURE;
    out.push(parsed);
  }
  return out;
}

/** A fresh copy of a plain object of strings; undefined for anything else (and for a "__proto__" key). */
function copyStringRecord(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const copy: Record<string, string> = {};
  for (const key of Reflect.ownKeys(input)) {
    const field = input[key];
    if (typeof key !== 'string' || key === '__proto__' || typeof field !== 'string') return undefined;
    copy[key] = field;
  }
  return copy;
}

function isPlainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

