-- Twin of the PostgreSQL migration that rewrites oversight row-level-security policies: SQLite (dev mode)
-- has no row-level security, so there is nothing to change.
SELECT 1;
