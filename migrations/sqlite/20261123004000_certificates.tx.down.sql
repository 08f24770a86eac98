DROP TABLE IF EXISTS certificate_lookup;
DROP TABLE IF EXISTS certificate_settings;
DROP TABLE IF EXISTS certificate_status_lists;
DROP TABLE IF EXISTS certificate_keys;
DROP TABLE IF EXISTS certificate_serials;
DROP TABLE IF EXISTS certificate_documents;
DROP TABLE IF EXISTS certificates;
DROP TABLE IF EXISTS certificate_chunks;
