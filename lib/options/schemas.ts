// The options of every public entry point, as schemas checked at run time. TypeScript checks the
// options only for callers that type-check; `cdk8s synth` runs through `ts-node --swc` (no type
// check), and JavaScript or values read from files reach the constructors unchecked. A misspelt
// key would silently drop a limit (`method: ['GET']` allows every method), and a string where a
// list belongs would be iterated letter by letter, so each schema is strict: unknown keys, wrong
// types, null, NaN and Infinity are refused before any value is used.
//
// The documented option interfaces stay next to their constructs; the assertions at the end of this
// file make `tsc` fail when a schema and its interface disagree, so a new option cannot be added to
// one and forgotten in the other. Value rules (DNS names, ports, paths) are the checks of
// lib/core/values.ts, shared with the model validator, applied by the constructs to the parsed
// values.
import { z } from 'zod';
import type { AllowEdgeProps } from '../allow-edge';
import type { ClientTlsPolicyProps } from '../client-tls-policy';
import type { ExternalMtlsServiceProps } from '../external-mtls-service';
import type { IPeer, ServiceAccountPeerOptions } from '../peer';
import { ClientTlsMode, Dataplane, EdgeOptions, Enforcement, ExternalProtocol, MtlsMode, PlaintextException, Waypoint, WorkloadPort } from '../types';
import type { IWorkload, WorkloadAttributes, WorkloadOptions } from '../workload';
import type { ZeroTrustMesh, ZeroTrustMeshProps } from '../zero-trust-mesh';
import type { ZeroTrustNamespaceProps } from '../zero-trust-namespace';
import { isLibraryPeer, isLibraryWorkload, isZeroTrustMesh } from './brands';
import { describeValue } from './check';

/** A value in a custom message: strings quoted, like the messages of lib/core/values.ts. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
}

/** One of the values of a string enum, named the way users write it (`MtlsMode.STRICT`). */
function oneOf<E extends Record<string, string>>(values: E, name: string, article = 'a') {
  const list = Object.values(values);
  return z.custom<E[keyof E]>((v) => list.includes(v as string), {
    error: (issue) => `${show(issue.input)} is not ${article} ${name}: use ${Object.keys(values).map((k) => `${name}.${k}`).join(', ')}`,
  });
}

const text = z.string();
/** Finite numbers only (zod refuses NaN and Infinity); the port range is checked by checkPort. */
const number = z.number();
const list = <T extends z.ZodType>(item: T) => z.array(item);

export const mtlsMode = oneOf(MtlsMode, 'MtlsMode', 'an');
export const enforcement = oneOf(Enforcement, 'Enforcement', 'an');
export const clientTlsMode = oneOf(ClientTlsMode, 'ClientTlsMode');
export const externalProtocol = oneOf(ExternalProtocol, 'ExternalProtocol', 'an');
export const dataplane = oneOf(Dataplane, 'Dataplane');

export const waypoint = z.custom<Waypoint>((v) => v instanceof Waypoint, {
  error: (issue) => `must be Waypoint.named(name) or Waypoint.NONE, got ${show(issue.input)}`,
});

export const peer = z.custom<IPeer>(isLibraryPeer, {
  error: (issue) => 'must be a workload, a ZeroTrustNamespace or a Peer made by this library (Workload.fromAttributes(...), ' +
    `Peer.serviceAccount(...), Peer.namespace(...), Peer.anyAuthenticated()), got ${show(issue.input)}`,
});

export const workload = z.custom<IWorkload>(isLibraryWorkload, {
  error: (issue) => `must be a workload made by namespace.addWorkload(...) or Workload.fromAttributes(...), got ${show(issue.input)}`,
});

export const mesh = z.custom<ZeroTrustMesh>(isZeroTrustMesh, {
  error: (issue) => `must be a ZeroTrustMesh (the mesh the namespace belongs to), got ${show(issue.input)}`,
});

