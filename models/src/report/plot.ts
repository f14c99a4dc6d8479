/**
 * Line charts rendered to SVG in Node, for the loss and accuracy curves a run
 * writes. The drawing is done by Vega (`vega` on npm): we build a small Vega spec
 * and ask a headless view for its SVG, so no browser, canvas or network is needed.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import { parse, View, type Spec } from 'vega';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One named curve: its points in the order they are drawn.
 *
 * @example
 * ```ts
 * import type { LineSeries } from '@mnemo/models';
 * const s: LineSeries = { name: 'train loss', points: [[1, 2.3], [2, 1.9]] };
 * console.assert(s.points.length === 2);
 * ```
 * @category Reports
 */
export interface LineSeries {
  /** Shown in the legend; unique within a chart. */
  readonly name: string;
  /** `[x, y]` pairs, joined in this order. */
  readonly points: readonly (readonly [number, number])[];
}

/**
 * What {@link lineChartSvg} draws.
 *
 * @example
 * ```ts
 * import type { LineChartOptions } from '@mnemo/models';
 * const o: LineChartOptions = { title: 'Loss', xLabel: 'step', yLabel: 'loss', yScale: 'log', series: [] };
 * console.assert(o.yScale === 'log');
 * ```
 * @category Reports
 */
export interface LineChartOptions {
  /** The chart's title, drawn above it. */
  readonly title: string;
  /** The horizontal axis's title. */
  readonly xLabel: string;
  /** The vertical axis's title. */
  readonly yLabel: string;
  /** The curves, one colour each, in legend order. */
  readonly series: readonly LineSeries[];
  /** `linear` (the default) or `log`, for losses that fall over decades. */
  readonly yScale?: 'linear' | 'log';
  /** Width of the plotting area in pixels (default 640). */
  readonly width?: number;
  /** Height of the plotting area in pixels (default 360). */
  readonly height?: number;
}

// -------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------

interface Datum {
  readonly series: string;
  readonly x: number;
  readonly y: number | null;
}

const positive = (v: number | undefined, name: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v < 16) throw new ArgumentError('lineChartSvg', name, `must be a number >= 16, got ${v}`);
  return v;
};

/**
 * Render a line chart to a standalone SVG document: a title, both axes with grid
 * lines, one coloured line per series and a legend naming them. A point whose `y`
 * is not finite (a loss that became NaN, say), or not positive on a log scale,
 * leaves a gap in its line instead of bending the axes; a point whose `x` is not
 * finite is left out. Throws an `ArgumentError` for duplicate or empty series
 * names, or when there is no point to draw at all.
 *
 * @example
 * ```ts
 * import { lineChartSvg } from '@mnemo/models';
 * const svg = await lineChartSvg({
 *   title: 'Training loss',
 *   xLabel: 'step',
 *   yLabel: 'loss',
 *   series: [
 *     { name: 'train', points: [[0, 2.3], [100, 0.9], [200, 0.4]] },
 *     { name: 'test', points: [[0, 2.3], [200, 0.5]] },
 *   ],
 * });
 * console.assert(svg.startsWith('<svg') && svg.includes('train') && svg.includes('test'));
 * ```
 * @category Reports
 */
export async function lineChartSvg(options: LineChartOptions): Promise<string> {
  const { title, xLabel, yLabel, series } = options;
  const yScale = options.yScale ?? 'linear';
  const width = positive(options.width, 'width', 640);
  const height = positive(options.height, 'height', 360);

  const names = series.map((s) => s.name);
  names.forEach((n, i) => {
    if (n.trim() === '') throw new ArgumentError('lineChartSvg', 'series', `series ${i} has an empty name`);
    if (names.indexOf(n) !== i) throw new ArgumentError('lineChartSvg', 'series', `two series are named '${n}'`);
  });

  const values: Datum[] = [];
  let drawable = 0;
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x)) continue;
      const ok = Number.isFinite(y) && (yScale === 'linear' || y > 0);
      if (ok) drawable++;
      values.push({ series: s.name, x, y: ok ? y : null });
    }
  }
  if (drawable === 0) {
    const what = series.length === 0 ? 'no series' : `series [${names.join(', ')}] have no drawable point`;
    throw new ArgumentError('lineChartSvg', 'series', `nothing to plot: ${what}`);
  }

  const spec: Spec = {
    width,
    height,
    padding: 8,
    background: 'white',
    title: { text: title, anchor: 'start', fontSize: 15, offset: 12 },
    data: [
      { name: 'points', values },
      // Only drawable points decide the axes' extents.
      { name: 'drawn', source: 'points', transform: [{ type: 'filter', expr: 'datum.y !== null' }] },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: { data: 'points', field: 'x' }, range: 'width', zero: false, nice: true },
      { name: 'y', type: yScale, domain: { data: 'drawn', field: 'y' }, range: 'height', zero: false, nice: true },
      { name: 'color', type: 'ordinal', domain: names, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: xLabel, grid: true, gridOpacity: 0.35, tickCount: 8 },
      { orient: 'left', scale: 'y', title: yLabel, grid: true, gridOpacity: 0.35, tickCount: 6 },
    ],
    legends: [{ stroke: 'color', orient: 'right', symbolType: 'stroke', symbolStrokeWidth: 2.5, labelFontSize: 12, labelLimit: 360 }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'one', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'one' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 1.75 },
                defined: { signal: 'datum.y !== null' },
              },
            },
          },
        ],
      },
    ],
  };

  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
