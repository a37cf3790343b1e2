// Fast paths for the option checks that run once per edge (allowFrom, allowTo, new AllowEdge), once
// per workload and once per namespace: those are the bulk of a large mesh, and a zod run costs several times the rest
// of declaring one. Each function returns the parsed value when the input is certainly one the schema accepts
// (plain objects, known keys, lists of the right primitives), and undefined for anything else: the
// schema then decides, and words the error. The schema stays the authority: test/property/
// fast-options.test.ts checks that whatever a fast path accepts, the schema accepts too, with the
// same result.
import type { AllowEdgeProps } from '../allow-edge';
import { Dataplane, EdgeOptions, Enforcement, MtlsMode, PlaintextException, Waypoint, WorkloadPort } from '../types';
import type { WorkloadOptions } from '../workload';
import type { ZeroTrustNamespaceProps } from '../zero-trust-namespace';
import { isLibraryPeer, isLibraryWorkload, isZeroTrustMesh } from './brands';

const ENFORCEMENTS: readonly unknown[] = Object.values(Enforcement);
const MTLS_MODES: readonly unknown[] = Object.values(MtlsMode);
const DATAPLANES: readonly unknown[] = Object.values(Dataplane);

type Fields = { -readonly [K in keyof AllowEdgeProps]?: AllowEdgeProps[K] };

/** Options of allowFrom/allowTo (Options.edgeOptions), or undefined when the schema must decide. */
export function fastEdgeOptions(value: unknown): EdgeOptions | undefined {
  return edgeFields(value, false) as EdgeOptions | undefined;
}

/** Props of an AllowEdge (Options.allowEdgeProps), or undefined when the schema must decide. */
export function fastAllowEdgeProps(value: unknown): AllowEdgeProps | undefined {
  const props = edgeFields(value, true);
  return props !== undefined && props.from !== undefined && props.to !== undefined ? props as AllowEdgeProps : undefined;
}

function edgeFields(value: unknown, withEnds: boolean): Fields | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const result: Fields = {};
  // Every own key, symbols and non-enumerable ones included: anything unusual goes to the schema.
  for (const key of Reflect.ownKeys(input)) {
    const field = input[key];
    switch (key) {
      case 'methods':
      case 'paths': {
        const list = copyList(field, 'string');
        if (list === undefined) return undefined;
        result[key] = list as string[];
        break;
      }
      case 'ports': {
        const list = copyList(field, 'number');
        if (list === undefined) return undefined;
        result.ports = list as number[];
        break;
      }
      case 'enforcement':
        if (!ENFORCEMENTS.includes(field)) return undefined;
        result.enforcement = field as Enforcement;
        break;
      case 'from':
        if (!withEnds || !isLibraryPeer(field)) return undefined;
        result.from = field as AllowEdgeProps['from'];
        break;
      case 'to':
        if (!withEnds || !isLibraryWorkload(field)) return undefined;
        result.to = field as AllowEdgeProps['to'];
        break;
      default:
        return undefined;
    }
  }
  return result;
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

/** Options of addWorkload (Options.workloadOptions), or undefined when the schema must decide. */
export function fastWorkloadOptions(value: unknown): WorkloadOptions | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const result: { -readonly [K in keyof WorkloadOptions]?: WorkloadOptions[K] } = {};
  for (const key of Reflect.ownKeys(input)) {
    const field = input[key];
    switch (key) {
      case 'enforcement':
        if (!ENFORCEMENTS.includes(field)) return undefined;
        result.enforcement = field as Enforcement;
        break;
      case 'mtls':
        if (!MTLS_MODES.includes(field)) return undefined;
        result.mtls = field as MtlsMode;
        break;
      case 'serviceAccount':
        if (typeof field !== 'string') return undefined;
        result.serviceAccount = field;
        break;
      case 'labels': {
        const labels = copyStringRecord(field);
        if (labels === undefined) return undefined;
        result.labels = labels;
        break;
      }
      case 'plaintextPorts':
      case 'plaintextIpBlocks': {
        const list = copyList(field, key === 'plaintextPorts' ? 'number' : 'string');
        if (list === undefined) return undefined;
        (result as Record<string, unknown>)[key] = list;
        break;
      }
      case 'plaintext': {
        if (!isPlainArray(field)) return undefined;
        const exceptions: PlaintextException[] = [];
        for (let i = 0; i < field.length; i++) {
          const exception = plaintextException(field[i]);
          if (exception === undefined) return undefined;
          exceptions.push(exception);
        }
        result.plaintext = exceptions;
        break;
      }
      case 'ports': {
        if (!isPlainArray(field)) return undefined;
        const ports: WorkloadPort[] = [];
        for (let i = 0; i < field.length; i++) {
          const port: unknown = field[i];
          if (!(port instanceof WorkloadPort)) return undefined;
          ports.push(port);
        }
        result.ports = ports;
        break;
      }
      default:
        return undefined;
    }
  }
  return result;
}

/** Props of a ZeroTrustNamespace (Options.namespaceProps), or undefined when the schema must decide. */
export function fastNamespaceProps(value: unknown): ZeroTrustNamespaceProps | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const result: { -readonly [K in keyof ZeroTrustNamespaceProps]?: ZeroTrustNamespaceProps[K] } = {};
  for (const key of Reflect.ownKeys(input)) {
    const field = input[key];
    switch (key) {
      case 'mesh':
        if (!isZeroTrustMesh(field)) return undefined;
        result.mesh = field as ZeroTrustNamespaceProps['mesh'];
        break;
      case 'mtls':
        if (!MTLS_MODES.includes(field)) return undefined;
        result.mtls = field as MtlsMode;
        break;
      case 'enforcement':
        if (!ENFORCEMENTS.includes(field)) return undefined;
        result.enforcement = field as Enforcement;
        break;
      case 'dataplane':
        if (!DATAPLANES.includes(field)) return undefined;
        result.dataplane = field as Dataplane;
        break;
      case 'denyFromNamespaces': {
        const list = copyList(field, 'string');
        if (list === undefined) return undefined;
        result.denyFromNamespaces = list as string[];
        break;
      }
      case 'acceptPlaintextBypass':
        if (typeof field !== 'boolean') return undefined;
        result.acceptPlaintextBypass = field;
        break;
      case 'labels': {
        const labels = copyStringRecord(field);
        if (labels === undefined) return undefined;
        result.labels = labels;
        break;
      }
      case 'waypoint':
        if (!(field instanceof Waypoint)) return undefined;
        result.waypoint = field;
        break;
      default:
        return undefined;
    }
  }
  return result.mesh === undefined ? undefined : result as ZeroTrustNamespaceProps;
}

function plaintextException(value: unknown): PlaintextException | undefined {
  if (!isPlainObject(value)) return undefined;
  const input = value as Record<PropertyKey, unknown>;
  const result: { -readonly [K in keyof PlaintextException]?: PlaintextException[K] } = {};
  for (const key of Reflect.ownKeys(input)) {
    const field = input[key];
    switch (key) {
      case 'port':
        if (typeof field !== 'number' || !Number.isFinite(field)) return undefined;
        result.port = field;
        break;
      case 'methods':
      case 'paths':
      case 'ipBlocks': {
        const list = copyList(field, 'string');
        if (list === undefined) return undefined;
        result[key] = list as string[];
        break;
      }
      case 'acceptIdentityBypass':
        if (typeof field !== 'boolean') return undefined;
        result.acceptIdentityBypass = field;
        break;
      default:
        return undefined;
    }
  }
  return result.port === undefined ? undefined : result as PlaintextException;
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