export const workloadPort = z.custom<WorkloadPort>((v) => v instanceof WorkloadPort, {
  error: (issue) => `must be a WorkloadPort (WorkloadPort.http(8080), .http2(...), .grpc(...) or .tcp(...)), got ${show(issue.input)}`,
});

export const labels = z.record(text, text);

export const meshProps = z.strictObject({
  trustDomain: text.optional(),
  rootNamespace: text.optional(),
  mtls: mtlsMode.optional(),
  clusterDomain: text.optional(),
  dataplane: dataplane.optional(),
});

export const namespaceProps = z.strictObject({
  mesh,
  mtls: mtlsMode.optional(),
  denyFromNamespaces: list(text).optional(),
  enforcement: enforcement.optional(),
  acceptPlaintextBypass: z.boolean().optional(),
  labels: labels.optional(),
  dataplane: dataplane.optional(),
  waypoint: waypoint.optional(),
});

export const edgeOptions = z.strictObject({
  methods: list(text).optional(),
  paths: list(text).optional(),
  ports: list(number).optional(),
  enforcement: enforcement.optional(),
});

export const allowEdgeProps = z.strictObject({
  ...edgeOptions.shape,
  from: peer,
  to: workload,
});

export const plaintextException = z.strictObject({
  port: number,
  methods: list(text).optional(),
  paths: list(text).optional(),
  ipBlocks: list(text).optional(),
  acceptIdentityBypass: z.boolean().optional(),
});

export const workloadOptions = z.strictObject({
  enforcement: enforcement.optional(),
  serviceAccount: text.optional(),
  labels: labels.optional(),
  mtls: mtlsMode.optional(),
  plaintextPorts: list(number).optional(),
  plaintextIpBlocks: list(text).optional(),
  plaintext: list(plaintextException).optional(),
  ports: list(workloadPort).optional(),
});

export const workloadAttributes = z.strictObject({
  namespace: text,
  name: text,
  serviceAccount: text.optional(),
  trustDomain: text.optional(),
});

export const serviceAccountPeerOptions = z.strictObject({
  trustDomain: text.optional(),
});

export const externalMtlsServiceProps = z.strictObject({
  host: text,
  port: number.optional(),
  appPort: number.optional(),
  protocol: externalProtocol.optional(),
  clients: list(workload),
  clientCertificate: text.optional(),
  privateKey: text.optional(),
  caCertificates: text.optional(),
  credentialName: text.optional(),
  sni: text.optional(),
  subjectAltNames: list(text).optional(),
});

export const clientTlsPolicyProps = z.strictObject({
  workload,
  mode: clientTlsMode,
  service: text.optional(),
});

/** A positional argument that must be a string (a name) or a number (a port). */
export const name = text;
export const portNumber = number;

// ---------------------------------------------------------------------------------------------
// Each schema accepts exactly its documented interface: same keys, compatible types. `tsc` fails
// here when one of them changes without the other.

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? ([keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false) : false) : false;
type Input<S extends z.ZodType> = z.input<S>;
const agree = <T extends true>(): T | undefined => undefined;

agree<Same<Input<typeof meshProps>, ZeroTrustMeshProps>>();
agree<Same<Input<typeof namespaceProps>, ZeroTrustNamespaceProps>>();
agree<Same<Input<typeof edgeOptions>, EdgeOptions>>();
agree<Same<Input<typeof allowEdgeProps>, AllowEdgeProps>>();
agree<Same<Input<typeof workloadOptions>, WorkloadOptions>>();
agree<Same<Input<typeof plaintextException>, PlaintextException>>();
agree<Same<Input<typeof workloadAttributes>, WorkloadAttributes>>();
agree<Same<Input<typeof serviceAccountPeerOptions>, ServiceAccountPeerOptions>>();
agree<Same<Input<typeof externalMtlsServiceProps>, ExternalMtlsServiceProps>>();
agree<Same<Input<typeof clientTlsPolicyProps>, ClientTlsPolicyProps>>();
