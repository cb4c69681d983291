//! regcheck's integration tests, one module per area (one test binary, like ripgrep).

mod common;
// bad flags, bad scenario files, unreachable and hostile targets → exit codes and messages
// the CI recipes of examples/ci run as written (GitHub steps, GitLab scripts) against `serve`
mod ci_recipes;
// no import cycle between the top-level modules of src/ (the one-way architecture)
mod architecture;
mod cli;
// the bundled suite passes against the embedded registry in every auth mode; no secret leaks
mod embedded;
// the bundled suite against CNCF Distribution: exactly the pinned known deviations fail
mod distribution;
// the bundled suite against ferro-oci-server: no scenario fails, conventions are warnings
mod ferro;
// golden errors of tests/data/invalid and the bundled scenarios validate cleanly
mod scenario_files;
// real clients (skopeo, azure-containerregistry SDK, oras-py) round-trip content through the embedded registry
mod interop;
mod registry;
// every injected registry fault is caught by exactly the rules written for it
mod detection;
// the spec-minimal embedded registry: the suite does not fail it; faults are still caught
mod minimal;
// JSON reports validate against reports/schema/report.v1.json
mod reports;
// the README coverage section is generated from the endpoint table; a run reaches what it lists
mod coverage_doc;
// every report format read by real consumers (junitparser, headless Chromium), default outputs
mod report_formats;
// report diff (regressions → exit 1) and run --baseline (known deviations)
mod report_diff;
// no report format contains the credentials of a failing run
mod report_secrets;
// load runs rendered (HTML charts in chromium, Markdown, JUnit) and diffed (p99 regression)
mod report_load;
// the run touches only its namespace, cleans up after itself, --keep keeps
mod cleanup;
// credentials never leave the target's host (redirects, foreign token realms)
mod credentials;
// 429 Retry-After is waited out (bounded) and the throttled answers are checked
mod throttling;
// client authentication: one token fetch for concurrent requests, refresh, POST fallback, ACR
// refresh tokens, docker config and credential helpers, --password refused, no secret leaks
mod auth;
// TLS on both ends: serve --tls, --ca-cert, --insecure, wrong host, unknown CA, no downgrade
mod tls;
// regcheck load: counts, histograms, thresholds, corruption, stalls, shards, Ctrl-C
mod load;
// hostile targets (raw-socket faults): bounded time and memory, findings naming the cause
mod hostile;
