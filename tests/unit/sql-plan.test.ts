import { describe, expect, it } from 'vitest';
import { parsePlan, type PlanNode } from '../../shared/sql/plan.js';

const shape = (nodes: PlanNode[]): unknown[] =>
  nodes.map((n) => [n.label.split(/\s*\(|\s{2,}|\s\[/)[0], n.details.length, shape(n.children)]);

describe('EXPLAIN output as a tree', () => {
  it('nests Redshift/PostgreSQL operators by their arrows and keeps their details', () => {
    const plan = [
      'XN Merge  (cost=1000000000001.55..1000000000001.56 rows=3 width=16)',
      '  Merge Key: count(*)',
      '  ->  XN Network  (cost=1000000000001.55..1000000000001.56 rows=3 width=16)',
      '        Send to leader',
      '        ->  XN Sort  (cost=1000000000001.55..1000000000001.56 rows=3 width=16)',
      '              Sort Key: count(*)',
      '              ->  XN HashAggregate  (cost=1.50..1.51 rows=3 width=16)',
      '                    ->  XN Hash Join DS_DIST_NONE  (cost=0.04..1.40 rows=20 width=16)',
      '                          Hash Cond: ("outer".id = "inner".id)',
      '                          ->  XN Seq Scan on a  (cost=0.00..0.20 rows=20 width=8)',
      '                          ->  XN Hash  (cost=0.03..0.03 rows=3 width=8)',
      '                                ->  XN Seq Scan on b  (cost=0.00..0.03 rows=3 width=8)',
    ].join('\n');
    expect(shape(parsePlan(plan))).toEqual([
      [
        'XN Merge',
        1,
        [
          [
            'XN Network',
            1,
            [
              [
                'XN Sort',
                1,
                [
                  [
                    'XN HashAggregate',
                    0,
                    [
                      [
                        'XN Hash Join DS_DIST_NONE',
                        1,
                        [
                          ['XN Seq Scan on a', 0, []],
                          ['XN Hash', 0, [['XN Seq Scan on b', 0, []]]],
                        ],
                      ],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
  });

  it('nests Spark’s physical plan by its branches', () => {
    const plan = [
      '== Physical Plan ==',
      'AdaptiveSparkPlan isFinalPlan=false',
      '+- HashAggregate(keys=[dt#1], functions=[count(1)])',
      '   +- Exchange hashpartitioning(dt#1, 200)',
      '      +- SortMergeJoin [id#2], [id#3], Inner',
      '         :- Sort [id#2 ASC NULLS FIRST]',
      '         :  +- Scan parquet a[id#2]',
      '         +- Sort [id#3 ASC NULLS FIRST]',
      '            +- Scan parquet b[id#3]',
    ].join('\n');
    expect(shape(parsePlan(plan))).toEqual([
      [
        'AdaptiveSparkPlan isFinalPlan=false',
        0,
        [
          [
            'HashAggregate',
            0,
            [
              [
                'Exchange hashpartitioning',
                0,
                [
                  [
                    'SortMergeJoin',
                    0,
                    [
                      ['Sort', 0, [['Scan parquet a[id#2]', 0, []]]],
                      ['Sort', 0, [['Scan parquet b[id#3]', 0, []]]],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
  });
});
