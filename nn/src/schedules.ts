/**
 * Learning-rate schedules: pure functions from the update count to a
 * learning rate. An optimizer's `lr` is a number or a {@link Schedule}; the
 * update that turns state step `k` into `k + 1` (the first update has
 * `k = 0`) uses `schedule(k)`.
 *
 * Schedules compose: {@link warmup} puts a linear warm-up in front of any
 * schedule, and {@link join} runs schedules one after another, each seeing
 * the steps counted from its own start.
 *
 * Re-exported from `@mnemo/nn` as the namespace `schedules`.
 *
 * @module
 */
import { ArgumentError, checkOptions, formatValue } from '@mnemo/core';

/**
 * A learning-rate schedule: the learning rate for the update made at step
 * `step` (0 for the first update).
 *
 * @example
 * ```ts
 * import type { Schedule } from '@mnemo/nn';
 * const halveEvery100: Schedule = (step) => 0.1 * 0.5 ** Math.floor(step / 100);
 * console.assert(halveEvery100(150) === 0.05);
 * ```
 * @category Schedules
 */
export type Schedule = (step: number) => number;

function finite(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(op, arg, `must be a finite number, got ${formatValue(v)}`);
  return v;
}

function positiveInt(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ArgumentError(op, arg, `must be a positive integer, got ${formatValue(v)}`);
  return v;
}

function checkStep(op: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new ArgumentError(op, 'step', `must be a non-negative integer, got ${formatValue(step)}`);
  return step;
}

/**
 * A schedule, or a number meaning a constant schedule.
 *
 * @example
 * ```ts
 * import { schedules, type LearningRate } from '@mnemo/nn';
 * const a: LearningRate = 1e-3;
 * const b: LearningRate = schedules.cosine({ initial: 1e-3, steps: 100 });
 * console.assert(schedules.of(a)(5) === 1e-3 && schedules.of(b)(0) === 1e-3);
 * ```
 * @category Schedules
 */
export type LearningRate = number | Schedule;

/**
 * The schedule a {@link LearningRate} stands for: a number becomes a {@link
 * constant} schedule, a schedule is returned as it is.
 *
 * @param lr - A number or a schedule.
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `lr` is a number that is not finite; the schedule
 *   it returns throws one when called with a step that is not a non-negative
 *   integer. A schedule of yours is wrapped so that a step giving something other
 *   than a number throws one too.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * console.assert(schedules.of(0.1)(1000) === 0.1 && schedules.of((k) => 1 / (k + 1))(1) === 0.5);
 * ```
 * @category Schedules
 */
export function of(lr: LearningRate): Schedule {
  if (typeof lr !== 'function') return constant(lr);
  return (step) => {
    const v: unknown = lr(step);
    if (typeof v !== 'number') throw new ArgumentError('schedule', 'lr', `the schedule gave ${formatValue(v)} at step ${formatValue(step)}; expected a number`);
    return v;
  };
}

/**
 * A schedule that gives the same learning rate at every step, the schedule a
 * plain number stands for.
 *
 * @param value - The rate.
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `value` is not finite; the schedule it returns
 *   throws one when called with a step that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * console.assert(schedules.constant(0.01)(7) === 0.01);
 * ```
 * @category Schedules
 */
export function constant(value: number): Schedule {
  const v = finite('schedules.constant', 'value', value);
  return (step) => (checkStep('schedules.constant', step), v);
}

/**
 * Step decay (PyTorch's `StepLR`): `initial * gamma ^ floor(step / every)`.
 *
 * @param opts - `initial` rate, `every` (steps between decays, a positive integer)
 *   and `gamma` (the factor).
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `opts` is not an object, `initial` or `gamma` is
 *   not finite or `every` is not a positive integer; the schedule it returns
 *   throws one when called with a step that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const s = schedules.stepDecay({ initial: 1, every: 10, gamma: 0.5 });
 * console.assert(s(9) === 1 && s(10) === 0.5 && s(25) === 0.25);
 * ```
 * @category Schedules
 */
export function stepDecay(opts: { readonly initial: number; readonly every: number; readonly gamma: number }): Schedule {
  const op = 'schedules.stepDecay';
  const options = checkOptions(op, 'options', opts);
  const initial = finite(op, 'initial', options.initial);
  const every = positiveInt(op, 'every', options.every);
  const gamma = finite(op, 'gamma', options.gamma);
  return (step) => initial * gamma ** Math.floor(checkStep(op, step) / every);
}

/**
 * Exponential decay (PyTorch's `ExponentialLR`): `initial * gamma ^ step`, a
 * factor of `gamma` per step.
 *
 * @param opts - `initial` rate and `gamma` (the factor per step).
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `opts` is not an object or `initial` or `gamma` is
 *   not finite; the schedule it returns throws one when called with a step that is
 *   not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * console.assert(schedules.exponential({ initial: 1, gamma: 0.5 })(3) === 0.125);
 * ```
 * @category Schedules
 */
export function exponential(opts: { readonly initial: number; readonly gamma: number }): Schedule {
  const op = 'schedules.exponential';
  const options = checkOptions(op, 'options', opts);
  const initial = finite(op, 'initial', options.initial);
  const gamma = finite(op, 'gamma', options.gamma);
  return (step) => initial * gamma ** checkStep(op, step);
}

