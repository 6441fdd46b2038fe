//! Integration tests over real HTTP: one binary, a server on port 0 and a fresh database
//! per test. The same tests run on SQLite (default) and PostgreSQL
//! (`CODITECT_TEST_DATABASE_URL`). What the tests are built with (the harness, fixtures,
//! test tools) is in `support/`; every other module holds tests.

mod support;

mod admin_licenses;
mod admin_sessions_audit;
mod admin_tenants_tokens;
mod audit_filters;
mod client_endpoints;
mod cors;
mod denial_list;
mod errors_and_precedence;
mod fleet_rate_limits;
mod hostile_input;
mod hostile_requests;
mod keys_at_rest;
mod license_reissue;
mod license_search;
mod meter_events;
mod metering;
mod monitoring;
mod operations;
mod pagination;

mod accounts;
mod billing;
mod dashboard;
mod github_sso;
mod mail_honesty;
mod mail_outbox;

mod backup;
mod borrow;
mod cli_client;
mod queue;
mod sdk;
mod seats;
mod second_factor;
mod security_review;
mod signup;
mod sso;
mod staff_accounts;
mod tokens;
mod trusted_issuers;
mod webhook_processes;
mod webhooks;
