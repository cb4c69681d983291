//! The capabilities the user's credentials decide, without a request: an AAD access token, an
//! AAD refresh token, a username and password.

use super::capabilities::Evidence;
use crate::client::RunCredentials;

/// `aad-token`: an AAD access token was given.
pub(super) fn aad_token(creds: &RunCredentials) -> Evidence {
    let given = creds.aad_token.is_some();
    Evidence::new(
        given,
        if given {
            "an AAD access token was given (--aad-token)"
        } else {
            "no AAD access token given (--aad-token)"
        },
    )
}

/// `aad-refresh-token`: an AAD refresh token was given.
pub(super) fn aad_refresh_token(creds: &RunCredentials) -> Evidence {
    let given = creds.aad_refresh_token.is_some();
    Evidence::new(
        given,
        if given {
            "an AAD refresh token was given (--aad-refresh-token)"
        } else {
            "no AAD refresh token given (--aad-refresh-token)"
        },
    )
}

/// `credentials`: a username and a password were given.
pub(super) fn credentials(creds: &RunCredentials) -> Evidence {
    let given = creds.username.is_some() && creds.password.is_some();
    Evidence::new(
        given,
        if given {
            "a username and password were given"
        } else {
            "no username and password given"
        },
    )
}
