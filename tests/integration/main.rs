//! Integration tests, built as one binary; one module per area.
//!
//! Each module registers its own handlers and builds its router from the
//! entries of its own module only, so the modules stay independent.

mod authn;
mod bypass_properties;
mod config_paths;
mod decision_log;
mod demo_server;
mod embed;
mod examples;
mod identity;
mod llama_stack_policies;
mod metrics;
mod oauth2;
mod openapi;
mod pipeline;
mod plan;
mod policy_cli;
mod policy_properties;
mod probe_fixes;
mod providers_github_k8s;
mod providers_identity;
mod quota;
mod reload;
mod reload_safety;
mod request_id;
mod router;
mod support;
mod telemetry;
mod tenancy;
mod tenant_sources;
mod testing_kit;
mod transport;
