-- Risk-weighted double-random draws (modules/oversight/supervision/risk.go): a draw records its method
-- (random or risk_weighted) and, for a weighted one, its parameters (floor, maximum weight, the signal
-- rules); each institution's weight and signals are kept in institution_population.
ALTER TABLE oversight_samplings ADD COLUMN method text NOT NULL DEFAULT 'random'
  CHECK (method IN ('random', 'risk_weighted'));
ALTER TABLE oversight_samplings ADD COLUMN parameters jsonb;
