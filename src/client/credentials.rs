//! The run's credentials and where they come from besides flags and the environment (which
//! the CLI reads): the docker client configuration (`$DOCKER_CONFIG/config.json` or
//! `~/.docker/config.json`): `auths` entries (base64 `auth`, `identitytoken`), and credential
//! helpers (`credHelpers` per registry, `credsStore` for all) run as
//! `docker-credential-<name> get` with bounded output and a timeout.

use crate::client::secret::Secret;
use base64::Engine;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Credentials of a run.
#[derive(Debug, Clone, Default)]
pub struct RunCredentials {
    /// Username for Basic auth / token requests.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// AAD access token for `/oauth2/exchange`.
    pub aad_token: Option<Secret>,
    /// AAD refresh token for `/oauth2/exchange` `grant_type=refresh_token` and
    /// `access_token_refresh_token` (`--aad-refresh-token`).
    pub aad_refresh_token: Option<Secret>,
    /// An ACR refresh token (`--refresh-token`, or a docker `identitytoken`), used with
    /// `grant_type=refresh_token` at the token endpoint.
    pub refresh_token: Option<Secret>,
}

impl RunCredentials {
    /// Whether nothing at all was given.
    pub fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.password.is_none()
            && self.aad_token.is_none()
            && self.aad_refresh_token.is_none()
            && self.refresh_token.is_none()
    }

    /// Every secret value given (password and tokens), for the reports' last scrub.
    pub fn secrets(&self) -> Vec<String> {
        [
            &self.password,
            &self.aad_token,
            &self.aad_refresh_token,
            &self.refresh_token,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.expose().to_string())
        .collect()
    }
}

/// User name docker stores with an identity token (and helpers return for one).
const TOKEN_USER: &str = "<token>";
/// Longest config file or helper output read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
const MAX_HELPER_OUTPUT: u64 = 64 * 1024;
/// How long a credential helper may take.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the docker configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The config file exists but cannot be read or parsed.
    #[error("docker config {path}: {detail} (fix or move the file, or set DOCKER_CONFIG)")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A credential helper failed.
    #[error("credential helper docker-credential-{name}: {detail}")]
    Helper {
        /// Helper name.
        name: String,
        /// What went wrong.
        detail: String,
    },
}

/// Credentials found in the docker configuration, and where.
#[derive(Debug)]
pub struct Found {
    /// The credentials.
    pub credentials: RunCredentials,
    /// A description of the source, safe to print (`~/.docker/config.json auths`, a helper).
    pub source: String,
}

/// The parts of the docker config read here (no `Debug`: it holds secrets).
#[derive(Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// `host[:port]` of a docker config key (`https://index.docker.io/v1/`, `myreg.azurecr.io`,
/// `http://127.0.0.1:5000`), lower-cased; Docker Hub's names all become `docker.io`.
pub fn registry_key(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        // docker stores Hub credentials under index.docker.io; the API is registry-1.
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".to_string(),
        _ => host,
    }
}

/// The docker config file: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn docker_config_path(docker_config: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    match (docker_config, home) {
        (Some(d), _) => Some(d.join("config.json")),
        (None, Some(h)) => Some(h.join(".docker").join("config.json")),
        _ => None,
    }
}

/// Looks up credentials for `registry` (`host[:port]`) in the docker config at `path`.
/// A missing file is `Ok(None)`; a broken one is an error. Helpers are run for the registry
/// (`credHelpers`), then the store (`credsStore`), then `auths` entries are read.
pub async fn from_docker_config(
    path: &Path,
    registry: &str,
) -> Result<Option<Found>, CredentialError> {
    let text = match read_bounded(path) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(None),
        Err(detail) => {
            return Err(CredentialError::Config {
                path: path.to_owned(),
                detail,
            });
        }
    };
    let config: DockerConfig =
        serde_json::from_str(&text).map_err(|e| CredentialError::Config {
            path: path.to_owned(),
            detail: format!("not a docker config: {e}"),
        })?;
    let wanted = registry_key(registry);
    // What helpers are asked for: the host, or the key docker itself uses for Docker Hub.
    let server = if wanted == "docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_ascii_lowercase()
    };
    let shown = path.display();
    if let Some((_, helper)) = config
        .cred_helpers
        .iter()
        .find(|(k, _)| registry_key(k) == wanted)
    {
        return Ok(run_helper(helper, &server, HELPER_TIMEOUT)
            .await?
            .map(|credentials| Found {
                credentials,
                source: format!("{shown} credHelpers (docker-credential-{helper})"),
            }));
    }
    if let Some(store) = &config.creds_store
        && let Some(credentials) = run_helper(store, &server, HELPER_TIMEOUT).await?
    {
        return Ok(Some(Found {
            credentials,
            source: format!("{shown} credsStore (docker-credential-{store})"),
        }));
    }
    let Some((key, entry)) = config.auths.iter().find(|(k, _)| registry_key(k) == wanted) else {
        return Ok(None);
    };
    let credentials = entry_credentials(entry).map_err(|detail| CredentialError::Config {
        path: path.to_owned(),
        detail: format!("auths entry `{key}`: {detail}"),
    })?;
    Ok((!credentials.is_empty()).then(|| Found {
        credentials,
        source: format!("{shown} auths"),
    }))
}

