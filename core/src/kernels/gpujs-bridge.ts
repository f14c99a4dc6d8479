/**
 * A synchronous bridge to gpu.js running in a worker thread.
 *
 * mnemo's kernels are synchronous, but gpu.js's WebGPU mode is not: each
 * kernel call returns a Promise (WebGPU has no synchronous readback). The
 * bridge runs gpu.js in a `worker_threads` worker, where it may await; the
 * calling thread copies A and B into a `SharedArrayBuffer`, posts the job and
 * blocks in `Atomics.wait` until the worker has written C after them and
 * bumped the control block's job counter. Every wait has a deadline: a worker
 * that fails reports its error through the shared text buffer, and one that
 * goes silent is reported as such when the deadline passes, so a caller never
 * hangs.
 *
 * The worker is `unref`'d: it never keeps a process alive.
 *
 * Internal to the kernels folder; `gpujs.ts` is its one user.
 *
 * @module
 */
import type * as WorkerThreads from 'node:worker_threads';
import { GPUJS_WORKER_SOURCE, SLOT, SLOTS, STATE, type WorkerJob, type WorkerMessage, type WorkerStart } from './gpujs-worker.js';

/** How to start a bridge. */
export interface BridgeOptions {
  /** gpu.js's mode inside the worker. */
  readonly mode: 'webgpu' | 'webasm';
  /** gpu.js's entry file. */
  readonly gpujsPath: string;
  /** Dawn's `.node` binary (WebGPU mode). */
  readonly dawnPath: string | undefined;
  /** Take a software WebGPU adapter when it is the only one. */
  readonly acceptSoftwareAdapter: boolean;
  /** Options for Dawn's `create` (WebGPU mode). */
  readonly dawnOptions?: readonly string[];
  /** The matrix product kernel's source text. */
  readonly source: string;
  /** How long to wait for the worker's ready report. */
  readonly startTimeoutMs: number;
  /** How long to wait for one product. */
  readonly callTimeoutMs: number;
}

const TEXT_BYTES = 16 * 1024;

function workerThreads(): typeof WorkerThreads {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as typeof WorkerThreads | undefined;
  if (wt === undefined) throw new Error('node:worker_threads is not available here');
  return wt;
}

/** gpu.js in a worker thread, called synchronously. */
export class GpujsBridge {
  /** gpu.js's mode in the worker, as it reported it. */
  readonly mode: string;
  /** The WebGPU adapter's description ('' outside WebGPU mode). */
  readonly adapter: string;
  private readonly ctl: Int32Array;
  private readonly text: Uint8Array;
  private readonly worker: WorkerThreads.Worker;
  private readonly callTimeoutMs: number;
  private data: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private jobs = 0;
  private broken: string | undefined;
  private closed = false;
  private exited = false;
  private readonly atExit = (): void => this.close();

