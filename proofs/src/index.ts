/**
 * `@mnemo/proofs`: gradient checking as a library (`gradcheck`,
 * `gradgradcheck`, BPTT reports, `proveCell`) and the fast-check arbitraries
 * the project's own property suites are built from.
 *
 * @packageDocumentation
 */
export * from './gradcheck.js';
