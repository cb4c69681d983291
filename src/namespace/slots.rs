//! The default run namespace: a reusable slot `regcheck-s<N>` instead of a fresh
//! `regcheck-<run id>`, so repeated runs against a registry that cannot delete repositories
//! (plain OCI has no repository delete) do not pile up empty repositories in its catalog.
//!
//! A slot is claimed with a marker: the manifest tagged `slot` in `<slot>/lock`, whose
//! annotations say which run holds it (`org.regcheck.run-id`), its state (`busy`, `clean`,
//! `dirty`) and until when a busy claim holds (`org.regcheck.until`, Unix seconds). A run takes
//! the first slot that was never used or was left `clean`, writes `busy` with its run id, waits
//! a moment and reads the marker back: if another run's id is there, that run won and this one
//! tries the next slot. At the end the marker says `clean` when cleanup removed everything the
//! run created, `dirty` otherwise (content left over, `--keep`, a slot taken over meanwhile):
//! a dirty slot, or a busy one (a run in progress, or one that died), is never reused, since
//! content in it could change what a scenario sees. When no slot can be claimed (no push
//! permission, every slot taken) the run falls back to `regcheck-<run id>`.

use crate::client::simple::{execute, push_blob, request as req};
use crate::client::{Client, OutgoingBody};
use bytes::Bytes;
use reqwest::Method;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Slots tried before falling back to a namespace of the run's own.
pub const SLOTS: usize = 16;
/// How long a busy claim holds (a run that dies leaves its slot busy until then, and dirty).
const CLAIM: Duration = Duration::from_secs(6 * 3600);
/// How long a claimer waits before reading its marker back.
const SETTLE: Duration = Duration::from_millis(300);
/// The marker's config: the two bytes `{}`.
const CONFIG: &[u8] = b"{}";
const MANIFEST_TYPE: &str = crate::vocab::media::OCI_MANIFEST;

/// A claimed slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The namespace (`regcheck-s<N>`).
    pub namespace: String,
}

/// The state a marker records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A run holds the slot.
    Busy,
    /// The last run removed everything it created.
    Clean,
    /// The last run left content behind (or kept it).
    Dirty,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Busy => "busy",
            State::Clean => "clean",
            State::Dirty => "dirty",
        }
    }
}

/// What a marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    run_id: String,
    state: String,
}

fn lock_repo(namespace: &str) -> String {
    format!("{namespace}/lock")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The marker manifest (deterministic for its fields).
fn marker_manifest(run_id: &str, state: State, until: u64) -> String {
    let config = crate::blob::sha256_digest(CONFIG);
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {
            "mediaType": crate::vocab::media::OCI_CONFIG,
            "digest": config,
            "size": CONFIG.len(),
        },
        "layers": [],
        "annotations": {
            "org.regcheck.run-id": run_id,
            "org.regcheck.state": state.as_str(),
            "org.regcheck.until": until.to_string(),
        }
    })
    .to_string()
}

/// Reads a slot's marker: `Ok(None)` when it has none, `Err` when the registry does not let
/// this client look (the caller then gives up on slots).
async fn read(client: &Client, namespace: &str) -> Result<Option<Marker>, ()> {
    let mut r = req(
        client,
        Method::GET,
        &format!("/v2/{}/manifests/slot", lock_repo(namespace)),
        OutgoingBody::Empty,
    );
    r.headers.push(("Accept".into(), MANIFEST_TYPE.into()));
    let o = execute(client, &r).await.map_err(|_| ())?;
    match o.response.status {
        404 => Ok(None),
        200 => {
            let v = o.response.json().ok_or(())?;
            let field = |k: &str| {
                v.pointer(&format!("/annotations/{}", k.replace('/', "~1")))
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
            };
            Ok(Some(Marker {
                run_id: field("org.regcheck.run-id").ok_or(())?,
                state: field("org.regcheck.state").ok_or(())?,
            }))
        }
        _ => Err(()),
    }
}

/// Writes a slot's marker; false when the registry refused it.
async fn write(client: &Client, namespace: &str, run_id: &str, state: State) -> bool {
    let until = now_secs() + CLAIM.as_secs();
    let body = marker_manifest(run_id, state, until);
    let mut r = req(
        client,
        Method::PUT,
        &format!("/v2/{}/manifests/slot", lock_repo(namespace)),
        OutgoingBody::Bytes(Bytes::from(body)),
    );
    r.headers
        .push(("Content-Type".into(), MANIFEST_TYPE.into()));
    matches!(execute(client, &r).await, Ok(o) if o.response.status == 201)
}

/// Claims the first free slot for `run_id`; `None` when none can be claimed.
pub async fn acquire(client: &Client, run_id: &str) -> Option<Slot> {
    for n in 0..SLOTS {
        let namespace = format!("regcheck-s{n}");
        match read(client, &namespace).await {
            Err(()) => return None,
            Ok(Some(m)) if m.state != State::Clean.as_str() => continue,
            Ok(_) => {}
        }
        if !matches!(
            push_blob(client, &lock_repo(&namespace), CONFIG).await,
            Ok(Ok(()))
        ) {
            return None;
        }
        if !write(client, &namespace, run_id, State::Busy).await {
            return None;
        }
        tokio::time::sleep(SETTLE).await;
        match read(client, &namespace).await {
            Ok(Some(m)) if m.run_id == run_id => return Some(Slot { namespace }),
            // Another run claimed it at the same moment and wrote last: it is theirs.
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
    None
}

/// Releases `slot`: `clean` when nothing of the run is left in it. Returns a note for the
/// cleanup report when the slot cannot be reused.
pub async fn release(client: &Client, slot: &Slot, run_id: &str, clean: bool) -> Option<String> {
    match read(client, &slot.namespace).await {
        Ok(Some(m)) if m.run_id == run_id => {}
        Ok(Some(m)) => {
            return Some(format!(
                "namespace {} was claimed by run {} during this run; neither run's results in it can be trusted",
                slot.namespace, m.run_id
            ));
        }
        _ => {
            return Some(format!(
                "namespace {}: its claim marker could not be read back; the slot stays unused",
                slot.namespace
            ));
        }
    }
    let state = if clean { State::Clean } else { State::Dirty };
    if !write(client, &slot.namespace, run_id, state).await {
        return Some(format!(
            "namespace {}: its claim marker could not be released; the slot stays unused",
            slot.namespace
        ));
    }
    (!clean).then(|| {
        format!(
            "namespace {} keeps content of this run, so later runs will not reuse it",
            slot.namespace
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_says_who_holds_the_slot_and_how() {
        let m: serde_json::Value =
            serde_json::from_str(&marker_manifest("ab12", State::Busy, 99)).unwrap();
        assert_eq!(m["annotations"]["org.regcheck.run-id"], "ab12");
        assert_eq!(m["annotations"]["org.regcheck.state"], "busy");
        assert_eq!(m["annotations"]["org.regcheck.until"], "99");
        assert_eq!(m["config"]["size"], 2);
        assert_eq!(
            m["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
