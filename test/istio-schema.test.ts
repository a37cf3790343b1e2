import { describe, expect, it } from 'vitest';
import { istioCelRules, istioSchemas, validateAgainstSchema, validateIstioObject, validateIstioObjects } from './support/istio-schema';

// Tests of the validator itself (test/support/istio-schema.ts): it must accept what an API server
// with Istio 1.30.3's CRDs accepts and refuse, with the CRD's own message, what it refuses.

const SECURITY = 'security.istio.io/v1';
const NETWORKING = 'networking.istio.io/v1';
const meta = (name: string) => ({ name, namespace: 'shop' });

function peerAuthentication(spec: unknown) {
  return { apiVersion: SECURITY, kind: 'PeerAuthentication', metadata: meta('web'), spec };
}
function authorizationPolicy(spec: unknown) {
  return { apiVersion: SECURITY, kind: 'AuthorizationPolicy', metadata: meta('allow-web'), spec };
}
function destinationRule(spec: unknown) {
  return { apiVersion: NETWORKING, kind: 'DestinationRule', metadata: meta('web'), spec };
}
function serviceEntry(spec: unknown) {
  return { apiVersion: NETWORKING, kind: 'ServiceEntry', metadata: meta('payments-api'), spec };
}

const validPeerAuthentication = peerAuthentication({
  selector: { matchLabels: { app: 'web' } },
  mtls: { mode: 'STRICT' },
  portLevelMtls: { '8080': { mode: 'PERMISSIVE' } },
});
const validAuthorizationPolicy = authorizationPolicy({
  selector: { matchLabels: { app: 'web' } },
  action: 'ALLOW',
  rules: [
    {
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }],
      to: [{ operation: { methods: ['GET'], paths: ['/api/*'], ports: ['8080'] } }],
    },
  ],
});
const validDestinationRule = destinationRule({
  host: 'payments.shop.svc.cluster.local',
  trafficPolicy: {
    tls: { mode: 'ISTIO_MUTUAL' },
    connectionPool: { tcp: { connectTimeout: '1.5s', maxConnections: 100 }, http: { idleTimeout: '1h30m' } },
    loadBalancer: { simple: 'ROUND_ROBIN', warmup: { duration: '30s', minimumPercent: 50, aggression: 1.5 } },
    outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' },
  },
});
const validServiceEntry = serviceEntry({
  hosts: ['api.payments.example.com'],
  location: 'MESH_EXTERNAL',
  resolution: 'DNS',
  ports: [
    { number: 443, name: 'https', protocol: 'TLS' },
    { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 },
  ],
});

/** The validator's verdict, and a check that it contains an error mentioning each expectation. */
function expectErrors(doc: unknown, ...expected: string[]): string[] {
  const errors = validateIstioObject(doc);
  expect(errors.length, 'expected the object to be refused').toBeGreaterThan(0);
  for (const e of expected) expect(errors.some((m) => m.includes(e)), `no error contains ${JSON.stringify(e)}:\n${errors.join('\n')}`).toBe(true);
  return errors;
}

describe('valid objects pass', () => {
  it.each([
    ['PeerAuthentication', validPeerAuthentication],
    ['AuthorizationPolicy', validAuthorizationPolicy],
    ['DestinationRule', validDestinationRule],
    ['ServiceEntry', validServiceEntry],
  ])('%s', (_kind, doc) => {
    expect(validateIstioObject(doc)).toEqual([]);
  });

  it('validateIstioObjects checks every object', () => {
    expect(validateIstioObjects([validPeerAuthentication, validAuthorizationPolicy, validDestinationRule, validServiceEntry])).toEqual([]);
    expect(validateIstioObjects([validServiceEntry, serviceEntry({ hosts: ['*'] })])).toHaveLength(1);
  });

  it('a namespace-wide PeerAuthentication and a DENY-nothing policy need no selector', () => {
    expect(validateIstioObject(peerAuthentication({ mtls: { mode: 'STRICT' } }))).toEqual([]);
    expect(validateIstioObject(authorizationPolicy({}))).toEqual([]);
  });
});

