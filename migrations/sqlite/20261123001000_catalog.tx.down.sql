DROP TABLE IF EXISTS evaluation_norms;
DROP TABLE IF EXISTS catalog_meta;
DROP TABLE IF EXISTS occupations;
