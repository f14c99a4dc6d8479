/**
 * `@mnemo/proofs`: gradient checking as a library (`gradcheck`,
 * `gradgradcheck`, BPTT reports, `proveCell`) and the fast-check arbitraries
 * the project's own property suites are built from.
 *
 * @packageDocumentation
 */
export {
  gradcheck,
  gradgradcheck,
  assertGradcheck,
  GradcheckError,
  GRADCHECK_DEFAULTS,
  GRADCHECK_FLOAT32_DEFAULTS,
  type GradcheckMode,
  type GradcheckOptions,
  type GradcheckSettings,
  type GradcheckReport,
  type GradcheckFailure,
  type GradcheckResult,
  type InputReport,
  type ElementComparison,
  type KinkPoint,
} from './gradcheck.js';
export * from './arbitraries.js';
export * from './bptt.js';
export * from './prove.js';
