DROP INDEX IF EXISTS applications_exam_id_number_idx;
DROP TABLE IF EXISTS exam_check_ins, exam_tickets, exam_ticket_numbers, exam_batch_codes, exam_seats,
  exam_arrangements, exam_session_rooms, exam_sessions, exam_rooms, exam_sites;
