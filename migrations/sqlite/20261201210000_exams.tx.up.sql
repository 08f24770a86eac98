-- SQLite twin of the PostgreSQL migration (no RLS: the stores' tenant conditions apply).
-- Exam administration (考务, modules/exams): exam sites (考点) with rooms (考场) and seats, sessions (场次)
-- of a batch per method with their rooms, the seat arrangement (考场编排) with one ticket number per
-- application, admission tickets (准考证) and check-ins (签到).
--
-- SQLite has no exclusion constraints: the service checks overlaps inside its write transaction (SQLite
-- runs one writer at a time).
CREATE TABLE exam_sites (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  name       TEXT NOT NULL,
  address    TEXT NOT NULL,
  created_by TEXT,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exam_sites_tenant_idx ON exam_sites (tenant_id, created_at, id);

CREATE TABLE exam_rooms (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  site_id    TEXT NOT NULL REFERENCES exam_sites (id),
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('theory', 'computer', 'practical')),
  seats      INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 500),
  position   INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exam_rooms_site_idx ON exam_rooms (tenant_id, site_id, position);

CREATE TABLE exam_sessions (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  batch_id   TEXT NOT NULL REFERENCES batches (id),
  method     TEXT NOT NULL,
  starts_at  TIMESTAMP NOT NULL,
  ends_at    TIMESTAMP NOT NULL,
  created_by TEXT,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX exam_sessions_batch_idx ON exam_sessions (tenant_id, batch_id, starts_at, id);

-- A session's rooms, with the session's interval copied (PostgreSQL's exclusion constraint reads it there).
CREATE TABLE exam_session_rooms (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  session_id TEXT NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
  room_id    TEXT NOT NULL REFERENCES exam_rooms (id),
  position   INTEGER NOT NULL,
  starts_at  TIMESTAMP NOT NULL,
  ends_at    TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, session_id, room_id)
);
CREATE INDEX exam_session_rooms_room_idx ON exam_session_rooms (tenant_id, room_id);

-- The latest arrangement of a batch: how it was drawn (mode and seed, so anyone can reproduce it).
CREATE TABLE exam_arrangements (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  batch_id    TEXT NOT NULL REFERENCES batches (id),
  mode        TEXT NOT NULL CHECK (mode IN ('sequential', 'shuffled')),
  seed        TEXT NOT NULL DEFAULT '',
  seats       INTEGER NOT NULL,
  arranged_by TEXT,
  arranged_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, batch_id)
);

-- One seat per application and session; a seat of a room holds one application.
CREATE TABLE exam_seats (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  batch_id       TEXT NOT NULL REFERENCES batches (id),
  session_id     TEXT NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
  room_id        TEXT NOT NULL REFERENCES exam_rooms (id),
  application_id TEXT NOT NULL REFERENCES applications (id),
  seat           INTEGER NOT NULL CHECK (seat BETWEEN 1 AND 500),
  PRIMARY KEY (tenant_id, session_id, application_id),
  -- room first: a check-in's lookup by (session, application) then always takes the primary key
  UNIQUE (tenant_id, room_id, session_id, seat)
);
CREATE INDEX exam_seats_batch_idx ON exam_seats (tenant_id, batch_id, application_id);
-- Check-in by id number finds the application of the batch (the batches module's table).
CREATE INDEX applications_exam_id_number_idx ON applications (tenant_id, batch_id, id_number);

-- The short code of a batch in its tenant's ticket numbers, and the batch's next ticket serial.
CREATE TABLE exam_batch_codes (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  batch_id  TEXT NOT NULL REFERENCES batches (id),
  year      INTEGER NOT NULL,
  code      INTEGER NOT NULL CHECK (code BETWEEN 1 AND 9999),
  next_seq  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, batch_id),
  UNIQUE (tenant_id, year, code)
);

-- An application's ticket number (准考证号): assigned at its first arrangement, kept for good.
CREATE TABLE exam_ticket_numbers (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  application_id TEXT NOT NULL REFERENCES applications (id),
  batch_id       TEXT NOT NULL REFERENCES batches (id),
  ticket_number  TEXT NOT NULL,
  created_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, application_id),
  UNIQUE (tenant_id, ticket_number)
);
CREATE INDEX exam_ticket_numbers_batch_idx ON exam_ticket_numbers (tenant_id, batch_id, ticket_number);

-- Admission tickets (准考证), rendered by a job: one per application of an arranged batch. While a
-- batch has any, its arrangement and sessions are frozen.
CREATE TABLE exam_tickets (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  batch_id       TEXT NOT NULL REFERENCES batches (id),
  application_id TEXT NOT NULL REFERENCES applications (id),
  ticket_number  TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
  pdf            BLOB,
  token          TEXT NOT NULL DEFAULT '',
  attempts       INTEGER NOT NULL DEFAULT 0,
  error          TEXT NOT NULL DEFAULT '',
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, application_id)
);
CREATE INDEX exam_tickets_batch_idx ON exam_tickets (tenant_id, batch_id, ticket_number);

-- Check-ins (签到): the first per application and session wins (the primary key), so a repeat is
-- answered with the first time, race-free.
CREATE TABLE exam_check_ins (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  batch_id       TEXT NOT NULL REFERENCES batches (id),
  session_id     TEXT NOT NULL REFERENCES exam_sessions (id),
  application_id TEXT NOT NULL REFERENCES applications (id),
  via            TEXT NOT NULL CHECK (via IN ('ticket', 'id_number')),
  checked_in_by  TEXT,
  checked_in_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, session_id, application_id)
);
CREATE INDEX exam_check_ins_batch_idx ON exam_check_ins (tenant_id, batch_id, application_id);
