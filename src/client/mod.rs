//! The only module that speaks HTTP to the target: requests, redirects, auth.
