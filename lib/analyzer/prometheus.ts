// Observed traffic from Prometheus: the JSON answer of an instant query (`/api/v1/query`) over
// Istio's standard metrics `istio_requests_total` (HTTP, HTTP/2, gRPC) and
// `istio_tcp_connections_opened_total` (TCP), such as
//
//   sum by (source_workload, source_workload_namespace, source_principal, destination_workload,
//           destination_workload_namespace, request_protocol, connection_security_policy, response_code)
//     (increase(istio_requests_total{reporter="destination"}[7d]))
//
// Each series becomes one observed flow: who called (workload and SPIFFE principal, or nobody when
// the connection carried no client certificate), which workload, over which protocol, with or
// without mutual TLS, and how many requests or connections.

/** The labels a flow is read from; the two destination labels are required. */
export const FLOW_LABELS = [
  'source_workload', 'source_workload_namespace', 'source_principal', 'destination_workload', 'destination_workload_namespace',
  'destination_port', 'request_protocol', 'connection_security_policy', 'response_code',
] as const;

/** The answer is not what an instant query over Istio's metrics returns. */
export class PrometheusFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusFormatError';
  }
}

export interface ObservedFlow {
  /** "namespace/workload" of the caller, or undefined when Istio did not know it ("unknown"). */
  readonly source?: string;
  /** The caller's identity without "spiffe://" ("cluster.local/ns/x/sa/y"), when it presented one. */
  readonly principal?: string;
  /** "namespace/workload". */
  readonly destination: string;
  /** The destination port, when the series has a `destination_port` label (not a standard Istio label). */
  readonly port?: number;
  readonly protocol: 'HTTP' | 'TCP';
  /** True when the connection was not mutual TLS (`connection_security_policy="none"`). */
  readonly plaintext: boolean;
  /** Requests (HTTP) or connections opened (TCP). */
  readonly count: number;
  /** Requests by response code ("200", "403"...); empty for TCP. */
  readonly responseCodes: Readonly<Record<string, number>>;
}

/** Where a series came from, for error messages. */
interface Source {
  readonly label: string;
}

const UNKNOWN = new Set(['', 'unknown']);

/**
 * Parses the JSON text of one Prometheus instant-query answer into flows, merging the series that
 * differ only by labels a flow does not keep (reporter, response code...). Throws
 * PrometheusFormatError naming the file and the series for anything else.
 */
