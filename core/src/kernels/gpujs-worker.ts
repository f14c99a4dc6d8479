/**
 * The code of the gpu.js worker thread behind the `gpujs` backend's bridge
 * (see `gpujs-bridge.ts`), and the layout of the shared control block that it
 * and the calling thread use.
 *
 * The worker loads gpu.js (and, for WebGPU, Dawn's `webgpu` package) by the
 * absolute paths it is given, creates one `GPU` instance in the mode it is
 * given, checks it on a small product, and reports ready. Then it runs one
 * product per message: A and B are read from the shared data buffer, C is
 * written after them, and the caller is woken through the control block. Every
 * failure, at start or in a product, is written to the shared text buffer and
 * signalled: nothing is left for the calling thread to wait on forever.
 *
 * The source is a plain script (it must not depend on how the library itself
 * is loaded: TypeScript sources under a test runner, or compiled JavaScript),
 * started with `eval`, like the gemm helpers of `gemm-threads.ts`.
 *
 * Internal to the kernels folder.
 *
 * @module
 */

/** Slots of the shared control block (an `Int32Array`). */
export const SLOT = {
  /** 0 while starting, then READY or FAILED. */
  STATE: 0,
  /** The id of the last finished job. */
  DONE: 1,
  /** 0 when the last finished job succeeded, 1 when it failed. */
  STATUS: 2,
  /** Bytes of UTF-8 in the text buffer. */
  TEXT_LENGTH: 3,
} as const;
/** The number of slots. */
export const SLOTS = 4;
/** Values of `SLOT.STATE`. */
export const STATE = { STARTING: 0, READY: 1, FAILED: 2, CLOSED: 3 } as const;

/** What the caller hands the worker. */
export interface WorkerStart {
  /** The control block, `SLOTS` int32 words. */
  readonly control: SharedArrayBuffer;
  /** Messages from the worker: the start report (JSON), or an error. */
  readonly text: SharedArrayBuffer;
  /** gpu.js's entry file. */
  readonly gpujsPath: string;
  /** Dawn's `.node` binary (WebGPU mode only). */
  readonly dawnPath: string | undefined;
  /** gpu.js's mode: `webgpu` or `webasm`. */
  readonly mode: 'webgpu' | 'webasm';
  /** Take a software adapter (lavapipe, SwiftShader) when it is the only one. */
  readonly acceptSoftwareAdapter: boolean;
  /** Options for Dawn's `create` (`backend=vulkan`, `adapter=NVIDIA`, ...). */
  readonly dawnOptions: readonly string[];
  /** The kernel's source text, compiled by gpu.js. */
  readonly source: string;
}

/** One product for the worker: A at 0, B after it, C after B, in the data buffer. */
export interface WorkerJob {
  readonly id: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** A new (larger) data buffer, when the caller has grown it. */
  readonly data?: SharedArrayBuffer;
}

/** What the caller posts: a product, or the request to end. */
export type WorkerMessage = WorkerJob | { readonly close: true };

