import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ChartSpec } from '../../../../shared/contract/operations/workbench';
import { buildOption, DEFAULT_BINS, fitSpec, MAX_Y_COLUMNS, type ChartData } from './chart-data';
import { dataUrlToBlob, download } from './download';
import { formatCount, MAX_FETCH_ROWS, type GridSource } from './grid-source';
import { useThemeColors } from './theme-colors';

echarts.use([
  LineChart,
  BarChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  CanvasRenderer,
  SVGRenderer,
]);

/** Charts read rows into memory (the grid does not); past this a chart is a summary the query should compute. */
export const MAX_CHART_ROWS = 200_000;
/** Animating hundreds of thousands of points only delays the picture. */
const ANIMATE_BELOW = 5_000;

const chartTypes: { id: ChartSpec['type']; label: string }[] = [
  { id: 'line', label: 'Line' },
  { id: 'bar', label: 'Bar' },
  { id: 'area', label: 'Area' },
  { id: 'scatter', label: 'Scatter' },
  { id: 'histogram', label: 'Histogram' },
];

interface Loaded {
  key: string;
  data: ChartData;
  /** Rows there were when reading started. */
  of: number;
}

export interface ResultChartProps {
  source: GridSource;
  /** The spec kept with the query; absent means "pick something sensible for these columns". */
  value: ChartSpec | undefined;
  onChange(spec: ChartSpec): void;
  maxRows?: number;
}