describe('envelope', () => {
  it('refuses an unknown kind or version', () => {
    expectErrors({ ...validPeerAuthentication, apiVersion: 'security.istio.io/v1beta1' }, 'no matches for kind "PeerAuthentication" in version "security.istio.io/v1beta1"');
    expectErrors({ ...validServiceEntry, kind: 'Gateway' }, 'no matches for kind "Gateway"');
  });

  it('requires metadata.name and metadata.namespace, in DNS-1123 form', () => {
    expectErrors({ ...validServiceEntry, metadata: { name: 'x' } }, 'metadata.namespace: Required value');
    expectErrors({ ...validServiceEntry, metadata: { namespace: 'shop' } }, 'metadata.name: Required value');
    expectErrors({ ...validServiceEntry, metadata: { name: 'Payments_API', namespace: 'shop' } }, 'metadata.name: Invalid value: "Payments_API"');
    expectErrors({ ...validServiceEntry, metadata: { name: 'x', namespace: 'shop', labels: { app: 'a b' } } }, 'metadata.labels: Invalid value: "a b"');
  });

  it('refuses unknown top-level and metadata fields (strict field validation)', () => {
    expectErrors({ ...validServiceEntry, specs: {} }, 'unknown field "specs"');
    expectErrors({ ...validServiceEntry, metadata: { ...meta('x'), label: {} } }, 'unknown field "metadata.label"');
  });
});

describe('PeerAuthentication', () => {
  it('portLevelMtls requires a selector (CEL on spec)', () => {
    const errors = expectErrors(peerAuthentication({ mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } }), 'spec: Invalid value: "object": portLevelMtls requires selector');
    expect(errors).toHaveLength(1);
    // an empty matchLabels does not count as a selector
    expectErrors(peerAuthentication({ selector: { matchLabels: {} }, portLevelMtls: { '8080': { mode: 'DISABLE' } } }), 'portLevelMtls requires selector');
  });

  it('portLevelMtls keys must be ports (int(key) on map keys)', () => {
    expectErrors(peerAuthentication({ selector: { matchLabels: { app: 'web' } }, portLevelMtls: { '0': { mode: 'DISABLE' } } }), 'spec.portLevelMtls: Invalid value: "object": port must be between 1-65535');
    expectErrors(peerAuthentication({ selector: { matchLabels: { app: 'web' } }, portLevelMtls: { '65536': { mode: 'DISABLE' } } }), 'port must be between 1-65535');
    // int("http") is an evaluation error in CEL: reported as such, with the rule's message
    expectErrors(peerAuthentication({ selector: { matchLabels: { app: 'web' } }, portLevelMtls: { http: { mode: 'DISABLE' } } }), 'evaluating rule: port must be between 1-65535');
  });

  it('selector labels may not hold wildcards (CEL on a map and on its values)', () => {
    expectErrors(peerAuthentication({ selector: { matchLabels: { app: 'web-*' } } }), 'spec.selector.matchLabels[app]: Invalid value: "string": wildcard not allowed in label value match');
    expectErrors(peerAuthentication({ selector: { matchLabels: { '*': 'web' } } }), 'spec.selector.matchLabels: Invalid value: "object": wildcard not allowed in label key match');
  });

  it('mtls mode is an enum; a blocking error skips the CEL rules, as the API server does', () => {
    const errors = expectErrors(
      peerAuthentication({ mtls: { mode: 'ON' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } }),
      'spec.mtls.mode: Unsupported value: "ON": supported values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT"',
      'some validation rules were not checked',
    );
    expect(errors.join('\n')).not.toContain('portLevelMtls requires selector');
  });
});

describe('AuthorizationPolicy', () => {
  it('selector and targetRef are exclusive (CEL on spec)', () => {
    expectErrors(
      authorizationPolicy({ selector: { matchLabels: { app: 'web' } }, targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'edge' } }),
      'spec: Invalid value: "object": only one of targetRefs or selector can be set',
    );
  });

  it('refuses an unknown field, with its path', () => {
    const doc = authorizationPolicy({ action: 'ALLOW', rules: [{ from: [{ source: { principal: ['cluster.local/ns/shop/sa/frontend'] } }] }] });
    expectErrors(doc, 'spec.rules[0].from[0].source.principal: unknown field "spec.rules[0].from[0].source.principal"');
  });

  it('serviceAccounts excludes principals and namespaces (CEL on a list item)', () => {
    expectErrors(
      authorizationPolicy({ rules: [{ from: [{ source: { serviceAccounts: ['shop/frontend'], namespaces: ['shop'] } }] }] }),
      'spec.rules[0].from[0].source: Invalid value: "object": Cannot set serviceAccounts with namespaces or principals',
    );
  });

  it('targetRef may not cross namespaces (CEL on a string), and follows the schema patterns', () => {
    expectErrors(authorizationPolicy({ targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'edge', namespace: 'other' } }), 'spec.targetRef.namespace: Invalid value: "string": cross namespace referencing is not currently supported');
    expectErrors(authorizationPolicy({ targetRef: { kind: '1Gateway', name: 'edge' } }), 'spec.targetRef.kind: Invalid value: "1Gateway"');
    expect(validateIstioObject(authorizationPolicy({ targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'edge', namespace: '' } }))).toEqual([]);
  });

  it('action is an enum', () => {
    expectErrors(authorizationPolicy({ action: 'REJECT' }), 'spec.action: Unsupported value: "REJECT"');
  });
});

