DROP TABLE IF EXISTS calendar_days;
DROP TABLE IF EXISTS batch_passes;
DROP TABLE IF EXISTS objections;
DROP TABLE IF EXISTS batch_recusals;
DROP TABLE IF EXISTS batch_supervisors;
DROP TABLE IF EXISTS batch_evaluators;
DROP TABLE IF EXISTS applications;
DROP TABLE IF EXISTS batches;
