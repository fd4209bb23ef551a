import { parseErrorFields, type Message } from './wire.js';

/** One node of an executed plan, as SYS_QUERY_DETAIL, SVL_QUERY_SUMMARY and STL_EXPLAIN show a step. */
export interface PlanStep {
  /** Which statement of a multi-statement query (0 for the first). */
  sequence: number;
  /** 1-based, in plan order; the parent's id, 0 for the top node. */
  node: number;
  parent: number;
  stepName: string;
  table?: string;
  plannode: string;
  info: string;
  /** Microseconds from the statement's start; null while nodes are not timed (sandbox/postgres.ts). */
  startMicros: number | null;
  durationMicros: number | null;
  inputRows: number;
  outputRows: number;
  outputBytes: number;
  blocksRead: number;
  spilledBlocks: number;
  diskBased: boolean;
  workmemBytes: number;
}

export interface PlanNode {
  'Node Type': string;
  Operation?: string;
  'Join Type'?: string;
  'Relation Name'?: string;
  'CTE Name'?: string;
  'Function Name'?: string;
  'Index Name'?: string;
  'Startup Cost'?: number;
  'Total Cost'?: number;
  'Plan Rows'?: number;
  'Plan Width'?: number;
  'Actual Startup Time'?: number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Shared Read Blocks'?: number;
  'Shared Hit Blocks'?: number;
  'Temp Written Blocks'?: number;
  'Sort Space Type'?: string;
  'Sort Space Used'?: number;
  'Peak Memory Usage'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

const PLAN_NOTICE = /^duration: [\d.]+ ms {2}plan:\n/;

/** The executed plan auto_explain sent as a notice (see sandbox/postgres.ts), or undefined for any other message. */
export function planOfNotice(message: Message): PlanNode | undefined {
  if (message.type !== 'N') return undefined;
  const text = parseErrorFields(message.body).message ?? '';
  if (!PLAN_NOTICE.test(text)) return undefined;
  try {
    return (JSON.parse(text.replace(PLAN_NOTICE, '')) as { Plan?: PlanNode }).Plan ?? ({ 'Node Type': 'Result' } as PlanNode);
  } catch {
    return { 'Node Type': 'Result' };
  }
}

/** Redshift's step names for PostgreSQL's plan nodes. */
const STEP_NAMES: Record<string, string> = {
  'Seq Scan': 'scan',
  'Index Scan': 'scan',
  'Index Only Scan': 'scan',
  'Bitmap Heap Scan': 'scan',
  'Bitmap Index Scan': 'scan',
  'Tid Scan': 'scan',
  'Function Scan': 'scan',
  'Values Scan': 'scan',
  'CTE Scan': 'scan',
  'Subquery Scan': 'scan',
  'Sample Scan': 'scan',
  Hash: 'hash',
  'Hash Join': 'hjoin',
  'Merge Join': 'mjoin',
  'Nested Loop': 'nloop',
  Aggregate: 'aggr',
  Sort: 'sort',
  'Incremental Sort': 'sort',
  Limit: 'limit',
  Unique: 'unique',
  WindowAgg: 'window',
  Result: 'project',
  Materialize: 'save',
  Append: 'merge',
  'Merge Append': 'merge',
  Gather: 'return',
  'Gather Merge': 'return',
};

/** Conditions EXPLAIN prints under a node, in its order. */
const CONDITIONS = ['Hash Cond', 'Merge Cond', 'Join Filter', 'Index Cond', 'Recheck Cond', 'Filter', 'Group Key', 'Sort Key'];

function describe(node: PlanNode): string {
  const join = node['Join Type'] && node['Join Type'] !== 'Inner' ? `${node['Join Type']} ` : '';
  const kind = node['Node Type'] === 'ModifyTable' ? (node.Operation ?? 'ModifyTable') : node['Node Type'];
  const target = node['Relation Name'] ?? node['CTE Name'] ?? node['Function Name'] ?? node['Index Name'];
  const cost = `(cost=${(node['Startup Cost'] ?? 0).toFixed(2)}..${(node['Total Cost'] ?? 0).toFixed(2)} rows=${node['Plan Rows'] ?? 0} width=${node['Plan Width'] ?? 0})`;
  return `${join}${kind}${target ? ` on ${target}` : ''}  ${cost}`;
}

function conditions(node: PlanNode): string {
  return CONDITIONS.flatMap((name) => {
    const value = node[name];
    if (value === undefined) return [];
    return [`${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`];
  }).join('\n');
}

/** The plans of one statement's executions, flattened in plan order with parent links. */
export function planSteps(plans: PlanNode[]): PlanStep[] {
  const steps: PlanStep[] = [];
  plans.forEach((plan, sequence) => {
    let next = 1;
    const walk = (node: PlanNode, parent: number): PlanStep => {
      const id = next++;
      const loops = node['Actual Loops'] ?? 1;
      const outputRows = Math.round((node['Actual Rows'] ?? 0) * loops);
      const step: PlanStep = {
        sequence,
        node: id,
        parent,
        stepName:
          node['Node Type'] === 'ModifyTable'
            ? (node.Operation ?? 'insert').toLowerCase()
            : (STEP_NAMES[node['Node Type']] ?? node['Node Type'].toLowerCase()),
        ...(node['Relation Name'] ? { table: node['Relation Name'] } : {}),
        plannode: describe(node),
        info: conditions(node),
        startMicros: node['Actual Startup Time'] === undefined ? null : Math.round(node['Actual Startup Time'] * 1000),
        durationMicros: node['Actual Total Time'] === undefined ? null : Math.round(node['Actual Total Time'] * loops * 1000),
        inputRows: outputRows + Math.round((node['Rows Removed by Filter'] ?? 0) * loops),
        outputRows,
        outputBytes: outputRows * (node['Plan Width'] ?? 0),
        blocksRead: (node['Shared Read Blocks'] ?? 0) + (node['Shared Hit Blocks'] ?? 0),
        spilledBlocks: node['Temp Written Blocks'] ?? 0,
        diskBased: node['Sort Space Type'] === 'Disk' || (node['Temp Written Blocks'] ?? 0) > 0,
        workmemBytes: Math.round((node['Sort Space Used'] ?? node['Peak Memory Usage'] ?? 0) * 1024),
      };
      steps.push(step);
      const children = (node.Plans ?? []).map((child) => walk(child, id));
      if (children.length) step.inputRows = children.reduce((sum, child) => sum + child.outputRows, 0);
      return step;
    };
    walk(plan, 0);
  });
  return steps;
}
