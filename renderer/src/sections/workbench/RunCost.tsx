import { useCall } from '../../bridge/hooks';
import { formatCost } from '../operations/format';

/**
 * What a finished statement on a Redshift connection cost: its elapsed time at the warehouse's price, asked once the
 * statement is done, so the run itself never waits for it. Nothing is shown when the warehouse cannot be priced.
 */
export function RunCost({ connectionId, durationMs }: { connectionId: string; durationMs: number }) {
  const { data } = useCall('warehouse.runCost', { connectionId, elapsedMs: Math.round(durationMs) });
  if (!data) return null;
  return (
    <span className="muted" title={`${data.price.describe}; price table of ${data.price.priceDate}`}>
      {' '}
      · cost {formatCost(data.cost)} (prices of {data.price.priceDate})
    </span>
  );
}
