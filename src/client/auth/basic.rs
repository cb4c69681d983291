//! HTTP Basic credentials as an `Authorization` value.

use crate::client::credentials::RunCredentials;

/// `Basic <base64(user:password)>`, an `Authorization` value.
pub fn basic_authorization(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The Basic value of the run's username and password, when both are known.
pub(crate) fn basic_value(creds: &RunCredentials) -> Option<String> {
    let (u, p) = (creds.username.as_ref()?, creds.password.as_ref()?);
    Some(basic_authorization(u, p.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_value_needs_both_parts() {
        assert_eq!(basic_authorization("a", "b"), "Basic YTpi");
        let mut c = RunCredentials {
            username: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(basic_value(&c), None);
        c.password = Some(crate::client::Secret::new("b"));
        assert_eq!(basic_value(&c).as_deref(), Some("Basic YTpi"));
    }
}
