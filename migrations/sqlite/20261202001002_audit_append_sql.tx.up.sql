-- Twin of the PostgreSQL migration that adds skillcert_audit_append (the audit chain appended in SQL, for
-- pipelined writers): SQLite (dev mode) has no stored functions; its writers append through audit.Record.
SELECT 1;
