/**
 * Child process of the memory benchmark: unroll the LSTM cell over T steps
 * (argv[2]) with `scan`, checkpointing every argv[3] steps (0: never), on
 * the tape (argv[5] `tape`) or compiled (`compiled`), take the gradient, and
 * print the process's peak resident memory, the memory the tape held alive
 * between the forward pass and the pullback, and the compiled program's
 * resident memory at that moment; with argv[4], write the gradients there
 * (float64, flattened).
 *
 * @module
 * @internal
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { key, normal, residentMemory, split, unsafeDataOf, type Key, type Tensor } from '@mnemo/core';
import { sum, tree, vjp, type Tree } from '@mnemo/autodiff';
import { scalar } from '@mnemo/core';
import { lstmCell, scan } from '@mnemo/nn';

const steps = Number(process.argv[2] ?? '1');
const every = Number(process.argv[3] ?? '0');
const compile = process.argv[5] === 'compiled';
const B = 8;
const H = 64;
const cell = lstmCell({ inputSize: H, hiddenSize: H, dtype: 'float32' });
const [kp, kx] = split(key(0), 2) as [Key, Key];
const params = cell.init(kp);
const xs = normal(kx, [B, steps, H]);
const gc = (globalThis as { gc?: () => void }).gc;
const live = (): { total: number; heap: number } => {
  gc?.();
  const m = process.memoryUsage();
  return { total: m.arrayBuffers + m.heapUsed, heap: m.heapUsed };
};
const before = live();
const residentBefore = residentMemory().bytes;
// On the tape, inputs are projected per step (projectInputs: false), so a chunk keeps only its raw input slice.
// The forward pass records the tape; what it keeps alive until the pullback runs is BPTT's activation memory.
// Compiled, the residuals stay in the program's memory instead (residentMemory).
const [loss, pullback] = vjp(
  (p: Tree) => sum(scan(cell, p as never, xs, { compile, projectInputs: false, ...(every > 0 ? { checkpointEvery: every } : {}) }).outputs),
  params as Tree,
);
const after = live();
const resident = residentMemory().bytes - residentBefore;
const tape = after.total - before.total;
const tapeHeap = after.heap - before.heap;
const [g] = pullback(scalar(1, loss.dtype));
if (tree.leaves(g).length === 0) throw new Error('memory bench: no gradient');
// Every gradient, flattened, for the parent to compare runs with and without checkpointing.
const out = process.argv[4];
if (out !== undefined) {
  const leaves = tree.leaves(g) as Tensor[];
  const flat = new Float64Array(leaves.reduce((n, l) => n + l.size, 0));
  let at = 0;
  for (const leaf of leaves) {
    flat.set(unsafeDataOf(leaf), at);
    at += leaf.size;
  }
  writeFileSync(out, new Uint8Array(flat.buffer));
}
const status = readFileSync('/proc/self/status', 'utf8');
const m = /VmHWM:\s+(\d+) kB/.exec(status);
process.stdout.write(`peakKiB=${m === null ? 0 : m[1]} tapeBytes=${tape} tapeHeapBytes=${tapeHeap} residentBytes=${resident}\n`);
