/**
 * The fault suite's victim: saves checkpoints of one run directory in a loop,
 * alternating two valid states (the run's own, and its parameters halved),
 * until it is killed (`kill -9`). It prints `ready` after its first save.
 * Run with tsx: `save-loop.ts <run dir>`. It imports only the checkpoint
 * writer, so that it starts quickly.
 */
import * as fs from 'node:fs';
import { mul, tree, type Tree } from '@mnemo/autodiff';
import type { OptState } from '@mnemo/nn';
import { loadParamsOrThrow } from '@mnemo/nn/node';
import { saveCheckpoint } from '../../src/training/checkpoint.js';

const dir = process.argv[2]!;
const file = loadParamsOrThrow(`${dir}/checkpoint.json`);
const held = file.params as { model: Tree; carry: Tree };
const meta = file.metadata as { task: string; seed: number; step: number };
const a = { params: held.model, optState: file.optimizer as OptState, step: meta.step, carry: held.carry };
const b = { ...a, params: tree.map(a.params, (x) => mul(x, 0.5)) };
// The real file system, with writes in chunks of 4 KiB and a short pause after each, so that a kill
// often lands while the temporary file is half written (encoding the file would otherwise take most of the time).
const slow = {
  ...fs,
  writeSync: ((fd: number, buffer: Uint8Array, offset: number, length: number) => {
    const n = fs.writeSync(fd, buffer, offset, Math.min(length, 4096));
    const until = performance.now() + 0.3;
    while (performance.now() < until);
    return n;
  }) as typeof fs.writeSync,
};
saveCheckpoint(dir, a, meta, slow);
process.stdout.write('ready\n');
for (let i = 1; ; i++) saveCheckpoint(dir, i % 2 === 0 ? a : b, meta, slow);
