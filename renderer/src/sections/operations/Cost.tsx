import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, useState } from 'react';
import { useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatUsd } from '../provision/format';
import { useThemeColors } from '../workbench/theme-colors';
import { formatCost, priceLine } from './format';
import { Headings } from './Headings';
import type { OperationsTabProps } from './tab-props';

echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

const spans = [7, 14, 30, 90];

/** What the warehouse's queries cost per day, as a bar chart and a table. */
export default function Cost({ connectionId }: OperationsTabProps) {
  const [days, setDays] = useState(14);
  const cost = useCall('warehouse.cost', { connectionId, days });
  const data = cost.data;
  const colors = useThemeColors();
  const host = useRef<HTMLDivElement>(null);
  const total = (data?.days ?? []).reduce((sum, d) => sum + d.usd, 0);
  const queried = (data?.days ?? []).filter((d) => d.queries > 0).length;

  useEffect(() => {
    if (!host.current || !data) return;
    const chart = echarts.init(host.current, undefined, { renderer: 'canvas' });
    chart.setOption({
      textStyle: { fontFamily: colors.fontFamily, color: colors.fg },
      grid: { left: 70, right: 20, top: 20, bottom: 40 },
      tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => formatCost({ usd: Number(value) }) },
      xAxis: { type: 'category', data: data.days.map((d) => d.day), axisLabel: { color: colors.muted } },
      yAxis: {
        type: 'value',
        axisLabel: { color: colors.muted, formatter: (value: number) => formatUsd(value) },
        splitLine: { lineStyle: { color: colors.border } },
      },
      series: [{ type: 'bar', name: 'Cost', barMaxWidth: 40, data: data.days.map((d) => d.usd), itemStyle: { color: colors.accent } }],
    });
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(host.current);
    return () => {
      observer.disconnect();
      chart.dispose();
    };
  }, [data, colors]);

  return (
    <div className="ops-cost">
      <ErrorMessage error={cost.error} />
      <div className="row">
        <label>
          Over the last{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {spans.map((n) => (
              <option key={n} value={n}>
                {n} days
              </option>
            ))}
          </select>
        </label>
        {data && (
          <strong>
            {formatCost({ usd: total })} over {data.days.length} days, {queried} with queries
          </strong>
        )}
      </div>
      <p className="muted small">
        {priceLine(data?.price)} {data?.method}
      </p>
      <div ref={host} className="ops-cost-chart" role="img" aria-label="Cost per day" />
      <table className="table ops-table" aria-label="Cost per day">
        <Headings names={['Day (UTC)', 'Queries', 'Cost']} numeric={['Queries', 'Cost']} />
        <tbody>
          {/* Quiet days are in the chart; the table lists the days that cost something. */}
          {(data?.days ?? [])
            .filter((d) => d.queries > 0 || d.usd > 0)
            .map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td className="num">{d.queries.toLocaleString('en-US')}</td>
                <td className="num">{formatCost({ usd: d.usd })}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
