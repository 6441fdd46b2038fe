//! What the tests of this suite are built with, apart from the tests themselves: the
//! harness (a server and a fresh database per test), fixtures and shape checks, the
//! hostile-input tables, tools (a cuttable TCP proxy, a tiny SMTP server, server
//! processes of the real binary) and the SDK and CLI as tests drive them.

pub mod billing;
pub mod clients;
pub mod fixtures;
pub mod helpers;
pub mod hostile_cases;
pub mod oidc;
pub mod process;
pub mod proxy;
pub mod web;
