/**
 * Helper threads for the WebAssembly gemm: `worker_threads` that share the
 * kernel's WebAssembly memory and take jobs through `Atomics`, with no
 * message per call.
 *
 * Each worker owns a small control block (an `Int32Array` over a
 * `SharedArrayBuffer`). To hand it a job the main thread writes the kernel's
 * arguments, bumps the job counter and notifies; the worker runs the kernel on
 * its share of C, stores the counter into its "done" slot and notifies back.
 * Workers start asynchronously (a few tens of milliseconds) and are used only
 * once they report ready, so the main thread never blocks on a start-up.
 * They are `unref`'d: they never keep a process alive, and Node stops them
 * at exit.
 *
 * Internal to the kernels folder; `wasm-gemm.ts` is its one user.
 *
 * @module
 */
import type * as WorkerThreads from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './wasm-emit.js';

/** Slots of a worker's control block. */
const JOB = 0; // job counter, bumped by the main thread
const DONE = 1; // last finished job; -1 until the worker is ready
const STATE = 2; // 0 running, 1 failed
const KERNEL = 3; // 0: gemm_f32, 1: gemm_f64, -1: exit
const ARGS = 4; // the kernel's 18 arguments
const SLOTS = ARGS + 18;

/** Spin this long (in polls of a shared slot) before sleeping on a futex. */
const SPIN = 20_000;

// The worker's code, as a plain script (it must not depend on how the
// library itself is loaded: TypeScript sources under a test runner, or
// compiled JavaScript), valid both as a CommonJS script and as an ES module.
const WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
const { module, memory, control } = workerData;
const ctl = new Int32Array(control);
let exports;
try {
  exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
} catch (e) {
  Atomics.store(ctl, ${STATE}, 1);
  Atomics.store(ctl, ${DONE}, 0);
  Atomics.notify(ctl, ${DONE});
  throw e;
}
const kernels = [exports.gemm_f32, exports.gemm_f64];
let seen = 0;
Atomics.store(ctl, ${DONE}, 0);
Atomics.notify(ctl, ${DONE});
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, ${JOB}) === seen) {
    if (++spins > ${SPIN}) Atomics.wait(ctl, ${JOB}, seen);
  }
  seen = Atomics.load(ctl, ${JOB});
  const which = ctl[${KERNEL}];
  if (which < 0) break;
  try {
    const a = ctl.slice(${ARGS}, ${SLOTS});
    kernels[which](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17]);
  } catch (e) {
    Atomics.store(ctl, ${STATE}, 1);
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

interface Helper {
  readonly worker: WorkerThreads.Worker;
  readonly ctl: Int32Array;
  alive: boolean;
}

/** A set of helper threads running the gemm kernels on one shared memory. */
export class GemmPool {
  private readonly helpers: Helper[] = [];
  private job = 0;
  /** Why the pool stopped working, if it did. */
  failure: string | undefined;

  constructor(wt: typeof WorkerThreads, module: WasmModule, memory: WasmMemory, count: number) {
    for (let i = 0; i < count; i++) {
      const control = new SharedArrayBuffer(SLOTS * 4);
      const ctl = new Int32Array(control);
      ctl[DONE] = -1;
      const worker = new wt.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control },
        // The parent's flags (a TypeScript loader, --input-type) are of no use here.
        execArgv: [],
        stdout: false,
        stderr: false,
      });
      const helper: Helper = { worker, ctl, alive: true };
      worker.on('error', (e: unknown) => {
        helper.alive = false;
        this.failure ??= `gemm worker failed: ${e instanceof Error ? e.message : String(e)}`;
      });
      worker.on('exit', () => {
        helper.alive = false;
      });
      worker.unref();
      this.helpers.push(helper);
    }
  }

  /** How many helpers have started and are healthy (the main thread not counted). */
  ready(): number {
    let n = 0;
    for (const h of this.helpers) {
      if (h.alive && Atomics.load(h.ctl, DONE) >= 0 && Atomics.load(h.ctl, STATE) === 0) n++;
      else if (Atomics.load(h.ctl, STATE) !== 0) {
        h.alive = false;
        this.failure ??= 'gemm worker could not instantiate the WebAssembly module';
      }
    }
    return n;
  }

  /** The number of helpers this pool was created with. */
  get size(): number {
    return this.helpers.length;
  }

  /** Resolves once every helper has started or failed (polling; never rejects). */
  async whenStarted(timeoutMs = 10_000): Promise<number> {
    const start = Date.now();
    for (;;) {
      const pending = this.helpers.filter((h) => h.alive && Atomics.load(h.ctl, DONE) < 0).length;
      if (pending === 0 || Date.now() - start > timeoutMs) return this.ready();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /**
   * Hand each of the first `jobs.length` ready helpers one job (kernel index
   * and its 18 arguments), run `own` on this thread, then wait for them all.
   * Throws if a helper reports a failure (after waiting for the others).
   */
  run(kernel: 0 | 1, jobs: readonly (readonly number[])[], own: () => void): void {
    const used: Helper[] = [];
    const seq = ++this.job;
    for (const h of this.helpers) {
      if (used.length === jobs.length) break;
      if (!h.alive || Atomics.load(h.ctl, DONE) < 0) continue;
      const args = jobs[used.length]!;
      h.ctl[KERNEL] = kernel;
      h.ctl.set(args, ARGS);
      Atomics.store(h.ctl, JOB, seq);
      Atomics.notify(h.ctl, JOB);
      used.push(h);
    }
    if (used.length !== jobs.length) throw new Error('gemm: fewer helper threads ready than jobs');
    let ownError: unknown;
    try {
      own();
    } catch (e) {
      ownError = e;
    }
    // Wait for every helper. (Events such as a worker's 'exit' cannot be
    // delivered while this thread waits, so a helper is trusted to finish: it
    // catches every error of a job and reports it in its STATE slot.)
    let failed = false;
    for (const h of used) {
      let spins = 0;
      for (;;) {
        const done = Atomics.load(h.ctl, DONE);
        if (done === seq) break;
        if (++spins > SPIN) Atomics.wait(h.ctl, DONE, done);
      }
      if (Atomics.load(h.ctl, STATE) !== 0) {
        h.alive = false;
        failed = true;
      }
    }
    if (ownError !== undefined) throw ownError;
    if (failed) {
      this.failure ??= 'a gemm worker failed while running a job';
      throw new Error(this.failure);
    }
  }

  /** Ask every helper to exit (used by tests; workers are also stopped at process exit). */
  async close(): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const h of this.helpers) {
      h.ctl[KERNEL] = -1;
      Atomics.store(h.ctl, JOB, ++this.job);
      Atomics.notify(h.ctl, JOB);
      if (h.alive) exits.push(new Promise((resolve) => h.worker.once('exit', resolve)));
      h.alive = false;
    }
    await Promise.all(exits);
  }
}
