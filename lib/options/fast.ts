// Fast paths for the option checks that run once per edge (allowFrom, allowTo, new AllowEdge):
// edges are the bulk of a large mesh, and a zod run costs several times the rest of declaring an
// edge. Each function returns the parsed value when the input is certainly one the schema accepts
// (plain objects, known keys, lists of the right primitives), and undefined for anything else: the
// schema then decides, and words the error. The schema stays the authority: test/property/
// fast-options.test.ts checks that whatever a fast path accepts, the schema accepts too, with the
// same result.
import type { AllowEdgeProps } from '../allow-edge';
import { EdgeOptions, Enforcement } from '../types';
import { isLibraryPeer, isLibraryWorkload } from './brands';

const ENFORCEMENTS: readonly unknown[] = Object.values(Enforcement);

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
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
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
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return undefined;
  const copy: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== type || (type === 'number' && !Number.isFinite(item))) return undefined;
    copy.push(item);
  }
  return copy;
}
