// Turns a schema's verdict into one message a user can act on: where (the construct path, or the
// entry point for a factory without a scope), which option, the bad value, and the fix. The
// schemas say what is accepted; this file only says it in words.
import { Construct } from 'constructs';
import type { z } from 'zod';

/** How an argument is named in messages: `[where] verb: <argument or option> ...`. */
export interface ArgumentName {
  /** The method or factory, when the path alone does not say it: `allowFrom`. */
  readonly verb?: string;
  /** The argument itself: `props`, `options`, `peer`. */
  readonly argument: string;
  /** The argument may be left out (it has a default): a null gets "omit it" as its fix. */
  readonly optional?: boolean;
  /** What a key is called in messages: `option` (the default) or `field` (in a file). */
  readonly keyword?: string;
}

/**
 * Checks `value` against `schema`; returns the parsed value (fresh arrays and objects, so later
 * changes by the caller cannot change what was checked) or throws `[where] <message>`.
 */
export function checkInput<S extends z.ZodType>(where: string, name: ArgumentName, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new Error(`[${where}] ${name.verb ? `${name.verb}: ` : ''}${describeIssues(schema, result.error.issues, value, name)}`);
}

/**
 * The construct path a construct will have, for messages thrown before `super()`: the scope and
 * id are checked first, since a wrong scope or id would otherwise fail inside `constructs` with a
 * TypeError.
 */
export function pathOf(kind: string, scope: unknown, id: unknown): string {
  if (!Construct.isConstruct(scope)) {
    throw new Error(`[${kind}] scope must be a construct (the App, or the construct to declare it in), got ${describeValue(scope)}`);
  }
  const parent = scope.node.path;
  if (typeof id !== 'string' || id.length === 0) {
    throw new Error(`[${parent ? `${parent}/` : ''}${kind}] id must be a non-empty string, got ${describeValue(id)}`);
  }
  const path = parent ? `${parent}/${id}` : id;
  // The constructs library keeps a construct's children in a plain object: an id that every object
  // already answers ("constructor", "toString") reads as a child that exists, and constructs says
  // so in words that name no cause ("There is already a Construct with name 'constructor'").
  if (id in Object.prototype) {
    throw new Error(`[${path}] "${id}" cannot be a construct id: the constructs library keeps children in a plain object, where "${id}" is already taken. ` +
      `Choose another id; a namespace or workload is named by its id, so one called "${id}" cannot be declared with cdk8s`);
  }
  return path;
}

/**
 * The first issue, in words. A misspelt key goes first: it is usually the cause, and the other
 * issues (a required option missing) follow from it.
 */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown, name: ArgumentName): string {
  const unknownKey = issues.find((i) => i.code === 'unrecognized_keys');
  return describeIssue(schema, unknownKey ?? issues[0], input, name);
}

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue, root: unknown, name: ArgumentName): string {
  const label = labelOf(issue.path) || name.argument;
  const input = 'input' in issue ? issue.input : valueAt(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const valid = keysAt(schema, issue.path);
      const key = issue.keys[0];
      const where = issue.path.length > 0 ? ` in ${labelOf(issue.path)}` : '';
      const near = nearest(key, valid);
      return `unknown ${name.keyword ?? 'option'} ${JSON.stringify(key)}${where}; ` +
        (near !== undefined ? `did you mean ${JSON.stringify(near)}?` : `the options are ${valid.map((k) => JSON.stringify(k)).join(', ')}`);
    }
    case 'invalid_type': {
      if (input === undefined) return `${label} is required: ${expectedOf(issue.expected)}`;
      const optional = issue.path.length > 0 || name.optional === true;
      const hint = input === null ? (optional ? `; omit ${issue.path.length > 0 ? 'it to use the default' : 'it or pass {}'}` : '')
        : issue.expected === 'array' && (typeof input === 'string' || typeof input === 'number') ? `; write [${JSON.stringify(input)}]`
          : '';
      return `${label} must be ${expectedOf(issue.expected)}, got ${describeValue(input)}${hint}`;
    }
    case 'custom':
      // Custom checks word their message after the option name: `mtls "X" is not an MtlsMode`.
      return `${label} ${issue.message}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what = issue.origin === 'string' ? `${bound} characters long` : issue.origin === 'array' ? `${bound} items long` : bound;
      return `${label} must be ${what}, got ${describeValue(input)}`;
    }
    case 'invalid_value':
      return `${label} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}`;
    case 'invalid_union':
      // A union names its forms in its own error message.
      return issue.message.startsWith('Invalid') ? `${label} ${describeValue(input)} is not any of the accepted forms` : `${label} must be ${issue.message}, got ${describeValue(input)}`;
    default:
      return `${label} ${describeValue(input)} is invalid: ${issue.message}`;
  }
}

const EXPECTED: Record<string, string> = {
  array: 'a list', string: 'a string', number: 'a finite number', int: 'an integer', boolean: 'true or false',
  object: 'an object', record: 'an object',
};

function expectedOf(expected: string): string {
  return EXPECTED[expected] ?? expected;
}

/** `ports[0]`, `plaintext[1].methods`: the path of an option as a user writes it. */
function labelOf(path: readonly PropertyKey[]): string {
  let label = '';
  for (const key of path) {
    if (typeof key === 'number') label += `[${key}]`;
    else label += label ? `.${String(key)}` : String(key);
  }
  return label;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** The keys the object schema at `path` accepts, found by walking the schema along the path. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = unwrap(schema._zod.def as unknown as SchemaDef);
  for (const key of path) {
    const next = def.type === 'object' ? def.shape?.[key as string] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    if (next === undefined) return [];
    def = unwrap(next._zod.def as unknown as SchemaDef);
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
}

function unwrap(def: SchemaDef): SchemaDef {
  while (true) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) return def;
    def = inner._zod.def as unknown as SchemaDef;
  }
}

/** A value as a user would recognise it in a message: short, never "[object Object]". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return `the string ${truncate(JSON.stringify(value))}`;
    case 'number': return String(value); // NaN, Infinity and -0 printed as such, never as null
    case 'bigint': return `${value}n`;
    case 'boolean': return String(value);
    case 'undefined': return 'undefined';
    case 'symbol': return value.toString();
    case 'function': return `a function${value.name ? ` (${value.name})` : ''}`;
  }
  if (Array.isArray(value)) return `a list of ${value.length} (${truncate(safeJson(value))})`;
  const ctor = Object.getPrototypeOf(value)?.constructor?.name;
  if (ctor && ctor !== 'Object') return `a ${ctor}`;
  return `an object ${truncate(safeJson(value))}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  } catch {
    return '…';
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The valid name closest to a misspelt one, if one is close enough to be what was meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
