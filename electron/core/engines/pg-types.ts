import type { ColumnKind } from '../../../shared/contract/index.js';

/**
 * PostgreSQL type OIDs (which Redshift sends too) → the names psql prints and
 * how the grid treats them. Unknown OIDs stay visible as `oid <n>`.
 */
const types: Record<number, [name: string, kind: ColumnKind]> = {
  16: ['bool', 'bool'],
  17: ['bytea', 'binary'],
  18: ['char', 'text'],
  19: ['name', 'text'],
  20: ['int8', 'int'],
  21: ['int2', 'int'],
  23: ['int4', 'int'],
  25: ['text', 'text'],
  26: ['oid', 'int'],
  114: ['json', 'json'],
  142: ['xml', 'text'],
  700: ['float4', 'float'],
  701: ['float8', 'float'],
  790: ['money', 'text'],
  869: ['inet', 'text'],
  650: ['cidr', 'text'],
  829: ['macaddr', 'text'],
  1042: ['bpchar', 'text'],
  1043: ['varchar', 'text'],
  1082: ['date', 'date'],
  1083: ['time', 'time'],
  1114: ['timestamp', 'timestamp'],
  1184: ['timestamptz', 'timestamptz'],
  1186: ['interval', 'interval'],
  1266: ['timetz', 'time'],
  1560: ['bit', 'text'],
  1562: ['varbit', 'text'],
  1700: ['numeric', 'decimal'],
  2950: ['uuid', 'text'],
  3802: ['jsonb', 'json'],
  // Redshift's own: SUPER is semi-structured (JSON text), VARBYTE is binary, GEOMETRY prints as hex EWKB.
  4000: ['super', 'json'],
  6551: ['varbyte', 'binary'],
  3000: ['geometry', 'other'],
  3999: ['geography', 'other'],
  2249: ['record', 'other'],
  705: ['unknown', 'text'],
};

const arrays: Record<number, string> = {
  1000: 'bool',
  1001: 'bytea',
  1005: 'int2',
  1007: 'int4',
  1016: 'int8',
  1009: 'text',
  1015: 'varchar',
  1014: 'bpchar',
  1021: 'float4',
  1022: 'float8',
  1231: 'numeric',
  1182: 'date',
  1115: 'timestamp',
  1185: 'timestamptz',
  1187: 'interval',
  199: 'json',
  3807: 'jsonb',
  2951: 'uuid',
};

/** The type as `format_type` would print it, modifiers included (numeric(38,10), varchar(256), timestamp(3)). */
export function pgColumnType(oid: number, modifier: number): { type: string; kind: ColumnKind } {
  const element = arrays[oid];
  if (element) return { type: `${element}[]`, kind: 'array' };
  const known = types[oid];
  if (!known) return { type: `oid ${oid}`, kind: 'other' };
  const [name, kind] = known;
  if (modifier < 0) return { type: name, kind };
  if (oid === 1700) {
    const packed = modifier - 4;
    return { type: `numeric(${(packed >> 16) & 0xffff},${packed & 0xffff})`, kind };
  }
  if (oid === 1043 || oid === 1042) return { type: `${name}(${modifier - 4})`, kind };
  if (oid === 1114 || oid === 1184 || oid === 1083 || oid === 1266) return { type: `${name}(${modifier})`, kind };
  return { type: name, kind };
}

const byName = new Map<string, ColumnKind>([
  ...Object.values(types),
  ['bigint', 'int'],
  ['integer', 'int'],
  ['smallint', 'int'],
  ['double precision', 'float'],
  ['real', 'float'],
  ['boolean', 'bool'],
  ['character varying', 'text'],
  ['character', 'text'],
  ['timestamp without time zone', 'timestamp'],
  ['timestamp with time zone', 'timestamptz'],
]);

/** How a column behaves, from a type name as the Redshift Data API reports it (int8, numeric, varchar…). */
export function kindOfTypeName(name: string): ColumnKind {
  const base = name.toLowerCase().replace(/\(.*$/, '').trim();
  if (base.startsWith('_') || base.endsWith('[]')) return 'array';
  return byName.get(base) ?? 'other';
}