/** The worker's source. */
export const GPUJS_WORKER_SOURCE = `
'use strict';
const { workerData, parentPort } = process.getBuiltinModule('node:worker_threads');
const { createRequire } = process.getBuiltinModule('node:module');
const { control, text, gpujsPath, dawnPath, mode, acceptSoftwareAdapter, dawnOptions, source } = workerData;
const ctl = new Int32Array(control);
const bytes = new Uint8Array(text);
const encoder = new TextEncoder();
let data = new Float32Array(0);
let gpu;
let device;
let current;
const kernels = new Map();

function say(s) {
  const b = encoder.encode(String(s));
  const n = Math.min(b.length, bytes.length);
  bytes.set(b.subarray(0, n));
  Atomics.store(ctl, ${SLOT.TEXT_LENGTH}, n);
}
function describe(e) {
  return e instanceof Error ? e.message : String(e);
}
function failStart(e) {
  if (Atomics.load(ctl, ${SLOT.STATE}) !== ${STATE.STARTING}) return;
  say(describe(e));
  Atomics.store(ctl, ${SLOT.STATE}, ${STATE.FAILED});
  Atomics.notify(ctl, ${SLOT.STATE});
}
function finish(id, e) {
  if (e !== undefined) say(describe(e));
  Atomics.store(ctl, ${SLOT.STATUS}, e === undefined ? 0 : 1);
  Atomics.store(ctl, ${SLOT.DONE}, id);
  Atomics.notify(ctl, ${SLOT.DONE});
}
// Whatever escapes (a rejected promise inside gpu.js or Dawn) fails the job in
// flight, or the start, instead of killing the thread silently.
function escaped(e) {
  if (current !== undefined) {
    const id = current;
    current = undefined;
    finish(id, e);
  } else failStart(e);
}
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);

async function startWebGpu() {
  let dawn;
  try {
    dawn = createRequire(dawnPath)(dawnPath);
  } catch (e) {
    throw new Error('Dawn (' + dawnPath + ') failed to load: ' + String(e && e.message).split('\\n')[0]);
  }
  Object.assign(globalThis, dawn.globals);
  const native = dawn.create(dawnOptions);
  const adapter = await native.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn loaded, but no WebGPU adapter answered (no Vulkan driver found)');
  const info = adapter.info || {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => typeof s === 'string' && s !== '').join(' / ') || 'unnamed adapter';
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(name);
  if (software && !acceptSoftwareAdapter) throw new Error('the only WebGPU adapter is a software renderer (' + name + ')');
  // gpu.js asks navigator.gpu for its adapter and device: hand it this adapter,
  // and keep the device, so that each product can check the device's error
  // scopes. Dawn's binding takes no JavaScript function as the device's
  // onuncapturederror handler (it throws), which gpu.js sets: give the device
  // a plain property of that name instead (errors are caught by the scopes).
  const requestDevice = adapter.requestDevice.bind(adapter);
  Object.defineProperty(adapter, 'requestDevice', {
    configurable: true,
    value: async (descriptor) => {
      const d = await requestDevice(descriptor);
      Object.defineProperty(d, 'onuncapturederror', { value: null, writable: true, configurable: true });
      device = d;
      return d;
    },
  });
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    writable: true,
    value: { gpu: { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => native.getPreferredCanvasFormat() } },
  });
  return name + (software ? ' (software)' : '');
}

function kernelFor(m, k, n, ta, tb) {
  const key = m + 'x' + k + 'x' + n + ':' + ta + tb;
  let kern = kernels.get(key);
  if (kern === undefined) {
    kern = gpu.createKernel(source, {
      output: [n, m],
      constants: { k, m, n, ta, tb },
      precision: 'single',
      tactic: 'precision',
      loopMaxIterations: Math.max(k, 1),
    });
    kernels.set(key, kern);
  }
  return kern;
}

async function product(m, k, n, transA, transB, a, b, out) {
  const kern = kernelFor(m, k, n, transA ? 1 : 0, transB ? 1 : 0);
  const scoped = device !== undefined && typeof device.pushErrorScope === 'function';
  if (scoped) {
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
  }
  let res;
  let failure;
  try {
    res = await kern(a, b);
  } catch (e) {
    failure = e;
  }
  if (scoped) {
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    const gpuError = oom || invalid;
    if (failure === undefined && gpuError) failure = new Error('WebGPU: ' + gpuError.message);
  }
  if (failure !== undefined) throw failure;
  if (res instanceof Float32Array && res.length === m * n) {
    out.set(res);
    return;
  }
  const rows = Array.isArray(res) ? res : [res];
  if (rows.length !== m) throw new Error('gpu.js returned ' + rows.length + ' rows for an output of ' + m + ' x ' + n);
  for (let i = 0; i < m; i++) out.set(rows[i].subarray(0, n), i * n);
}

async function start() {
  let adapter = '';
  if (mode === 'webgpu') adapter = await startWebGpu();
  const { GPU } = createRequire(gpujsPath)(gpujsPath);
  gpu = new GPU({ mode });
  // A first product proves the whole path (and compiles, on a GPU, a first shader).
  const out = new Float32Array(4);
  await product(2, 3, 2, false, false, new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([1, 2, 3, 4, 5, 6]), out);
  if (out.join() !== '22,28,49,64') throw new Error('gpu.js (' + gpu.mode + ') computed [[1, 2, 3], [4, 5, 6]] x [[1, 2], [3, 4], [5, 6]] as ' + out.join());
  say(JSON.stringify({ mode: gpu.mode, adapter }));
  Atomics.store(ctl, ${SLOT.STATE}, ${STATE.READY});
  Atomics.notify(ctl, ${SLOT.STATE});
}

parentPort.on('message', (job) => {
  if (job.close === true) {
    shutDown();
    return;
  }
  current = job.id;
  if (job.data !== undefined) data = new Float32Array(job.data);
  const { m, k, n } = job;
  const a = data.subarray(0, m * k);
  const b = data.subarray(m * k, m * k + k * n);
  const out = data.subarray(m * k + k * n, m * k + k * n + m * n);
  product(m, k, n, job.transA, job.transB, a, b, out).then(
    () => {
      if (current === job.id) { current = undefined; finish(job.id); }
    },
    (e) => {
      if (current === job.id) { current = undefined; finish(job.id, e); }
    },
  );
});

// Dawn polls for GPU events from this thread while a device is alive; a
// worker terminated from outside in the middle of such a poll aborts the whole
// process. So the caller asks the worker to end itself instead: it lets go of
// the device, reports, and exits from here, between two polls.
function shutDown() {
  try {
    if (device !== undefined) device.destroy();
  } catch {}
  Atomics.store(ctl, ${SLOT.STATE}, ${STATE.CLOSED});
  Atomics.notify(ctl, ${SLOT.STATE});
  process.exit(0);
}

start().catch(failStart);
`;