export function parsePrometheusAnswer(text: string, file = 'answer'): ObservedFlow[] {
  if (typeof text !== 'string') throw new TypeError(`parsePrometheusAnswer: text must be a string, got ${text === null ? 'null' : typeof text}`);
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (error) {
    throw new PrometheusFormatError(`${file}: not JSON (${(error as Error).message}): give the body of a /api/v1/query answer`);
  }
  const source: Source = { label: file };
  if (!isObject(answer)) throw new PrometheusFormatError(`${file}: expected a JSON object with "status" and "data" (the body of a /api/v1/query answer)`);
  if (answer.status !== 'success') {
    const why = typeof answer.error === 'string' ? `: ${answer.errorType ?? 'error'}: ${answer.error}` : '';
    throw new PrometheusFormatError(`${file}: the query did not succeed (status ${JSON.stringify(answer.status)}${why})`);
  }
  const data = answer.data;
  if (!isObject(data) || !Array.isArray(data.result)) throw new PrometheusFormatError(`${file}: "data.result" is missing: give the body of a /api/v1/query answer`);
  if (data.resultType !== 'vector') {
    throw new PrometheusFormatError(`${file}: resultType is ${JSON.stringify(data.resultType)}, not "vector": give the answer of an instant query (/api/v1/query, ` +
      'e.g. sum by (...) (increase(istio_requests_total{reporter="destination"}[7d]))), not of a range query');
  }
  const flows = new Map<string, { flow: Omit<ObservedFlow, 'count' | 'responseCodes'>; count: number; codes: Record<string, number> }>();
  data.result.forEach((series: unknown, index: number) => {
    const where = `${source.label}: data.result[${index}]`;
    if (!isObject(series) || !isObject(series.metric) || !Array.isArray(series.value)) throw new PrometheusFormatError(`${where}: expected { "metric": {...}, "value": [time, "number"] }`);
    const metric = series.metric as Record<string, unknown>;
    const label = (name: string) => (typeof metric[name] === 'string' ? (metric[name] as string) : undefined);
    const count = Number(series.value[1]);
    if (typeof series.value[1] !== 'string' || !Number.isFinite(count) || count < 0) {
      throw new PrometheusFormatError(`${where}: value ${JSON.stringify(series.value[1])} is not a count (expected a string such as "42")`);
    }
    if (count === 0) return; // a series that saw nothing in the window
    const destinationNamespace = label('destination_workload_namespace');
    const destinationWorkload = label('destination_workload');
    if (destinationNamespace === undefined || destinationWorkload === undefined) {
      throw new PrometheusFormatError(`${where}: no destination_workload_namespace or destination_workload label: keep them in the query's "sum by (...)"`);
    }
    if (UNKNOWN.has(destinationNamespace) || UNKNOWN.has(destinationWorkload)) return; // traffic leaving the mesh
    const name = label('__name__');
    const protocolLabel = label('request_protocol');
    const protocol: 'HTTP' | 'TCP' = protocolLabel !== undefined
      ? (protocolLabel.toLowerCase() === 'tcp' ? 'TCP' : 'HTTP')
      : name === 'istio_tcp_connections_opened_total' ? 'TCP' : name === 'istio_requests_total' ? 'HTTP' : 'TCP';
    const sourceNamespace = label('source_workload_namespace');
    const sourceWorkload = label('source_workload');
    const principalLabel = label('source_principal');
    const principal = principalLabel === undefined || UNKNOWN.has(principalLabel) ? undefined : principalLabel.replace(/^spiffe:\/\//, '');
    const security = label('connection_security_policy');
    // "none": the destination's sidecar saw no client certificate. "unknown" (reported by the
    // client side) says nothing: a peer principal then decides.
    const plaintext = security === 'none' || (security !== 'mutual_tls' && principal === undefined);
    const portLabel = label('destination_port');
    const port = portLabel !== undefined && /^\d+$/.test(portLabel) && Number(portLabel) >= 1 && Number(portLabel) <= 65535 ? Number(portLabel) : undefined;
    if (portLabel !== undefined && port === undefined && !UNKNOWN.has(portLabel)) throw new PrometheusFormatError(`${where}: destination_port ${JSON.stringify(portLabel)} is not a port (1-65535)`);
    const flow = {
      ...(sourceNamespace !== undefined && sourceWorkload !== undefined && !UNKNOWN.has(sourceNamespace) && !UNKNOWN.has(sourceWorkload)
        ? { source: `${sourceNamespace}/${sourceWorkload}` } : {}),
      ...(principal !== undefined && !plaintext ? { principal } : {}),
      destination: `${destinationNamespace}/${destinationWorkload}`,
      ...(port !== undefined ? { port } : {}),
      protocol,
      plaintext,
    };
    const key = JSON.stringify(flow);
    let entry = flows.get(key);
    if (!entry) flows.set(key, (entry = { flow, count: 0, codes: {} }));
    entry.count += count;
    const code = label('response_code');
    if (protocol === 'HTTP' && code !== undefined && !UNKNOWN.has(code)) entry.codes[code] = (entry.codes[code] ?? 0) + count;
  });
  return [...flows.values()].map(({ flow, count, codes }) => ({ ...flow, count, responseCodes: codes }));
}

/** Flows of several answers (one per metric, say), merged. */
export function mergeFlows(lists: readonly (readonly ObservedFlow[])[]): ObservedFlow[] {
  const merged = new Map<string, { flow: ObservedFlow; count: number; codes: Record<string, number> }>();
  for (const flows of lists) {
    for (const flow of flows) {
      const { count, responseCodes, ...rest } = flow;
      const key = JSON.stringify(rest);
      let entry = merged.get(key);
      if (!entry) merged.set(key, (entry = { flow, count: 0, codes: {} }));
      entry.count += count;
      for (const [code, n] of Object.entries(responseCodes)) entry.codes[code] = (entry.codes[code] ?? 0) + n;
    }
  }
  return [...merged.values()].map(({ flow, count, codes }) => ({ ...flow, count, responseCodes: codes }));
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
