-- PostgreSQL only: rewrites row-level-security policies (SQLite has none). Kept as a twin so both
-- dialects list the same migrations.
SELECT 1;
