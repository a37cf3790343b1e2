/**
 * Validates synthesized objects the way a Kubernetes API server with Istio 1.30.3's CRDs installed
 * would on create (`kubectl apply --validate=strict`), for the four v1 kinds this library emits:
 * PeerAuthentication, AuthorizationPolicy (security.istio.io/v1), DestinationRule and ServiceEntry
 * (networking.istio.io/v1).
 *
 * The schemas come from imports/istio-1.30.3-schemas.json (scripts/extract-istio-schemas.mjs). The
 * API server's pipeline for a custom resource is emulated in the same order, with maintained
 * libraries doing the heavy lifting:
 *
 *  1. Strict decoding + pruning (apiextensions-apiserver pkg/apiserver/schema/pruning): fields the
 *     structural schema does not declare are errors (`unknown field "spec.foo"`) unless the node has
 *     `x-kubernetes-preserve-unknown-fields`; then they are pruned. Non-nullable nulls without a
 *     default are dropped (defaulting.PruneNonNullableNullsWithoutDefaults).
 *  2. ObjectMeta validation of custom resources (name: DNS-1123 subdomain, namespace: DNS-1123
 *     label, label and annotation syntax, no unknown metadata fields).
 *  3. OpenAPI schema validation (kube-openapi) with ajv + ajv-formats; the Kubernetes extensions are
 *     registered as no-op keywords, `nullable` is ajv's OpenAPI keyword.
 *  4. `x-kubernetes-list-type: map|set` uniqueness (structurallisttype.ValidateListSetsAndMaps).
 *  5. CEL rules (`x-kubernetes-validations`) evaluated with @marcbachmann/cel-js, with `self` typed
 *     from the schema like the API server's SchemaDeclType (objects -> message types with has()
 *     presence, additionalProperties -> map<string, T>, integer -> int (BigInt), number -> double,
 *     int-or-string -> dyn). As in customResourceStrategy.Validate, CEL is skipped when step 2 or 3
 *     produced a "blocking" error (type, enum, required, maxLength, maxItems/maxProperties).
 *
 * Differences from the API server (none should matter for what this library emits: numeric port
 * keys, Go durations in h/m/s/ms units):
 *  - The server stops at a strict-decoding error; this reports it and keeps validating the pruned
 *    object, so a test sees every problem at once. It also requires metadata.namespace, which the
 *    server would default from the request.
 *  - cel-js's builtins are not cel-go's in corner cases, and cel-js cannot override a builtin
 *    overload: `int("")`, `int("0b1")`, `int("0o7")` convert instead of failing (PeerAuthentication
 *    portLevelMtls keys); `duration("0")` and durations using the Greek mu ("μs", U+03BC) are
 *    errors where Go parses them, `duration("s")` is 0 where Go fails; durations beyond Go's ~292
 *    years are not refused; `matches` uses JavaScript regular expressions, not RE2; `substring`
 *    counts UTF-16 code units, not code points.
 *  - `has(self.undeclaredField)` type-checks in cel-js (cel-go refuses it when the CRD is created);
 *    the CRDs come from Istio, whose own rules already passed that check.
 *  - CEL cost budgets are not enforced; transition rules (`oldSelf`) are skipped, as on create.
 *  - ajv-formats' date-time requires an offset; kube-openapi's strfmt accepts a few more layouts.
 *    Only status (not validated by CEL, never emitted) has date-time fields.
 *  - Schema features these four CRDs do not use (defaults, embedded resources, formats other than
 *    numeric/date/date-time/byte, messageExpression, reason, fieldPath, optionalOldSelf, other
 *    x-kubernetes-* keywords) are refused loudly rather than half-emulated: a future CRD that needs
 *    them fails here until it is handled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** One `x-kubernetes-validations` entry. */
export interface CelRuleSpec {
  readonly rule: string;
  readonly message?: string;
  readonly [key: string]: unknown;
}

/** The subset of a structural schema (apiextensions JSONSchemaProps) this module reads. */
export interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly nullable?: boolean;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly 'x-kubernetes-validations'?: readonly CelRuleSpec[];
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly [key: string]: unknown;
}

