//! Renders run results: terminal table, JSON report.
