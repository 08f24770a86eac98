DROP TABLE IF EXISTS certificate_lookup, certificate_settings, certificate_status_lists, certificate_keys,
  certificate_serials, certificate_documents, certificates, certificate_chunks;
