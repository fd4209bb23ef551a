import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pipelineJobIds, type PipelineAssets, type PipelineJobId, type SqlAsset } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';

const summaries: Record<PipelineJobId, string> = {
  kinesis_to_s3:
    'Reads each shard of the Kinesis stream in a Spark task of its own, in micro-batches, and writes raw records to raw/access_logs/dt=…/, checkpointing each shard so a restart neither loses nor repeats a batch, and reading a resharded parent to its end before its children.',
  raw_to_parquet:
    'Parses raw lines into a typed table (malformed lines counted and set aside under rejects/), writes Parquet partitioned by dt into curated/access_logs/v<N>/ and registers the table in the metastore.',
};

let root: string | undefined;

/**
 * Where spark/ and sql/ are: the repository root, found by walking up from this
 * module, so it works from source (tsx, vitest: electron/core/pipeline) and
 * from electron-vite's bundle (out/main), or TRIBUTARY_ASSETS_DIR when set.
 */
export function assetRoot(): string {
  if (root) return root;
  const candidates = process.env.TRIBUTARY_ASSETS_DIR ? [process.env.TRIBUTARY_ASSETS_DIR] : [];
  for (let dir = import.meta.dirname, i = 0; i < 6; i++, dir = dirname(dir)) candidates.push(dir);
  root = candidates.find((dir) => existsSync(join(dir, 'spark', 'kinesis_to_s3.py')) && existsSync(join(dir, 'sql', 'redshift')));
  if (!root)
    throw new AppError(
      'UNAVAILABLE',
      'The pipeline’s spark/ and sql/ folders were not found next to the app; set TRIBUTARY_ASSETS_DIR to the folder holding them.',
    );
  return root;
}

export function jobScript(job: PipelineJobId): { file: string; text: string } {
  const file = join(assetRoot(), 'spark', `${job}.py`);
  return { file, text: readFileSync(file, 'utf8') };
}

/** A SQL asset by its path under the root, e.g. sql/redshift/copy_access_logs.sql. */
export function sqlAsset(path: string): string {
  return readFileSync(join(assetRoot(), path), 'utf8');
}

export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{([a-z_]+)\}\}/g)].map((m) => m[1]!))];
}

/** Fills {{name}} placeholders; a placeholder without a value is an error, never left in SQL. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{\{([a-z_]+)\}\}/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new AppError('VALIDATION', `No value for {{${name}}}`);
    return String(value);
  });
}

export function loadAssets(): PipelineAssets {
  const base = assetRoot();
  const sql: SqlAsset[] = [];
  for (const dialect of ['spark', 'redshift'] as const) {
    const dir = join(base, 'sql', dialect);
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.sql'))
      .sort()) {
      const text = readFileSync(join(dir, name), 'utf8');
      sql.push({ path: relative(base, join(dir, name)).split('\\').join('/'), dialect, text, placeholders: placeholdersOf(text) });
    }
  }
  return { jobs: pipelineJobIds.map((id) => ({ id, file: `spark/${id}.py`, summary: summaries[id] })), sql };
}
