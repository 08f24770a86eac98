ALTER TABLE oversight_samplings DROP COLUMN parameters;
ALTER TABLE oversight_samplings DROP COLUMN method;