export const ISTIO_VERSION = '1.30.3';
export const GATEWAY_API_VERSION = '1.6.1';
const SCHEMA_FILE = join(__dirname, '..', '..', 'imports', `istio-${ISTIO_VERSION}-schemas.json`);
/**
 * Gateway and GatewayClass (gateway.networking.k8s.io/v1) from Gateway API v1.6.1, for the
 * waypoints of ambient namespaces (scripts/extract-gateway-api-schemas.mjs). They use two features
 * the Istio CRDs do not: schema defaults (applied before validation, as the API server does, step
 * 1b) and the ipv4/ipv6 formats.
 */
const GATEWAY_API_SCHEMA_FILE = join(__dirname, '..', '..', 'imports', `gateway-api-${GATEWAY_API_VERSION}-schemas.json`);

/** Kubernetes OpenAPI extensions: no-op for ajv, emulated (or refused) by this module. */
const INT_OR_STRING = 'x-kubernetes-int-or-string';
const K8S_KEYWORDS = [
  'x-kubernetes-validations', // CEL, step 5
  INT_OR_STRING, // an integer or a string; CEL's dyn
  'x-kubernetes-preserve-unknown-fields', // pruning, step 1
  'x-kubernetes-list-type', // step 4
  'x-kubernetes-list-map-keys', // step 4
  'x-kubernetes-map-type', // server-side-apply merge strategy only: nothing to validate
  'x-kubernetes-embedded-resource', // refused by assertEmulated
];
/**
 * Formats whose ajv-formats check matches kube-openapi's (numeric ranges, RFC 3339 timestamps,
 * base64). Others are refused: ajv-formats' "duration" is ISO 8601 where Kubernetes' is Go's, for one.
 */
const EMULATED_FORMATS = new Set(['int32', 'int64', 'float', 'double', 'date', 'date-time', 'byte', 'ipv4', 'ipv6']);
/** The x-kubernetes-validations fields the CEL step implements. */
const EMULATED_RULE_FIELDS = new Set(['rule', 'message']);

// ---------------------------------------------------------------------------------------------
// Schemas and compiled validators (module-level caches: built once, on first use)
// ---------------------------------------------------------------------------------------------

let schemaCache: Record<string, Schema> | undefined;

/** The v1 openAPIV3Schema of each kind (Istio's and Gateway API's), keyed by "<apiVersion>/<kind>". */
export function istioSchemas(): Readonly<Record<string, Schema>> {
  schemaCache ??= {
    ...JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, Schema>,
    ...JSON.parse(readFileSync(GATEWAY_API_SCHEMA_FILE, 'utf8')) as Record<string, Schema>,
  };
  return schemaCache;
}

let ajvInstance: Ajv | undefined;
const ajvValidators = new WeakMap<Schema, ValidateFunction>();

function ajvValidator(key: string, schema: Schema): ValidateFunction {
  let validate = ajvValidators.get(schema);
  if (!validate) {
    if (!ajvInstance) {
      // strict: an unknown keyword or format in a future bundle is a compile error, not a silent
      // pass. strictTypes/strictRequired off: Istio's oneOf/anyOf branches hold bare `required`
      // lists without `type`, which is valid structural-schema style.
      ajvInstance = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
      addFormats(ajvInstance);
      for (const keyword of K8S_KEYWORDS) {
        if (keyword === INT_OR_STRING) {
          // Usually paired with anyOf [{type: integer}, {type: string}], which the API server does
          // not require: enforce the meaning of the flag itself.
          ajvInstance.addKeyword({ keyword, schemaType: 'boolean', validate: (flag: boolean, data: unknown) => !flag || typeof data === 'string' || Number.isInteger(data) });
        } else {
          ajvInstance.addKeyword({ keyword });
        }
      }
    }
    assertEmulated(schema, key);
    validate = ajvInstance.compile(schema);
    ajvValidators.set(schema, validate);
  }
  return validate;
}

/** Refuses schema features whose API-server semantics this module does not implement. */
function assertEmulated(schema: Schema, path: string): void {
  const refuse = (what: string) => {
    throw new Error(`${path}: ${what} is not emulated by test/support/istio-schema.ts`);
  };
  if (schema['x-kubernetes-embedded-resource']) refuse('x-kubernetes-embedded-resource');
  if (schema.format !== undefined && !EMULATED_FORMATS.has(schema.format)) refuse(`format "${schema.format}"`);
  for (const child of childSchemas(schema)) assertEmulated(child.schema, path + child.segment);
  for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const branch of (schema[combinator] as Schema[] | undefined) ?? []) assertEmulated(branch, `${path}.${combinator}`);
  }
  if (schema.not) assertEmulated(schema.not as Schema, `${path}.not`);
}

