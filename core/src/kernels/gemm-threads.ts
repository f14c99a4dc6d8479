/**
 * Helper threads for the WebAssembly gemm: Node's `worker_threads`, or a
 * page's Web Workers, that share the kernel's WebAssembly memory and take
 * work through `Atomics`, with no message per call.
 *
 * A product is cut into chunks (bands of C's columns or rows). To start one,
 * the calling thread writes the kernel's arguments into a shared control
 * block, bumps the job counter and wakes the helpers; then every thread, the
 * caller included, claims chunks one at a time with a compare-and-swap on a
 * shared counter until none is left, and the caller waits until the chunks
 * others claimed are finished. The caller never waits for a helper to wake
 * up: on a busy machine, where a helper gets no core, the caller simply does
 * all the chunks itself, so threads cost little where they cannot help.
 *
 * Publishing a job is a seqlock: the caller makes the job counter odd, writes
 * the arguments, then makes it even; a helper accepts what it read only if
 * the counter was the same even value before and after. Claims go through a
 * word tagged with the job's number, so a helper that wakes late, holding an
 * earlier job's arguments, can never claim (or run) a chunk of a later job.
 *
 * Helpers start asynchronously (tens of milliseconds) and are used once they
 * report ready, so no call blocks on a start-up. In Node they are `unref`'d:
 * they never keep a process alive, and Node stops them at exit. In a page,
 * Web Workers need shared memory, so a cross-origin isolated page; the page's
 * main thread may not block, so there the caller spins (never for longer
 * than a helper's last chunk) where Node's would sleep.
 *
 * Internal to the kernels folder; `wasm-gemm.ts` is its one user.
 *
 * @module
 */
import type { WasmMemory, WasmModule } from './wasm-emit.js';

// Slots of the shared control block.
const SEQ = 0; // seqlock over the job's arguments: odd while they are written; 2·job when published
const CLAIM = 1; // (job tag << 8) | next chunk index
const DONE = 2; // chunks of the current job finished
const FAIL = 3; // set when a chunk failed
const COUNT = 4; // the current job's number of chunks (at most MAX_CHUNKS)
const KERNEL = 5; // 0: gemm_f32, 1: gemm_f64, then kernels of registered modules
const HELPER_CHUNKS = 6; // chunks run by helpers, in total (statistics)
const LIMIT = 7; // helpers with a slot below this take part in the current job
const ARGS = 8; // the kernel's 21 arguments; chunk and slot are set per chunk
const READY = ARGS + 21; // one slot per helper: 0 starting, 1 ready, 2 failed
const MAX_HELPERS = 63;
const SLOTS = READY + MAX_HELPERS;
/** Position of `chunk` and `slot` among the kernel's arguments. */
const ARG_CHUNK = 10;
const ARG_SLOT = 15;
/** The most chunks one job may have (the claim word keeps 8 bits for the index). */
export const MAX_CHUNKS = 255;
const TAG_MASK = 0x3fffff;

/** Polls of a shared slot before sleeping on a futex. */
const HELPER_SPIN = 4_000;
const CALLER_SPIN = 20_000;

// The helpers' code, as plain scripts (they must not depend on how the library
// itself is loaded: TypeScript sources under a test runner, compiled
// JavaScript, or a bundle in a browser page). Both hosts share the job code;
// they differ in how a helper is started, how it receives kernels registered
// after it started, and how it waits for the next job.
//
// - Node's worker_threads: a kernel is sent before its first job, and the
//   helper takes it off its port synchronously (receiveMessageOnPort) when it
//   first meets it; between jobs it blocks in Atomics.wait.
// - A page's Web Workers: messages arrive only while the worker's event loop
//   runs, so between jobs the helper waits with Atomics.waitAsync (or a timer
//   where that is missing), and it skips a job whose kernel has not arrived
//   yet (the caller and the other helpers do its chunks, as for any helper
//   that is late).

