/* violations--1.2--1.3.sql: status changes through a C trigger function */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION violations UPDATE TO '1.3'" to load this file. \quit

/*
 * The statement trigger that follows an UPDATE of "ViolationSample" (status
 * history, the events' and months' counts) does what the PL/pgSQL function
 * of 1.1 did, with the same statements, in C (src/status.c), which keeps
 * their plans for statements of up to 100 rows: planning them at every
 * status change was half of a one-row status update (docs/PERFORMANCE.md).
 * CREATE OR REPLACE keeps the trigger; it resets SECURITY DEFINER, so that
 * is set again.
 */
CREATE OR REPLACE FUNCTION violations_on_violation_update()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, @extschema@, pg_temp
AS 'MODULE_PATHNAME', 'violations_on_violation_update';

ALTER FUNCTION violations_on_violation_update() SECURITY DEFINER;
