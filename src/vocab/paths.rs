//! Reading registry paths: which repository a `/v2/...` or `/acr/v1/...` path addresses. Used
//! for the namespace guard, cleanup and token scopes.

use percent_encoding::percent_decode_str;

/// The repository named by a registry path, percent-decoded; `None` for `/v2/`, `/v2/_catalog`,
/// `/acr/v1/_catalog`, `/oauth2/...` and anything else that names no repository.
pub fn repository_of(path: &str) -> Option<String> {
    let decoded = percent_decode_str(path).decode_utf8_lossy().into_owned();
    if let Some(rest) = decoded.strip_prefix("/v2/") {
        for marker in ["/blobs/", "/manifests/", "/tags/list", "/referrers/"] {
            if let Some(i) = rest.rfind(marker) {
                let name = &rest[..i];
                return (!name.is_empty()).then(|| name.to_string());
            }
        }
        return None;
    }
    if let Some(rest) = decoded.strip_prefix("/acr/v1/") {
        if rest.starts_with("_catalog") || rest.is_empty() {
            return None;
        }
        let name = match rest.find("/_") {
            Some(i) => &rest[..i],
            None => rest.trim_end_matches('/'),
        };
        return (!name.is_empty()).then(|| name.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_from_v2_and_acr_paths() {
        assert_eq!(
            repository_of("/v2/a/b/blobs/sha256:00").as_deref(),
            Some("a/b")
        );
        assert_eq!(
            repository_of("/v2/a/b/blobs/uploads/uuid").as_deref(),
            Some("a/b")
        );
        assert_eq!(
            repository_of("/v2/a%2Fb/manifests/v1").as_deref(),
            Some("a/b")
        );
        assert_eq!(repository_of("/v2/ns/x/tags/list").as_deref(), Some("ns/x"));
        assert_eq!(
            repository_of("/acr/v1/ns/x/_tags/v1").as_deref(),
            Some("ns/x")
        );
        assert_eq!(repository_of("/acr/v1/ns/x").as_deref(), Some("ns/x"));
        assert_eq!(repository_of("/acr/v1/_catalog"), None);
        assert_eq!(repository_of("/v2/_catalog"), None);
        assert_eq!(repository_of("/v2/"), None);
        assert_eq!(repository_of("/oauth2/token"), None);
    }
}
