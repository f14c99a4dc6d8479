import fc from 'fast-check';

// Property tests draw from one fixed seed by default, so a run of `npm test`
// is reproducible; FAST_CHECK_SEED=<n> replays another seed, and
// FAST_CHECK_SEED=random draws a fresh one (print it with a failure's report).
const seed = process.env['FAST_CHECK_SEED'];
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20261127 : Number(seed) });
