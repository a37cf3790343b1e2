// Which objects this library made. A peer, a destination or a client is only accepted when it was
// made here: a hand-made object has no checked values behind it, and its `_toSource()` could
// return anything (a `source` that is not even an object reached the YAML before this check).
// WeakSets, so that nothing here keeps a construct tree alive.

const peers = new WeakSet<object>();
const declaredWorkloads = new WeakSet<object>();
const importedWorkloads = new WeakSet<object>();

/** Records a peer made by `Peer.*`, a ZeroTrustNamespace or a workload. @internal */
export function brandPeer<T extends object>(peer: T): T {
  peers.add(peer);
  return peer;
}

/** Records a workload declared with `addWorkload` (a destination). @internal */
export function brandDeclaredWorkload<T extends object>(workload: T): T {
  declaredWorkloads.add(workload);
  return brandPeer(workload);
}

/** Records a workload made by `Workload.fromAttributes` (a source only). @internal */
export function brandImportedWorkload<T extends object>(workload: T): T {
  importedWorkloads.add(workload);
  return brandPeer(workload);
}

export function isLibraryPeer(x: unknown): boolean {
  return typeof x === 'object' && x !== null && peers.has(x);
}

export function isLibraryWorkload(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (declaredWorkloads.has(x) || importedWorkloads.has(x));
}

export function isDeclaredWorkload(x: unknown): boolean {
  return typeof x === 'object' && x !== null && declaredWorkloads.has(x);
}

/** Same brand as ZeroTrustMesh.isZeroTrustMesh, read here without importing the construct. */
export function isZeroTrustMesh(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[Symbol.for('istio-zero-trust.ZeroTrustMesh')] === true;
}