/**
 * Linear interpolation from `from` at step 0 to `to` at step `steps`, then
 * constant at `to`: `from + (to - from) * min(step, steps) / steps`.
 *
 * @param opts - `from` (the rate at step 0), `to` (from step `steps` on) and
 *   `steps` (a positive integer).
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `opts` is not an object, `from` or `to` is not
 *   finite or `steps` is not a positive integer; the schedule it returns throws
 *   one when called with a step that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const s = schedules.linear({ from: 1, to: 0, steps: 4 });
 * console.assert(s(0) === 1 && s(1) === 0.75 && s(4) === 0 && s(9) === 0);
 * ```
 * @category Schedules
 */
export function linear(opts: { readonly from: number; readonly to: number; readonly steps: number }): Schedule {
  const op = 'schedules.linear';
  const options = checkOptions(op, 'options', opts);
  const from = finite(op, 'from', options.from);
  const to = finite(op, 'to', options.to);
  const steps = positiveInt(op, 'steps', options.steps);
  return (step) => from + ((to - from) * Math.min(checkStep(op, step), steps)) / steps;
}

/**
 * Cosine annealing (Loshchilov and Hutter 2017, without restarts; the closed
 * form of PyTorch's `CosineAnnealingLR` with `T_max = steps`,
 * `eta_min = final`): `final + (initial - final) (1 + cos(pi min(step, steps) / steps)) / 2`,
 * then constant at `final`.
 *
 * @param opts - `initial` rate, `steps` (a positive integer) and `final` (default
 *   0).
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `opts` is not an object, `initial` or `final` is
 *   not finite or `steps` is not a positive integer; the schedule it returns
 *   throws one when called with a step that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const s = schedules.cosine({ initial: 1, steps: 10 });
 * console.assert(s(0) === 1 && Math.abs(s(5) - 0.5) < 1e-15 && s(10) === 0);
 * ```
 * @category Schedules
 */
export function cosine(opts: { readonly initial: number; readonly steps: number; readonly final?: number }): Schedule {
  const op = 'schedules.cosine';
  const options = checkOptions(op, 'options', opts);
  const initial = finite(op, 'initial', options.initial);
  const steps = positiveInt(op, 'steps', options.steps);
  const final = finite(op, 'final', options.final ?? 0);
  return (step) => {
    const k = Math.min(checkStep(op, step), steps);
    if (k === steps) return final;
    return final + ((initial - final) * (1 + Math.cos((Math.PI * k) / steps))) / 2;
  };
}

/**
 * A linear warm-up in front of a schedule: for `step < steps` the rate is
 * `after(0) * (step + 1) / steps` (so the first update already moves, and
 * update `steps - 1` uses the full rate); from then on it is
 * `after(step - steps)`, so the following schedule starts from its own step 0.
 *
 * @param steps - The length of the warm-up, a positive integer.
 * @param after - The schedule (or rate) that follows.
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `steps` is not a positive integer or `after` is a
 *   number that is not finite; the schedule it returns throws one when called with
 *   a step that is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const s = schedules.warmup(4, schedules.cosine({ initial: 1, steps: 10 }));
 * console.assert(s(0) === 0.25 && s(3) === 1 && s(4) === 1 && s(14) === 0);
 * ```
 * @category Schedules
 */
export function warmup(steps: number, after: LearningRate): Schedule {
  const op = 'schedules.warmup';
  const n = positiveInt(op, 'steps', steps);
  const next = of(after);
  return (step) => {
    const k = checkStep(op, step);
    return k < n ? (next(0) * (k + 1)) / n : next(k - n);
  };
}

/**
 * Run schedules one after another: `join([a, b, c], [100, 300])` uses `a`
 * for steps 0-99, `b` for 100-299 (as `b(step - 100)`), and `c` from 300 on
 * (as `c(step - 300)`). `boundaries` are increasing and one fewer than the
 * schedules.
 *
 * @param parts - The schedules (or rates), at least one.
 * @param boundaries - The steps where each next one starts: positive, increasing,
 *   one fewer than `parts`.
 * @returns A {@link Schedule}.
 * @throws ArgumentError - when `parts` is empty, `boundaries` has the wrong
 *   length, or a boundary is not a positive integer above the one before; the
 *   schedule it returns throws one when called with a step that is not a
 *   non-negative integer.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const s = schedules.join([0.1, schedules.linear({ from: 0.1, to: 0, steps: 10 })], [5]);
 * console.assert(s(4) === 0.1 && s(5) === 0.1 && s(10) === 0.05);
 * ```
 * @category Schedules
 */
export function join(parts: readonly LearningRate[], boundaries: readonly number[]): Schedule {
  const op = 'schedules.join';
  if (!Array.isArray(parts) || parts.length === 0) throw new ArgumentError(op, 'parts', 'needs at least one schedule');
  if (!Array.isArray(boundaries) || boundaries.length !== parts.length - 1) {
    throw new ArgumentError(op, 'boundaries', `needs ${parts.length - 1} boundaries for ${parts.length} schedules, got ${Array.isArray(boundaries) ? boundaries.length : formatValue(boundaries)}`);
  }
  boundaries.forEach((b, i) => {
    positiveInt(op, `boundaries[${i}]`, b);
    if (i > 0 && !(b > boundaries[i - 1]!)) throw new ArgumentError(op, 'boundaries', `must increase, got ${formatValue(boundaries)}`);
  });
  const fs = parts.map(of);
  return (step) => {
    const k = checkStep(op, step);
    let i = 0;
    while (i < boundaries.length && k >= boundaries[i]!) i++;
    return fs[i]!(i === 0 ? k : k - boundaries[i - 1]!);
  };
}
