import type { PlanNode } from '../../../shared/sql/plan.js';

/** A plan operator as sys_query_explain / stl_explain list them: an id, its parent's, its label and its details. */
export interface PlanRow {
  id: number;
  parent: number | null;
  label: string;
  info: string;
}

/** The rows of a plan as the tree EXPLAIN would print (roots are operators whose parent is absent or 0). */
export function planTree(rows: PlanRow[]): PlanNode[] {
  const nodes = new Map<number, PlanNode>();
  for (const row of rows) {
    const existing = nodes.get(row.id);
    // A node's detail lines come as further rows with the same id.
    if (existing) {
      if (row.info) existing.details.push(row.info);
      continue;
    }
    nodes.set(row.id, { label: row.label.replace(/^\s*->\s*/, '').trim(), details: row.info ? [row.info] : [], children: [] });
  }
  const roots: PlanNode[] = [];
  const placed = new Set<number>();
  for (const row of rows) {
    if (placed.has(row.id)) continue;
    placed.add(row.id);
    const parent = row.parent !== null && row.parent !== row.id ? nodes.get(row.parent) : undefined;
    (parent ? parent.children : roots).push(nodes.get(row.id)!);
  }
  return roots;
}
