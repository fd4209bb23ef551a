-- Redshift: the access_logs table COPY loads from the curated Parquet
-- (s3://<bucket>/curated/access_logs/v<N>/, written by spark/raw_to_parquet.py).
--
-- Column order = the Parquet files' column order: COPY ... FORMAT AS PARQUET matches by
-- position. dt is not a column: Spark keeps it in the path (dt=YYYY-MM-DD/), and COPY reads
-- files, not paths; it is CAST(ts AS DATE) here.
--
-- DISTKEY (client_ip): the analytical queries group and join by client (bytes per client,
-- sessions, top talkers), so each client's rows sit on one slice and those aggregate without
-- redistribution; client addresses are many and fairly even, so slices stay balanced.
-- (If most queries were time-sliced dashboards with no client grouping, DISTSTYLE EVEN
-- or AUTO would do as well.)
-- SORTKEY (ts): nearly every query filters on a time range (last hour, last day, error rate
-- per hour); sorted by ts, zone maps let Redshift skip every block outside the range, and
-- COPY of a newer batch appends in sort order, so VACUUM has little to do.
--
-- VARCHAR sizes are the bytes raw_to_parquet lets through (VARCHAR_BYTES there; a unit test
-- compares them): a longer value is set aside as too_long, so a COPY never fails on length.
-- A table made before the extra column: ALTER TABLE access_logs ADD COLUMN extra VARCHAR(4096);

CREATE TABLE IF NOT EXISTS access_logs (
  ts          TIMESTAMP      NOT NULL ENCODE az64,  -- UTC
  client_ip   VARCHAR(255)   ENCODE zstd,           -- an IPv4 or IPv6 address or a host name
  method      VARCHAR(16)    ENCODE zstd,
  path        VARCHAR(8192)  ENCODE zstd,
  protocol    VARCHAR(16)    ENCODE zstd,
  status      INTEGER        ENCODE az64,
  bytes       BIGINT         ENCODE az64,
  referrer    VARCHAR(8192)  ENCODE zstd,           -- NULL for a common-format line
  user_agent  VARCHAR(4096)  ENCODE zstd,           -- NULL for a common-format line
  record_id   VARCHAR(64)    NOT NULL ENCODE zstd,  -- the producer's unique id (rid=...), or h-<hash> for a foreign line
  extra       VARCHAR(4096)  ENCODE zstd            -- trailing fields after the user agent ($request_time, ...)
)
DISTSTYLE KEY
DISTKEY (client_ip)
COMPOUND SORTKEY (ts);
