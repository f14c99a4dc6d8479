import { describe, expect, it } from 'vitest';
import * as mnemo from 'mnemo';
import * as core from '@mnemo/core';
import * as autodiff from '@mnemo/autodiff';
import * as nn from '@mnemo/nn';
import * as proofs from '@mnemo/proofs';
import * as models from '@mnemo/models';

describe('the umbrella entry re-exports every layer', () => {
  it('has every public name of every layer, the ops winning where names clash', () => {
    for (const layer of [core, autodiff, nn, proofs, models]) {
      for (const name of Object.keys(layer)) expect(mnemo, name).toHaveProperty(name);
    }
    expect(mnemo.split).toBe(autodiff.split);
    expect(mnemo.stack).toBe(autodiff.stack);
    expect(mnemo.splitKey).toBe(core.split);
    expect(mnemo.grad).toBe(autodiff.grad);
  });
  it('a first gradient through the umbrella', () => {
    const g = mnemo.grad((x: core.Tensor) => mnemo.sum(mnemo.square(x)))(mnemo.tensor([1, -2], 'float64'));
    expect(Array.from(g.toArray())).toEqual([2, -4]);
  });
});

describe('mnemo/browser re-exports the four layers that run in a browser', () => {
  it('has every public name of core, autodiff, nn and proofs, and nothing of models or file I/O', async () => {
    const browser = await import('mnemo/browser');
    for (const layer of [core, autodiff, nn, proofs]) {
      for (const name of Object.keys(layer)) expect(browser, name).toHaveProperty(name);
    }
    expect(browser.split).toBe(autodiff.split);
    expect(browser.splitKey).toBe(core.split);
    expect(browser).not.toHaveProperty('saveParams');
    expect(browser).not.toHaveProperty('train');
    expect(mnemo.train).toBe(models.train);
    expect(mnemo.saveParams).toBeTypeOf('function');
  });
});
