/**
 * Shared by the proof suites: how many fast-check runs (PROOFS_RUNS raises
 * the default for a long run) and turning a gradcheck result into a thrown
 * error that fast-check reports with the counterexample.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { GradcheckResult } from '@mnemo/proofs';

/**
 * Runs for a property: `base` by default, scaled by PROOFS_RUNS / 200 when
 * that variable is set (PROOFS_RUNS=2000 gives ten times the default runs
 * everywhere).
 */
export function runs(base: number): number {
  const env = process.env['PROOFS_RUNS'];
  if (env === undefined || env === '') return base;
  const n = Number(env);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`PROOFS_RUNS must be a positive number, got ${env}`);
  return Math.max(1, Math.round((base * n) / 200));
}

/** The report of a passing check; throws the failure's message otherwise. */
export function passes(r: GradcheckResult, context = ''): true {
  if (E.isLeft(r)) throw new Error(`${context}${context === '' ? '' : '\n'}${r.left.kind}: ${r.left.message}`);
  if (r.right.checked === 0) throw new Error(`${context}: nothing was compared`);
  return true;
}
