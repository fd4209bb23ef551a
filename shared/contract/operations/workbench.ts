import { z } from 'zod';
import { call, stream } from '../define.js';
import { overwriteSchema, fileRefSchema } from '../paths.js';
import { environmentIdSchema } from './environments.js';

/**
 * A result cell as the engine printed it: text, never a JS number, so int8,
 * numeric(38,10) and Spark decimals stay exact; bytea/binary is `\x` + hex; NULL is null.
 */
export type Cell = string | null;

/** How a column's values behave in the grid, charts and exports; `type` keeps the engine's own name. */
export type ColumnKind =
  | 'int'
  | 'decimal'
  | 'float'
  | 'bool'
  | 'text'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'binary'
  | 'json'
  | 'array'
  | 'other';

export interface ColumnMeta {
  name: string;
  /** The engine's type name, e.g. int8, numeric(38,10), timestamptz, decimal(38,10). */
  type: string;
  kind: ColumnKind;
}

/** The SQL dialects the statement splitter and the editor know; every engine speaks one of them. */
export const sqlDialects = ['redshift', 'spark'] as const;
export type SqlDialect = (typeof sqlDialects)[number];

/** An engine's name in the main process's registry (`connections.engines` lists them). */
export type EngineKind = string;
const engineKindSchema = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'Not an engine kind');

/**
 * A connection's engine and its options, flat as connections.json has always
 * kept them. The edge checks only the kind: the options belong to the engine,
 * and main checks them against its descriptor's schema (the same VALIDATION
 * error with field paths the edge gives).
 */
export const connectionSpecSchema = z.object({ engine: engineKindSchema }).catchall(z.unknown());
export type ConnectionSpec = z.infer<typeof connectionSpecSchema>;

/** What the Workbench offers on a connection of an engine; a feature is shown only when its engine has it. */
export interface EngineCapabilities {
  /** Cancel stops the statement on the server. */
  cancel: boolean;
  /** EXPLAIN gives a plan (drawn as a tree). */
  explain: boolean;
  /** A result can be sent to S3 with UNLOAD. */
  unload: boolean;
  /** Tables carry distribution and sort keys (the schema tree shows them). */
  distributionKeys: boolean;
  /** Statements take bound parameters. */
  parameters: boolean;
  /** The pipeline's load history (COPY into the warehouse) reads through it. */
  loads: boolean;
}

/** One input of an engine's connection form; `name` is the option it sets. */
export type EngineField = { name: string; label: string; required: boolean } &
  /** Shown when `when` holds (another field's value), e.g. a workgroup name only for a Serverless workgroup. */
  (
    | { type: 'text'; default?: string; placeholder?: string; when?: { field: string; equals: string } }
    /** Kept in the secret store, never in connections.json; shown when `when` holds. */
    | { type: 'secret'; when?: { field: string; equals: string } }
    | { type: 'choice'; choices: { value: string; label: string }[]; default: string }
    /** Direct, or through an open SSH session: `{ kind: 'direct' }` or `{ kind: 'session', sessionId }`. */
    | { type: 'route' }
  );

export interface EngineInfo {
  kind: EngineKind;
  label: string;
  dialect: SqlDialect;
  capabilities: EngineCapabilities;
  /** The connection form's inputs, row by row. */
  form: EngineField[][];
}

export interface ConnectionInfo {
  id: string;
  name: string;
  environmentId: string;
  engine: EngineKind;
  dialect: SqlDialect;
  capabilities: EngineCapabilities;
  /** One line saying where it goes, e.g. "dev@tributary-wh through the EMR master session". */
  target: string;
  /** Connections the sandbox offers by itself, not stored. */
  builtIn: boolean;
  /** For a password connection: whether the password is in the secret store (never the password). */
  hasPassword?: boolean;
  /** The spec, without its secret. */
  spec: ConnectionSpec;
}

export const connectionIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'Not a connection id');

/** Where in the SQL text a statement, or its error, is: 1-based, as the editor counts. */
export interface TextPosition {
  line: number;
  column: number;
}

