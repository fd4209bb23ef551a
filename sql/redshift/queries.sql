-- Redshift: analytical queries over access_logs.

-- Top paths (query string dropped), with their error share.
SELECT split_part(path, '?', 1) AS path,
       count(*) AS requests,
       round(100.0 * sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) / count(*), 2) AS pct_5xx
FROM access_logs
GROUP BY 1
ORDER BY requests DESC
LIMIT 20;

-- Error rate per hour (4xx and 5xx separately).
SELECT date_trunc('hour', ts) AS hour,
       count(*) AS requests,
       round(100.0 * sum(CASE WHEN status BETWEEN 400 AND 499 THEN 1 ELSE 0 END) / count(*), 2) AS pct_4xx,
       round(100.0 * sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) / count(*), 2) AS pct_5xx
FROM access_logs
GROUP BY 1
ORDER BY 1;

-- Bytes per client (the DISTKEY: aggregated on each slice without redistribution).
SELECT client_ip,
       count(*) AS requests,
       sum(bytes) AS bytes,
       round(sum(bytes) / 1048576.0, 2) AS mib
FROM access_logs
GROUP BY client_ip
ORDER BY bytes DESC
LIMIT 20;

-- Requests per day, for a chart.
SELECT CAST(ts AS DATE) AS day, count(*) AS requests, sum(bytes) AS bytes
FROM access_logs
GROUP BY 1
ORDER BY 1;
