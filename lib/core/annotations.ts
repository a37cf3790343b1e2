// Annotations the compiler writes and the analyzer reads. Kept apart from the compiler so that the
// analyzer can name them without loading the generated Istio classes.

/** The construct(s) that declared an object, as a JSON list; one entry per rule for policies. */
export const DECLARED_BY_ANNOTATION = 'zero-trust.dev/declared-by';
/** Istio's annotation for a policy that is evaluated and logged but not enforced. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
