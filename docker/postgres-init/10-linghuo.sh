#!/bin/sh
# Run once by the postgres image on an empty data directory, as the superuser
# (POSTGRES_USER, "postgres"). It creates:
#
# - linghuo: the role web, worker and beat log in as, and the migrations run
#   as. Not a superuser, cannot create roles or databases; owns the database
#   linghuo and so every table the migrations create.
# - linghuo_audit_owner: NOLOGIN. Migration applications 0008 makes it the
#   owner of the audit table, so linghuo may only INSERT and SELECT there
#   (no UPDATE, DELETE, TRUNCATE, ALTER TABLE ... DISABLE TRIGGER, DROP).
# - linghuo_seal_audit_table(): what that migration calls, not being a
#   superuser, to hand the table over. It runs with the superuser's rights but
#   only ever takes rights away from its caller, and only linghuo may call it.
#
# A later migration that changes the audit table must run as the superuser:
#   docker compose exec -e DATABASE_URL=postgres://postgres:...@postgres/linghuo web python manage.py migrate
set -eu

psql -v ON_ERROR_STOP=1 -v app_password="$LINGHUO_DB_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'EOSQL'
CREATE ROLE linghuo LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
ALTER DATABASE :"DBNAME" OWNER TO linghuo;
ALTER SCHEMA public OWNER TO linghuo;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linghuo_audit_owner') THEN
        CREATE ROLE linghuo_audit_owner NOLOGIN;  -- roles are per server: another database may have made it
    END IF;
END $$;

CREATE FUNCTION public.linghuo_seal_audit_table() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF to_regclass('public.applications_auditentry') IS NULL THEN
        RAISE EXCEPTION 'applications_auditentry does not exist yet';
    END IF;
    -- The same statements as applications/migrations/0008_access_and_audit.py, for the calling role.
    ALTER TABLE public.applications_auditentry OWNER TO linghuo_audit_owner;
    ALTER FUNCTION public.applications_auditentry_append_only() OWNER TO linghuo_audit_owner;
    EXECUTE format('REVOKE ALL ON TABLE public.applications_auditentry FROM %I', session_user);
    EXECUTE format('GRANT INSERT, SELECT ON TABLE public.applications_auditentry TO %I', session_user);
END;
$$;
REVOKE ALL ON FUNCTION public.linghuo_seal_audit_table() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.linghuo_seal_audit_table() TO linghuo;
EOSQL