export function ResultChart({ source, value, onChange, maxRows = MAX_CHART_ROWS }: ResultChartProps) {
  const { columns, fetch, complete, total } = source;
  const spec = useMemo(() => fitSpec(value, columns), [value, columns]);
  const colors = useThemeColors();
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts>(null);
  const [loaded, setLoaded] = useState<Loaded>();
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<string>();

  const xIndex = columns.findIndex((c) => c.name === spec.x);
  const yIndexes = spec.type === 'histogram' ? [] : spec.y.map((name) => columns.findIndex((c) => c.name === name));
  // Reading again when the query completes replaces a partial picture with the whole one (up to maxRows).
  const readKey = JSON.stringify([xIndex, yIndexes, complete]);
  // Read once per reading: a growing result must not restart the reading on every batch.
  const totalNow = useRef(total);
  useEffect(() => {
    totalNow.current = total;
  }, [total]);

  useEffect(() => {
    // From the key, so an equal spec in a new object does not restart the reading.
    const [xColumn, yColumns] = JSON.parse(readKey) as [number, number[]];
    if (xColumn < 0) return;
    let cancelled = false;
    const read = async () => {
      let of = totalNow.current;
      const limit = Math.min(of, maxRows);
      const data: ChartData = { x: [], ys: yColumns.map(() => []) };
      for (let offset = 0; offset < limit; offset += MAX_FETCH_ROWS) {
        const asked = Math.min(MAX_FETCH_ROWS, limit - offset);
        const rows = await fetch(offset, asked);
        if (cancelled) return;
        for (const row of rows) {
          data.x.push(row[xColumn] ?? null);
          yColumns.forEach((column, i) => data.ys[i]!.push(row[column] ?? null));
        }
        setProgress(offset + rows.length);
        // The grid's filter reads through the same view, so it can be shorter than the result: then it is all there is.
        if (rows.length < asked) {
          of = offset + rows.length;
          break;
        }
      }
      if (!cancelled) setLoaded({ key: readKey, data, of });
    };
    read().catch((caught: unknown) => !cancelled && setError(caught instanceof Error ? caught.message : String(caught)));
    return () => {
      cancelled = true;
    };
  }, [fetch, readKey, maxRows]);

  const option = useMemo(
    () => (loaded ? buildOption(spec, columns, loaded.data, colors, loaded.data.x.length < ANIMATE_BELOW) : undefined),
    [loaded, spec, columns, colors],
  );

  useEffect(() => {
    if (!host.current) return;
    const instance = echarts.init(host.current, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(host.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (option) chart.current?.setOption(option, { notMerge: true, lazyUpdate: true });
  }, [option]);

  const exportPng = () => {
    const url = chart.current?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: colors.bg });
    if (url) download(dataUrlToBlob(url), `${fileStem(spec)}.png`);
  };

  // An offscreen server-side-rendering instance gives a real vector file whatever the on-screen renderer is.
  const exportSvg = () => {
    if (!option || !host.current) return;
    const offscreen = echarts.init(null, undefined, {
      renderer: 'svg',
      ssr: true,
      width: host.current.clientWidth,
      height: host.current.clientHeight,
    });
    try {
      offscreen.setOption({ ...option, animation: false, backgroundColor: colors.bg });
      download(new Blob([offscreen.renderToSVGString()], { type: 'image/svg+xml' }), `${fileStem(spec)}.svg`);
    } finally {
      offscreen.dispose();
    }
  };

  const change = (patch: Partial<ChartSpec>) => onChange({ ...spec, ...patch });
  const toggleY = (name: string, on: boolean) => change({ y: on ? [...spec.y, name] : spec.y.filter((y) => y !== name) });
  const stale = loaded?.key !== readKey;
  const read = loaded?.data.x.length ?? 0;

  return (
    <div className="result-chart">
      <div className="chart-controls" role="toolbar" aria-label="Chart">
        <label>
          Type{' '}
          <select value={spec.type} onChange={(e) => change({ type: e.target.value as ChartSpec['type'] })}>
            {chartTypes.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          X{' '}
          <select value={spec.x} onChange={(e) => change({ x: e.target.value, y: spec.y.filter((y) => y !== e.target.value) })}>
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.type})
              </option>
            ))}
          </select>
        </label>
        {spec.type === 'histogram' ? (
          <label>
            Bins{' '}
            <input
              type="number"
              min={2}
              max={500}
              value={spec.bins ?? DEFAULT_BINS}
              onChange={(e) => change({ bins: Math.min(500, Math.max(2, Math.round(Number(e.target.value)) || DEFAULT_BINS)) })}
            />
          </label>
        ) : (
          <fieldset className="chart-y">
            <legend>Y (up to {MAX_Y_COLUMNS})</legend>
            {columns
              .filter((c) => c.name !== spec.x)
              .map((c) => {
                const on = spec.y.includes(c.name);
                return (
                  <label key={c.name}>
                    <input
                      type="checkbox"
                      checked={on}
                      disabled={!on && spec.y.length >= MAX_Y_COLUMNS}
                      onChange={(e) => toggleY(c.name, e.target.checked)}
                    />{' '}
                    {c.name}
                  </label>
                );
              })}
          </fieldset>
        )}
        <span className="spacer" />
        <button type="button" onClick={exportPng} disabled={!option}>
          Export PNG
        </button>
        <button type="button" onClick={exportSvg} disabled={!option}>
          Export SVG
        </button>
      </div>
      <div
        ref={host}
        className="chart-canvas"
        role="img"
        aria-label={`${spec.type} chart of ${[spec.x, ...(spec.type === 'histogram' ? [] : spec.y)].join(', ')}`}
      />
      <p className="result-grid-status" role="status" aria-label="Chart status">
        {xIndex < 0 ? (
          'Nothing to chart: the result has no columns.'
        ) : error ? (
          <span className="error-text">{error}</span>
        ) : stale ? (
          `Reading rows… ${formatCount(progress)}`
        ) : loaded && loaded.of > read ? (
          `Charted the first ${formatCount(read)} of ${formatCount(loaded.of)} rows.`
        ) : (
          `Charted ${formatCount(read)} rows${complete ? '' : ' (the query is still running)'}.`
        )}
      </p>
    </div>
  );
}

function fileStem(spec: ChartSpec): string {
  return `chart-${spec.type}-${[spec.x, ...spec.y].join('-')}`.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100);
}
