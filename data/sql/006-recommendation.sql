-- 006-recommendation.sql: the operator's recommendation for an escalation
-- (a sprint's operator:, mode assist or auto): {option, rationale,
-- confidence, at} as JSON, shown by escalations list.
-- Brings PRAGMA user_version to 6.

ALTER TABLE escalations ADD COLUMN recommendation TEXT;
