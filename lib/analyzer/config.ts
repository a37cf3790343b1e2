// Istio configuration as the analyzer sees it: every Istio security/networking object of a set of
// YAML files, whoever wrote them (our compiler, or a person). Pure: text in, objects out.
import { parseAllDocuments } from 'yaml';

/** The kinds the analyzer models; every other kind is skipped with a note. */
export const ANALYZED_KINDS = ['PeerAuthentication', 'AuthorizationPolicy', 'DestinationRule', 'ServiceEntry'] as const;
export type AnalyzedKind = (typeof ANALYZED_KINDS)[number];

/** Our compiler's annotation naming the construct(s) behind an object (one entry per rule for policies). */
export { DECLARED_BY_ANNOTATION as DECLARED_BY, DRY_RUN_ANNOTATION as DRY_RUN } from '../core/annotations';
import { AUDIT_STAND_IN_ANNOTATION, DECLARED_BY_ANNOTATION as DECLARED_BY, DRY_RUN_ANNOTATION as DRY_RUN } from '../core/annotations';

export interface IstioObject {
  readonly kind: AnalyzedKind;
  readonly apiVersion: string;
  readonly name: string;
  /** metadata.namespace; a file without one is read as namespace "default", as kubectl would apply it. */
  readonly namespace: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** metadata.labels, when the object has any (a ServiceEntry's istio.io/use-waypoint). */
  readonly labels?: Readonly<Record<string, string>>;
  /** metadata.creationTimestamp, when the YAML carries one (live exports do; hand-written YAML does not). */
  readonly creationTimestamp?: string;
  readonly spec: Readonly<Record<string, any>>;
  /** Where the object came from: file and 0-based document index. */
  readonly source: { readonly file: string; readonly document: number };
}

export interface IstioConfig {
  /** The analyzed objects, sorted by kind, namespace and name. */
  readonly objects: readonly IstioObject[];
  /** What was skipped and why (non-Istio kinds, empty documents). Sorted. */
  readonly notes: readonly string[];
}

export interface SourceFile {
  /** A path or label shown in messages. */
  readonly path: string;
  readonly text: string;
}

/** A YAML file that does not parse, or an Istio object without a name. The message names file and line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ISTIO_GROUPS: Record<AnalyzedKind, string> = {
  PeerAuthentication: 'security.istio.io',
  AuthorizationPolicy: 'security.istio.io',
  DestinationRule: 'networking.istio.io',
  ServiceEntry: 'networking.istio.io',
};

/**
 * The JavaScript values of a file's YAML documents, by file text: two configurations that share
 * files (the two sides of a diff) parse each shared text once. The values are read, never changed.
 */
export type ParseCache = Map<string, readonly unknown[]>;

/**
 * Parses multi-document YAML (or JSON) files into Istio objects. Any API version of an analyzed
 * kind is accepted (Istio's webhook ignores the version too); `kind: List` is unpacked; other kinds
 * are skipped with a note. Pass the same `cache` to several calls to parse identical texts once.
 */
export function parseIstioConfig(files: readonly SourceFile[], cache?: ParseCache): IstioConfig {
  return parseSourceFiles(files.map((file) => ({ path: file.path, read: () => file.text })), cache);
}

/** A file to parse: the path shown in messages, and how to read its text when its turn comes. */
export interface PendingSourceFile {
  readonly path: string;
  read(): string;
}

/**
 * parseIstioConfig, reading each file only when it is parsed (loadIstioDir). With every file of a
 * 2,000-namespace folder read first and parsed afterwards, V8 promoted 310 MB of the parser's
 * short-lived objects out of the young generation, and the parse spent 1.6 s in scavenges; read and
 * parsed one by one, 90 MB and 1.1 s (BENCHMARKS.md, fifth session).
 */
export function parseSourceFiles(files: readonly PendingSourceFile[], cache?: ParseCache): IstioConfig {
  const objects: IstioObject[] = [];
  const notes: string[] = [];
  for (const file of [...files].sort((a, b) => compare(a.path, b.path))) {
    const text = file.read();
    const cached = cache?.get(text);
    if (cached) {
      cached.forEach((value, index) => {
        if (value !== null && value !== undefined) collect(value, file.path, index, objects, notes);
      });
      continue;
    }
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const values: unknown[] = [];
    list.forEach((doc, index) => {
      const error = doc.errors[0];
      if (error) {
        const pos = error.linePos?.[0];
        const where = pos ? `${file.path}:${pos.line}:${pos.col}` : file.path;
        throw new ConfigError(`${where}: YAML does not parse: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
      }
      const value = doc.toJS();
      values.push(value);
      if (value === null || value === undefined) return; // an empty document, e.g. after a trailing '---'
      collect(value, file.path, index, objects, notes);
    });
    cache?.set(text, values);
  }
  // Sorted by kind, namespace and name (keys computed once; the sort is stable).
  const keyed = objects.map((o, i) => ({ key: `${o.kind}/${o.namespace}/${o.name}`, i }));
  keyed.sort((a, b) => compare(a.key, b.key) || a.i - b.i);
  return { objects: keyed.map((k) => objects[k.i]), notes: [...new Set(notes)].sort(compare) };
}

function collect(value: unknown, file: string, document: number, objects: IstioObject[], notes: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    notes.push(`${file}: document ${document + 1} is not a Kubernetes object; skipped`);
    return;
  }
  const obj = value as Record<string, any>;
  if (obj.kind === 'List' && Array.isArray(obj.items)) {
    for (const item of obj.items) collect(item, file, document, objects, notes);
    return;
  }
  const kind = obj.kind as string;
  const group = typeof obj.apiVersion === 'string' ? obj.apiVersion.split('/')[0] : '';
  // A waypoint: what it enforces is bound to it by targetRefs, and which Services use it and the
  // identity its pods run as come from the inventory (ambient.ts), so it needs no note.
  if (kind === 'Gateway' && group === 'gateway.networking.k8s.io' && obj.spec?.gatewayClassName === 'istio-waypoint') return;
  if (!(ANALYZED_KINDS as readonly string[]).includes(kind) || ISTIO_GROUPS[kind as AnalyzedKind] !== group) {
    notes.push(`${file}: ${kind ?? 'an object without kind'} (${obj.apiVersion ?? 'no apiVersion'}) is not analyzed; skipped`);
    return;
  }
  const metadata = (obj.metadata ?? {}) as Record<string, any>;
  if (typeof metadata.name !== 'string' || metadata.name.length === 0) {
    throw new ConfigError(`${file}: document ${document + 1}: ${kind} has no metadata.name`);
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries((metadata.annotations ?? {}) as Record<string, unknown>)) annotations[k] = String(v);
  const spec = obj.spec;
  objects.push({
    kind: kind as AnalyzedKind,
    apiVersion: obj.apiVersion,
    name: metadata.name,
    namespace: typeof metadata.namespace === 'string' && metadata.namespace ? metadata.namespace : 'default',
    annotations,
    ...(metadata.labels && typeof metadata.labels === 'object' && Object.keys(metadata.labels).length > 0
      ? { labels: Object.fromEntries(Object.entries(metadata.labels as Record<string, unknown>).map(([k, v]) => [k, String(v)])) } : {}),
    ...(metadata.creationTimestamp !== undefined ? { creationTimestamp: String(metadata.creationTimestamp) } : {}),
    spec: typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? spec : {},
    source: { file, document },
  });
}

/** The constructs that declared an object (our compiler's annotation), or undefined for foreign YAML. */
export function declaredBy(obj: IstioObject): string[] | undefined {
  const raw = obj.annotations[DECLARED_BY];
  if (raw === undefined) return undefined;
  let parsed = DECLARED.get(obj);
  if (parsed === undefined || parsed.raw !== raw) {
    let owners: string[] | undefined;
    try {
      const value = JSON.parse(raw);
      owners = Array.isArray(value) ? value.map(String) : undefined;
    } catch {
      owners = undefined;
    }
    DECLARED.set(obj, (parsed = { raw, owners }));
  }
  return parsed.owners && [...parsed.owners];
}

// The parsed annotation per object (read for every rule a reachability evaluation matches).
const DECLARED = new WeakMap<IstioObject, { raw: string; owners: readonly string[] | undefined }>();

/**
 * istio.io/dry-run: Istio parses it with Go's strconv.ParseBool and treats a bad value as false.
 * Only ALLOW and DENY policies can be dry-run (the webhook rejects it elsewhere).
 */
export function isDryRun(obj: IstioObject): boolean {
  const raw = obj.annotations[DRY_RUN];
  return raw !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw);
}

/**
 * An enforced ALLOW policy that our compiler emits in audit mode to admit what the audited
 * (dry-run) rules would deny. It stands in for them while they are audited and is not part of the
 * declared policy: "every policy enforced" leaves it out.
 */
export function isAuditStandIn(obj: IstioObject): boolean {
  return obj.annotations[AUDIT_STAND_IN_ANNOTATION] !== undefined && !isDryRun(obj);
}

/** "namespace/name" of an object, the way every message names it. */
export function objectId(obj: { namespace: string; name: string }): string {
  return `${obj.namespace}/${obj.name}`;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
