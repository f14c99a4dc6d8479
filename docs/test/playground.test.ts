/**
 * The playground's first cell (docs/playground/janet.js, JavaScript, so that
 * the page can run what the user edits) is the guide's JANET cell
 * (docs/guides/examples/janet.ts): the same family, parameters, state and
 * gates, and the same numbers bit for bit, forward and backward.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { key, normal, unsafeDataOf, type Tensor } from '@mnemo/core';
import { sum, tree, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { cellFromModule, paramShapes, scan, type Cell } from '@mnemo/nn';
import * as guideModule from '../guides/examples/janet.js';
import { ROOT } from './doc-comments.js';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(unsafeDataOf(t).slice().buffer));

describe("the playground's JANET cell", () => {
  it('is the guide’s cell: same definition, same values and gradients bit for bit', async () => {
    const file = join(ROOT, 'docs', 'playground', 'janet.js');
    const page = cellFromModule((await import(/* @vite-ignore */ pathToFileURL(file).href)) as unknown, { source: file });
    const guide = cellFromModule(guideModule, { source: 'docs/guides/examples/janet.ts' });
    expect(page.family).toBe(guide.family);
    for (const dtype of ['float32', 'float64'] as const) {
      const sizes = { inputSize: 3, hiddenSize: 4, dtype, variants: [] };
      const a = page.make(sizes) as Cell;
      const b = guide.make(sizes) as Cell;
      expect(a.gates).toEqual(b.gates);
      expect(paramShapes(a)).toEqual(paramShapes(b));
      const pa = a.init(key(7));
      const pb = b.init(key(7));
      expect(tree.flatten(pa)[0].map(bits)).toEqual(tree.flatten(pb)[0].map(bits));
      const xs = normal(key(8), [2, 5, 3], { dtype });
      const loss = (cell: Cell) => (p: Tree): Tensor => sum(scan(cell, p, xs).outputs);
      const [la, ga] = valueAndGrad(loss(a))(pa);
      const [lb, gb] = valueAndGrad(loss(b))(pb);
      expect(bits(la)).toEqual(bits(lb));
      expect(tree.flatten(ga)[0].map(bits)).toEqual(tree.flatten(gb)[0].map(bits));
    }
  });
});
