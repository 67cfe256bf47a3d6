"""The CI history: what `pitstop record` ingests (test results, jobs, image builds and
sizes), kept in SQLite or PostgreSQL, and what `pitstop report` computes from it.

- `schema`: the tables (SQLAlchemy Core) and the versioned upgrade steps;
- `store`: opening a database (creating or upgrading it) and writing records, idempotent
  by natural keys, one transaction per input file; pruning;
- `queries`: the reads the report needs, aggregated in SQL;
- `stats`: percentiles, bootstrap intervals, Wilson intervals;
- `analysis`: the SLO table, slowest and flaky tests, as records the reports render.
"""
