-- Experiment (not part of `make bench`): what writing a 100,000-row referral file costs PostgreSQL when it is done
-- set-based, statement by statement from a staged table, instead of chunk by chunk from Python (docs/benchmarks.md,
-- "Bulk referral file", "A set-based write, measured"). Every row is treated as loaded: one case, debt, referral,
-- notice (HBREC) and outbox message each, and four timeline events; scrutiny is not part of it.
--
-- Run on a migrated database with the reference data loaded, and the bench's file (bench_referral_file.generate):
--   psql -h 127.0.0.1 -U postgres DB -f bench/experiments/set_based_persistence.sql
-- (the file is read from /tmp/referrals.csv; everything is in one transaction, rolled forward: use a scratch database.)
\timing on
\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE stage_raw (la_code text, referral_date text, cis_checked_on text, customer_name text, address_line_1 text, address_line_2 text, address_line_3 text, address_line_4 text, postcode text, nino text, date_of_birth text, la_reference text, benefit text, civil_penalty text, civil_penalty_overpayment_reference text, cause text, classification text, reason text, reason_other text, period_from text, period_to text, amount_recovered text, outstanding_balance text);
\copy stage_raw FROM '/tmp/referrals.csv' WITH (FORMAT csv, HEADER true)
-- what Python validation would COPY in: typed, with ids from the sequences
CREATE TEMP TABLE staged AS
SELECT row_number() OVER () + 1 AS source_row, nextval('core_case_id_seq') AS case_id, nextval('referrals_referral_id_seq') AS referral_id,
       nextval('recovery_debt_id_seq') AS debt_id, nextval('notices_notice_id_seq') AS notice_id,
       la_code, CASE WHEN referral_date ~ '^\d{4}-\d\d-\d\d$' THEN referral_date::date END AS referral_date,
       CASE WHEN cis_checked_on ~ '^\d{4}-\d\d-\d\d$' THEN cis_checked_on::date END AS cis_checked_on, customer_name,
       address_line_1, coalesce(address_line_2,'') AS address_line_2, coalesce(address_line_3,'') AS address_line_3, coalesce(address_line_4,'') AS address_line_4, coalesce(postcode,'') AS postcode, coalesce(nino,'') AS nino,
       CASE WHEN date_of_birth ~ '^\d{4}-\d\d-\d\d$' THEN date_of_birth::date END AS date_of_birth, coalesce(la_reference,'') || '-' || (row_number() OVER ()) AS la_reference,
       CASE WHEN benefit = 'CTB' THEN 'CTB' ELSE 'HB' END AS benefit_type, coalesce(cause,'') AS cause, coalesce(classification,'') AS classification,
       CASE WHEN period_from ~ '^\d{4}-\d\d-\d\d$' THEN period_from::date END AS period_from, CASE WHEN period_to ~ '^\d{4}-\d\d-\d\d$' THEN period_to::date END AS period_to,
       1000 AS outstanding_balance_pence
