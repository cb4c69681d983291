//! A step's explicit expectations (`expect:` in scenario YAML) evaluated against the response.
//! The runner renders templates first; this module only compares. Every matcher yields one
//! verdict; failures are findings with `source = Scenario` and rule ids `scenario.status`,
//! `scenario.header.<Name>`, `scenario.json.<pointer>`, `scenario.body-digest`,
//! `scenario.body-length` and `scenario.schema`. Bad input (an invalid regex, an unknown schema,
//! a non-numeric length) is a failed finding saying so, never a panic.
//!
//! Semantics: header names are case-insensitive; `regex` searches anywhere in the value (anchor
//! with `^…$`); JSON `equals` compares numbers by value (`1` equals `1.0`); for the array
//! matchers (`length`, `contains`, `not_contains`, `sorted`) a JSON `null` counts as an empty
//! array, as ACR sends `tags: null` for an empty list.
//!
//! Where the cited text allows variants: a header matcher with `optional: true` passes an
//! absent header; a JSON matcher with `if_json: true` passes a body that is not JSON; a matcher
//! with a `level` below MUST turns its failures into warnings at that level.

use crate::contract::Level;
use crate::contract::schema::{SchemaError, validate_schema};
use crate::exchange::{Finding, ObservedResponse, Verdict};
use crate::scenario::model::{Expect, HeaderMatch, JsonMatch, SortOrder, SortSpec};
use serde_json::Value;
use std::cmp::Ordering;

/// Longest value quoted in a finding.
const QUOTE_LIMIT: usize = 200;

fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= QUOTE_LIMIT {
        s.to_string()
    } else {
        let head: String = s.chars().take(QUOTE_LIMIT).collect();
        format!("{head}… ({n} chars)")
    }
}

fn fail(
    rule: String,
    message: String,
    expected: impl AsRef<str>,
    actual: impl AsRef<str>,
) -> Verdict {
    Verdict::Fail(Finding {
        expected: Some(clip(expected.as_ref())),
        actual: Some(clip(actual.as_ref())),
        ..Finding::scenario(rule, message)
    })
}

fn verdict(ok: bool, on_fail: impl FnOnce() -> Verdict) -> Verdict {
    if ok { Verdict::Pass } else { on_fail() }
}

