import { describe, expect, it } from 'vitest';
import { inEditor, positionAt, splitStatements } from '../../shared/sql/split.js';

describe('splitting SQL scripts per dialect', () => {
  it('keeps Redshift dollar quotes, quoted semicolons and comments inside one statement', () => {
    const script =
      'SELECT \'a;b\' AS "x;y";\n-- heading\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n/* done */ SELECT 2 -- trailing\n;\n-- only a comment\n';
    const parts = splitStatements(script, 'redshift');
    expect(parts.map((p) => p.sql)).toEqual([
      'SELECT \'a;b\' AS "x;y"',
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql',
      'SELECT 2 -- trailing',
    ]);
    expect(parts.map((p) => p.start)).toEqual([
      { line: 1, column: 1 },
      { line: 3, column: 1 },
      { line: 4, column: 12 },
    ]);
    for (const part of parts) expect(script.slice(part.offset, part.offset + part.sql.length)).toBe(part.sql);
  });

  it('knows Spark’s backticks and backslash escapes', () => {
    const parts = splitStatements("SELECT `a;b`, 'it\\'s; fine' FROM t; SHOW TABLES", 'spark');
    expect(parts.map((p) => p.sql)).toEqual(["SELECT `a;b`, 'it\\'s; fine' FROM t", 'SHOW TABLES']);
  });

  it('maps positions in a selection to positions in the editor', () => {
    expect(positionAt('ab\ncd\nef', 7)).toEqual({ line: 3, column: 2 });
    expect(inEditor({ line: 1, column: 3 }, { line: 5, column: 10 })).toEqual({ line: 5, column: 12 });
    expect(inEditor({ line: 2, column: 3 }, { line: 5, column: 10 })).toEqual({ line: 6, column: 3 });
  });
});