function childSchemas(schema: Schema): { segment: string; schema: Schema }[] {
  const children = Object.entries(schema.properties ?? {}).map(([k, s]) => ({ segment: `.${k}`, schema: s }));
  if (schema.items) children.push({ segment: '[*]', schema: schema.items });
  if (typeof schema.additionalProperties === 'object') children.push({ segment: '[*]', schema: schema.additionalProperties });
  return children;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Validates one object; returns the API server's complaints (empty: it would be accepted). Each
 * message reads "<Kind> <namespace>/<name>: <field path>: <error>", field paths as kubectl prints
 * them (spec.ports[0].number, spec.selector.matchLabels[app]).
 */
export function validateIstioObject(doc: unknown): string[] {
  if (!isPlainObject(doc)) return [`not an object: ${describe(doc)}`];
  const apiVersion = doc.apiVersion;
  const kind = doc.kind;
  const meta = isPlainObject(doc.metadata) ? doc.metadata : {};
  const label = `${typeof kind === 'string' ? kind : '<no kind>'} ${String(meta.namespace ?? '<no namespace>')}/${String(meta.name ?? '<no name>')}`;
  const key = `${String(apiVersion)}/${String(kind)}`;
  const schema = istioSchemas()[key];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !schema) {
    const known = Object.keys(istioSchemas()).join(', ');
    return [`${label}: no matches for kind "${String(kind)}" in version "${String(apiVersion)}" (known: ${known})`];
  }
  return validate(doc, schema, key).map((e) => `${label}: ${e.path}: ${e.detail}`);
}

/** validateIstioObject over several objects (e.g. everything an app synthesizes), errors concatenated. */
export function validateIstioObjects(docs: readonly unknown[]): string[] {
  return docs.flatMap((doc) => validateIstioObject(doc));
}

/**
 * Validates an object against a given CRD schema (not one of the Istio ones), as
 * validateIstioObject does; for this module's own tests. Messages are "<field path>: <error>".
 */
export function validateAgainstSchema(doc: Record<string, unknown>, schema: Schema): string[] {
  return validate(doc, schema, 'test/v1/Custom').map((e) => `${e.path}: ${e.detail}`);
}

