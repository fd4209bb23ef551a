/** One operator of a query plan, with the lines that describe it (filters, join conditions, costs). */
export interface PlanNode {
  label: string;
  details: string[];
  children: PlanNode[];
}

/**
 * A plan as EXPLAIN prints it, as a tree. Redshift and PostgreSQL mark each
 * child operator with `->` indented under its parent; Spark draws `+-` and
 * `:-` branches. The marker's column is the depth; unmarked lines describe
 * the operator above them.
 */
export function parsePlan(text: string): PlanNode[] {
  const lines = text.split('\n').filter((line) => line.trim() && !/^\s*==.*==\s*$/.test(line) && !/^\s*QUERY PLAN\s*$/.test(line));
  const roots: PlanNode[] = [];
  const stack: { column: number; node: PlanNode }[] = [];
  for (const line of lines) {
    const marker = /^([\s:|]*)(->|\+-|:-)\s*(.*)$/.exec(line);
    if (!marker) {
      const last = stack.at(-1)?.node;
      // Before any marked child, an unindented line is a root operator (the plan's first line).
      if (last && (/^\s/.test(line) || stack.length > 1)) last.details.push(line.trim());
      else {
        const node: PlanNode = { label: line.trim(), details: [], children: [] };
        roots.push(node);
        stack.length = 0;
        stack.push({ column: -1, node });
      }
      continue;
    }
    const column = marker[1]!.length;
    const node: PlanNode = { label: marker[3]!.trim(), details: [], children: [] };
    while (stack.length && stack.at(-1)!.column >= column) stack.pop();
    const parent = stack.at(-1)?.node;
    if (parent) parent.children.push(node);
    else roots.push(node);
    stack.push({ column, node });
  }
  return roots;
}
