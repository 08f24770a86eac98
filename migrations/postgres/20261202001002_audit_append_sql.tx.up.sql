-- skillcert_audit_append appends one entry to the tenant's audit chain in SQL, exactly as audit.Record
-- does in Go (modules/audit/service.go): take the next sequence number under the head's row lock, hash
-- the entry with the previous hash (audit.computeHash's encoding: each field as "<bytes>:<text>", SHA-256,
-- lower-case hex), insert it, move the head. A writer that sends its whole change as one pipelined
-- statement (a check-in at the door) calls it in that statement, so the change and its trace still commit
-- or vanish together, in one round trip instead of three. It runs as the caller (SECURITY INVOKER):
-- row-level security and the append-only trigger apply as for Record. audit.VerifyChain checks its
-- entries like any other; modules/audit tests both writers on one chain.

-- skillcert_audit_json_string is a JSON string as Go's encoding/json writes it (HTML-safe escapes).
CREATE FUNCTION skillcert_audit_json_string(s text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $fn$
  SELECT replace(replace(replace(replace(replace(to_json(s)::text,
    '<', '\u003c'), '>', '\u003e'), '&', '\u0026'), U&'\2028', '\u2028'), U&'\2029', '\u2029')
$fn$;

-- skillcert_audit_canonical is audit.canonical: keys sorted bytewise, no spaces, numbers as stored;
-- SQL NULL and JSON null are the empty string.
CREATE FUNCTION skillcert_audit_canonical(j jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
  IF j IS NULL OR jsonb_typeof(j) = 'null' THEN
    RETURN '';
  END IF;
  RETURN skillcert_audit_canonical_value(j);
END
$fn$;

CREATE FUNCTION skillcert_audit_canonical_value(j jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
  CASE jsonb_typeof(j)
  -- Scalar members are written in place (no call per member): a flat object costs one query.
  WHEN 'object' THEN
    RETURN '{' || coalesce((SELECT string_agg(skillcert_audit_json_string(k) || ':' || CASE jsonb_typeof(v)
        WHEN 'string' THEN skillcert_audit_json_string(v #>> '{}')
        WHEN 'object' THEN skillcert_audit_canonical_value(v) WHEN 'array' THEN skillcert_audit_canonical_value(v)
        ELSE v::text END, ',' ORDER BY k COLLATE "C") FROM jsonb_each(j) AS e(k, v)), '') || '}';
  WHEN 'array' THEN
    RETURN '[' || coalesce((SELECT string_agg(CASE jsonb_typeof(v)
        WHEN 'string' THEN skillcert_audit_json_string(v #>> '{}')
        WHEN 'object' THEN skillcert_audit_canonical_value(v) WHEN 'array' THEN skillcert_audit_canonical_value(v)
        ELSE v::text END, ',' ORDER BY n) FROM jsonb_array_elements(j) WITH ORDINALITY AS e(v, n)), '') || ']';
  WHEN 'string' THEN
    RETURN skillcert_audit_json_string(j #>> '{}');
  ELSE
    RETURN j::text; -- number (as stored), true, false, null
  END CASE;
END
$fn$;

-- skillcert_audit_field is one field of the hashed encoding: its length in bytes, a colon, the text.
CREATE FUNCTION skillcert_audit_field(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT octet_length(coalesce(s, ''))::text || ':' || coalesce(s, '')
$fn$;

-- skillcert_audit_append returns the entry's sequence number. p_at is stored and hashed at microsecond
-- precision in UTC (RFC 3339, trailing zeros of the fraction dropped, as Go's time.RFC3339Nano).
CREATE FUNCTION skillcert_audit_append(p_tenant uuid, p_id uuid, p_at timestamptz, p_actor_id uuid,
  p_actor_name text, p_action text, p_outcome text, p_target_type text, p_target_id text,
  p_before jsonb, p_after jsonb, p_request_id text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_seq  bigint;
  v_prev text;
  v_at   timestamp := date_trunc('microseconds', p_at AT TIME ZONE 'UTC');
  v_frac text;
  v_hash text;
  v_before jsonb := CASE WHEN jsonb_typeof(p_before) = 'null' THEN NULL ELSE p_before END;
  v_after  jsonb := CASE WHEN jsonb_typeof(p_after) = 'null' THEN NULL ELSE p_after END;
BEGIN
  -- The head's row lock serialises appenders of one tenant until commit (as Record's upsert does); the
  -- head is then written once, with the new entry's number and hash.
  SELECT seq, hash INTO v_seq, v_prev FROM audit_heads WHERE tenant_id = p_tenant FOR UPDATE;
  IF NOT FOUND THEN -- the tenant's first entry
    INSERT INTO audit_heads (tenant_id, seq, hash)
    VALUES (p_tenant, 0, '0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (tenant_id) DO NOTHING;
    SELECT seq, hash INTO STRICT v_seq, v_prev FROM audit_heads WHERE tenant_id = p_tenant FOR UPDATE;
  END IF;
  v_seq := v_seq + 1;
  v_frac := rtrim(to_char(v_at, 'US'), '0');
  v_hash := encode(sha256(convert_to(
    skillcert_audit_field(v_prev) || skillcert_audit_field(p_tenant::text) || skillcert_audit_field(v_seq::text) ||
    skillcert_audit_field(p_id::text) ||
    skillcert_audit_field(to_char(v_at, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN v_frac = '' THEN '' ELSE '.' || v_frac END || 'Z') ||
    skillcert_audit_field(p_actor_id::text) || skillcert_audit_field(p_actor_name) || skillcert_audit_field(p_action) ||
    skillcert_audit_field(p_outcome) || skillcert_audit_field(p_target_type) || skillcert_audit_field(p_target_id) ||
    skillcert_audit_field(skillcert_audit_canonical(v_before)) || skillcert_audit_field(skillcert_audit_canonical(v_after)) ||
    skillcert_audit_field(p_request_id), 'UTF8')), 'hex');
  INSERT INTO audit_log (tenant_id, seq, id, at, actor_id, actor_name, action, outcome, target_type, target_id,
    before, after, request_id, prev_hash, hash)
  VALUES (p_tenant, v_seq, p_id, v_at AT TIME ZONE 'UTC', p_actor_id, coalesce(p_actor_name, ''), p_action,
    coalesce(p_outcome, 'ok'), coalesce(p_target_type, ''), coalesce(p_target_id, ''), v_before, v_after,
    coalesce(p_request_id, ''), v_prev, v_hash);
  UPDATE audit_heads SET seq = v_seq, hash = v_hash WHERE tenant_id = p_tenant;
  RETURN v_seq;
END
$fn$;
