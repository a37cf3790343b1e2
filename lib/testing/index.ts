// Vitest matchers for a team's own invariants, the package's `istio-zero-trust/testing` entry:
//
//   import { expect } from 'vitest';
//   import { zeroTrustMatchers } from 'istio-zero-trust/testing';
//   expect.extend(zeroTrustMatchers);
//
// This module does not import vitest itself: vitest refuses to be loaded through require(), and the
// package is CommonJS. Registering is the caller's one line (in a test or a vitest setup file);
// the TypeScript types for `expect(...).toAllow` come with this module.
export { expandCallers, zeroTrustMatchers } from './matchers';
export type { RequestOptions, ZeroTrustMatchers } from './matchers';
