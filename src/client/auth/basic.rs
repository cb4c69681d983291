//! HTTP Basic credentials as an `Authorization` value (user and password, or ACR's null-GUID
//! user with a refresh token).

use crate::client::credentials::RunCredentials;

/// `Basic <base64(user:password)>`, an `Authorization` value.
pub fn basic_authorization(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// User name ACR (and docker) pair with a refresh token used as a Basic password.
pub const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// The Basic value of the run's username and password, when both are known; else, with an ACR
/// refresh token, the null-GUID user with the token as password (what `docker login` sends
/// after `az acr login --expose-token`).
pub(crate) fn basic_value(creds: &RunCredentials) -> Option<String> {
    match (&creds.username, &creds.password, &creds.refresh_token) {
        (Some(u), Some(p), _) => Some(basic_authorization(u, p.expose())),
        (_, None, Some(rt)) => Some(basic_authorization(NULL_GUID, rt.expose())),
        _ => None,
    }
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
        let rt = RunCredentials {
            refresh_token: Some(crate::client::Secret::new("rt")),
            ..Default::default()
        };
        assert_eq!(basic_value(&rt), Some(basic_authorization(NULL_GUID, "rt")));
    }
}