/** The job code both hosts share: given `ctl`, `slot`, `kernel(which)` and `hasKernel(which)`. */
const JOB_SOURCE = `
// Take part in the job published as s1 (an even value of SEQ); false if it was torn.
function takeJob(s1) {
  const count = slot < Atomics.load(ctl, ${LIMIT}) ? Atomics.load(ctl, ${COUNT}) : 0;
  const which = Atomics.load(ctl, ${KERNEL});
  const args = Array.from(ctl.subarray(${ARGS}, ${ARGS + 21}));
  if (Atomics.load(ctl, ${SEQ}) !== s1) return false; // torn: look again
  if (count === 0 || !hasKernel(which)) return true;
  const tag = (s1 >>> 1) & ${TAG_MASK};
  args[${ARG_SLOT}] = slot;
  for (;;) {
    const cur = Atomics.load(ctl, ${CLAIM});
    if (cur >>> 8 !== tag || (cur & 255) >= count) break;
    if (Atomics.compareExchange(ctl, ${CLAIM}, cur, cur + 1) !== cur) continue;
    args[${ARG_CHUNK}] = cur & 255;
    try {
      kernel(which)(...args);
    } catch (e) {
      Atomics.store(ctl, ${FAIL}, 1);
    }
    Atomics.add(ctl, ${HELPER_CHUNKS}, 1);
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === count) Atomics.notify(ctl, ${DONE});
  }
  return true;
}
// Kernels of other modules on the same memory (generated sequence loops).
const instances = new Map();
const math = { log: Math.log, log1p: Math.log1p, sin: Math.sin, cos: Math.cos, pow: Math.pow };
function addKernel({ index, module: mod, name }) {
  let inst = instances.get(mod);
  if (inst === undefined) instances.set(mod, (inst = new WebAssembly.Instance(mod, { env: { memory }, math })));
  kernels[index] = inst.exports[name];
}
function startKernels() {
  try {
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    kernels = [exports.gemm_f32, exports.gemm_f64];
  } catch (e) {
    Atomics.store(ctl, ${READY} + slot - 1, 2);
    throw e;
  }
}
`;

