// Importing this module registers toAllow/toDeny with vitest's expect:
//   import '../lib/testing';
import { expect } from 'vitest';
import { zeroTrustMatchers } from './matchers';

expect.extend(zeroTrustMatchers);

export { expandCallers, zeroTrustMatchers } from './matchers';
export type { RequestOptions, ZeroTrustMatchers } from './matchers';
