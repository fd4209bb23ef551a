import type { Backend } from './backend.js';
import { CommandError, parseIntercepted } from './commands.js';
import { copyFromS3 } from './copy-from-s3.js';
import { render, tokenize } from './lexer.js';
import type { ProxyContext } from './proxy-context.js';
import { rewriteSql, splitKeepingSeparators } from './rewrite.js';
import type { SessionInfo } from './system-tables.js';
import { unloadToS3 } from './unload.js';
import { copyFail, errorResponse, query, readyForQuery } from './wire.js';

/** A statement that fails on the server with `message`, so an open transaction is aborted as Redshift would. */
export function raiseStatement(message: string, code = 'XX000'): string {
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return `DO $tributary$ BEGIN RAISE EXCEPTION USING MESSAGE = ${literal(message)}, ERRCODE = ${literal(code)}; END $tributary$`;
}

/**
 * Fails the current statement: the server learns of it (its transaction
 * aborts) and the client gets the error without PL/pgSQL context lines.
 */
export async function failStatement(backend: Backend, message: string, code = 'XX000', detail?: string): Promise<void> {
  await backend.ask(raiseStatement(message, code));
  await backend.toClient(errorResponse(message, code, detail));
}

/**
 * Carries out one simple Query that holds a COPY from S3 or an UNLOAD. Its
 * statements run one by one on the client's backend; the first failure stops
 * the rest, and one ReadyForQuery ends the whole, as PostgreSQL does.
 */
export async function runIntercepted(sql: string, backend: Backend, context: ProxyContext, session: SessionInfo): Promise<void> {
  const statements = splitKeepingSeparators(tokenize(sql, /^\s*unload\b/i.test(sql))).filter((statement) =>
    statement.some((token) => token.kind !== 'space' && token.kind !== 'comment' && token.text !== ';'),
  );
  for (const statement of statements) {
    let ok: boolean;
    try {
      const command = parseIntercepted(statement);
      if (command?.kind === 'copy') ok = await copyFromS3(command, backend, context, session);
      else if (command?.kind === 'unload') ok = await unloadToS3(command, backend, context);
      else ok = await runPlain(rewriteSql(render(statement).replace(/;\s*$/, '')), backend);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      await failStatement(backend, error.message, error.code);
      ok = false;
    }
    if (!ok) break;
  }
  await backend.toClient(readyForQuery(backend.txStatus));
}

/** Relays one ordinary statement's answer, all but its ReadyForQuery. */
async function runPlain(sql: string, backend: Backend): Promise<boolean> {
  await backend.send(query(sql));
  let ok = true;
  for (;;) {
    const message = await backend.next();
    if (message.type === 'Z') return ok;
    if (message.type === 'E') ok = false;
    if (message.type === 'G') {
      await backend.send(copyFail('COPY FROM STDIN cannot share a query with COPY from S3 in the sandbox; send it on its own.'));
      continue;
    }
    await backend.toClient(message.frame);
  }
}
