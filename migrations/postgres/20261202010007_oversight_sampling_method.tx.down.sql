ALTER TABLE oversight_samplings DROP COLUMN IF EXISTS parameters;
ALTER TABLE oversight_samplings DROP COLUMN IF EXISTS method;
