//! Embedded reference registry (axum): the default target and the test fixture.
