DROP TABLE IF EXISTS filing_annual_reports;
DROP TABLE IF EXISTS filing_notices;
DROP TABLE IF EXISTS filing_decisions;
DROP TABLE IF EXISTS filing_scope;
DROP TABLE IF EXISTS filings;
