-- Risk-weighted double-random draws: the draw's method and, for a weighted one, its parameters.
ALTER TABLE oversight_samplings ADD COLUMN method TEXT NOT NULL DEFAULT 'random'
  CHECK (method IN ('random', 'risk_weighted'));
ALTER TABLE oversight_samplings ADD COLUMN parameters TEXT;
