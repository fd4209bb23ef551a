import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maskValues, redactSecrets, secretValues } from '../../shared/node/redact.js';
import { Logger } from '../../shared/node/log.js';

/**
 * Item 5 of issue 13: one redaction for SQL and log text. Fails without it: the log's former patterns left 27 of
 * these cases readable (PASSWORD '…', SECRET_ACCESS_KEY '…', URL user-info, JSON SecretAccessKey, passphrases…).
 */

/** A secret no other text contains, with the characters passwords and keys hold that quoting rules care about. */
const marker = (tail = '') => `Zq${randomBytes(9).toString('hex')}${tail}`;
const keyId = () => `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;

/** [statement with ⟪1⟫ (⟪2⟫, ⟪3⟫) standing for secrets, what must still read the same afterwards, a secret maker]. */
const corpus: [string, string, () => string][] = [
  // Redshift users: plain, md5 and sha256 hashes, '' and backslashes inside, dollar quotes, ALTER.
  ["CREATE USER bob PASSWORD '⟪1⟫'", 'CREATE USER bob PASSWORD', marker],
  ["CREATE USER bob WITH PASSWORD '⟪1⟫' CREATEDB", 'CREATEDB', () => marker("''q")],
  ["ALTER USER bob PASSWORD 'md5⟪1⟫' VALID UNTIL '2030-01-01'", "VALID UNTIL '2030-01-01'", marker],
  ["ALTER USER bob PASSWORD 'sha256|⟪1⟫'", 'ALTER USER bob', marker],
  ['CREATE USER bob PASSWORD $pw$⟪1⟫$pw$ NOCREATEDB', 'NOCREATEDB', () => marker("'")],
  ["create user bob encrypted password E'⟪1⟫\\' x' nocreatedb", 'nocreatedb', marker],
  // Redshift ends this literal at \', Spark reads on to the end: the longer reading is masked.
  ["ALTER ROLE bob PASSWORD '⟪1⟫\\' CONNECTION LIMIT 5", 'ALTER ROLE bob PASSWORD', marker],
  ["CREATE USER bob PASSWORD '⟪1⟫' WITH NO SUCH OPTION", 'NO SUCH OPTION', marker],
  // What SQL allows between the name and the value: nothing, comments; and Unicode-escaped literals.
  ["CREATE USER bob PASSWORD'⟪1⟫' NOCREATEDB", 'NOCREATEDB', marker],
  ["CREATE USER bob PASSWORD /* set once */ '⟪1⟫' NOCREATEDB", 'NOCREATEDB', marker],
  ["ALTER USER bob PASSWORD -- rotated\n '⟪1⟫' VALID UNTIL 'infinity'", "VALID UNTIL 'infinity'", marker],
  ["ALTER USER bob PASSWORD U&'⟪1⟫' NOCREATEUSER", 'NOCREATEUSER', marker],
  // COPY and UNLOAD.
  [
    "COPY t FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE;aws_secret_access_key=⟪1⟫;token=⟪2⟫' FORMAT AS CSV",
    "FROM 's3://b/k'",
    marker,
  ],
  ["COPY t FROM 's3://b/k' WITH CREDENTIALS AS 'aws_iam_role=arn:aws:iam::1:role/r;master_symmetric_key=⟪1⟫' CSV", 'CSV', marker],
  ["UNLOAD ('select ''a''') TO 's3://b/p' CREDENTIALS 'aws_access_key_id=K;aws_secret_access_key=⟪1⟫'", "TO 's3://b/p'", marker],
  ["COPY t FROM 's3://b/k' ACCESS_KEY_ID '⟪1⟫' SECRET_ACCESS_KEY '⟪2⟫' SESSION_TOKEN '⟪3⟫' FORMAT AS PARQUET", 'FORMAT AS PARQUET', marker],
  ["copy t from 's3://b/k' access_key_id 'AKIAZZZZZZZZZZZZZZZZ' secret_access_key '⟪1⟫'", "from 's3://b/k'", marker],
  ["UNLOAD ('select 1') TO 's3://b/p' SESSION_TOKEN '⟪1⟫' PARALLEL OFF", 'PARALLEL OFF', () => marker('/+=')],
  ["CREATE EXTERNAL SCHEMA s FROM POSTGRES DATABASE 'd' MASTER_USER_PASSWORD '⟪1⟫'", "DATABASE 'd'", marker],
  ["SELECT dblink_connect('host=h user=u password=⟪1⟫ dbname=d')", 'dbname=d', marker],
  ["CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password '⟪1⟫')", "OPTIONS (user 'u'", marker],
  // Spark SQL: settings, OPTIONS and TBLPROPERTIES, double quotes and backslash escapes.
  ['SET spark.hadoop.fs.s3a.secret.key=⟪1⟫', 'SET spark.hadoop.fs.s3a.secret.key=', marker],
  ['SET spark.hadoop.fs.s3a.access.key = ⟪1⟫', 'SET spark.hadoop.fs.s3a.access.key', marker],
  ['SET spark.hadoop.fs.s3a.session.token=⟪1⟫ with a space', 'SET spark.hadoop', marker],
  ['SET javax.jdo.option.ConnectionPassword=⟪1⟫', 'javax.jdo.option.ConnectionPassword', marker],
  [
    "CREATE TABLE t USING jdbc OPTIONS (url 'jdbc:postgresql://h/d', user 'u', password \"⟪1⟫\\\" x\")",
    "url 'jdbc:postgresql://h/d'",
    marker,
  ],
  ["CREATE TABLE t (a INT) TBLPROPERTIES ('fs.s3a.secret.key'='⟪1⟫', 'owner'='ops')", "'owner'='ops'", marker],
  ["ALTER TABLE t SET TBLPROPERTIES ('fs.s3a.secret.key' '⟪1⟫\\' y')", 'ALTER TABLE t SET TBLPROPERTIES', marker],
  ["CREATE TABLE t USING parquet OPTIONS (path 's3a://b/t', 'spark.hadoop.fs.s3a.secret.key' = \"⟪1⟫\")", "path 's3a://b/t'", marker],
  // URLs, JSON, passphrases, key blocks, key ids: in SQL literals and in log lines.
  ["SELECT * FROM read_url('postgres://admin:⟪1⟫@db.internal:5439/dev')", '@db.internal:5439/dev', () => marker('%40')],
  ['connecting to jdbc:redshift://h:5439/dev?user=u&password=⟪1⟫&ssl=true', 'ssl=true', marker],
  [
    '{"AccessKeyId":"ASIAABCDEFGHIJKLMNOP","SecretAccessKey":"⟪1⟫","SessionToken":"⟪2⟫","Expiration":"2030"}',
    '"Expiration":"2030"',
    marker,
  ],
  ['{"user": "u", "password": "⟪1⟫\\"x", "host": "h"}', '"host": "h"', marker],
  ['key file asked: {"passphrase":"⟪1⟫"}', 'key file asked', marker],
  ['ssh key passphrase: ⟪1⟫', 'ssh key passphrase', marker],
  ["Spark said: == SQL ==\nCREATE TABLE x OPTIONS (password '⟪1⟫')\n-----^^^", '== SQL ==', marker],
  ['aws redshift create-cluster --master-user-password=⟪1⟫ --node-type dc2.large', '--node-type dc2.large', marker],
  ['-----BEGIN OPENSSH PRIVATE KEY-----\n⟪1⟫\n-----END OPENSSH PRIVATE KEY-----\nafter', 'after', marker],
  ['-----BEGIN RSA PRIVATE KEY-----\n⟪1⟫ (cut off', '', marker],
  ['InvalidClientTokenId: ⟪1⟫ does not exist', 'does not exist', keyId],
  ['temporary key ⟪1⟫ is unknown', 'is unknown', () => keyId().replace('AKIA', 'ASIA')],
  ['token=⟪1⟫&next=1', 'next=1', marker],
  ['X-Amz-Security-Token=⟪1⟫', 'X-Amz-', marker],
  ['{"MasterUserPassword": "⟪1⟫"}', 'MasterUserPassword', marker],
  ["CREATE USER bob PASSWORD '⟪1⟫", 'CREATE USER bob', marker],
];

describe('redaction of SQL and log text', () => {
  it('holds at least 40 secret-bearing texts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus)('masks the whole value in %s', (template, kept, make) => {
    const secrets = [make(), make(), make()];
    const text = template.replace('⟪1⟫', secrets[0]!).replace('⟪2⟫', secrets[1]!).replace('⟪3⟫', secrets[2]!);
    const out = redactSecrets(text);
    for (const secret of secrets) expect(out).not.toContain(secret);
    // No piece of the secret survives either (a value cut at a quote or a space leaks its tail).
    for (const piece of secrets[0]!.split(/['\\/+=%x ]/).filter((p) => p.length >= 6)) expect(out).not.toContain(piece);
    expect(out).toContain(kept);
  });

  it('leaves statements without secrets as they were', () => {
    for (const text of [
      "SELECT password_encryption, 'it''s' FROM pg_settings WHERE name = 'password'",
      'CREATE USER bob PASSWORD DISABLE',
      "COPY t FROM 's3://b/k' IAM_ROLE 'arn:aws:iam::123456789012:role/r' FORMAT AS PARQUET",
      'SET spark.sql.shuffle.partitions=4',
      'password authentication failed for user "bob"',
      'http://127.0.0.1:8080/path?x=1',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it('masks a secret the server quotes back without its name', () => {
    const [first, second, third] = [marker(), marker("''"), marker()];
    const statement = `ALTER USER bob SET PASSWORD '${first}'; CREATE USER x PASSWORD $q$${third}$q$ WITH PASSWORD 'it''s${second}'`;
    const error = `syntax error at or near "'${first}'" … "${third}" … it's${second.replace("''", "'")} … 'it''s${second}'`;
    const out = maskValues(error, secretValues(statement));
    for (const secret of [first, third, second.slice(0, -2)]) expect(out).not.toContain(secret);
    expect(out).toMatch(/^syntax error at or near/);
  });

  it('is what the log uses, alongside the values registered with it', () => {
    const log = new Logger(undefined);
    const secret = marker();
    log.error('test', `statement failed: ALTER USER bob PASSWORD '${secret}'`);
    expect(log.recent(1)[0]!.message).toBe("statement failed: ALTER USER bob PASSWORD '[redacted]'");
  });
});
