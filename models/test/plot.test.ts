import { ArgumentError } from '@mnemo/core';
import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../src/report/index.js';

// The lead wires models/src/index.ts; until then the report module is imported directly.

/**
 * Check that `svg` is well-formed XML of the kind Vega writes (elements, quoted
 * attributes, escaped text, no doctype or CDATA) and return its element names.
 */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const text = svg.slice(i, lt < 0 ? svg.length : lt);
    // Text may hold only entities, never a bare '&' or '>'-less markup.
    expect(text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, '')).not.toMatch(/[&<]/);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [, close, name, attrs, selfClose] = m as unknown as [string, string, string, string, string];
    for (const a of attrs.matchAll(/="([^"]*)"/g)) {
      expect((a[1] as string).replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '')).not.toMatch(/[&<]/);
    }
    if (close === '/') {
      expect(stack.pop(), `closing </${name}> at ${lt}`).toBe(name);
    } else {
      names.push(name);
      if (selfClose !== '/') stack.push(name);
    }
    i = tag.lastIndex;
    if (stack.length === 0) {
      expect(svg.slice(i).trim()).toBe('');
      break;
    }
  }
  expect(stack).toEqual([]);
  return names;
}

/** The `d` attributes of the line marks, one per series, in order. */
const linePaths = (svg: string): string[] => {
  const group = /<g class="mark-line role-mark"[^>]*>(.*?)<\/g>/gs;
  return [...svg.matchAll(group)].flatMap((g) => [...(g[1] as string).matchAll(/<path[^>]* d="([^"]*)"/g)].map((p) => p[1] as string));
};

describe('lineChartSvg', () => {
  it('renders a well-formed SVG with a title, axis titles, one line per series and a legend naming each', async () => {
    const svg = await lineChartSvg({
      title: 'MNIST loss',
      xLabel: 'training step',
      yLabel: 'cross-entropy',
      series: [
        { name: 'train <batch> & co', points: [[0, 2.3], [10, 1.5], [20, 0.9], [30, 0.6]] },
        { name: 'test', points: [[0, 2.2], [30, 0.7]] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const names = checkWellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'text').length).toBeGreaterThan(10); // ticks, titles, legend
    for (const t of ['MNIST loss', 'training step', 'cross-entropy', 'train &lt;batch&gt; &amp; co', '>test<']) {
      expect(svg).toContain(t);
    }
    const paths = linePaths(svg);
    expect(paths).toHaveLength(2);
    // Four and two points: one move and three or one line-to, in the caller's order.
    expect(paths[0]).toMatch(/^M[^ML]+(L[^ML]+){3}$/);
    expect(paths[1]).toMatch(/^M[^ML]+L[^ML]+$/);
    // The plotting area is 640 x 360 by default: x = 0 maps to 0 and x = 30 to 640.
    expect(paths[0]!.startsWith('M0,')).toBe(true);
    expect(paths[0]!).toContain('L640,');
  });

  it('leaves a gap where y is not finite instead of stretching the axis', async () => {
    const svg = await lineChartSvg({
      title: 'diverged',
      xLabel: 'step',
      yLabel: 'loss',
      series: [{ name: 'loss', points: [[0, 1], [1, 0.5], [2, NaN], [3, 0.25], [4, Infinity], [5, 0.125]] }],
    });
    checkWellFormed(svg);
    const [d] = linePaths(svg);
    expect(d?.match(/M/g)?.length).toBe(3); // three pieces: [0, 1], [3], [5]
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws a log scale, treating y <= 0 as a gap', async () => {
    const svg = await lineChartSvg({
      title: 'MSE',
      xLabel: 'step',
      yLabel: 'mse',
      yScale: 'log',
      width: 300,
      height: 200,
      series: [{ name: 'lstm', points: [[0, 0.17], [1, 0.01], [2, 0], [3, 0.0001]] }],
    });
    checkWellFormed(svg);
    expect(svg).toContain('>0.0001<');
    expect(svg).toContain('>0.1<');
    expect(linePaths(svg)[0]?.match(/M/g)?.length).toBe(2);
  });

  it('rejects duplicate or empty names, bad sizes, and a chart with nothing to draw', async () => {
    const base = { title: 't', xLabel: 'x', yLabel: 'y' };
    const p: [number, number][] = [[0, 1]];
    await expect(lineChartSvg({ ...base, series: [{ name: 'a', points: p }, { name: 'a', points: p }] })).rejects.toThrow(
      "lineChartSvg: argument 'series': two series are named 'a'",
    );
    await expect(lineChartSvg({ ...base, series: [{ name: ' ', points: p }] })).rejects.toThrow(ArgumentError);
    await expect(lineChartSvg({ ...base, series: [] })).rejects.toThrow('nothing to plot: no series');
    await expect(lineChartSvg({ ...base, series: [{ name: 'a', points: [[0, NaN]] }] })).rejects.toThrow(
      'series [a] have no drawable point',
    );
    await expect(lineChartSvg({ ...base, width: 0, series: [{ name: 'a', points: p }] })).rejects.toThrow(
      "lineChartSvg: argument 'width'",
    );
  });
});
