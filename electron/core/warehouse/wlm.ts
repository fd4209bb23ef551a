import type { WlmAnswer } from '../../../shared/contract/index.js';
import { num, text, utc, type SystemViews } from './system-views.js';

/** Service classes 5 and up are the superuser queue and the operator's queues (1–4 are Redshift's own). */
const QUEUES = `SELECT c.service_class, TRIM(c.name) AS name, c.num_query_tasks, c.query_working_mem, c.max_execution_time,
       s.num_queued_queries, s.num_executing_queries
  FROM stv_wlm_service_class_config c
  LEFT JOIN stv_wlm_service_class_state s ON s.service_class = c.service_class
 WHERE c.service_class >= 5
 ORDER BY c.service_class`;

const RULE_ACTIONS = `SELECT query, service_class, TRIM(rule) AS rule, TRIM(action) AS action, recordtime, action_value
  FROM stl_wlm_rule_action ORDER BY recordtime DESC LIMIT 200`;

export async function wlmNow(views: SystemViews, connectionId: string, signal: AbortSignal): Promise<WlmAnswer> {
  const [queues, actions] = await Promise.all([views.rows(connectionId, QUEUES, signal), views.rows(connectionId, RULE_ACTIONS, signal)]);
  return {
    queues: queues.map((row) => ({
      serviceClass: num(row.service_class),
      name: text(row.name),
      slots: num(row.num_query_tasks),
      queued: num(row.num_queued_queries),
      running: num(row.num_executing_queries),
      memoryMb: row.query_working_mem === null ? null : num(row.query_working_mem),
      maxExecutionMs: num(row.max_execution_time) || null,
    })),
    ruleActions: actions.map((row) => ({
      queryId: text(row.query),
      serviceClass: num(row.service_class),
      rule: text(row.rule),
      action: text(row.action),
      at: utc(row.recordtime),
      value: row.action_value === null || text(row.action_value) === '' ? null : text(row.action_value),
    })),
  };
}