  /**
   * Start the worker and wait (at most `startTimeoutMs`) until it reports
   * ready. Throws an Error saying why when it does not.
   */
  constructor(options: BridgeOptions) {
    const wt = workerThreads();
    const control = new SharedArrayBuffer(SLOTS * 4);
    const text = new SharedArrayBuffer(TEXT_BYTES);
    this.ctl = new Int32Array(control);
    this.text = new Uint8Array(text);
    this.callTimeoutMs = options.callTimeoutMs;
    const start: WorkerStart = {
      control,
      text,
      gpujsPath: options.gpujsPath,
      dawnPath: options.dawnPath,
      mode: options.mode,
      acceptSoftwareAdapter: options.acceptSoftwareAdapter,
      dawnOptions: options.dawnOptions ?? [],
      source: options.source,
    };
    this.worker = new wt.Worker(GPUJS_WORKER_SOURCE, {
      eval: true,
      workerData: start,
      // The parent's flags (a TypeScript loader, --input-type) are of no use here.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    // An error that escapes the worker's own handlers is reported when this
    // thread next runs its event loop; the deadlines cover the meantime.
    this.worker.on('error', (e: unknown) => {
      this.broken ??= `the gpu.js worker stopped: ${e instanceof Error ? e.message : String(e)}`;
    });
    this.worker.on('exit', () => {
      this.exited = true;
      this.broken ??= 'the gpu.js worker exited';
    });
    this.worker.unref();
    process.on('exit', this.atExit);

    const state = this.waitWhile(SLOT.STATE, STATE.STARTING, options.startTimeoutMs);
    if (state !== STATE.READY) {
      this.close();
      throw new Error(state === STATE.FAILED ? this.readText() : `the gpu.js worker (${options.mode}) did not report ready within ${options.startTimeoutMs} ms`);
    }
    const report = JSON.parse(this.readText()) as { mode: string; adapter: string };
    this.mode = report.mode;
    this.adapter = report.adapter;
  }

  /**
   * `out = op(a) · op(b)` on gpu.js in the worker: `a` holds exactly the m·k
   * values of A (`[m, k]`, or `[k, m]` with `transA`), `b` the k·n of B, `out`
   * receives m·n. Throws an Error naming `matmul` when the worker fails or
   * gives no answer in time.
   */
  product(m: number, k: number, n: number, transA: boolean, transB: boolean, a: Float32Array, b: Float32Array, out: Float32Array): void {
    if (this.broken !== undefined) throw new Error(`matmul: the gpujs backend's worker is not usable: ${this.broken}`);
    const need = m * k + k * n + m * n;
    let grown: SharedArrayBuffer | undefined;
    if (this.data.length < need) {
      grown = new SharedArrayBuffer(Math.max(need, 2 * this.data.length) * 4);
      this.data = new Float32Array(grown);
    }
    this.data.set(a.subarray(0, m * k), 0);
    this.data.set(b.subarray(0, k * n), m * k);
    const id = ++this.jobs;
    const job: WorkerJob = grown === undefined ? { id, m, k, n, transA, transB } : { id, m, k, n, transA, transB, data: grown };
    this.worker.postMessage(job);
    const done = this.waitUntil(SLOT.DONE, id, this.callTimeoutMs);
    const shape = `[${transA ? `${k}, ${m}` : `${m}, ${k}`}] x [${transB ? `${n}, ${k}` : `${k}, ${n}`}]${transA || transB ? ` (transA ${transA}, transB ${transB})` : ''}`;
    if (done !== id) {
      this.broken = `it gave no answer to a product within ${this.callTimeoutMs} ms`;
      this.close();
      throw new Error(`matmul: gpu.js in the worker thread gave no answer within ${this.callTimeoutMs} ms for ${shape}; the gpujs backend's worker is stopped`);
    }
    if (Atomics.load(this.ctl, SLOT.STATUS) !== 0) {
      throw new Error(`matmul: gpu.js (${this.mode}, in the worker thread) failed on ${shape}: ${this.readText()}`);
    }
    out.set(this.data.subarray(m * k + k * n, need));
  }

  /**
   * Stop the worker (later products throw): ask it to end itself and wait (at
   * most a second) until it says so, then terminate it. Also run at the
   * process's exit, because Dawn aborts the process when its thread is
   * terminated while it polls the GPU.
   */
  close(): void {
    this.broken ??= 'it was closed';
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.atExit);
    if (!this.exited && Atomics.load(this.ctl, SLOT.STATE) !== STATE.CLOSED) {
      const bye: WorkerMessage = { close: true };
      this.worker.postMessage(bye);
      this.waitUntil(SLOT.STATE, STATE.CLOSED, 1000);
    }
    void this.worker.terminate();
  }

  private readText(): string {
    const n = Atomics.load(this.ctl, SLOT.TEXT_LENGTH);
    // TextDecoder does not read shared memory: copy first.
    return new TextDecoder().decode(this.text.slice(0, n));
  }

  /** Wait while `slot` holds `value`, at most `ms`; returns the slot's value. */
  private waitWhile(slot: number, value: number, ms: number): number {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = Atomics.load(this.ctl, slot);
      const left = deadline - Date.now();
      if (v !== value || left <= 0) return v;
      Atomics.wait(this.ctl, slot, value, left);
    }
  }

  /** Wait until `slot` holds `value`, at most `ms`; returns the slot's value. */
  private waitUntil(slot: number, value: number, ms: number): number {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = Atomics.load(this.ctl, slot);
      const left = deadline - Date.now();
      if (v === value || left <= 0) return v;
      Atomics.wait(this.ctl, slot, v, left);
    }
  }
}
