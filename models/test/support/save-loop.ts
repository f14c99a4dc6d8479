/**
 * The fault suite's victim: saves checkpoints of one run directory in a loop,
 * alternating two valid states (the run's own, and its parameters halved),
 * until it is killed (`kill -9`). It prints `ready` after its first save.
 * Run with tsx: `save-loop.ts <run dir>`. It imports only the checkpoint
 * writer, so that it starts quickly.
 */
import { mul, tree, type Tree } from '@mnemo/autodiff';
import { loadParamsOrThrow, type OptState } from '@mnemo/nn';
import { saveCheckpoint } from '../../src/training/checkpoint.js';

const dir = process.argv[2]!;
const file = loadParamsOrThrow(`${dir}/checkpoint.json`);
const held = file.params as { model: Tree; carry: Tree };
const meta = file.metadata as { task: string; seed: number; step: number };
const a = { params: held.model, optState: file.optimizer as OptState, step: meta.step, carry: held.carry };
const b = { ...a, params: tree.map(a.params, (x) => mul(x, 0.5)) };
saveCheckpoint(dir, a, meta);
process.stdout.write('ready\n');
for (let i = 1; ; i++) saveCheckpoint(dir, i % 2 === 0 ? a : b, meta);
