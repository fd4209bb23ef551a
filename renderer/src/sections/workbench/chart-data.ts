import type { BarSeriesOption, LineSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import type { DataZoomComponentOption, GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { Cell, ChartSpec, ColumnKind, ColumnMeta } from '../../../../shared/contract/operations/workbench';
import { isNumericKind } from './grid-source';
import type { ThemeColors } from './theme-colors';

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | DataZoomComponentOption
>;

export type AxisKind = 'time' | 'value' | 'category';

export const MAX_Y_COLUMNS = 8;
export const DEFAULT_BINS = 20;

const isTimeKind = (kind: ColumnKind) => kind === 'date' || kind === 'timestamp' || kind === 'timestamptz';

export function axisKindOf(kind: ColumnKind): AxisKind {
  if (isTimeKind(kind)) return 'time';
  return isNumericKind(kind) ? 'value' : 'category';
}

const ISO_ISH = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Engine timestamp text to epoch ms. PostgreSQL prints `2024-01-01 10:00:00+00`
 * and Spark `2024-01-01 10:00:00.123456`; Date.parse wants a `T`, an offset
 * with minutes and at most milliseconds. Text without a zone is taken as local
 * time, as the chart's axis shows it, so it reads as the engine printed it.
 */
export function parseTime(text: string): number | undefined {
  const match = ISO_ISH.exec(text.trim());
  if (!match) return undefined;
  const [, date, hm = '00:00', seconds = ':00', fraction, zone] = match;
  const ms = fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : '';
  let offset = '';
  if (zone)
    offset =
      zone.toUpperCase() === 'Z'
        ? 'Z'
        : zone.length === 3
          ? `${zone}:00`
          : zone.includes(':')
            ? zone
            : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const time = Date.parse(`${date}T${hm}${seconds}${ms}${offset}`);
  return Number.isNaN(time) ? undefined : time;
}

/** A cell as a plotted number: exact text stays in the grid, the chart only needs a position. */
export function toNumber(cell: Cell, kind: ColumnKind): number | null {
  if (cell === null) return null;
  if (isTimeKind(kind)) return parseTime(cell) ?? null;
  if (kind === 'bool') return cell === 't' || cell === 'true' ? 1 : cell === 'f' || cell === 'false' ? 0 : null;
  const value = Number(cell);
  return cell.trim() !== '' && Number.isFinite(value) ? value : null;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** Equal-width bins over [min, max]; the last bin is closed so the maximum is counted. */
export function histogram(values: number[], bins: number): Histogram {
  if (values.length === 0) return { edges: [], counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const width = max > min ? (max - min) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const value of values) counts[Math.min(bins - 1, Math.floor((value - min) / width))]!++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => min + i * width), counts };
}

/** A first chart for a result: time or the first column across, the first numeric column up. */
export function defaultSpec(columns: ColumnMeta[]): ChartSpec {
  const x = columns.find((c) => isTimeKind(c.kind)) ?? columns[0];
  const y = columns.find((c) => c !== x && isNumericKind(c.kind));
  return { type: x && isTimeKind(x.kind) ? 'line' : 'bar', x: x?.name ?? '', y: y ? [y.name] : [] };
}

/** A remembered spec against this result's columns: names that are gone fall back or drop out. */
export function fitSpec(spec: ChartSpec | undefined, columns: ColumnMeta[]): ChartSpec {
  const fallback = defaultSpec(columns);
  if (!spec) return fallback;
  const names = new Set(columns.map((c) => c.name));
  const x = names.has(spec.x) ? spec.x : fallback.x;
  return { ...spec, x, y: spec.y.filter((name) => names.has(name) && name !== x).slice(0, MAX_Y_COLUMNS) };
}

/** Only the columns a chart plots, read out of result rows. */
export interface ChartData {
  x: Cell[];
  ys: Cell[][];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Bin edges rounded to the bin width's scale (no 1e-9 from float steps); times local, as the time axis shows them. */
function formatEdge(value: number, axis: AxisKind, width: number): string {
  if (axis !== 'time') return Number(value.toFixed(Math.min(12, Math.max(0, 2 - Math.floor(Math.log10(width)))))).toString();
  const d = new Date(value);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return time === '00:00:00' ? day : `${day} ${time}`;
}

export function buildOption(spec: ChartSpec, columns: ColumnMeta[], data: ChartData, colors: ThemeColors, animate: boolean): ChartOption {
  const xMeta = columns.find((c) => c.name === spec.x);
  const yMetas = spec.y.map((name) => columns.find((c) => c.name === name)).filter((c): c is ColumnMeta => c !== undefined);
  const axisStyle = {
    axisLine: { lineStyle: { color: colors.border } },
    // A time axis puts a month's name where a day's number also falls; drawing both makes neither readable.
    axisLabel: { color: colors.muted, hideOverlap: true },
    splitLine: { lineStyle: { color: colors.border, opacity: 0.6 } },
    nameTextStyle: { color: colors.muted },
  };
  const points = data.x.length;
  const base: ChartOption = {
    backgroundColor: 'transparent',
    animation: animate,
    textStyle: { color: colors.fg, fontFamily: colors.fontFamily },
    tooltip: {
      trigger: spec.type === 'scatter' ? 'item' : 'axis',
      backgroundColor: colors.bg2,
      borderColor: colors.border,
      textStyle: { color: colors.fg },
    },
    legend: { top: 0, textStyle: { color: colors.fg } },
    grid: { left: 16, right: 24, top: 36, bottom: 64, containLabel: true },
    dataZoom: [
      { type: 'inside' },
      { type: 'slider', height: 18, bottom: 10, textStyle: { color: colors.muted }, borderColor: colors.border },
    ],
  };
  if (!xMeta) return base;
  const xAxisKind = axisKindOf(xMeta.kind);
  // Under the axis: at its end the name runs off the canvas.
  const xName = { name: xMeta.name, nameLocation: 'middle' as const, nameGap: 28 };

  if (spec.type === 'histogram') {
    const values = data.x.map((cell) => toNumber(cell, xMeta.kind)).filter((v): v is number => v !== null);
    const { edges, counts } = histogram(values, spec.bins ?? DEFAULT_BINS);
    const binAxis = xAxisKind === 'time' ? 'time' : 'value';
    const width = edges.length > 1 ? edges[1]! - edges[0]! : 1;
    return {
      ...base,
      xAxis: {
        type: 'category',
        ...xName,
        data: counts.map((_, i) => `${formatEdge(edges[i]!, binAxis, width)} – ${formatEdge(edges[i + 1]!, binAxis, width)}`),
        ...axisStyle,
      },
      yAxis: { type: 'value', name: 'rows', ...axisStyle },
      series: [{ type: 'bar', name: `rows by ${xMeta.name}`, data: counts, barCategoryGap: '4%' }],
    };
  }

  const large = points > 2000;
  const xs = xAxisKind === 'category' ? data.x.map((cell) => cell ?? 'NULL') : data.x.map((cell) => toNumber(cell, xMeta.kind));
  const series = yMetas.map((meta, index): LineSeriesOption | BarSeriesOption | ScatterSeriesOption => {
    const ys = (data.ys[index] ?? []).map((cell) => toNumber(cell, meta.kind));
    const values = xAxisKind === 'category' ? ys : ys.map((y, i) => [xs[i] ?? null, y]);
    if (spec.type === 'scatter') return { type: 'scatter', name: meta.name, data: values, large, symbolSize: large ? 3 : 6 };
    if (spec.type === 'bar') return { type: 'bar', name: meta.name, data: values, large };
    return {
      type: 'line',
      name: meta.name,
      data: values,
      showSymbol: !large,
      sampling: 'lttb',
      connectNulls: false,
      ...(spec.type === 'area' ? { areaStyle: { opacity: 0.25 } } : {}),
    };
  });
  return {
    ...base,
    xAxis:
      xAxisKind === 'category'
        ? { type: 'category', ...xName, data: xs as string[], ...axisStyle }
        : xAxisKind === 'time'
          ? // A day's label says its month: the month's own label is hidden when it would overlap one.
            { type: 'time', ...xName, ...axisStyle, axisLabel: { ...axisStyle.axisLabel, formatter: { day: '{MMM} {d}' } } }
          : { type: 'value', ...xName, scale: true, ...axisStyle },
    yAxis: { type: 'value', scale: spec.type !== 'bar', ...axisStyle },
    series,
  };
}
