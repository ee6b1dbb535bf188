-- The monitoring role the collector's sqlquery receiver uses (deploy/otel/collector.yaml).
-- Run as a superuser after `govproj db upgrade`, and again after a migration adds a table.
-- It sees counts and ages through views, never payloads: the views are owned by
-- a role that bypasses RLS and expose only the columns below.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'govproj_monitor') THEN
    CREATE ROLE govproj_monitor LOGIN;   -- set its password: \password govproj_monitor
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'govproj_monitor_views') THEN
    CREATE ROLE govproj_monitor_views NOLOGIN BYPASSRLS;
  END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS govproj_monitor AUTHORIZATION govproj_monitor_views;
GRANT USAGE ON SCHEMA registry, approval, budget, acceptance, archive TO govproj_monitor_views;
GRANT SELECT (id, created_at, sent_at) ON registry.outbox, approval.outbox, budget.outbox,
  acceptance.outbox, archive.outbox TO govproj_monitor_views;
GRANT SELECT (consumer) ON registry.dead_letter, approval.dead_letter, budget.dead_letter,
  acceptance.dead_letter, archive.dead_letter TO govproj_monitor_views;
GRANT SELECT (tenant_id, classification) ON archive.fixity_findings TO govproj_monitor_views;
SET ROLE govproj_monitor_views;
CREATE OR REPLACE VIEW govproj_monitor.outbox_unsent AS
  SELECT 'registry' AS schema_name, id, created_at FROM registry.outbox WHERE sent_at IS NULL
  UNION ALL SELECT 'approval', id, created_at FROM approval.outbox WHERE sent_at IS NULL
  UNION ALL SELECT 'budget', id, created_at FROM budget.outbox WHERE sent_at IS NULL
  UNION ALL SELECT 'acceptance', id, created_at FROM acceptance.outbox WHERE sent_at IS NULL
  UNION ALL SELECT 'archive', id, created_at FROM archive.outbox WHERE sent_at IS NULL;
CREATE OR REPLACE VIEW govproj_monitor.dead_letters AS
  SELECT 'registry' AS schema_name, consumer FROM registry.dead_letter
  UNION ALL SELECT 'approval', consumer FROM approval.dead_letter
  UNION ALL SELECT 'budget', consumer FROM budget.dead_letter
  UNION ALL SELECT 'acceptance', consumer FROM acceptance.dead_letter
  UNION ALL SELECT 'archive', consumer FROM archive.dead_letter;
CREATE OR REPLACE VIEW govproj_monitor.fixity_findings AS
  SELECT tenant_id, classification FROM archive.fixity_findings;
-- Replaced by the acceptance service's deadlines once it records them.
CREATE OR REPLACE VIEW govproj_monitor.deadlines_overdue AS
  SELECT NULL::text AS tenant_id, NULL::text AS kind WHERE false;
RESET ROLE;
GRANT USAGE ON SCHEMA govproj_monitor TO govproj_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA govproj_monitor TO govproj_monitor;