/// Evaluates every expectation of a step against the (final) response.
pub fn evaluate(expect: &Expect, resp: &ObservedResponse) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(set) = &expect.status {
        let want = if set.0.len() == 1 {
            set.0[0].to_string()
        } else {
            format!(
                "one of {}",
                set.0
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push(verdict(set.contains(resp.status), || {
            fail(
                "scenario.status".into(),
                format!("status {} where {want} was expected", resp.status),
                &want,
                resp.status.to_string(),
            )
        }));
    }
    let allowed = expect
        .status
        .as_ref()
        .is_none_or(|s| s.contains(resp.status));
    if let Some(p) = expect.preferred_status.as_ref().filter(|_| allowed) {
        let want = p
            .status
            .0
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        let mut v = [verdict(p.status.contains(resp.status), || {
            fail(
                "scenario.status".into(),
                format!("status {} where {want} is preferred", resp.status),
                &want,
                resp.status.to_string(),
            )
        })];
        at_level(Some(p.level), &mut v);
        for f in v.iter_mut().filter_map(|v| match v {
            Verdict::Fail(f) => Some(f),
            _ => None,
        }) {
            f.spec = Some(p.spec.clone());
        }
        out.extend(v);
    }
    for (name, m) in &expect.headers {
        let from = out.len();
        header_verdicts(name, m, resp, &mut out);
        at_level(m.level, &mut out[from..]);
    }
    if !expect.json.is_empty() {
        let body = body_json(resp);
        for m in &expect.json {
            if m.if_json && body.is_err() {
                continue;
            }
            let from = out.len();
            json_verdicts(m, &body, &mut out);
            at_level(m.level, &mut out[from..]);
        }
    }
    if let Some(want) = &expect.body_digest {
        let want = want.trim();
        out.push(verdict(resp.body.digest == want, || {
            fail(
                "scenario.body-digest".into(),
                "the body's sha256 digest differs".into(),
                want,
                format!("{} ({} bytes)", resp.body.digest, resp.body.len),
            )
        }));
    }
    if let Some(want) = &expect.body_length {
        out.push(match want.trim().parse::<u64>() {
            Err(_) => fail(
                "scenario.body-length".into(),
                format!("body_length `{want}` is not a number of bytes"),
                "a non-negative integer",
                want,
            ),
            Ok(n) => verdict(resp.body.len == n, || {
                fail(
                    "scenario.body-length".into(),
                    format!("the body has {} bytes, not {n}", resp.body.len),
                    n.to_string(),
                    resp.body.len.to_string(),
                )
            }),
        });
    }
    if let Some(name) = &expect.schema {
        out.push(schema_verdict(name, resp));
    }
    out
}

/// Gives the failures of one matcher the level of its text (a SHOULD or a convention makes
/// them warnings).
fn at_level(level: Option<Level>, verdicts: &mut [Verdict]) {
    let Some(level) = level else { return };
    for v in verdicts {
        if let Verdict::Fail(f) = v {
            f.level = Some(level);
            f.severity = level.severity();
        }
    }
}

fn header_verdicts(name: &str, m: &HeaderMatch, resp: &ObservedResponse, out: &mut Vec<Verdict>) {
    let rule = || format!("scenario.header.{name}");
    let value = resp.header(name);
    if m.optional && value.is_none() {
        return;
    }
    if let Some(present) = m.present {
        out.push(match (present, value) {
            (true, None) => fail(
                rule(),
                format!("header {name} is absent"),
                "present",
                "<absent>",
            ),
            (false, Some(v)) => fail(
                rule(),
                format!("header {name} is present but must be absent"),
                "<absent>",
                v,
            ),
            _ => Verdict::Pass,
        });
    }
    if let Some(want) = &m.equals {
        out.push(match value {
            None => fail(rule(), format!("header {name} is absent"), want, "<absent>"),
            Some(v) => verdict(v == want, || {
                fail(rule(), format!("header {name} has another value"), want, v)
            }),
        });
    }
    if let Some(pattern) = &m.regex {
        out.push(match regex::Regex::new(pattern) {
            Err(e) => fail(
                rule(),
                format!("the regex for header {name} is invalid; fix the scenario: {e}"),
                "a valid regular expression",
                pattern,
            ),
            Ok(re) => match value {
                None => fail(
                    rule(),
                    format!("header {name} is absent"),
                    format!("a value matching /{pattern}/"),
                    "<absent>",
                ),
                Some(v) => verdict(re.is_match(v), || {
                    fail(
                        rule(),
                        format!("header {name} does not match /{pattern}/"),
                        format!("/{pattern}/"),
                        v,
                    )
                }),
            },
        });
    }
}

/// The body as JSON, or why it cannot be inspected.
fn body_json(resp: &ObservedResponse) -> Result<Value, String> {
    let Some(bytes) = resp.body.bytes.as_ref() else {
        return Err(format!(
            "the body ({} bytes) was too large to keep for inspection",
            resp.body.len
        ));
    };
    serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "the body is not JSON ({e}): {}",
            clip(&String::from_utf8_lossy(bytes))
        )
    })
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `item` includes `needle`: an object has every member of `needle`, each included in
/// turn; any other value is equal.
fn json_includes(item: &Value, needle: &Value) -> bool {
    match (item, needle) {
        (Value::Object(x), Value::Object(y)) => y
            .iter()
            .all(|(k, w)| x.get(k).is_some_and(|v| json_includes(v, w))),
        _ => json_equal(item, needle),
    }
}

