import { useEffect, useState } from 'react';
import { parsePlan, type PlanNode } from '../../../../shared/sql/plan';
import type { ResultReader } from './result-source';

/** Plans are a few hundred lines at most; more is not a plan worth drawing. */
const MAX_PLAN_LINES = 5000;

/** An EXPLAIN result drawn as the operator tree it describes. */
export function PlanTree({ reader, complete }: { reader: ResultReader; complete: boolean }) {
  const [plan, setPlan] = useState<PlanNode[]>();
  useEffect(() => {
    if (!complete) return;
    let live = true;
    void reader.fetch(0, MAX_PLAN_LINES).then((rows) => {
      // Redshift and PostgreSQL print a row per line; Spark prints the whole plan in one cell.
      if (live) setPlan(parsePlan(rows.map((row) => row[0] ?? '').join('\n')));
    });
    return () => {
      live = false;
    };
  }, [reader, complete]);
  if (!plan) return null;
  return <PlanNodes plan={plan} />;
}

/** A plan's operators as a tree: EXPLAIN's, or one read from a warehouse's system views. */
export function PlanNodes({ plan }: { plan: PlanNode[] }) {
  return (
    <div className="plan-tree" role="tree" aria-label="Query plan">
      <ul>
        {plan.map((node, i) => (
          <PlanItem key={i} node={node} />
        ))}
      </ul>
    </div>
  );
}

function PlanItem({ node }: { node: PlanNode }) {
  return (
    <li role="treeitem" aria-expanded={node.children.length ? true : undefined}>
      <span className="plan-label">{node.label}</span>
      {node.details.map((d, i) => (
        <div key={i} className="muted small">
          {d}
        </div>
      ))}
      {node.children.length > 0 && (
        <ul role="group">
          {node.children.map((child, i) => (
            <PlanItem key={i} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
