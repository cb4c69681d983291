//! Shared fixtures for integration tests: free loopback ports, CNCF Distribution
//! (`docker-registry`) started on a temp dir with delete enabled, the embedded registry, and
//! running the `regcheck` binary.

#![allow(dead_code)]

pub mod fake;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// A running CNCF Distribution registry; killed on drop.
pub struct Distribution {
    child: Child,
    _dir: tempfile::TempDir,
    /// Base URL.
    pub url: String,
}

impl Distribution {
    /// Starts `docker-registry serve` on a free loopback port with delete enabled.
    /// Panics with an install hint when the binary is missing.
    pub fn start() -> Distribution {
        Self::start_with(None)
    }

    /// The same, with htpasswd Basic authentication for `user`/`password`.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Distribution {
        Self::start_with(Some((user, password)))
    }

    fn start_with(basic: Option<(&str, &str)>) -> Distribution {
        let bin = require_bin("docker-registry", "apt-get install -y docker-registry");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let config = dir.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\nhttp: {{addr: 127.0.0.1:{port}}}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = basic {
            let htpasswd = dir.path().join("htpasswd");
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
            text.push_str(&format!(
                "auth: {{htpasswd: {{realm: regcheck-test, path: {}}}}}\n",
                htpasswd.display()
            ));
        }
        std::fs::write(&config, text).expect("write config");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn docker-registry");
        let url = format!("http://127.0.0.1:{port}");
        let d = Distribution {
            child,
            _dir: dir,
            url,
        };
        wait_ready(&format!("127.0.0.1:{port}"));
        d
    }
}

impl Drop for Distribution {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ferro-oci-server` (crates.io), a registry nobody here wrote, on a free loopback port with
/// its own storage directory.
pub struct Ferro {
    child: Child,
    _dir: tempfile::TempDir,
    /// Base URL.
    pub url: String,
}

impl Ferro {
    /// Starts it; panics with an install hint when the binary is missing.
    pub fn start() -> Ferro {
        let bin = require_bin(
            "ferro-oci-server",
            "cargo install ferro-oci-server --locked",
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(bin)
            .env("FERRO_OCI_LISTEN", format!("127.0.0.1:{port}"))
            .env("FERRO_OCI_STORAGE_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferro-oci-server");
        let f = Ferro {
            child,
            _dir: dir,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&format!("127.0.0.1:{port}"));
        f
    }
}

impl Drop for Ferro {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until a TCP connection to `addr` succeeds (20 s at most).
pub fn wait_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listening on {addr} after 20 s");
}

/// A tool the tests need is missing: the test fails and says what to install (a missing tool
/// never skips a test silently).
pub fn missing_tool(what: &str, install: &str) -> ! {
    panic!(
        "{what} is not installed: {install}\n(`bash scripts/test` installs every tool the tests need, then runs them)"
    )
}

/// A binary on PATH, or a failure saying how to install it.
pub fn require_bin(name: &str, install: &str) -> PathBuf {
    which(name).unwrap_or_else(|| missing_tool(name, install))
}

/// Python with the clients of `.ci/requirements.txt` (`module` must import): `REGCHECK_PYTHON`,
/// else the `.ci/venv` that `scripts/test` builds, else `python3` when it imports `module`.
pub fn python(module: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/bin/python");
    let candidates = std::env::var_os("REGCHECK_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")]);
    for p in candidates {
        let imports = Command::new(&p)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if imports {
            return p;
        }
    }
    missing_tool(
        &format!("python3 with `{module}`"),
        "python3 -m venv .ci/venv && .ci/venv/bin/pip install -r .ci/requirements.txt",
    )
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Output of a `regcheck` invocation.
pub struct CliOutput {
    /// Exit code.
    pub code: i32,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

/// Runs the built `regcheck` binary with `args` (from the repository root). A `run` without
/// `--report` writes no report files (`REGCHECK_NO_REPORT`), so tests never litter `reports/`.
pub fn regcheck(args: &[&str]) -> CliOutput {
    regcheck_env(args, &[])
}

/// Environment variables that give regcheck credentials or a target: removed for tests, so
/// the developer's own settings (and docker config) cannot change an outcome.
const CREDENTIAL_ENV: &[&str] = &[
    "REGCHECK_USERNAME",
    "REGCHECK_PASSWORD",
    "REGCHECK_AAD_TOKEN",
    "REGCHECK_AAD_REFRESH_TOKEN",
    "REGCHECK_REFRESH_TOKEN",
    "OCI_ROOT_URL",
    "OCI_NAMESPACE",
    "OCI_USERNAME",
    "OCI_PASSWORD",
];

/// `regcheck(args)` with extra environment variables (passwords go there, never in argv).
pub fn regcheck_env(args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("REGCHECK_NO_REPORT", "1")
        .env("DOCKER_CONFIG", "/nonexistent/regcheck-tests");
    for k in CREDENTIAL_ENV {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run regcheck");
    CliOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads a JSON report.
pub fn read_report(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("report written");
    serde_json::from_str(&text).expect("report is JSON")
}

/// `scenario ▸ rule` for every failed finding of a report, sorted and deduplicated.
pub fn failed_rules(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in report["scenarios"].as_array().into_iter().flatten() {
        for st in s["steps"].as_array().into_iter().flatten() {
            for f in st["findings"].as_array().into_iter().flatten() {
                out.push(format!(
                    "{} ▸ {}",
                    s["name"].as_str().unwrap_or("?"),
                    f["rule"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `regcheck run -q --target TARGET EXTRA...`.
pub fn run_against(target: &str, extra: &[&str]) -> CliOutput {
    run_against_env(target, extra, &[])
}

/// `run_against` with extra environment variables (e.g. `REGCHECK_PASSWORD`).
pub fn run_against_env(target: &str, extra: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut args = vec!["run", "-q", "--target", target];
    args.extend_from_slice(extra);
    regcheck_env(&args, env)
}
