//! Command-line interface: clap types and dispatch to the library.
