DROP TABLE IF EXISTS candidate_photos;
DROP TABLE IF EXISTS candidates;