function validate(doc: Record<string, unknown>, schema: Schema, key: string): FieldError[] {
  const errors: FieldError[] = [];
  // 1. strict decoding + pruning
  const pruned = prune(doc, schema, '', true, errors) as Record<string, unknown>;
  // 1b. defaulting (structural defaulting: an absent property with a default gets it, recursively)
  applyDefaults(pruned, schema);
  // 2. metadata
  validateObjectMeta(pruned.metadata, errors);
  // 3. OpenAPI schema
  const validateSchema = ajvValidator(key, schema);
  if (!validateSchema(pruned)) errors.push(...ajvErrors(validateSchema.errors ?? [], pruned, schema));
  // 4. list types
  walk(pruned, schema, '', (value, node, path) => validateListType(value, node, path, errors));
  // 5. CEL, unless the object is malformed in a way its rules were not written for
  if (errors.some((e) => e.blocking)) {
    errors.push({ path: '<nil>', detail: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' });
  } else {
    const cel = celFor(key, schema);
    walk(pruned, schema, '', (value, node, path) => errors.push(...cel.evaluate(value, node, path)));
  }
  return errors;
}

/** One CEL rule of the four CRDs, and whether cel-js compiles (parses and type-checks) it. */
export interface IstioCelRule {
  /** "<apiVersion>/<kind>" */
  readonly kind: string;
  /** Schema path of the node carrying the rule, e.g. "spec.ports[*].number". */
  readonly path: string;
  readonly rule: string;
  readonly message?: string;
  /** "transition": references oldSelf, so it only runs on update and is skipped here. */
  readonly status: 'ok' | 'transition' | 'error';
  readonly error?: string;
}

/**
 * Compiles every x-kubernetes-validations rule of the four kinds against its typed `self`, as the
 * API server does when the CRD is created. A rule cel-js cannot handle comes back as "error".
 */
export function istioCelRules(): IstioCelRule[] {
  const out: IstioCelRule[] = [];
  for (const [key, schema] of Object.entries(istioSchemas())) {
    const cel = celFor(key, schema);
    walkSchema(schema, '', (node, path) => {
      for (const compiled of cel.rulesOf(node)) {
        out.push({ kind: key, path, rule: compiled.spec.rule, message: compiled.spec.message, status: compiled.status, error: compiled.error });
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field errors
// ---------------------------------------------------------------------------------------------

interface FieldError {
  readonly path: string;
  readonly detail: string;
  /** hasBlockingErr in apiextensions-apiserver's customresource strategy: skip CEL. */
  readonly blocking?: boolean;
}

/** field.Path-like rendering: a.b, a[0], a[key]. */
function child(path: string, key: string, index: boolean): string {
  if (index) return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return '"array"';
  if (isPlainObject(value)) return '"object"';
  return JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// 1. Strict decoding and pruning
// ---------------------------------------------------------------------------------------------

/** Top-level fields of every resource, accepted without being in the CRD schema. */
const RESOURCE_ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Returns a copy of value without the fields the schema does not declare (each reported as
 * `unknown field`, as strict field validation does) and without non-nullable nulls.
 */
function prune(value: unknown, schema: Schema, path: string, isRoot: boolean, errors: FieldError[]): unknown {
  if (Array.isArray(value)) {
    return schema.items ? value.map((item, i) => prune(item, schema.items!, child(path, String(i), true), false, errors)) : value.slice();
  }
  if (!isPlainObject(value)) return value;
  const isMap = typeof schema.additionalProperties === 'object';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue; // not representable in JSON: the serialized object lacks it
    const itemPath = child(path, key, isMap);
    if (isRoot && RESOURCE_ROOT_FIELDS.has(key)) {
      out[key] = item;
      continue;
    }
    const sub = schema.properties?.[key] ?? (isMap ? (schema.additionalProperties as Schema) : undefined);
    if (!sub) {
      if (schema['x-kubernetes-preserve-unknown-fields'] || schema.additionalProperties === true) out[key] = item;
      else errors.push({ path: itemPath, detail: `unknown field "${itemPath}" (refused by strict field validation, silently pruned otherwise)` });
      continue;
    }
    if (item === null && !sub.nullable && sub.default === undefined) continue; // PruneNonNullableNullsWithoutDefaults
    out[key] = prune(item, sub, itemPath, false, errors);
  }
  return out;
}

/** Sets every absent property that has a schema default, in place, then defaults inside it. */
function applyDefaults(value: unknown, schema: Schema): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (value[key] !== undefined) applyDefaults(value[key], sub);
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const key of Object.keys(value)) if (!(schema.properties ?? {})[key]) applyDefaults(value[key], schema.additionalProperties);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. ObjectMeta (k8s.io/apimachinery pkg/api/validation ValidateObjectMeta, NameIsDNSSubdomain)
// ---------------------------------------------------------------------------------------------

const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function validateObjectMeta(meta: unknown, errors: FieldError[]): void {
  if (!isPlainObject(meta)) {
    errors.push({ path: 'metadata', detail: 'Required value', blocking: true });
    return;
  }
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(key)) errors.push({ path: `metadata.${key}`, detail: `unknown field "metadata.${key}" (refused by strict field validation, silently pruned otherwise)` });
  }
  const { name, namespace, labels, annotations } = meta;
  if (typeof name !== 'string' || name === '') {
    errors.push({ path: 'metadata.name', detail: 'Required value: name or generateName is required', blocking: true });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push({ path: 'metadata.name', detail: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
  }
  // The API server defaults the namespace from the request; the library always sets it, so its
  // absence is a bug worth failing on.
  if (typeof namespace !== 'string' || namespace === '') {
    errors.push({ path: 'metadata.namespace', detail: 'Required value', blocking: true });
  } else if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    errors.push({ path: 'metadata.namespace', detail: `Invalid value: ${JSON.stringify(namespace)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
  }
  if (labels !== undefined) {
    if (!isPlainObject(labels)) errors.push({ path: 'metadata.labels', detail: `Invalid value: ${describe(labels)}: must be a map of strings`, blocking: true });
    else {
      for (const [k, v] of Object.entries(labels)) {
        const keyError = qualifiedNameError(k);
        if (keyError) errors.push({ path: 'metadata.labels', detail: `Invalid value: ${JSON.stringify(k)}: ${keyError}` });
        if (typeof v !== 'string') errors.push({ path: `metadata.labels[${k}]`, detail: `Invalid value: ${describe(v)}: must be a string`, blocking: true });
        else if (v !== '' && (v.length > 63 || !QUALIFIED_NAME_PART.test(v))) {
          errors.push({ path: `metadata.labels`, detail: `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of at most 63 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
        }
      }
    }
  }
  if (annotations !== undefined) {
    if (!isPlainObject(annotations)) errors.push({ path: 'metadata.annotations', detail: `Invalid value: ${describe(annotations)}: must be a map of strings`, blocking: true });
    else {
      let size = 0;
      for (const [k, v] of Object.entries(annotations)) {
        const keyError = qualifiedNameError(k.toLowerCase());
        if (keyError) errors.push({ path: 'metadata.annotations', detail: `Invalid value: ${JSON.stringify(k)}: ${keyError}` });
        if (typeof v !== 'string') errors.push({ path: `metadata.annotations[${k}]`, detail: `Invalid value: ${describe(v)}: must be a string`, blocking: true });
        else size += k.length + v.length;
      }
      if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errors.push({ path: 'metadata.annotations', detail: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`, blocking: true });
    }
  }
}

/** IsQualifiedName: an optional DNS-subdomain prefix and "/", then a 1-63 character name. */
function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1] : parts[0];
  if (parts.length > 2) return 'a qualified name must consist of an optional DNS subdomain prefix and "/", then a name';
  if (parts.length === 2 && (parts[0] === '' || parts[0].length > 253 || !DNS1123_SUBDOMAIN.test(parts[0]))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name === '' || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return "name part must consist of at most 63 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// 3. OpenAPI schema errors (ajv) in the API server's words
// ---------------------------------------------------------------------------------------------

function ajvErrors(list: readonly ErrorObject[], root: unknown, schema: Schema): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    // kube-openapi reports a failed anyOf/oneOf/not as one error on the node, not the failures of
    // each branch, which ajv lists too.
    if (/\/(anyOf|oneOf)\/\d+\/|\/not\//.test(e.schemaPath)) continue;
    const path = pointerToPath(e.instancePath, schema);
    const value = valueAt(root, e.instancePath);
    let error: FieldError;
    switch (e.keyword) {
      case 'required':
        error = { path: child(path, String(e.params.missingProperty), false), detail: 'Required value', blocking: true };
        break;
      case 'type':
        error = { path, detail: `Invalid value: ${describe(value)}: ${path} in body must be of type ${String(e.params.type)}: ${jsonType(value)}`, blocking: true };
        break;
      case INT_OR_STRING:
        error = { path, detail: `Invalid value: ${describe(value)}: ${path} in body must be of type integer or string: ${jsonType(value)}`, blocking: true };
        break;
      case 'enum':
        error = { path, detail: `Unsupported value: ${describe(value)}: supported values: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, blocking: true };
        break;
      case 'maxLength':
        error = { path, detail: `Too long: may not be more than ${String(e.params.limit)} bytes`, blocking: true };
        break;
      case 'maxItems':
      case 'maxProperties':
        error = { path, detail: `Too many: ${Array.isArray(value) ? value.length : Object.keys(value as object).length}: must have at most ${String(e.params.limit)} items`, blocking: true };
        break;
      default:
        error = { path, detail: `Invalid value: ${describe(value)}: ${path} in body ${e.message ?? e.keyword}` };
    }
    const id = `${error.path}\0${error.detail}`;
    if (!seen.has(id)) out.push(error);
    seen.add(id);
  }
  return out;
}

function jsonType(value: unknown): string {
  if (value === null) return '"null"';
  if (Array.isArray(value)) return '"array"';
  if (typeof value === 'number') return Number.isInteger(value) ? '"integer"' : '"number"';
  return `"${typeof value}"`;
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A JSON pointer as a field path, using the schema to tell list indices and map keys from fields. */
function pointerToPath(pointer: string, schema: Schema): string {
  let path = '';
  let node: Schema | undefined = schema;
  for (const segment of pointerSegments(pointer)) {
    if (node?.items) {
      path = child(path, segment, true);
      node = node.items;
    } else if (node?.properties?.[segment]) {
      path = child(path, segment, false);
      node = node.properties[segment];
    } else if (typeof node?.additionalProperties === 'object') {
      path = child(path, segment, true);
      node = node.additionalProperties;
    } else {
      path = child(path, segment, false);
      node = undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (const segment of pointerSegments(pointer)) value = (value as Record<string, unknown> | undefined)?.[segment];
  return value;
}

// ---------------------------------------------------------------------------------------------
// Schema-guided traversal (steps 4 and 5)
// ---------------------------------------------------------------------------------------------

type Visitor = (value: unknown, node: Schema, path: string) => void;

/** Visits every non-null value that has a schema node, parents before children. */
function walk(value: unknown, node: Schema, path: string, visit: Visitor): void {
  // Only non-null values are validated; a rule on the parent can inspect nulls (CEL validation.go).
  if (value === null || value === undefined) return;
  visit(value, node, path);
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => walk(item, node.items!, child(path, String(i), true), visit));
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const prop = node.properties?.[key];
      if (prop) walk(item, prop, child(path, key, false), visit);
      else if (typeof node.additionalProperties === 'object') walk(item, node.additionalProperties, child(path, key, true), visit);
    }
  }
}

function walkSchema(node: Schema, path: string, visit: (node: Schema, path: string) => void): void {
  visit(node, path);
  for (const c of childSchemas(node)) walkSchema(c.schema, path === '' ? c.segment.replace(/^\./, '') : path + c.segment, visit);
}

// ---------------------------------------------------------------------------------------------
// 4. x-kubernetes-list-type (apiextensions-apiserver pkg/apiserver/schema/listtype)
// ---------------------------------------------------------------------------------------------

function validateListType(value: unknown, node: Schema, path: string, errors: FieldError[]): void {
  const listType = node['x-kubernetes-list-type'];
  if (!Array.isArray(value) || (listType !== 'set' && listType !== 'map')) return;
  const seen = new Set<string>();
  value.forEach((item, i) => {
    let identity: unknown = item;
    if (listType === 'map') {
      if (!isPlainObject(item)) return; // a type error, reported by the schema step
      identity = Object.fromEntries((node['x-kubernetes-list-map-keys'] ?? []).map((k) => [k, item[k]]));
    }
    const id = JSON.stringify(identity);
    if (seen.has(id)) errors.push({ path: child(path, String(i), true), detail: `Duplicate value: ${id}` });
    seen.add(id);
  });
}

// ---------------------------------------------------------------------------------------------
// 5. CEL (apiextensions-apiserver pkg/apiserver/schema/cel, apiserver pkg/cel/common)
// ---------------------------------------------------------------------------------------------

interface CompiledRule {
  readonly spec: CelRuleSpec;
  readonly status: 'ok' | 'transition' | 'error';
  readonly program?: ParseResult;
  readonly error?: string;
}

interface KindCel {
  rulesOf(node: Schema): readonly CompiledRule[];
  evaluate(value: unknown, node: Schema, path: string): FieldError[];
}

const celCache = new WeakMap<Schema, KindCel>();

function celFor(key: string, schema: Schema): KindCel {
  let cel = celCache.get(schema);
  if (!cel) {
    cel = buildKindCel(key, schema);
    celCache.set(schema, cel);
  }
  return cel;
}

// CEL's reserved words and the API server's escaping of property names that are not CEL
// identifiers (apiserver pkg/cel/escaping.go): rules see `namespace` as `__namespace__`.
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let',
  'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);
const ESCAPES: Record<string, string> = { __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

/** The CEL field name of a property, or undefined when the API server leaves it out of the type. */
function escapeFieldName(name: string): string | undefined {
  if (name === '' || /^[0-9]/.test(name) || !/^[a-zA-Z0-9_.\-/]+$/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  return name.replace(/__|[.\-/]/g, (m) => ESCAPES[m]);
}

/** Marker base class of the generated per-object-type classes. */
class CelObject extends Map<string, unknown> {}
type CelObjectClass = new () => CelObject;

/**
 * Declares one CEL type per object node of a kind's schema in a cel-js Environment, and compiles
 * each node's rules in a child environment where `self` (and `oldSelf`) have that node's type.
 */
function buildKindCel(key: string, rootSchema: Schema): KindCel {
  // enableOptionalTypes: the API server's CEL environment has the optional library (`.?field`).
  const base = new Environment({ enableOptionalTypes: true });
  const typeOfNode = new Map<Schema, string>();
  const classes = new Map<Schema, CelObjectClass>();
  const metadataClass = class extends CelObject {};

  /** SchemaDeclType: the CEL type of a schema node; registers object types, children first. */
  const declare = (node: Schema, name: string, isRoot: boolean): string => {
    let type = typeOfNode.get(node);
    if (type === undefined) {
      type = declareUncached(node, name, isRoot);
      typeOfNode.set(node, type);
    }
    return type;
  };
  const declareUncached = (node: Schema, name: string, isRoot: boolean): string => {
    if (node['x-kubernetes-int-or-string']) return 'dyn';
    switch (node.type) {
      case 'array':
        return `list<${node.items ? declare(node.items, `${name}[]`, false) : 'dyn'}>`;
      case 'object': {
        if (typeof node.additionalProperties === 'object') return `map<string, ${declare(node.additionalProperties, `${name}{}`, false)}>`;
        const fields: Record<string, string> = {};
        for (const [prop, sub] of Object.entries(node.properties ?? {})) {
          // Gateway API's schemas declare metadata (and apiVersion, kind) at the root; the root's
          // CEL type has its own fixed ones, set below.
          if (isRoot && RESOURCE_ROOT_FIELDS.has(prop)) continue;
          const field = escapeFieldName(prop);
          if (field) fields[field] = declare(sub, `${name}.${prop.replace(/[^A-Za-z0-9_]/g, '_')}`, false);
        }
        if (isRoot) {
          // Rules at a resource root also see apiVersion, kind, metadata.name and .generateName.
          fields.apiVersion = 'string';
          fields.kind = 'string';
          base.registerType(`${name}.metadata`, { ctor: metadataClass, fields: { name: 'string', generateName: 'string' } });
          fields.metadata = `${name}.metadata`;
        }
        // One class per type: cel-js finds an object's CEL type by its constructor.
        const ctor = { [name]: class extends CelObject {} }[name];
        base.registerType(name, { ctor, fields });
        classes.set(node, ctor);
        return name;
      }
      case 'string':
        switch (node.format) {
          case 'byte':
            return 'bytes';
          case 'date':
          case 'date-time':
            return 'google.protobuf.Timestamp';
          default:
            return 'string';
        }
      case 'integer':
        return 'int';
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      default:
        return 'dyn'; // no type: int-or-string or preserve-unknown-fields
    }
  };
  declare(rootSchema, `istio.${key.split('/').pop()}`, true);

  // Timestamps as cel-js represents them (format date/date-time strings are CEL timestamps).
  const toTimestamp = new Environment().registerVariable('s', 'string').parse('timestamp(s)');

  /** UnstructuredToVal: a JSON value as the CEL value of the node's type. */
  const toCel = (value: unknown, node: Schema, isRoot: boolean): unknown => {
    if (value === null || value === undefined) return null;
    if (node['x-kubernetes-int-or-string']) return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
    switch (node.type) {
      case 'array':
        return (value as unknown[]).map((item) => (node.items ? toCel(item, node.items, false) : toDyn(item)));
      case 'object': {
        const entries = Object.entries(value as Record<string, unknown>);
        if (typeof node.additionalProperties === 'object') {
          const valueSchema = node.additionalProperties;
          return new Map(entries.map(([k, v]) => [k, toCel(v, valueSchema, false)]));
        }
        const Ctor = classes.get(node);
        if (!Ctor) throw new Error(`no CEL type declared for an object node of ${key}`);
        const object = new Ctor();
        for (const [prop, v] of entries) {
          const sub = node.properties?.[prop];
          const field = escapeFieldName(prop);
          if (sub && field) object.set(field, toCel(v, sub, false));
        }
        if (isRoot) {
          const { apiVersion, kind, metadata } = value as Record<string, unknown>;
          object.set('apiVersion', apiVersion).set('kind', kind);
          const meta = new metadataClass();
          for (const k of ['name', 'generateName']) {
            const v = (metadata as Record<string, unknown> | undefined)?.[k];
            if (typeof v === 'string') meta.set(k, v);
          }
          object.set('metadata', meta);
        }
        return object;
      }
      case 'integer':
        return BigInt(value as number);
      case 'string':
        if (node.format === 'byte') return new Uint8Array(Buffer.from(value as string, 'base64'));
        if (node.format === 'date' || node.format === 'date-time') {
          try {
            return toTimestamp({ s: node.format === 'date' ? `${String(value)}T00:00:00Z` : value });
          } catch {
            // Already a (non-blocking) format error. Left a string, it fails only the rules that
            // read it, with a type error: the API server's conversion errors are as lazy.
            return value;
          }
        }
        return value;
      case undefined:
        return toDyn(value);
      default:
        return value;
    }
  };

  const compiledRules = new Map<Schema, CompiledRule[]>();
  const rulesOf = (node: Schema): readonly CompiledRule[] => {
    const specs = node['x-kubernetes-validations'];
    if (!specs || specs.length === 0) return [];
    let compiled = compiledRules.get(node);
    if (!compiled) {
      const selfType = typeOfNode.get(node);
      if (!selfType) throw new Error(`no CEL type declared for a rule node of ${key}`);
      const env = base.clone().registerVariable('self', selfType).registerVariable('oldSelf', selfType);
      compiled = specs.map((spec) => compileRule(env, spec));
      compiledRules.set(node, compiled);
    }
    return compiled;
  };

  const evaluate = (value: unknown, node: Schema, path: string): FieldError[] => {
    const rules = rulesOf(node);
    if (rules.length === 0) return [];
    const type = node.type ?? '';
    const self = toCel(value, node, node === rootSchema);
    const out: FieldError[] = [];
    for (const r of rules) {
      const text = (r.spec.message ?? '').trim() || r.spec.rule.trim(); // ruleErrorString
      if (r.status === 'transition') continue; // needs oldSelf: update only
      if (r.status === 'error' || !r.program) {
        out.push({ path: path || '<nil>', detail: `Invalid value: "${type}": rule could not be compiled by cel-js, so it was not evaluated (${r.error ?? 'unknown error'}): ${text}` });
        continue;
      }
      let result: unknown;
      try {
        result = r.program({ self });
      } catch (err) {
        // validation.go: "<error> evaluating rule: <message or rule>"
        out.push({ path: path || '<nil>', detail: `Invalid value: "${type}": ${firstLine(err)} evaluating rule: ${text}` });
        continue;
      }
      if (result !== true) {
        // ruleMessageOrDefault
        const message = r.spec.message?.trim() ? r.spec.message.trim() : `failed rule: ${r.spec.rule.trim()}`;
        out.push({ path: path || '<nil>', detail: `Invalid value: "${type}": ${message}` });
      }
    }
    return out;
  };

  return { rulesOf, evaluate };
}

/** Untyped JSON as CEL values: integral numbers are ints, objects are maps. */
function toDyn(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toDyn);
  if (isPlainObject(value)) return new Map(Object.entries(value).map(([k, v]) => [k, toDyn(v)]));
  return value;
}

function compileRule(env: Environment, spec: CelRuleSpec): CompiledRule {
  const unsupported = Object.keys(spec).filter((k) => !EMULATED_RULE_FIELDS.has(k));
  if (unsupported.length > 0) return { spec, status: 'error', error: `rule field(s) ${unsupported.join(', ')} not emulated` };
  let program: ParseResult;
  try {
    program = env.parse(spec.rule);
  } catch (err) {
    return { spec, status: 'error', error: firstLine(err) };
  }
  const checked = program.check();
  if (!checked.valid) return { spec, status: 'error', error: firstLine(checked.error) };
  // The API server refuses a CRD whose rule does not return bool.
  if (checked.type !== 'bool') return { spec, status: 'error', error: `rule returns ${String(checked.type)}, not bool` };
  if (referencesVariable(program.ast, 'oldSelf')) return { spec, status: 'transition' };
  return { spec, status: 'ok', program };
}

/** Whether a parsed expression mentions an identifier (oldSelf marks a transition rule). */
function referencesVariable(ast: unknown, name: string): boolean {
  const seen = new Set<unknown>();
  const visit = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return false;
    seen.add(node);
    const n = node as { op?: unknown; args?: unknown };
    if (n.op === 'id' && n.args === name) return true;
    return Object.values(node).some(visit);
  };
  return visit(ast);
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0];
}
