DROP FUNCTION skillcert_audit_append(uuid, uuid, timestamptz, uuid, text, text, text, text, text, jsonb, jsonb, text);
DROP FUNCTION skillcert_audit_field(text);
DROP FUNCTION skillcert_audit_canonical(jsonb);
DROP FUNCTION skillcert_audit_canonical_value(jsonb);
DROP FUNCTION skillcert_audit_json_string(text);
