//! The CI recipes of `examples/ci/` (README "Use in CI") run as written: the GitHub Actions
//! steps named `regcheck: ...` and the GitLab jobs' `script:` lines, in a scratch checkout, with
//! `REGISTRY_URL` pointing at `regcheck serve` (the stand-in for the user's registry). A clean
//! registry passes and its report becomes the "previous" one; the same registry passes again
//! with the regression diff; a registry with a new fault fails both the baseline gate and the
//! diff.

use crate::common::{free_port, wait_ready};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const RECIPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci");

struct Served(Child, String);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(faults: &[&str]) -> Served {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    cmd.args(["serve", "--addr", &addr, "--auth", "none"]);
    for f in faults {
        cmd.args(["--fault", f]);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn regcheck serve");
    wait_ready(&addr);
    Served(child, format!("http://{addr}"))
}

/// A scratch checkout: the recipes' baseline where they expect it (`ci/regcheck-known.yaml`).
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ci")).expect("ci dir");
    std::fs::copy(
        Path::new(RECIPES).join("regcheck-known.yaml"),
        dir.path().join("ci/regcheck-known.yaml"),
    )
    .expect("baseline");
    dir
}

/// Runs one shell step as CI would (bash, errexit) with `regcheck` on PATH; the exit code.
fn step(script: &str, dir: &Path, registry: &str, branch: &str) -> i32 {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_regcheck"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("REGISTRY_URL", registry)
        .env("CI_COMMIT_BRANCH", branch)
        .env("REGCHECK_NO_REPORT", "1")
        .env("DOCKER_CONFIG", "/nonexistent/regcheck-tests")
        .output()
        .expect("bash");
    out.status.code().unwrap_or(-1)
}

fn yaml(file: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(Path::new(RECIPES).join(file)).expect("recipe");
    serde_yaml::from_str(&text).expect("recipe YAML")
}

/// The `run:` of the steps named `regcheck: ...` of a GitHub job.
fn github_steps(job: &str) -> Vec<String> {
    let doc = yaml("github-actions.yml");
    doc["jobs"][job]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("regcheck:"))
        })
        .map(|s| s["run"].as_str().expect("run").to_string())
        .collect()
}

/// The `script:` lines of a GitLab job.
fn gitlab_script(job: &str) -> Vec<String> {
    let doc = yaml("gitlab-ci.yml");
    doc[job]["script"]
        .as_sequence()
        .expect("script")
        .iter()
        .map(|l| l.as_str().expect("line").to_string())
        .collect()
}

/// The conformance recipe, three times: clean (first run), clean again (diff against the
/// first), then a registry with a new fault. Returns the exit codes of every step per pass.
fn three_passes(steps: &[String], keep_for_next: impl Fn(&Path)) -> Vec<Vec<i32>> {
    let dir = checkout();
    let clean = serve(&[]);
    let broken = serve(&["corrupt-blob-body"]);
    let mut passes = Vec::new();
    for registry in [&clean.1, &clean.1, &broken.1] {
        let codes: Vec<i32> = steps
            .iter()
            .map(|s| step(s, dir.path(), registry, "main"))
            .collect();
        for f in ["junit.xml", "report.html", "report.json"] {
            assert!(dir.path().join("out").join(f).is_file(), "out/{f}");
        }
        keep_for_next(dir.path());
        passes.push(codes);
    }
    passes
}

#[test]
fn the_github_actions_recipe_gates_on_new_failures_and_regressions() {
    let steps = github_steps("conformance");
    assert_eq!(steps.len(), 2, "conformance and diff steps");
    let passes = three_passes(&steps, |dir| {
        // The recipe's "keep this report" step (main only).
        std::fs::create_dir_all(dir.join("previous")).expect("previous");
        std::fs::copy(
            dir.join("out/report.json"),
            dir.join("previous/report.json"),
        )
        .expect("keep");
    });
    assert_eq!(passes[0], [0, 0], "clean registry, first run");
    assert_eq!(passes[1], [0, 0], "clean again, diffed against the first");
    assert_eq!(
        passes[2],
        [1, 1],
        "a new failure fails the gate and the diff"
    );
}

#[test]
fn the_gitlab_recipe_gates_on_new_failures_and_regressions() {
    let script = gitlab_script("regcheck-conformance");
    assert_eq!(script.len(), 4);
    // The script keeps the report itself on main.
    let passes = three_passes(&script, |_| {});
    assert_eq!(passes[0], [0, 0, 0, 0]);
    assert_eq!(passes[1], [0, 0, 0, 0]);
    assert_eq!(passes[2][1], 1, "the fault fails the baseline gate");
    assert_eq!(passes[2][2], 1, "and the regression diff");
}

#[test]
fn the_capacity_recipes_run_and_agree() {
    let steps = github_steps("capacity");
    assert_eq!(steps.len(), 1);
    let squash = |s: &str| {
        s.replace("\\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let gitlab = gitlab_script("regcheck-capacity");
    assert_eq!(
        squash(&steps[0]),
        squash(&gitlab.join("\n")),
        "GitHub and GitLab run the same capacity check"
    );
    let dir = checkout();
    let registry = serve(&[]);
    assert_eq!(step(&steps[0], dir.path(), &registry.1, "main"), 0);
    for f in ["load.json", "load.html", "load.xml"] {
        assert!(dir.path().join("out").join(f).is_file(), "out/{f}");
    }
}