describe('DestinationRule', () => {
  it('tls mode is an enum', () => {
    expectErrors(destinationRule({ host: 'web', trafficPolicy: { tls: { mode: 'STRICT' } } }), 'spec.trafficPolicy.tls.mode: Unsupported value: "STRICT": supported values: "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"');
  });

  it('host is required', () => {
    expectErrors(destinationRule({ trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }), 'spec.host: Required value');
  });

  it('durations must parse and exceed 1ms (duration() in CEL)', () => {
    expectErrors(destinationRule({ host: 'web', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '500us' } } } }), 'spec.trafficPolicy.connectionPool.tcp.connectTimeout: Invalid value: "string": must be a valid duration greater than 1ms');
    expectErrors(destinationRule({ host: 'web', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '5 seconds' } } } }), 'evaluating rule: must be a valid duration greater than 1ms');
    expectErrors(destinationRule({ host: 'web', subsets: [{ name: 'v1', trafficPolicy: { outlierDetection: { interval: '-1s' } } }] }), 'spec.subsets[0].trafficPolicy.outlierDetection.interval');
  });

  it('int32 fields are range-checked and integers (format int32, type integer)', () => {
    expectErrors(destinationRule({ host: 'web', trafficPolicy: { connectionPool: { tcp: { maxConnections: 2 ** 31 } } } }), 'spec.trafficPolicy.connectionPool.tcp.maxConnections: Invalid value: 2147483648');
    expectErrors(destinationRule({ host: 'web', trafficPolicy: { connectionPool: { tcp: { maxConnections: 1.5 } } } }), 'must be of type integer');
  });

  it('a non-nullable null is dropped, a nullable one kept (the API server prunes the former)', () => {
    expect(validateIstioObject(destinationRule({ host: 'web', trafficPolicy: null }))).toEqual([]);
    expect(validateIstioObject(destinationRule({ host: 'web', trafficPolicy: { tls: { insecureSkipVerify: null } } }))).toEqual([]);
  });
});

describe('ServiceEntry', () => {
  it('hosts may not be "*" (CEL on list items)', () => {
    expectErrors(serviceEntry({ hosts: ['api.example.com', '*'] }), 'spec.hosts[1]: Invalid value: "string": hostname cannot be wildcard');
  });

  it('ports must be in 1-65535 (CEL on integers: JSON numbers are CEL ints)', () => {
    expectErrors(serviceEntry({ hosts: ['a.example.com'], ports: [{ number: 70000, name: 'http' }] }), 'spec.ports[0].number: Invalid value: "integer": port must be between 1-65535');
    expectErrors(serviceEntry({ hosts: ['a.example.com'], ports: [{ number: 0, name: 'http' }] }), 'port must be between 1-65535');
    expectErrors(serviceEntry({ hosts: ['a.example.com'], ports: [{ number: 443, name: 'https', targetPort: 65536 }] }), 'spec.ports[0].targetPort');
  });

  it('port numbers and names are unique (CEL exists_one; x-kubernetes-list-type map)', () => {
    expectErrors(
      serviceEntry({ hosts: ['a.example.com'], ports: [{ number: 443, name: 'https' }, { number: 443, name: 'tls' }] }),
      'spec.ports: Invalid value: "array": port number cannot be duplicated',
    );
    expectErrors(serviceEntry({ hosts: ['a.example.com'], ports: [{ number: 443, name: 'https' }, { number: 8443, name: 'https' }] }), 'spec.ports[1]: Duplicate value: {"name":"https"}');
  });

  it('resolution constrains endpoints and CIDR addresses (CEL on spec)', () => {
    expectErrors(serviceEntry({ hosts: ['a.example.com'], resolution: 'NONE', endpoints: [{ address: '10.0.0.1' }] }), 'NONE mode cannot set endpoints');
    expectErrors(serviceEntry({ hosts: ['a.example.com'], resolution: 'DNS', addresses: ['10.0.0.0/24'] }), 'CIDR addresses are allowed only for NONE/STATIC resolution types');
    expect(validateIstioObject(serviceEntry({ hosts: ['a.example.com'], resolution: 'STATIC', addresses: ['10.0.0.0/24'], endpoints: [{ address: '10.0.0.1' }] }))).toEqual([]);
  });

  it('endpoints: address required, UDS rules (startsWith, substring, endsWith)', () => {
    const spec = (endpoint: unknown) => serviceEntry({ hosts: ['a.example.com'], resolution: 'STATIC', endpoints: [endpoint] });
    expectErrors(spec({ labels: { app: 'x' } }), 'spec.endpoints[0]: Invalid value: "object": Address is required');
    expectErrors(spec({ address: 'unix://relative.sock' }), 'UDS must be an absolute path or abstract socket');
    expectErrors(spec({ address: 'unix:///var/run/' }), 'UDS may not be a dir');
    expectErrors(spec({ address: 'unix:///var/run/app.sock', ports: { http: 8080 } }), 'UDS may not include ports');
    expectErrors(spec({ address: '10.0.0.1', ports: { 'bad name': 8080 } }), 'spec.endpoints[0].ports: Invalid value: "object": port name must be valid');
    expect(validateIstioObject(spec({ address: 'unix:///var/run/app.sock' }))).toEqual([]);
    expect(validateIstioObject(spec({ address: '10.0.0.1', ports: { http: 8080 } }))).toEqual([]);
  });

  it('spec and hosts are required', () => {
    expectErrors({ apiVersion: NETWORKING, kind: 'ServiceEntry', metadata: meta('x') }, 'spec: Required value');
    expectErrors(serviceEntry({ ports: [{ number: 443, name: 'https' }] }), 'spec.hosts: Required value');
  });
});