export type RunChunk =
  | { kind: 'statement'; index: number; count: number; sql: string; start: TextPosition; end: TextPosition }
  | { kind: 'result'; index: number; resultId: string; columns: ColumnMeta[]; rows: Cell[][] }
  | { kind: 'progress'; resultId: string; rows: number; bytes: number }
  | { kind: 'notice'; index: number; level: 'notice' | 'warning' | 'info'; message: string }
  | {
      kind: 'done';
      index: number;
      /** SELECT, INSERT, CREATE TABLE… as the server names it. */
      command: string;
      rows?: number;
      rowsAffected?: number;
      durationMs: number;
    }
  | { kind: 'error'; index: number; message: string; code?: string; at?: TextPosition };

export interface RowsWindow {
  offset: number;
  rows: Cell[][];
  /** Rows in the result (or view) so far; grows while the query runs. */
  total: number;
  complete: boolean;
}

export interface SortKey {
  column: number;
  descending: boolean;
}

export interface HistoryEntry {
  id: string;
  connectionId: string;
  connectionName: string;
  sql: string;
  startedAt: string;
  durationMs: number;
  rows?: number;
  rowsAffected?: number;
  error?: string;
}

export interface SavedQuery {
  id: string;
  name: string;
  sql: string;
  connectionId?: string;
  chart?: ChartSpec;
  updatedAt: string;
}

export const chartSpecSchema = z
  .object({
    type: z.enum(['line', 'bar', 'area', 'scatter', 'histogram']),
    x: z.string().max(300),
    y: z.array(z.string().max(300)).max(8),
    bins: z.number().int().min(2).max(500).optional(),
  })
  .strict();
export type ChartSpec = z.infer<typeof chartSpecSchema>;

const editorTabSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
    title: z.string().min(1).max(100),
    sql: z.string().max(1024 * 1024),
    connectionId: connectionIdSchema.optional(),
    chart: chartSpecSchema.optional(),
  })
  .strict();
export type EditorTab = z.infer<typeof editorTabSchema>;

export interface SchemaColumn {
  name: string;
  type: string;
  /** DISTKEY, SORTKEY(n), partition column… */
  notes?: string;
}
export interface SchemaTable {
  name: string;
  kind: 'table' | 'view' | 'external';
  columns: SchemaColumn[];
  /** Redshift: DISTSTYLE/DISTKEY, SORTKEY; Spark: LOCATION, format. */
  details?: string;
}
export interface SchemaTree {
  schemas: { name: string; tables: SchemaTable[] }[];
}

export interface ExportProgress {
  kind: 'progress' | 'done';
  path: string;
  rows: number;
  total: number;
  bytes: number;
}

const resultId = z.string().regex(/^r[0-9a-f]{1,32}$/, 'Not a result id');
const sql = z
  .string()
  .min(1, 'Nothing to run')
  .max(1024 * 1024);
const none = z.object({}).strict();

export const connections = {
  engines: call<EngineInfo[]>()({
    summary: 'The SQL engines a connection can use, with their capabilities and connection form.',
    input: none,
  }),
  list: call<ConnectionInfo[]>()({
    summary: 'List the SQL connections of the active environment (the sandbox offers its own).',
    input: none,
  }),
  save: call<ConnectionInfo[]>()({
    summary: 'Add or change a SQL connection; a password goes to the secret store.',
    input: z
      .object({
        id: connectionIdSchema.optional(),
        name: z.string().trim().min(1).max(100),
        environmentId: environmentIdSchema,
        spec: connectionSpecSchema,
      })
      .strict(),
  }),
  remove: call<ConnectionInfo[]>()({
    summary: 'Forget a SQL connection and its password.',
    input: z.object({ id: connectionIdSchema }).strict(),
  }),
  test: call<{ serverVersion: string; latencyMs: number }>()({
    summary: 'Connect and ask the server its version.',
    input: z.object({ id: connectionIdSchema }).strict(),
  }),
  schema: call<SchemaTree>()({
    summary: 'Schemas, tables and columns the connection sees.',
    input: z.object({ id: connectionIdSchema }).strict(),
  }),
};

