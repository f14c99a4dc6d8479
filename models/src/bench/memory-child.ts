/**
 * Child process of the memory benchmark: unroll the compositional LSTM cell
 * over T steps (argv[2]) with `scan`, checkpointing every argv[3] steps (0:
 * never), take the gradient, and print the process's peak resident memory.
 *
 * @module
 * @internal
 */
import { readFileSync } from 'node:fs';
import { key, normal, split, type Key } from '@mnemo/core';
import { grad, sum, tree, type Tree } from '@mnemo/autodiff';
import { lstmCell, scan } from '@mnemo/nn';

const steps = Number(process.argv[2] ?? '1');
const every = Number(process.argv[3] ?? '0');
const B = 8;
const H = 64;
const cell = lstmCell({ inputSize: H, hiddenSize: H, dtype: 'float32' });
const [kp, kx] = split(key(0), 2) as [Key, Key];
const params = cell.init(kp);
const xs = normal(kx, [B, steps, H]);
const g = grad((p: Tree) => sum(scan(cell, p as never, xs, every > 0 ? { checkpointEvery: every } : {}).outputs))(params as Tree);
if (tree.leaves(g).length === 0) throw new Error('memory bench: no gradient');
const status = readFileSync('/proc/self/status', 'utf8');
const m = /VmHWM:\s+(\d+) kB/.exec(status);
process.stdout.write(`peakKiB=${m === null ? 0 : m[1]}\n`);