FROM stage_raw;
SELECT count(*) FROM staged;
SELECT id AS la FROM partners_organisation WHERE code = 'E08000035' \gset
SELECT id AS porth FROM partners_organisation WHERE unit = 'CC_PORTH' LIMIT 1 \gset
SELECT id AS site FROM partners_organisation WHERE code = 'DM-CCG-DEARNE' \gset
INSERT INTO core_case (id, scheme, opened_at, la_id) SELECT case_id, 'hb-overpayment', now(), :la FROM staged;
INSERT INTO recovery_debt (id, nino, debtor_name, la_reference, benefit_type, is_civil_penalty, classification, original_balance_pence, weekly_rate_pence, recovery_start_date, status, loaded_at, case_id, la_id, overpayment_id, owning_site_id, cleared_pence, closed_at, stop_details, stop_reason)
SELECT debt_id, nino, customer_name, la_reference, benefit_type, false, 'ERROR', outstanding_balance_pence, 1395, current_date + 14, 'IN_RECOVERY', now(), case_id, :la, NULL, :site, 0, NULL, '', '' FROM staged;
INSERT INTO referrals_referral (id, channel, source_row, received_at, status, queue_reason, decided_at, decision_reasons, faults, submitted, referral_date, cis_checked_on, customer_name, address_line_1, address_line_2, address_line_3, address_line_4, postcode, nino, date_of_birth, la_reference, la_code, cause, classification, reason_other, period_from, period_to, amount_recovered_pence, outstanding_balance_pence, benefit_type, is_civil_penalty, penalty_overpayment_reference, assigned_to_id, case_id, debt_id, decided_by_id, import_batch_id, la_id, penalty_overpayment_id, reason_id, submitted_by_id)
SELECT referral_id, 'FILE', source_row, now(), 'LOADED', '', now(), '', '[]', '{}', referral_date, cis_checked_on, left(customer_name, 200), left(address_line_1,100), left(address_line_2,100), left(address_line_3,100), left(address_line_4,100), left(postcode,8), left(nino,9), date_of_birth, left(la_reference,40), left(la_code,9), 'DISCLOSURE', 'ERROR', '', period_from, period_to, 0, outstanding_balance_pence, benefit_type, false, '', NULL, case_id, debt_id, NULL, NULL, :la, NULL, NULL, NULL FROM staged;
INSERT INTO core_event (kind, occurred_at, recorded_at, summary, data, actor_id, actor_organisation_id, case_id, la_id)
SELECT k.kind, now(), now(),
       CASE k.n WHEN 1 THEN 'Referral ' || s.la_reference || ' received by bulk file' WHEN 2 THEN 'Checked: no missing or invalid data'
            ELSE 'Loaded onto Debt Manager: recovery of £10.00 from ' || to_char(current_date + 14, 'DD FMMonth YYYY') || ' at £13.95 a week' END,
       CASE k.n WHEN 1 THEN jsonb_build_object('referral_id', s.referral_id, 'channel', 'FILE', 'row', s.source_row)
            WHEN 2 THEN '{}'::jsonb
            ELSE jsonb_build_object('referral_id', s.referral_id, 'status', 'LOADED', 'debt_id', s.debt_id, 'recovery_start_date', current_date + 14, 'weekly_rate_pence', 1395, 'balance_pence', 1000) END,
       NULL, CASE k.n WHEN 1 THEN :la ELSE :porth END, s.case_id, :la
FROM staged s CROSS JOIN (VALUES (1, 'referral.received'), (2, 'referral.validated'), (3, 'referral.loaded')) k(n, kind);
INSERT INTO notices_notice (id, code, issued_at, context, pdf, case_id, issued_by_id, la_id)
SELECT notice_id, 'HBREC', now(), jsonb_build_object('date', to_char(current_date, 'DD FMMonth YYYY'), 'la_name', 'Leeds City Council', 'la_code', 'E08000035', 'customer_name', customer_name, 'nino', nino, 'la_reference', la_reference, 'case_reference', 'C' || lpad(case_id::text, 7, '0'), 'benefit', 'Housing Benefit', 'balance', '£10.00', 'weekly_rate', '£13.95', 'recovery_start', to_char(current_date + 14, 'DD FMMonth YYYY'), 'from_unit', 'CCG Dearne Valley', 'address_lines', jsonb_build_array(address_line_1, address_line_2, postcode)),
       '', case_id, :porth, :la FROM staged;
INSERT INTO notices_outboxmessage ("to", subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at, notice_id)
SELECT 'overpayments@leeds.gov.uk', 'HBREC: Notice of recovery - ' || la_reference, '', 'PENDING', 0, now(), '', now(), NULL, notice_id FROM staged;
INSERT INTO core_event (kind, occurred_at, recorded_at, summary, data, actor_id, actor_organisation_id, case_id, la_id)
SELECT 'notice.issued', now(), now(), 'HBREC issued: Notice of recovery', jsonb_build_object('notice_id', notice_id, 'code', 'HBREC'), NULL, :porth, case_id, :la FROM staged;
COMMIT;
