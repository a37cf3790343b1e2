// Checks on single values. Each returns a lower-case message naming the bad value and the fix, or
// undefined when the value is fine. Constructors call them to fail early; the model validator calls
// them again so that a model built without constructs (CLI, property tests) gets the same checks.

import { checkIpBlock } from './ip';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const TEMPLATE_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes namespace, workload or construct-derived object name (RFC 1123 label). */
export function checkDnsLabel(what: string, value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${what} must not be empty`;
  if (value.length > 63) return `${what} "${value}" is ${value.length} characters long; Kubernetes allows at most 63`;
  if (!DNS1123_LABEL.test(value)) {
    const hint = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
    return `${what} "${value}" is not a valid DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)` +
      (hint && DNS1123_LABEL.test(hint) ? `. Did you mean "${hint}"?` : '');
  }
  return undefined;
}

/** Service account names, secret names and metadata.name are RFC 1123 subdomains. */
export function checkDnsSubdomain(what: string, value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${what} must not be empty`;
  if (value.length > 253) return `${what} "${value}" is longer than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return `${what} "${value}" is not a valid DNS-1123 subdomain (lower-case letters, digits, '-' and '.')`;
  }
  return undefined;
}

/** Kubernetes label keys ([prefix/]name) and values, as the API server validates them. */
export function checkLabels(what: string, labels: Record<string, string>): string | undefined {
  const keys = Object.keys(labels);
  if (keys.length === 0) return `${what} must have at least one label: an empty selector would select every pod in the namespace`;
  for (const key of keys) {
    const slash = key.indexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if ((prefix !== undefined && (checkDnsSubdomain('label prefix', prefix) !== undefined)) || name.length > 63 || !LABEL_NAME.test(name)) {
      return `${what} has an invalid label key "${key}" (an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.')`;
    }
    const value = labels[key];
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      return `${what} has an invalid value "${value}" for label "${key}" (up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
    }
  }
  return undefined;
}

/** A SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_' (istio validates it the same way). */
export function checkTrustDomain(value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'trust domain must not be empty';
  if (value.length > 255 || !/^[a-z0-9._-]+$/.test(value) || value.startsWith('.') || value.endsWith('.') || value.includes('..')) {
    return `trust domain "${value}" is invalid: use lower-case letters, digits, '.', '-' and '_' (for example "cluster.local")`;
  }
  return undefined;
}

/** Ports in PeerAuthentication and AuthorizationPolicy are the workload's (target) ports. */
export function checkPort(what: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return `${what} ${show(port)} is not a port: use an integer from 1 to 65535`;
  }
  return undefined;
}

// Envoy matches the method token exactly and case-sensitively; lower-case "get" never matches.
export const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;

export function checkMethod(method: string): string | undefined {
  if ((HTTP_METHODS as readonly string[]).includes(method)) return undefined;
  const upper = typeof method === 'string' ? method.toUpperCase() : '';
  const hint = (HTTP_METHODS as readonly string[]).includes(upper) ? ` Did you mean "${upper}"? Methods are matched case-sensitively.` : '';
  return `method ${show(method)} is not an HTTP method (${HTTP_METHODS.join(', ')}).${hint}`;
}

/**
 * Authorization paths. Istio matches a path exactly, by prefix ("/x/*"), by suffix ("*x"), or as a
 * template whose segments may be "{*}" (one segment) or "{**}" (the rest, last only). A '*' anywhere
 * else is taken literally, so the rule silently never matches. The query string is never part of
 * the matched path.
 */
export function checkPath(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'path must not be empty';
  if (path === '*') return 'path "*" matches every path: omit paths to allow every path';
  if (/[?#]/.test(path)) return `path "${path}" contains '?' or '#': Istio matches the path without the query string or fragment, so it would never match`;
  if (/\s/.test(path)) return `path "${path}" contains whitespace`;
  if (path.includes('{') || path.includes('}')) {
    // Istio turns such a path into an Envoy URI template; its webhook rejects anything else.
    if (!path.startsWith('/')) return `path "${path}" must start with '/'`;
    if (path.replace(/\{\*\*?\}/g, '').includes('*')) {
      return `path "${path}" mixes a '*' glob with {*}/{**} templates; use one form: "/a/{*}/b" or "/a/*"`;
    }
    const segments = path.replace(/^\/+|\/+$/g, '').split('/');
    let afterDoubleStar = false;
    for (const segment of segments) {
      if (segment === '{*}' || segment === '{**}') {
        if (afterDoubleStar) return `path "${path}" has a template operator after "{**}"; "{**}" must be the last operator`;
        afterDoubleStar = segment === '{**}';
      } else if (segment.includes('{') || segment.includes('}')) {
        return `path "${path}" has segment "${segment}": a template operator must be a whole segment, "{*}" or "{**}"`;
      } else if (!TEMPLATE_LITERAL.test(segment)) {
        return `path "${path}" has segment "${segment}", which a path template does not allow (letters, digits and -._~%!$&'()+,;:@= only, no empty segment)`;
      }
    }
    return undefined;
  }
  let stars = 0;
  for (let i = path.indexOf('*'); i >= 0; i = path.indexOf('*', i + 1)) stars++;
  if (stars === 0) {
    if (!path.startsWith('/')) return `path "${path}" must start with '/'`;
    return undefined;
  }
  if (stars === 1 && path.endsWith('*') && path.startsWith('/')) return undefined; // prefix
  if (stars === 1 && path.startsWith('*') && path.length > 1) return undefined; // suffix
  return `path "${path}" has a '*' in the middle; Istio takes it literally and the rule never matches. ` +
    'Use a prefix ("/api/*"), a suffix ("*.json"), or a template ("/api/{*}/items")';
}

