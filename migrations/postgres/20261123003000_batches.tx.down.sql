DROP TABLE IF EXISTS calendar_days, batch_passes, objections, batch_recusals, batch_supervisors,
  batch_evaluators, applications, batches;
