import { describe, expect, it } from 'vitest';
import { RpcSession } from '../../electron/core/dispatch/session.js';
import { copyStatement } from '../../electron/core/pipeline/copy.js';
import type { HostMessage } from '../../shared/protocol.js';
import { redshiftLiteral } from '../../shared/sql/literal.js';
import { unloadStatement } from '../../shared/sql/unload.js';
import { tokenize } from '../../sandbox/redshift/lexer.js';
import { testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

// Item 9: COPY and UNLOAD literals read back, by Redshift's rules, exactly as written; the S3 URI schemas refuse
// what a literal would read differently. Without the fix, backslashes were not doubled (the literals below read
// back shorter, and UNLOAD's body ended early at \') and the contract let `'`, `\` and control characters through.

const ROLE = 'arn:aws:iam::123456789012:role/TributaryRedshiftS3Role';

/** The string literals of a statement as Redshift reads them (backslash escapes on): the sandbox's Redshift lexer. */
const literals = (sql: string) =>
  tokenize(sql, true)
    .filter((t) => t.kind === 'string')
    .map((t) => t.value);

describe('Redshift literals: one quoting function for quotes and backslashes', () => {
  it('doubles both', () => {
    expect(redshiftLiteral(`a'b\\c`)).toBe(`'a''b\\\\c'`);
    expect(literals(`SELECT ${redshiftLiteral(`x\\'; DROP TABLE t; --`)}`)).toEqual([`x\\'; DROP TABLE t; --`]);
  });

  it('COPY reads its source and role back unchanged', () => {
    const source = `s3://bucket/raw\\'x/`;
    const sql = copyStatement({ table: 'access_logs', source, format: 'parquet', iamRole: ROLE });
    expect(sql).toContain(`FROM 's3://bucket/raw\\\\''x/'`);
    expect(literals(sql)).toEqual([source, ROLE]);
  });

  it('UNLOAD doubles the backslashes of its query body, so the body reads back whole', () => {
    const query = `SELECT path FROM access_logs WHERE path LIKE '%\\_%' AND agent <> 'O\\'Brien'`;
    const sql = unloadStatement(query, { s3Prefix: 's3://bucket/exports/', iamRole: ROLE, format: 'CSV' });
    expect(sql).toContain(`'%\\\\_%'`);
    expect(literals(sql)).toEqual([query, 's3://bucket/exports/', ROLE]);
  });
});

describe('the S3 URI schemas refuse quotes, backslashes and control characters (VALIDATION at dispatch)', () => {
  it.each([`s3://bucket/x'y/`, 's3://bucket/x\\y/', 's3://bucket/x\ny/', 's3://bucket/x"y/', 's3://bucket/x\u0000y/'])(
    'refuses %j',
    async (source) => {
      const core = await testCore();
      const replies: HostMessage[] = [];
      const rpc = new RpcSession(core.handlers, (m) => replies.push(m), core.log);
      rpc.receive({ t: 'call', id: 1, op: 'pipeline.copyPreview', input: { table: 't', source, iamRole: ROLE } });
      rpc.receive({ t: 'call', id: 2, op: 'pipeline.tableFromParquet', input: { source, table: 't' } });
      await until('2 replies', () => replies.length === 2, 5_000);
      for (const reply of replies) {
        expect(reply).toMatchObject({ t: 'error', error: { code: 'VALIDATION' } });
        expect(reply.t === 'error' && reply.error.issues?.[0]).toMatchObject({ path: 'source' });
        expect(reply.t === 'error' && reply.error.message).toMatch(/cannot contain quotes, backslashes or control characters/);
      }
      await core.dispose();
    },
  );
});