/** Source addresses for plaintext ports: an IPv4/IPv6 address or CIDR, parsed by Node's `net`. */
export { checkIpBlock };

/** A host name for a ServiceEntry with DNS resolution: a fully qualified name without wildcards. */
export function checkExternalHost(host: string): string | undefined {
  if (typeof host !== 'string' || host.length === 0) return 'host must not be empty';
  if (host === '*') return 'host "*" would send every outbound request through this entry: name the external host';
  if (host.includes('*')) return `host "${host}" has a wildcard; DNS resolution needs a concrete host name`;
  if (checkDnsSubdomain('host', host) !== undefined || !host.includes('.')) {
    return `host "${host}" is not a fully qualified DNS name (for example "api.example.com")`;
  }
  return undefined;
}

export function checkAbsoluteFile(what: string, value: string): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || /\s/.test(value)) {
    return `${what} ${show(value)} must be an absolute file path inside the sidecar (for example "/etc/certs/cert.pem")`;
  }
  return undefined;
}

/** A value in a message: strings quoted; NaN and Infinity as such (JSON would print null). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cyclic, BigInt inside, or an object without a prototype: String() can throw too.
    return Object.prototype.toString.call(value);
  }
}

/**
 * The values of one plaintext exception (lib/core/model.ts PlaintextExceptionModel), each message
 * prefixed with where the exception is written (`plaintext[0]`). Empty lists are refused: Istio
 * reads an empty list as "any".
 */
export function checkPlaintextException(
  where: string,
  exception: { readonly port: number; readonly methods?: readonly string[]; readonly paths?: readonly string[]; readonly ipBlocks?: readonly string[] },
): (string | undefined)[] {
  const messages: (string | undefined)[] = [checkPort('port', exception.port)];
  for (const field of ['methods', 'paths', 'ipBlocks'] as const) {
    if (exception[field]?.length === 0) messages.push(`${field} is an empty list: Istio reads an empty list as "any". Omit ${field}, or name the values`);
  }
  messages.push(...(exception.methods ?? []).map(checkMethod), ...(exception.paths ?? []).map(checkPath), ...(exception.ipBlocks ?? []).map(checkIpBlock));
  return messages.map((m) => (m === undefined ? undefined : `${where}: ${m}`));
}

/** Throws the first message, prefixed with the construct path; used by constructors to fail early. */
export function failEarly(path: string, ...messages: (string | undefined)[]): void {
  const first = messages.find((m) => m !== undefined);
  if (first !== undefined) throw new Error(`[${path}] ${first}`);
}