export const queries = {
  run: stream<RunChunk>()({
    summary: 'Run SQL (one statement or a script) and stream its results; cancelling stops the server-side work.',
    input: z
      .object({
        connectionId: connectionIdSchema,
        sql,
        /** Where `sql` starts in the editor, so positions point into the editor's text. */
        origin: z
          .object({ line: z.number().int().min(1), column: z.number().int().min(1) })
          .strict()
          .default({ line: 1, column: 1 }),
        /** The operator's optional LIMIT guard: stop reading after this many rows. */
        maxRows: z.number().int().min(1).max(1_000_000_000).optional(),
      })
      .strict(),
    maxInputBytes: 1024 * 1024 + 4096,
  }),
  history: call<HistoryEntry[]>()({
    summary: 'Past runs, newest first, optionally of one connection and matching a text.',
    input: z
      .object({
        connectionId: connectionIdSchema.optional(),
        search: z.string().max(500).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  }),
  clearHistory: call<null>()({
    summary: 'Delete every past run of every connection from the history (the file included).',
    input: z.object({ confirm: z.literal('clear') }).strict(),
  }),
  saved: call<SavedQuery[]>()({ summary: 'Saved queries.', input: none }),
  save: call<SavedQuery[]>()({
    summary: 'Save a query (with its chart) under a name.',
    input: z
      .object({
        id: z
          .string()
          .regex(/^[a-z0-9-]{1,40}$/)
          .optional(),
        name: z.string().trim().min(1).max(200),
        sql,
        connectionId: connectionIdSchema.optional(),
        chart: chartSpecSchema.optional(),
      })
      .strict(),
    maxInputBytes: 1024 * 1024 + 4096,
  }),
  forget: call<SavedQuery[]>()({
    summary: 'Delete a saved query.',
    input: z.object({ id: z.string().regex(/^[a-z0-9-]{1,40}$/) }).strict(),
  }),
  tabs: call<{ tabs: EditorTab[]; activeId?: string }>()({ summary: 'The editor tabs as they were left.', input: none }),
  saveTabs: call<null>()({
    summary: 'Keep the editor tabs across restarts.',
    input: z.object({ tabs: z.array(editorTabSchema).max(50), activeId: z.string().max(40).optional() }).strict(),
    // Under the transport's 4 MiB frame bound, so an over-large save is refused as input, not by closing the socket.
    maxInputBytes: 3 * 1024 * 1024,
  }),
};

export const results = {
  rows: call<RowsWindow>()({
    summary: 'A window of a result’s rows (through its sort/filter view, if any).',
    input: z
      .object({
        resultId,
        offset: z.number().int().min(0),
        limit: z.number().int().min(1).max(10_000),
        view: z
          .string()
          .regex(/^v[0-9a-f]{1,32}$/)
          .optional(),
      })
      .strict(),
  }),
  view: call<{ view: string; total: number }>()({
    summary: 'Sort and filter a result; windows then read through the view.',
    input: z
      .object({
        resultId,
        sort: z
          .array(z.object({ column: z.number().int().min(0), descending: z.boolean() }).strict())
          .max(4)
          .default([]),
        /** Rows whose text contains this (case-insensitive), in one column or any. */
        filter: z
          .object({ text: z.string().min(1).max(1000), column: z.number().int().min(0).optional() })
          .strict()
          .optional(),
      })
      .strict(),
  }),
  export: stream<ExportProgress>()({
    summary: 'Write the whole result (not just what is loaded) to a file, with progress.',
    input: z
      .object({
        resultId,
        format: z.enum(['csv', 'jsonl', 'parquet']),
        /** The file to write; on the web host the default is tributary-<result>.<format> in the workspace. */
        path: fileRefSchema.optional(),
        overwrite: overwriteSchema,
      })
      .strict(),
  }),
  release: call<null>()({ summary: 'Forget a result and delete what it spilled to disk.', input: z.object({ resultId }).strict() }),
};
