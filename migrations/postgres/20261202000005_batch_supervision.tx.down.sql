DROP TABLE IF EXISTS batch_supervision_records;