/** A helper in a Node worker thread (started with `eval`, valid as CommonJS and as an ES module). */
const NODE_WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
const { module, memory, control, slot, port } = workerData;
const ctl = new Int32Array(control);
let kernels;
${JOB_SOURCE}
startKernels();
// Kernels registered after the start arrive on the port before their first job.
function kernel(which) {
  while (kernels[which] === undefined) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) throw new Error('kernel ' + which + ' was never sent to this worker');
    addKernel(m.message);
  }
  return kernels[which];
}
const hasKernel = () => true;
let seen = Atomics.load(ctl, ${SEQ});
Atomics.store(ctl, ${READY} + slot - 1, 1);
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, ${SEQ}) === seen) {
    if (++spins > ${HELPER_SPIN}) Atomics.wait(ctl, ${SEQ}, seen);
  }
  const s1 = Atomics.load(ctl, ${SEQ});
  if (s1 & 1) continue; // being written: look again
  if (takeJob(s1)) seen = s1;
}
`;

/** A helper in a page's Web Worker: its start and kernels come as messages. */
const WEB_WORKER_SOURCE = `
let module, memory, ctl, slot, kernels, seen;
${JOB_SOURCE}
const kernel = (which) => kernels[which];
const hasKernel = (which) => kernels[which] !== undefined;
// Jobs until none is waiting, then back to the event loop (where kernels arrive) until SEQ moves.
function loop() {
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, ${SEQ}) === seen && ++spins <= ${HELPER_SPIN});
    const s1 = Atomics.load(ctl, ${SEQ});
    if (s1 === seen) break;
    if (s1 & 1) continue; // being written: look again
    if (takeJob(s1)) seen = s1;
  }
  if (typeof Atomics.waitAsync === 'function') {
    const w = Atomics.waitAsync(ctl, ${SEQ}, seen);
    if (w.async) w.value.then(loop);
    else setTimeout(loop, 0);
  } else setTimeout(loop, 1);
}
self.onmessage = (e) => {
  const m = e.data;
  if (m.start === undefined) {
    if (kernels !== undefined) addKernel(m);
    return;
  }
  ({ module, memory, slot } = m.start);
  ctl = new Int32Array(m.start.control);
  startKernels();
  seen = Atomics.load(ctl, ${SEQ});
  Atomics.store(ctl, ${READY} + slot - 1, 1);
  loop();
};
`;

/** One helper thread as its pool sees it. */
interface Helper {
  /** Sends a kernel registration ({@link GemmPool.register}). */
  post(message: { index: number; module: WasmModule; name: string }): void;
}

/**
 * How helper threads are made here: Node's `worker_threads`, or a page's Web
 * Workers (which need a cross-origin isolated page, for shared memory).
 */
export interface ThreadHost {
  /** What the helpers are. */
  readonly kind: 'worker_threads' | 'web-workers';
  /**
   * Whether the calling thread may block in `Atomics.wait` (not on a page's
   * main thread, which may only spin while helpers finish their chunks).
   */
  readonly canBlock: boolean;
  /** Starts the helper of `slot`; `failed(why)` is called if it fails. */
  start(init: { module: WasmModule; memory: WasmMemory; control: SharedArrayBuffer; slot: number }, failed: (why: string) => void): Helper;
}

/**
 * What the helpers use of `node:worker_threads`, declared here so that core's
 * declarations need no Node types (a browser project compiles against them).
 */
export interface NodeWorkerThreads {
  readonly MessageChannel: new () => { readonly port1: { unref(): void; postMessage(message: unknown): void }; readonly port2: object };
  readonly Worker: new (
    source: string,
    options: { eval: boolean; workerData: unknown; transferList: readonly object[]; execArgv: string[]; stdout: boolean; stderr: boolean },
  ) => { on(event: 'error', listener: (e: unknown) => void): unknown; unref(): void };
}

/** Helpers as Node worker threads, unref'd (they never keep a process alive). */
export function nodeThreadHost(wt: NodeWorkerThreads): ThreadHost {
  return {
    kind: 'worker_threads',
    canBlock: true,
    start(init, failed) {
      const { port1, port2 } = new wt.MessageChannel();
      port1.unref();
      const worker = new wt.Worker(NODE_WORKER_SOURCE, {
        eval: true,
        workerData: { ...init, port: port2 },
        transferList: [port2],
        // The parent's flags (a TypeScript loader, --input-type) are of no use here.
        execArgv: [],
        stdout: false,
        stderr: false,
      });
      worker.on('error', (e: unknown) => failed(e instanceof Error ? e.message : String(e)));
      worker.unref();
      return { post: (m) => port1.postMessage(m) };
    },
  };
}

/** What a page offers for Web Worker helpers (the DOM's types are not in this project's lib). */
interface WebGlobals {
  readonly Worker?: new (url: string, options?: { name?: string }) => {
    postMessage(m: unknown): void;
    onerror: ((e: { message?: string }) => void) | null;
    onmessageerror: ((e: unknown) => void) | null;
  };
  readonly Blob?: new (parts: string[], options: { type: string }) => object;
  readonly URL?: { createObjectURL?(blob: object): string };
  readonly crossOriginIsolated?: boolean;
  readonly navigator?: { readonly hardwareConcurrency?: number };
}

/**
 * Helpers as Web Workers, where this is a cross-origin isolated page (or a
 * worker of one) that can make them from a script; otherwise the reason
 * there are none.
 */
export function webThreadHost(): ThreadHost | string {
  const g = globalThis as WebGlobals;
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function' || typeof g.URL?.createObjectURL !== 'function') return 'no Web Workers here: one thread';
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') {
    return 'this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so it has no shared memory for Web Worker threads: one thread';
  }
  let url: string | undefined;
  const scriptUrl = (): string => (url ??= g.URL!.createObjectURL!(new g.Blob!([WEB_WORKER_SOURCE], { type: 'text/javascript' })));
  return {
    kind: 'web-workers',
    canBlock: canBlockHere(),
    start(init, failed) {
      const worker = new g.Worker!(scriptUrl(), { name: `mnemo gemm helper ${init.slot}` });
      worker.onerror = (e) => failed(e.message ?? 'a Web Worker failed');
      worker.onmessageerror = () => failed('a Web Worker could not receive the kernel');
      worker.postMessage({ start: init });
      return { post: (m) => worker.postMessage(m) };
    },
  };
}

/** Whether this thread may block in `Atomics.wait` (a page's main thread may not). */
function canBlockHere(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which exported kernel a job runs: 0 `gemm_f32`, 1 `gemm_f64`, or a kernel of
 * another module registered with {@link GemmPool.register}.
 */
export type PoolKernel = number;

/** A set of helper threads running the gemm kernels on one shared memory. */
export class GemmPool {
  private readonly ctl: Int32Array;
  private readonly helpers: Helper[] = [];
  private readonly canBlock: boolean;
  private nextKernel = 2;
  private seq = 0;
  private dead = false;
  /** Why the pool stopped working, if it did. */
  failure: string | undefined;

  constructor(host: ThreadHost, module: WasmModule, memory: WasmMemory, count: number) {
    const control = new SharedArrayBuffer(SLOTS * 4);
    this.ctl = new Int32Array(control);
    this.canBlock = host.canBlock;
    for (let slot = 1; slot <= Math.min(count, MAX_HELPERS); slot++) {
      const failed = (why: string): void => {
        Atomics.store(this.ctl, READY + slot - 1, 2);
        this.failure ??= `gemm worker failed: ${why}`;
      };
      this.helpers.push(host.start({ module, memory, control, slot }, failed));
    }
  }

  /**
   * Make export `name` of `module` (a module on the same memory, importing
   * `env.memory` and the `math` functions) a kernel the helpers can run;
   * returns its number for {@link GemmPool.run}. Helpers instantiate the
   * module when they first meet one of its kernels.
   */
  register(module: WasmModule, name: string): number {
    const index = this.nextKernel++;
    for (const h of this.helpers) h.post({ index, module, name });
    return index;
  }

  /** The number of helpers (started or not); their slots are `1 .. size`. */
  get size(): number {
    return this.helpers.length;
  }

  /** How many helpers are ready (the calling thread not counted). */
  ready(): number {
    if (this.dead) return 0;
    let n = 0;
    for (let i = 0; i < this.helpers.length; i++) if (Atomics.load(this.ctl, READY + i) === 1) n++;
    return n;
  }

  /** Chunks run by helper threads so far. */
  helperChunks(): number {
    return Atomics.load(this.ctl, HELPER_CHUNKS);
  }

  /** Resolves once every helper has started or failed (polling; never rejects). */
  async whenStarted(timeoutMs = 10_000): Promise<number> {
    const begin = Date.now();
    for (;;) {
      let pending = 0;
      for (let i = 0; i < this.helpers.length; i++) if (Atomics.load(this.ctl, READY + i) === 0) pending++;
      if (pending === 0 || Date.now() - begin > timeoutMs) return this.ready();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /**
   * Run `count` chunks of a product: `args` are the kernel's 21 arguments
   * (chunk and slot are filled in per chunk), `own(args)` runs one chunk on
   * this thread (slot 0), and helpers with slots `1 .. helpers` may take part. Returns once every chunk is finished; throws if a helper's
   * chunk failed (its band of C is then not written).
   */
  run(kernel: PoolKernel, args: readonly number[], count: number, helpers: number, own: (args: number[]) => void): void {
    if (!Number.isInteger(count) || count < 1 || count > MAX_CHUNKS) throw new RangeError(`gemm: ${count} chunks (1 to ${MAX_CHUNKS})`);
    const ctl = this.ctl;
    const job = ++this.seq;
    const tag = job & TAG_MASK;
    Atomics.store(ctl, SEQ, 2 * job - 1);
    ctl.set(args, ARGS);
    Atomics.store(ctl, KERNEL, kernel);
    Atomics.store(ctl, COUNT, count);
    Atomics.store(ctl, LIMIT, helpers + 1);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAIL, 0);
    Atomics.store(ctl, CLAIM, tag << 8);
    Atomics.store(ctl, SEQ, 2 * job);
    Atomics.notify(ctl, SEQ);

    const mine = [...args];
    mine[ARG_SLOT] = 0;
    let ownError: unknown;
    for (;;) {
      const cur = Atomics.load(ctl, CLAIM);
      if ((cur & 255) >= count) break;
      if (Atomics.compareExchange(ctl, CLAIM, cur, cur + 1) !== cur) continue;
      mine[ARG_CHUNK] = cur & 255;
      try {
        if (ownError === undefined) own(mine);
      } catch (e) {
        ownError = e;
      }
      Atomics.add(ctl, DONE, 1);
    }
    // Every chunk is claimed; wait for those the helpers are still running.
    // (A helper catches every error of a chunk and still counts it as done.)
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= count) break;
      // A page's main thread may not block: it spins until the helpers' last chunks are done.
      if (++spins > CALLER_SPIN && this.canBlock) Atomics.wait(ctl, DONE, done, 50);
    }
    if (ownError !== undefined) throw ownError;
    if (Atomics.load(ctl, FAIL) !== 0) {
      this.dead = true;
      this.failure ??= 'a gemm worker failed while running a chunk';
      throw new Error(this.failure);
    }
  }
}