describe('CEL rules', () => {
  /** Every x-kubernetes-validations entry in the schema file, counted without the validator's help. */
  function countRules(node: unknown): number {
    if (Array.isArray(node)) return node.reduce((n: number, item) => n + countRules(item), 0);
    if (node === null || typeof node !== 'object') return 0;
    return Object.entries(node).reduce((n, [k, v]) => n + (k === 'x-kubernetes-validations' ? (v as unknown[]).length : countRules(v)), 0);
  }

  it('every rule of the four kinds compiles (parses and type-checks against its typed self) with cel-js', () => {
    const rules = istioCelRules();
    expect(rules.length).toBe(countRules(istioSchemas()));
    expect(rules.length).toBeGreaterThan(60);
    expect(rules.filter((r) => r.status === 'error')).toEqual([]);
    // Istio 1.30.3 has no transition rules (oldSelf); Gateway API 1.6.1 has one, skipped on create
    // like the API server does. If a bump adds some, look at them.
    expect(rules.filter((r) => r.status === 'transition').map((r) => `${r.kind} ${r.path}: ${r.rule}`))
      .toEqual(['gateway.networking.k8s.io/v1/GatewayClass spec.controllerName: self == oldSelf']);
    expect(new Set(rules.map((r) => r.kind))).toEqual(new Set(Object.keys(istioSchemas())));
  });

  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { port: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'isIP(string(self))', message: 'must be an IP' }] } },
        'x-kubernetes-validations': [
          { rule: 'self.port == oldSelf.port', message: 'immutable' },
          { rule: 'self.port > 1' },
          { rule: 'self.port + "x" == "1x"', message: 'not well typed' },
        ],
      },
    },
  };

  it('types self from the schema: JSON numbers are ints or doubles, names are escaped like the API server does', () => {
    const typed = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            count: { type: 'integer' },
            ratio: { type: 'number' },
            namespace: { type: 'string' },
            'max-size': { type: 'integer' },
            mixed: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          },
          'x-kubernetes-validations': [
            // int and double do not mix in typed CEL: each side must be what the schema says
            { rule: 'self.count == 2 && self.count / 2 == 1', message: 'count is an int' },
            { rule: 'self.ratio == 2.0 && self.ratio / 4.0 == 0.5', message: 'ratio is a double' },
            { rule: "self.__namespace__ == '' && self.max__dash__size == 7", message: 'escaped names' },
            { rule: 'self.mixed == dyn(3) || self.mixed == dyn("3")', message: 'int-or-string is dyn' },
          ],
        },
      },
    };
    const doc = (mixed: unknown) => ({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: { count: 2, ratio: 2, namespace: '', 'max-size': 7, mixed } });
    expect(validateAgainstSchema(doc(3), typed)).toEqual([]);
    expect(validateAgainstSchema(doc('3'), typed)).toEqual([]);
    expect(validateAgainstSchema(doc(4), typed)).toEqual(['spec: Invalid value: "object": int-or-string is dyn']);
    expect(validateAgainstSchema(doc(true), typed)).toEqual(expect.arrayContaining([expect.stringContaining('spec.mixed: Invalid value: true: spec.mixed in body must be of type integer or string')]));
  });

  it('types date-time strings as CEL timestamps and base64 strings as bytes', () => {
    const formats = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { notAfter: { type: 'string', format: 'date-time' }, key: { type: 'string', format: 'byte' } },
          'x-kubernetes-validations': [
            { rule: "self.notAfter < timestamp('2030-01-01T00:00:00Z')", message: 'expires too late' },
            { rule: 'size(self.key) == 3', message: 'key is 3 bytes' },
          ],
        },
      },
    };
    const doc = (notAfter: string) => ({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: { notAfter, key: 'AQID' } });
    expect(validateAgainstSchema(doc('2029-12-31T23:59:59Z'), formats)).toEqual([]);
    expect(validateAgainstSchema(doc('2031-01-01T00:00:00Z'), formats)).toEqual(['spec: Invalid value: "object": expires too late']);
    expect(validateAgainstSchema(doc('soon'), formats)).toEqual([
      'spec.notAfter: Invalid value: "soon": spec.notAfter in body must match format "date-time"',
      expect.stringMatching(/^spec: Invalid value: "object": .* evaluating rule: expires too late$/),
    ]);
  });

  it('refuses schema features it does not emulate instead of ignoring them', () => {
    const withFormat = { type: 'object', properties: { spec: { type: 'object', properties: { timeout: { type: 'string', format: 'duration' } } } } };
    expect(() => validateAgainstSchema({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: {} }, withFormat)).toThrow('format "duration" is not emulated');
    const embedded = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-embedded-resource': true } } };
    expect(() => validateAgainstSchema({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('y'), spec: {} }, embedded)).toThrow('is not emulated');
  });

  it('applies schema defaults before validating, as the API server does (Gateway API uses them)', () => {
    const withDefault = { type: 'object', properties: { spec: { type: 'object', properties: { mode: { type: 'string', default: 'LOOSE', enum: ['STRICT'] } } } } };
    expect(validateAgainstSchema({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: {} }, withDefault).join('\n')).toContain('spec.mode: Unsupported value: "LOOSE"');
    expect(validateAgainstSchema({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: { mode: 'STRICT' } }, withDefault)).toEqual([]);
  });

  it('status keeps unknown fields (x-kubernetes-preserve-unknown-fields) and checks int-or-string', () => {
    expect(validateIstioObject({ ...validServiceEntry, status: { observedGeneration: 3, anything: { goes: true } } })).toEqual([]);
    expectErrors({ ...validServiceEntry, status: { observedGeneration: 1.5 } }, 'status.observedGeneration: Invalid value: 1.5');
  });

  it('a rule cel-js cannot compile is an error on every object that reaches it, never a silent pass', () => {
    const errors = validateAgainstSchema({ apiVersion: 'test/v1', kind: 'Custom', metadata: meta('x'), spec: { port: 1 } }, schema);
    expect(errors).toEqual([
      'spec: Invalid value: "object": failed rule: self.port > 1',
      expect.stringMatching(/^spec: Invalid value: "object": rule could not be compiled by cel-js, so it was not evaluated \(.*\): not well typed$/),
      expect.stringMatching(/^spec\.port: Invalid value: "integer": rule could not be compiled by cel-js, so it was not evaluated \(.*isIP.*\): must be an IP$/),
    ]);
    // the transition rule (oldSelf) is skipped: it only runs on update
    expect(errors.join('\n')).not.toContain('immutable');
  });
});

describe('Gateway API v1.6.1 (waypoints of ambient namespaces)', () => {
  const waypoint = (spec: unknown) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'payments', labels: { 'istio.io/waypoint-for': 'service' } }, spec });

  it('accepts the waypoint the compiler emits', () => {
    expect(validateIstioObject(waypoint({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] }))).toEqual([]);
  });

  it('refuses what the Gateway CRD refuses, with its messages', () => {
    expectErrors(waypoint({ listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] }), 'spec.gatewayClassName: Required value');
    expectErrors(waypoint({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 70000, protocol: 'HBONE' }] }), 'spec.listeners[0].port');
    expectErrors(waypoint({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }, { name: 'mesh', port: 15009, protocol: 'HBONE' }] }), 'spec.listeners');
  });

  it('refuses an AuthorizationPolicy with both a selector and targetRefs (Istio\'s CEL rule)', () => {
    expectErrors(authorizationPolicy({ selector: { matchLabels: { app: 'web' } }, targetRefs: [{ group: '', kind: 'Service', name: 'web' }] }), 'targetRef');
  });
});
