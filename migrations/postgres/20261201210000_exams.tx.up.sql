-- Exam administration (考务, modules/exams): exam sites (考点) with rooms (考场) and seats, sessions (场次)
-- of a batch per method with their rooms, the seat arrangement (考场编排) with one ticket number per
-- application, admission tickets (准考证) and check-ins (签到).
--
-- Double booking is refused by the database, race-free: a batch's sessions of one method may not
-- overlap ([starts_at, ends_at)), and a room may not be in two overlapping sessions of the tenant
-- (exclusion constraints on tstzrange, btree_gist for the equality parts).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE exam_sites (
  id         uuid PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  name       text NOT NULL,
  address    text NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX exam_sites_tenant_idx ON exam_sites (tenant_id, created_at, id);
SELECT skillcert_tenant_rls('exam_sites', true);

CREATE TABLE exam_rooms (
  id         uuid PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  site_id    uuid NOT NULL REFERENCES exam_sites (id),
  name       text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('theory', 'computer', 'practical')),
  seats      integer NOT NULL CHECK (seats BETWEEN 1 AND 500),
  position   integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX exam_rooms_site_idx ON exam_rooms (tenant_id, site_id, position);
SELECT skillcert_tenant_rls('exam_rooms', true);

CREATE TABLE exam_sessions (
  id         uuid PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  batch_id   uuid NOT NULL REFERENCES batches (id),
  method     text NOT NULL,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (ends_at > starts_at),
  CONSTRAINT exam_sessions_no_overlap EXCLUDE USING gist
    (tenant_id WITH =, batch_id WITH =, method WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
);
CREATE INDEX exam_sessions_batch_idx ON exam_sessions (tenant_id, batch_id, starts_at, id);
SELECT skillcert_tenant_rls('exam_sessions', true);

-- A session's rooms, with the session's interval copied so that the exclusion constraint sees it.
CREATE TABLE exam_session_rooms (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  session_id uuid NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
  room_id    uuid NOT NULL REFERENCES exam_rooms (id),
  position   integer NOT NULL,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, session_id, room_id),
  CONSTRAINT exam_session_rooms_room_busy EXCLUDE USING gist
    (tenant_id WITH =, room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
);
CREATE INDEX exam_session_rooms_room_idx ON exam_session_rooms (tenant_id, room_id);
SELECT skillcert_tenant_rls('exam_session_rooms', true);

-- The latest arrangement of a batch: how it was drawn (mode and seed, so anyone can reproduce it).
CREATE TABLE exam_arrangements (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  batch_id    uuid NOT NULL REFERENCES batches (id),
  mode        text NOT NULL CHECK (mode IN ('sequential', 'shuffled')),
  seed        text NOT NULL DEFAULT '',
  seats       integer NOT NULL,
  arranged_by uuid,
  arranged_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, batch_id)
);
SELECT skillcert_tenant_rls('exam_arrangements', true);

-- One seat per application and session; a seat of a room holds one application.
CREATE TABLE exam_seats (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  batch_id       uuid NOT NULL REFERENCES batches (id),
  session_id     uuid NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
  room_id        uuid NOT NULL REFERENCES exam_rooms (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  seat           integer NOT NULL CHECK (seat BETWEEN 1 AND 500),
  PRIMARY KEY (tenant_id, session_id, application_id),
  -- room first: a check-in's lookup by (session, application) then always takes the primary key
  UNIQUE (tenant_id, room_id, session_id, seat)
);
CREATE INDEX exam_seats_batch_idx ON exam_seats (tenant_id, batch_id, application_id);
-- Check-in by id number finds the application of the batch (the batches module's table).
CREATE INDEX applications_exam_id_number_idx ON applications (tenant_id, batch_id, id_number);
SELECT skillcert_tenant_rls('exam_seats', true);

-- The short code of a batch in its tenant's ticket numbers, and the batch's next ticket serial.
CREATE TABLE exam_batch_codes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  batch_id  uuid NOT NULL REFERENCES batches (id),
  year      integer NOT NULL,
  code      integer NOT NULL CHECK (code BETWEEN 1 AND 9999),
  next_seq  integer NOT NULL,
  PRIMARY KEY (tenant_id, batch_id),
  UNIQUE (tenant_id, year, code)
);
SELECT skillcert_tenant_rls('exam_batch_codes', false);

-- An application's ticket number (准考证号): assigned at its first arrangement, kept for good.
CREATE TABLE exam_ticket_numbers (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  batch_id       uuid NOT NULL REFERENCES batches (id),
  ticket_number  text NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, application_id),
  UNIQUE (tenant_id, ticket_number)
);
CREATE INDEX exam_ticket_numbers_batch_idx ON exam_ticket_numbers (tenant_id, batch_id, ticket_number);
SELECT skillcert_tenant_rls('exam_ticket_numbers', true);

-- Admission tickets (准考证), rendered by a job: one per application of an arranged batch. While a
-- batch has any, its arrangement and sessions are frozen.
CREATE TABLE exam_tickets (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  batch_id       uuid NOT NULL REFERENCES batches (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  ticket_number  text NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
  pdf            bytea,
  token          text NOT NULL DEFAULT '',
  attempts       integer NOT NULL DEFAULT 0,
  error          text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, application_id)
);
CREATE INDEX exam_tickets_batch_idx ON exam_tickets (tenant_id, batch_id, ticket_number);
SELECT skillcert_tenant_rls('exam_tickets', false);

-- Check-ins (签到): the first per application and session wins (the primary key), so a repeat is
-- answered with the first time, race-free.
CREATE TABLE exam_check_ins (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  batch_id       uuid NOT NULL REFERENCES batches (id),
  session_id     uuid NOT NULL REFERENCES exam_sessions (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  via            text NOT NULL CHECK (via IN ('ticket', 'id_number')),
  checked_in_by  uuid,
  checked_in_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, session_id, application_id)
);
CREATE INDEX exam_check_ins_batch_idx ON exam_check_ins (tenant_id, batch_id, application_id);
SELECT skillcert_tenant_rls('exam_check_ins', true);
