// Constructs
export * from './types';
export * from './peer';
export * from './zero-trust-mesh';
export * from './zero-trust-namespace';
export * from './workload';
export * from './allow-edge';
export type { IAllowEdge } from './edge-declaration';
export * from './external-mtls-service';
export * from './client-tls-policy';
// The pure core: usable without a construct tree
export * from './core/model';
export { compileMesh, CompiledMesh, IstioDocument, DECLARED_BY_ANNOTATION, DRY_RUN_ANNOTATION } from './core/compile';
export { validateMesh, ValidationIssue, ZeroTrustValidationError } from './core/validate';
