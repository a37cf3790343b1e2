// Every failure the command line expects ends as one line on stderr and exit code 2, never a
// stack trace: a missing folder, YAML that does not parse, an unknown workload, a bad git ref.
import { ConfigError, GraphTooLargeError, UnknownWorkloadError } from '../analyzer';

/** A user error with a message fit for one line. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT_OK = 0;
/** `diff --fail-on-widen` found a change that admits more. */
export const EXIT_WIDENED = 1;
export const EXIT_ERROR = 2;
/** `explain --expect` got another verdict (UNDECIDED included), as `kubectl auth can-i` exits 1 on "no". */
export const EXIT_UNEXPECTED = 1;

/** The one-line message for an error; unexpected errors keep their message, not their stack. */
export function errorLine(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof UnknownWorkloadError || error instanceof GraphTooLargeError) return error.message;
  if (error instanceof Error && error.name === 'ZeroTrustValidationError') return error.message.split('\n').join(' ');
  if (error instanceof Error && error.name === 'PrometheusFormatError') return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `unexpected error: ${message.split('\n')[0]} (set ZERO_TRUST_DEBUG=1 for details)`;
}