fn read_bounded(path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!("larger than {MAX_CONFIG_BYTES} bytes"));
    }
    Ok(Some(text))
}

fn entry_credentials(entry: &AuthEntry) -> Result<RunCredentials, String> {
    let mut c = RunCredentials::default();
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| "`auth` is not base64".to_string())?;
        let text = String::from_utf8(raw).map_err(|_| "`auth` is not UTF-8".to_string())?;
        let (u, p) = text
            .split_once(':')
            .ok_or_else(|| "`auth` is not user:password".to_string())?;
        c.username = Some(u.to_string());
        c.password = Some(Secret::new(p));
    } else if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
        c.username = Some(u.clone());
        c.password = Some(Secret::new(p.clone()));
    }
    if let Some(t) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        c.refresh_token = Some(Secret::new(t));
        // The username beside an identity token is a placeholder, not a Basic login.
        c.password = None;
        if c.username.as_deref() == Some(TOKEN_USER) {
            c.username = None;
        }
    }
    Ok(c)
}

/// Runs `docker-credential-<name> get` with `registry` on stdin. `Ok(None)` when the helper
/// has no credentials for it.
pub async fn run_helper(
    name: &str,
    registry: &str,
    timeout: Duration,
) -> Result<Option<RunCredentials>, CredentialError> {
    let err = |detail: String| CredentialError::Helper {
        name: name.to_string(),
        detail,
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(err("not a valid helper name".into()));
    }
    let program = format!("docker-credential-{name}");
    let mut child = tokio::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            err(format!(
                "cannot run {program}: {e} (is it installed and on PATH?)"
            ))
        })?;
    let talk = async {
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(registry.as_bytes()).await?;
            stdin.shutdown().await?;
        }
        let mut out = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            stdout
                .take(MAX_HELPER_OUTPUT + 1)
                .read_to_end(&mut out)
                .await?;
        }
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out))
    };
    let (status, out) = tokio::time::timeout(timeout, talk)
        .await
        .map_err(|_| err(format!("no answer within {}s", timeout.as_secs())))?
        .map_err(|e| err(e.to_string()))?;
    if out.len() as u64 > MAX_HELPER_OUTPUT {
        return Err(err(format!("output larger than {MAX_HELPER_OUTPUT} bytes")));
    }
    if !status.success() {
        // `credentials not found in native keychain`: nothing stored for this registry.
        return Ok(None);
    }
    let answer: HelperAnswer = serde_json::from_slice(&out)
        .map_err(|_| err("answered something that is not its JSON credentials".into()))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    let mut c = RunCredentials::default();
    if answer.username == TOKEN_USER {
        c.refresh_token = Some(Secret::new(answer.secret));
    } else {
        c.username = Some(answer.username);
        c.password = Some(Secret::new(answer.secret));
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_match_host_and_port() {
        assert_eq!(registry_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(registry_key("registry-1.docker.io"), "docker.io");
        assert_eq!(registry_key("MyReg.azurecr.io"), "myreg.azurecr.io");
        assert_eq!(registry_key("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(registry_key("127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(
            docker_config_path(Some(Path::new("/d")), Some(Path::new("/h"))),
            Some(PathBuf::from("/d/config.json"))
        );
        assert_eq!(
            docker_config_path(None, Some(Path::new("/h"))),
            Some(PathBuf::from("/h/.docker/config.json"))
        );
    }

    #[tokio::test]
    async fn auths_entries_give_basic_or_identity_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths": {
                "https://reg.example:5000/v1/": {"auth": "bWU6cEA6c3M="},
                "acr.example": {"auth": "PHRva2VuPjo=", "identitytoken": "rt-123"},
                "bad.example": {"auth": "***"}
            }}"#,
        )
        .unwrap();
        let f = from_docker_config(&path, "reg.example:5000")
            .await
            .unwrap()
            .expect("found");
        assert_eq!(f.credentials.username.as_deref(), Some("me"));
        assert_eq!(
            f.credentials.password.as_ref().map(|p| p.expose()),
            Some("p@:ss")
        );
        assert!(!f.source.contains("p@:ss"));
        let f = from_docker_config(&path, "acr.example")
            .await
            .unwrap()
            .expect("found");
        assert_eq!(
            f.credentials.refresh_token.as_ref().map(|p| p.expose()),
            Some("rt-123")
        );
        assert!(f.credentials.password.is_none() && f.credentials.username.is_none());
        assert!(from_docker_config(&path, "other").await.unwrap().is_none());
        let e = from_docker_config(&path, "bad.example").await.unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        assert!(
            from_docker_config(&dir.path().join("missing.json"), "x")
                .await
                .unwrap()
                .is_none()
        );
        std::fs::write(&path, "{not json").unwrap();
        assert!(from_docker_config(&path, "x").await.is_err());
    }

    #[tokio::test]
    async fn helper_names_are_checked_and_missing_helpers_reported() {
        let e = run_helper("../evil", "r", HELPER_TIMEOUT)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a valid helper name"));
        let e = run_helper("regcheck-no-such-helper", "r", HELPER_TIMEOUT)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is it installed"), "{e}");
    }
}
