//! regcheck's integration tests, one module per area (one test binary, like ripgrep).

mod common;
