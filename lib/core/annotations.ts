// Annotations the compiler writes and the analyzer reads. Kept apart from the compiler so that the
// analyzer can name them without loading the generated Istio classes.

/** The construct(s) that declared an object, as a JSON list; one entry per rule for policies. */
export const DECLARED_BY_ANNOTATION = 'zero-trust.dev/declared-by';
/**
 * Marks the enforced ALLOW policy that stands in for audited (dry-run) rules: it admits what they
 * would deny, so that auditing removes nothing. It is not part of the declared policy: the analyzer
 * leaves it out when it evaluates "every policy enforced". The value says what is audited.
 */
export const AUDIT_STAND_IN_ANNOTATION = 'zero-trust.dev/audit-stand-in';
/** Istio's annotation for a policy that is evaluated and logged but not enforced. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
/** The data plane a namespace's policies were compiled for (on its `default` PeerAuthentication). */
export const DATAPLANE_ANNOTATION = 'zero-trust.dev/dataplane';
/**
 * Labels that objects this compiler does not own must carry for the output to take effect (ambient
 * namespaces), as JSON: `{"Namespace/<ns>": {...}, "Service/<ns>/<name>": {...}}`.
 */
export const REQUIRED_LABELS_ANNOTATION = 'zero-trust.dev/required-labels';

/** Istio's labels for ambient mode. */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
export const INGRESS_USE_WAYPOINT_LABEL = 'istio.io/ingress-use-waypoint';
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
/** The GatewayClass of Istio's waypoints. */
export const WAYPOINT_CLASS = 'istio-waypoint';
