//! The hub's integration tests, in one binary so that it is linked once.

mod cli;
mod http;
mod import;
mod support;