/// The value as an array for the array matchers (`null` = empty).
fn as_items(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) => Some(a.as_slice()),
        Value::Null => Some(&[]),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_verdicts(m: &JsonMatch, body: &Result<Value, String>, out: &mut Vec<Verdict>) {
    let ptr = m.pointer.as_str();
    let rule = || format!("scenario.json.{ptr}");
    let at = if ptr.is_empty() { "(document)" } else { ptr };
    let body = match body {
        Ok(b) => b,
        Err(why) => {
            out.push(fail(
                rule(),
                format!("cannot check {at}: {why}"),
                "a JSON body",
                why,
            ));
            return;
        }
    };
    let value = body.pointer(ptr);
    if let Some(present) = m.present {
        out.push(match (present, value) {
            (true, None) => fail(rule(), format!("{at} is missing"), "present", "<missing>"),
            (false, Some(v)) => fail(
                rule(),
                format!("{at} is present but must be absent"),
                "<missing>",
                v.to_string(),
            ),
            _ => Verdict::Pass,
        });
    }
    let needs_value = m.equals.is_some()
        || m.not_equals.is_some()
        || m.length.is_some()
        || m.contains.is_some()
        || m.not_contains.is_some()
        || m.includes.is_some()
        || m.not_includes.is_some()
        || m.sorted.is_some();
    if !needs_value {
        return;
    }
    let Some(value) = value else {
        out.push(fail(
            rule(),
            format!("{at} is missing"),
            "a value",
            "<missing>",
        ));
        return;
    };
    if let Some(want) = &m.equals {
        out.push(verdict(json_equal(value, want), || {
            fail(
                rule(),
                format!("{at} has another value"),
                want.to_string(),
                value.to_string(),
            )
        }));
    }
    if let Some(other) = &m.not_equals {
        out.push(verdict(!json_equal(value, other), || {
            fail(
                rule(),
                format!("{at} has the value it must differ from"),
                format!("anything but {other}"),
                value.to_string(),
            )
        }));
    }
    if let Some(n) = m.length {
        let len = match value {
            Value::String(s) => Some(s.chars().count()),
            other => as_items(other).map(<[Value]>::len),
        };
        out.push(match len {
            None => fail(
                rule(),
                format!("{at} is {} and has no length", kind(value)),
                format!("an array or string of length {n}"),
                clip(&value.to_string()),
            ),
            Some(l) => verdict(l == n, || {
                fail(
                    rule(),
                    format!("{at} has length {l}, not {n}"),
                    n.to_string(),
                    format!("{l}: {}", value),
                )
            }),
        });
    }
    let equal: fn(&Value, &Value) -> bool = json_equal;
    let included: fn(&Value, &Value) -> bool = json_includes;
    for (needle, wanted, matches, missing, found_msg) in [
        (&m.contains, true, equal, "does not contain", ""),
        (&m.not_contains, false, equal, "", "contains"),
        (
            &m.includes,
            true,
            included,
            "has no element that includes",
            "",
        ),
        (
            &m.not_includes,
            false,
            included,
            "",
            "has an element that includes",
        ),
    ] {
        let Some(needle) = needle else { continue };
        out.push(match as_items(value) {
            None => fail(
                rule(),
                format!("{at} is {}, not an array", kind(value)),
                "an array",
                value.to_string(),
            ),
            Some(items) => {
                let found = items.iter().any(|i| matches(i, needle));
                verdict(found == wanted, || {
                    let what = if wanted { missing } else { found_msg };
                    fail(
                        rule(),
                        format!("{at} {what} {needle}"),
                        format!(
                            "{} {needle}",
                            if wanted {
                                "an array containing"
                            } else {
                                "an array without"
                            }
                        ),
                        value.to_string(),
                    )
                })
            }
        });
    }
    if let Some(spec) = &m.sorted {
        out.push(sorted_verdict(rule(), at, value, spec));
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            // RFC 3339 times compare as instants: ACR mixes 6 and 7 fractional digits, which
            // breaks lexical order.
            use time::{OffsetDateTime, format_description::well_known::Rfc3339};
            match (
                OffsetDateTime::parse(x, &Rfc3339),
                OffsetDateTime::parse(y, &Rfc3339),
            ) {
                (Ok(a), Ok(b)) => Some(a.cmp(&b)),
                _ => Some(x.cmp(y)),
            }
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn sorted_verdict(rule: String, at: &str, value: &Value, spec: &SortSpec) -> Verdict {
    let order = match spec.order {
        SortOrder::Asc => "ascending",
        SortOrder::Desc => "descending",
    };
    let Some(items) = as_items(value) else {
        return fail(
            rule,
            format!("{at} is {}, not an array", kind(value)),
            format!("an array sorted {order}"),
            value.to_string(),
        );
    };
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = match &spec.key {
            Some(k) => item.pointer(k),
            None => Some(item),
        };
        match key {
            Some(k) => keys.push(k),
            None => {
                return fail(
                    rule,
                    format!(
                        "{at}/{i} has no sort key {}",
                        spec.key.as_deref().unwrap_or_default()
                    ),
                    format!(
                        "every element has {}",
                        spec.key.as_deref().unwrap_or_default()
                    ),
                    item.to_string(),
                );
            }
        }
    }
    for (i, w) in keys.windows(2).enumerate() {
        let Some(ord) = compare(w[0], w[1]) else {
            return fail(
                rule,
                format!("{at}: elements {i} and {} cannot be compared", i + 1),
                "keys that are all strings or all numbers",
                format!("{} and {}", w[0], w[1]),
            );
        };
        let wrong = match spec.order {
            SortOrder::Asc => ord == Ordering::Greater,
            SortOrder::Desc => ord == Ordering::Less,
        };
        if wrong {
            return fail(
                rule,
                format!(
                    "{at} is not sorted {order}: element {} comes after {}",
                    i + 1,
                    i
                ),
                format!("{order} order"),
                format!("{} then {}", w[0], w[1]),
            );
        }
    }
    Verdict::Pass
}

fn schema_verdict(name: &str, resp: &ObservedResponse) -> Verdict {
    let rule = || "scenario.schema".to_string();
    let value = match body_json(resp) {
        Ok(v) => v,
        Err(why) => {
            return fail(
                rule(),
                format!("cannot check schema {name}: {why}"),
                format!("a JSON body matching {name}"),
                why,
            );
        }
    };
    match validate_schema(name, &value) {
        Ok(()) => Verdict::Pass,
        Err(e @ SchemaError::UnknownSchema { .. }) => {
            fail(rule(), e.to_string(), "a known schema name", name)
        }
        Err(SchemaError::Invalid { violations, .. }) => fail(
            rule(),
            format!(
                "the body does not match schema {name} ({} violation(s))",
                violations.len()
            ),
            format!("a body matching {name}"),
            crate::contract::schema::summarize(&violations),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::ObservedBody;
    use crate::scenario::model::StatusSet;
    use bytes::Bytes;
    use serde_json::json;

    fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ObservedResponse {
        use sha2::{Digest as _, Sha256};
        ObservedResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: ObservedBody {
                len: body.len() as u64,
                digest: format!("sha256:{}", hex::encode(Sha256::digest(body))),
                bytes: Some(Bytes::copy_from_slice(body)),
                ..Default::default()
            },
        }
    }

    fn expect(yaml: &str) -> Expect {
        serde_yaml::from_str(yaml).expect("test expectation parses")
    }

    /// (rule id, message) of each failure; passes as "pass".
    fn outcome(e: &Expect, r: &ObservedResponse) -> Vec<String> {
        evaluate(e, r)
            .into_iter()
            .map(|v| match v {
                Verdict::Pass => "pass".to_string(),
                Verdict::NotApplicable => "n/a".to_string(),
                Verdict::Fail(f) => {
                    assert_eq!(f.source, crate::exchange::FindingSource::Scenario);
                    assert!(f.expected.is_some() && f.actual.is_some(), "{f:?}");
                    format!("{}: {}", f.rule, f.message)
                }
            })
            .collect()
    }

    fn tags_body() -> Vec<u8> {
        json!({"name":"r","tags":["a","b","c"],"n":1.0,
            "items":[{"t":"2021-01-02","n":3},{"t":"2021-01-01","n":2}],"empty":null})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn status_one_or_many() {
        let r = resp(202, &[], b"");
        assert_eq!(outcome(&expect("status: 202"), &r), ["pass"]);
        assert_eq!(outcome(&expect("status: [201, 202]"), &r), ["pass"]);
        let o = outcome(&expect("status: [200, 201]"), &r);
        assert_eq!(o.len(), 1);
        assert!(
            o[0].starts_with("scenario.status: status 202 where one of 200, 201"),
            "{o:?}"
        );
        let e = Expect {
            status: Some(StatusSet(vec![201])),
            ..Default::default()
        };
        let v = evaluate(&e, &r);
        let Verdict::Fail(f) = &v[0] else {
            panic!("{v:?}")
        };
        assert_eq!(f.expected.as_deref(), Some("201"));
        assert_eq!(f.actual.as_deref(), Some("202"));
    }

    #[test]
    fn header_equals_regex_present_absent() {
        let r = resp(
            202,
            &[("range", "0-1023"), ("Location", "/v2/r/blobs/uploads/u")],
            b"",
        );
        let e = expect(
            r#"headers:
  Range: { equals: "0-1023" }
  location: { regex: "^/v2/.*/uploads/", present: true }
  Docker-Upload-UUID: { present: false }"#,
        );
        assert_eq!(outcome(&e, &r), ["pass", "pass", "pass", "pass"]);
        let e = expect(
            r#"headers:
  Range: { equals: "0-2047", regex: "^bytes=" }
  Location: { present: false }
  Docker-Content-Digest: { present: true, equals: "sha256:x" }"#,
        );
        let o = outcome(&e, &r);
        assert_eq!(o.len(), 5);
        assert!(o[0].starts_with("scenario.header.Range: header Range has another value"));
        assert!(o[1].contains("does not match /^bytes=/"));
        assert!(o[2].starts_with("scenario.header.Location: header Location is present"));
        assert!(o[3].starts_with(
            "scenario.header.Docker-Content-Digest: header Docker-Content-Digest is absent"
        ));
        assert!(o[4].contains("is absent"));
    }

    #[test]
    fn invalid_regex_is_a_failed_finding_not_a_panic() {
        let r = resp(200, &[("X", "y")], b"");
        let o = outcome(&expect(r#"headers: { X: { regex: "([" } }"#), &r);
        assert_eq!(o.len(), 1);
        assert!(o[0].contains("regex for header X is invalid"), "{o:?}");
    }

    #[test]
    fn json_not_equals() {
        let r = resp(200, &[], br#"{"d":"sha256:aa"}"#);
        let differs = expect(r#"json: [{ pointer: /d, not_equals: "sha256:bb" }]"#);
        assert_eq!(outcome(&differs, &r), ["pass"]);
        let same = expect(r#"json: [{ pointer: /d, not_equals: "sha256:aa" }]"#);
        assert!(
            outcome(&same, &r)[0].contains("must differ from"),
            "{:?}",
            outcome(&same, &r)
        );
        let missing = expect(r#"json: [{ pointer: /x, not_equals: 1 }]"#);
        assert!(outcome(&missing, &r)[0].contains("missing"));
    }

    #[test]
    fn json_equals_present_length() {
        let r = resp(200, &[], &tags_body());
        let e = expect(
            r#"json:
  - { pointer: /name, equals: r }
  - { pointer: /n, equals: 1 }
  - { pointer: /tags, length: 3 }
  - { pointer: /name, length: 1 }
  - { pointer: /empty, present: true, length: 0 }
  - { pointer: /missing, present: false }"#,
        );
        assert_eq!(outcome(&e, &r), ["pass"; 7]);
        let e = expect(
            r#"json:
  - { pointer: /name, equals: other }
  - { pointer: /tags, length: 2 }
  - { pointer: /n, length: 2 }
  - { pointer: /missing, present: true }
  - { pointer: /name, present: false }
  - { pointer: /missing, equals: 1 }"#,
        );
        let o = outcome(&e, &r);
        assert_eq!(o.len(), 6, "{o:?}");
        assert!(o[0].starts_with("scenario.json./name: /name has another value"));
        assert!(o[1].contains("/tags has length 3, not 2"));
        assert!(o[2].contains("is a number and has no length"));
        assert!(o[3].contains("/missing is missing"));
        assert!(o[4].contains("present but must be absent"));
        assert!(o[5].contains("/missing is missing"));
    }

    #[test]
    fn json_contains_and_not_contains() {
        let r = resp(200, &[], &tags_body());
        let e = expect(
            r#"json:
  - { pointer: /tags, contains: b, not_contains: z }
  - { pointer: /empty, not_contains: a }
  - { pointer: /items, contains: { t: "2021-01-01", n: 2.0 } }"#,
        );
        assert_eq!(outcome(&e, &r), ["pass"; 4]);
        let e = expect(
            r#"json:
  - { pointer: /tags, contains: z, not_contains: a }
  - { pointer: /name, contains: r }"#,
        );
        let o = outcome(&e, &r);
        assert_eq!(o.len(), 3);
        assert!(o[0].contains("/tags does not contain \"z\""), "{o:?}");
        assert!(o[1].contains("/tags contains \"a\""), "{o:?}");
        assert!(o[2].contains("is a string, not an array"), "{o:?}");
    }

    #[test]
    fn json_includes_matches_elements_with_at_least_the_given_members() {
        let r = resp(
            200,
            &[],
            br#"{"m":[{"digest":"d1","artifactType":"a","annotations":{"k":"v","x":"y"}},{"digest":"d2"}]}"#,
        );
        let e = expect(
            r#"json:
  - { pointer: /m, includes: { digest: d1, annotations: { k: v } } }
  - { pointer: /m, not_includes: { digest: d3 } }
  - { pointer: /m, not_contains: { digest: d1 } }"#,
        );
        assert_eq!(outcome(&e, &r), ["pass"; 3]);
        let e = expect(
            r#"json:
  - { pointer: /m, includes: { digest: d1, annotations: { k: other } } }
  - { pointer: /m, not_includes: { digest: d2 } }"#,
        );
        let o = outcome(&e, &r);
        assert!(o[0].contains("/m has no element that includes"), "{o:?}");
        assert!(o[1].contains("/m has an element that includes"), "{o:?}");
    }

    #[test]
    fn json_sorted_compares_rfc3339_times_as_instants() {
        // Lexically "…32.1854Z" sorts after "…32.18541Z"; as instants it is earlier.
        let r = resp(
            200,
            &[],
            br#"{"t":["2022-07-08T21:52:32.1854Z","2022-07-08T21:52:32.18541Z"]}"#,
        );
        let asc = expect("json: [{ pointer: /t, sorted: { order: asc } }]");
        assert_eq!(outcome(&asc, &r), ["pass"]);
        let desc = expect("json: [{ pointer: /t, sorted: { order: desc } }]");
        assert!(outcome(&desc, &r)[0].contains("not sorted descending"));
    }

    #[test]
    fn json_sorted_with_and_without_key() {
        let r = resp(200, &[], &tags_body());
        let e = expect(
            r#"json:
  - { pointer: /tags, sorted: { order: asc } }
  - { pointer: /items, sorted: { key: /t, order: desc } }
  - { pointer: /items, sorted: { key: /n, order: desc } }
  - { pointer: /empty, sorted: { order: asc } }"#,
        );
        assert_eq!(outcome(&e, &r), ["pass"; 4]);
        let e = expect(
            r#"json:
  - { pointer: /tags, sorted: { order: desc } }
  - { pointer: /items, sorted: { key: /t, order: asc } }
  - { pointer: /items, sorted: { key: /nope, order: asc } }
  - { pointer: /name, sorted: { order: asc } }"#,
        );
        let o = outcome(&e, &r);
        assert_eq!(o.len(), 4);
        assert!(o[0].contains("/tags is not sorted descending"), "{o:?}");
        assert!(o[1].contains("/items is not sorted ascending"), "{o:?}");
        assert!(o[2].contains("has no sort key /nope"), "{o:?}");
        assert!(o[3].contains("not an array"), "{o:?}");
        let mixed = resp(200, &[], br#"{"a":[1,"x"]}"#);
        let o = outcome(
            &expect("json: [{ pointer: /a, sorted: { order: asc } }]"),
            &mixed,
        );
        assert!(o[0].contains("cannot be compared"), "{o:?}");
    }

    #[test]
    fn optional_header_passes_absent_and_holds_a_present_value() {
        let e = expect("headers: { Docker-Content-Digest: { equals: sha256:a, optional: true } }");
        assert!(outcome(&e, &resp(201, &[], b"")).is_empty());
        assert_eq!(
            outcome(
                &e,
                &resp(201, &[("Docker-Content-Digest", "sha256:a")], b"")
            ),
            ["pass"]
        );
        let o = outcome(
            &e,
            &resp(201, &[("Docker-Content-Digest", "sha256:b")], b""),
        );
        assert!(o[0].contains("has another value"), "{o:?}");
    }

    #[test]
    fn if_json_matchers_pass_a_body_in_another_format() {
        let e = expect("json: [{ pointer: /errors/0/code, equals: BLOB_UNKNOWN, if_json: true }]");
        assert!(outcome(&e, &resp(404, &[], b"blob unknown\n")).is_empty());
        let o = outcome(
            &e,
            &resp(404, &[], br#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#),
        );
        assert!(o[0].contains("scenario.json./errors/0/code"), "{o:?}");
    }

    #[test]
    fn a_matcher_below_must_warns_at_its_level() {
        let e = expect(
            "headers: { Docker-Distribution-Api-Version: { equals: registry/2.0, level: convention } }",
        );
        let v = evaluate(&e, &resp(200, &[], b"{}"));
        let Verdict::Fail(f) = &v[0] else {
            panic!("{v:?}")
        };
        assert_eq!(f.severity, crate::contract::Severity::Warn);
        assert_eq!(f.level, Some(Level::Convention));
        let must = expect("headers: { Location: { present: true } }");
        let Verdict::Fail(f) = &evaluate(&must, &resp(201, &[], b""))[0] else {
            panic!()
        };
        assert_eq!(f.severity, crate::contract::Severity::Fail);
    }

    #[test]
    fn a_status_the_text_only_prefers_warns_and_only_among_the_allowed() {
        let e = expect(
            "{ status: [400, 416], preferred_status: { status: 416, level: convention, spec: dev } }",
        );
        assert_eq!(outcome(&e, &resp(416, &[], b"")), ["pass", "pass"]);
        let v = evaluate(&e, &resp(400, &[], b""));
        let Verdict::Fail(f) = &v[1] else {
            panic!("{v:?}")
        };
        assert_eq!(f.rule, "scenario.status");
        assert_eq!(f.severity, crate::contract::Severity::Warn);
        assert_eq!(f.level, Some(Level::Convention));
        assert_eq!(f.spec.as_deref(), Some("dev"));
        // A status the MUST set refuses is one failure, not a failure and a warning.
        let o = outcome(&e, &resp(201, &[], b""));
        assert_eq!(o.len(), 1, "{o:?}");
    }

    #[test]
    fn json_matchers_on_a_non_json_body_fail_clearly() {
        let r = resp(404, &[], b"404 page not found\n");
        let o = outcome(&expect("json: [{ pointer: /errors, present: true }]"), &r);
        assert_eq!(o.len(), 1);
        assert!(o[0].contains("the body is not JSON"), "{o:?}");
        assert!(o[0].contains("404 page not found"), "{o:?}");
    }

    #[test]
    fn body_digest_and_length() {
        let r = resp(200, &[], b"hello");
        let d = r.body.digest.clone();
        let e = expect(&format!("body_digest: \"{d}\"\nbody_length: \"5\""));
        assert_eq!(outcome(&e, &r), ["pass", "pass"]);
        let e = expect("body_digest: sha256:00\nbody_length: \"6\"");
        let o = outcome(&e, &r);
        assert!(o[0].starts_with("scenario.body-digest:"), "{o:?}");
        assert!(
            o[1].starts_with("scenario.body-length: the body has 5 bytes, not 6"),
            "{o:?}"
        );
        let o = outcome(&expect("body_length: five"), &r);
        assert!(o[0].contains("is not a number"), "{o:?}");
    }

    #[test]
    fn schema_known_unknown_and_violated() {
        let r = resp(200, &[], br#"{"name":"r","tags":null}"#);
        assert_eq!(outcome(&expect("schema: TagListOci"), &r), ["pass"]);
        let o = outcome(&expect("schema: Catalog"), &r);
        assert!(
            o[0].starts_with("scenario.schema: the body does not match schema Catalog"),
            "{o:?}"
        );
        let o = outcome(&expect("schema: Nope"), &r);
        assert!(o[0].contains("unknown schema `Nope`"), "{o:?}");
    }

    #[test]
    fn long_values_are_truncated() {
        let long = "x".repeat(1000);
        let r = resp(200, &[("X", long.as_str())], b"");
        let v = evaluate(&expect("headers: { X: { equals: y } }"), &r);
        let Verdict::Fail(f) = &v[0] else { panic!() };
        assert!(f.actual.as_deref().is_some_and(|a| a.chars().count() < 230));
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    /// Every `expect` of the bundled scenarios (templates left unrendered).
    fn bundled_expectations() -> Vec<crate::scenario::Expect> {
        use crate::scenario::valid::{Step, StepKind};
        fn walk(steps: &[Step], out: &mut Vec<crate::scenario::Expect>) {
            for st in steps {
                match &st.kind {
                    StepKind::Request(r) => out.push(r.expect.clone()),
                    StepKind::Group(sub) => walk(sub, out),
                    StepKind::Push(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        for loaded in crate::scenario::load::builtin().unwrap_or_default() {
            walk(&loaded.steps, &mut out);
        }
        out
    }

    proptest! {
        #[test]
        fn scenario_expectations_judge_any_response(
            ex in crate::contract::rules::proptests::exchange()
        ) {
            static EXPECTS: std::sync::OnceLock<Vec<crate::scenario::Expect>> =
                std::sync::OnceLock::new();
            let expects = EXPECTS.get_or_init(bundled_expectations);
            prop_assert!(expects.len() > 100, "bundled scenarios not found");
            for e in expects {
                let _ = super::evaluate(e, &ex.response);
            }
        }
    }
}
