//! The hub's integration tests, in one binary so that it is linked once.

mod alerts;
mod browser;
mod cli;
mod dashboard;
mod http;
mod import;
mod postgres_server;
mod privacy;
mod storage;
mod summaries;
mod support;
