//! The JSON schemas of the bodies the contract documents (ACR definitions, OCI/Docker manifest
//! shapes, OCI listings), embedded from `schemas/*.json`, compiled once, and a validator that
//! reports every violation with its JSON pointer.
//!
//! The schemas follow what real ACR sends (see `acr-contract.md` §4.3 and §9): additional
//! properties are allowed everywhere, `tags`/`tagsDeleted` may be `null`, `architecture`/`os` are
//! nullable free strings (modelAsString enums), `detail` in errors may be any JSON, and
//! `date-time` values must be RFC 3339.

use crate::vocab::media;
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// Name and source text of every embedded schema.
const SOURCES: &[(&str, &str)] = &[
    ("AcrErrors", include_str!("schemas/AcrErrors.json")),
    ("Repositories", include_str!("schemas/Repositories.json")),
    (
        "RepositoryAttributes",
        include_str!("schemas/RepositoryAttributes.json"),
    ),
    (
        "DeletedRepository",
        include_str!("schemas/DeletedRepository.json"),
    ),
    ("TagList", include_str!("schemas/TagList.json")),
    ("TagAttributes", include_str!("schemas/TagAttributes.json")),
    ("AcrManifests", include_str!("schemas/AcrManifests.json")),
    (
        "ManifestAttributes",
        include_str!("schemas/ManifestAttributes.json"),
    ),
    ("RefreshToken", include_str!("schemas/RefreshToken.json")),
    ("AccessToken", include_str!("schemas/AccessToken.json")),
    (
        "ManifestWrapper",
        include_str!("schemas/ManifestWrapper.json"),
    ),
    (
        "DockerManifestV2",
        include_str!("schemas/DockerManifestV2.json"),
    ),
    (
        "DockerManifestList",
        include_str!("schemas/DockerManifestList.json"),
    ),
    ("OciManifest", include_str!("schemas/OciManifest.json")),
    ("OciIndex", include_str!("schemas/OciIndex.json")),
    ("TagListOci", include_str!("schemas/TagListOci.json")),
    ("Catalog", include_str!("schemas/Catalog.json")),
];

/// The names accepted by [`validate_schema`] (and by `expect.schema` in scenarios).
pub fn schema_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| SOURCES.iter().map(|(n, _)| *n).collect())
}

/// The raw JSON text of a schema, for `regcheck list --schemas` style output.
pub fn schema_source(name: &str) -> Option<&'static str> {
    SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The schema that fits a manifest media type (`Content-Type` of a manifest GET, `mediaType` of
/// a manifest body); unknown types (artifacts, schema 1) fall back to `ManifestWrapper`.
pub fn schema_for_manifest_media_type(media_type: &str) -> &'static str {
    match media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        media::OCI_MANIFEST => "OciManifest",
        media::OCI_INDEX => "OciIndex",
        media::DOCKER_V2 => "DockerManifestV2",
        media::DOCKER_LIST => "DockerManifestList",
        _ => "ManifestWrapper",
    }
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// RFC 6901 pointer to the offending value (`""` is the whole document).
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

/// The first few violations, for a one-line finding (`/a: …; /b: …`).
pub fn summarize(violations: &[Violation]) -> String {
    violations
        .iter()
        .take(5)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(document)"
        } else {
            self.pointer.as_str()
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Why a value does not satisfy a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// No schema with this name is embedded.
    #[error("unknown schema `{name}`; known schemas: {}", schema_names().join(", "))]
    UnknownSchema {
        /// The name asked for.
        name: String,
    },
    /// The value violates the schema.
    #[error("body does not match schema `{schema}`: {}", join_violations(.violations))]
    Invalid {
        /// The schema name.
        schema: String,
        /// Every violation found (at least one).
        violations: Vec<Violation>,
    },
}

fn join_violations(v: &[Violation]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

struct Compiled {
    name: &'static str,
    validator: jsonschema::Validator,
}

fn compiled() -> &'static [Compiled] {
    static COMPILED: OnceLock<Vec<Compiled>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(name, text)| {
                // The schemas are part of the binary and covered by a unit test that compiles
                // every one of them; a broken one is left out rather than panicking at runtime.
                let value: Value = serde_json::from_str(text).ok()?;
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .should_validate_formats(true)
                    .build(&value)
                    .ok()?;
                Some(Compiled { name, validator })
            })
            .collect()
    })
}

/// Validates `value` against the named schema; `Err` lists every violation with its pointer.
pub fn validate_schema(name: &str, value: &Value) -> Result<(), SchemaError> {
    let Some(c) = compiled().iter().find(|c| c.name == name) else {
        return Err(SchemaError::UnknownSchema {
            name: name.to_string(),
        });
    };
    let violations: Vec<Violation> = c
        .validator
        .iter_errors(value)
        .map(|e| Violation {
            pointer: e.instance_path.as_str().to_string(),
            message: e.to_string(),
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Invalid {
            schema: name.to_string(),
            violations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violations(name: &str, v: Value) -> Vec<Violation> {
        match validate_schema(name, &v) {
            Ok(()) => vec![],
            Err(SchemaError::Invalid { violations, .. }) => violations,
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn every_schema_compiles() {
        assert_eq!(compiled().len(), SOURCES.len());
        let mut names = schema_names().to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SOURCES.len());
    }

    #[test]
    fn unknown_schema_is_an_error_naming_the_known_ones() {
        let err = validate_schema("Nope", &json!({})).unwrap_err();
        assert!(matches!(err, SchemaError::UnknownSchema { .. }));
        assert!(err.to_string().contains("TagList"));
    }

    #[test]
    fn real_acr_tag_list_with_null_tags_and_extra_fields_passes() {
        assert!(
            violations(
                "TagList",
                json!({"registry":"r.azurecr.io","imageName":"repo","tags":null,"extra":1})
            )
            .is_empty()
        );
        let full = json!({"registry":"r","imageName":"library/hello-world","tags":[{
            "name":"latest","digest":"sha256:13e3","createdTime":"2022-07-08T21:52:31.3066134Z",
            "lastUpdateTime":"2022-07-08T21:52:32.185416Z","signed":false,
            "changeableAttributes":{"deleteEnabled":true,"writeEnabled":true,"readEnabled":true,"listEnabled":true}}]});
        assert!(violations("TagList", full).is_empty());
    }

    #[test]
    fn tag_list_violations_carry_pointers() {
        let v = violations(
            "TagList",
            json!({"registry":"r","imageName":"x","tags":[{"name":"a","digest":"sha256:00",
                "createdTime":"yesterday","lastUpdateTime":"2022-07-08T21:52:31Z","changeableAttributes":{}}]}),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].pointer, "/tags/0/createdTime");
        let missing = violations("TagList", json!({"registry":"r","imageName":"x"}));
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("tags"));
    }

    #[test]
    fn manifest_attributes_accept_nullable_arch_and_unknown_enum_values() {
        let ok = json!({"registry":"r","imageName":"i","manifest":{
            "digest":"sha256:ab","createdTime":"2021-12-31T10:00:00.1234567Z","lastUpdateTime":"2021-12-31T10:00:00Z",
            "architecture":null,"os":"plan10","mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
            "references":[{"digest":"sha256:cd","architecture":"ppc64le","os":"linux"}],
            "changeableAttributes":{"quarantineState":"Passed","quarantineDetails":"{\"state\":\"Scan Passed\"}"}}});
        assert!(violations("ManifestAttributes", ok).is_empty());
        let bad = json!({"manifest":{"digest":"not a digest","createdTime":"2021-12-31T10:00:00Z","lastUpdateTime":"2021-12-31T10:00:00Z","imageSize":-1}});
        let v = violations("ManifestAttributes", bad);
        let pointers: Vec<_> = v.iter().map(|x| x.pointer.as_str()).collect();
        assert!(pointers.contains(&"/manifest/digest"), "{pointers:?}");
        assert!(pointers.contains(&"/manifest/imageSize"), "{pointers:?}");
    }

    #[test]
    fn errors_body_allows_any_detail_but_requires_code_and_message() {
        assert!(violations("AcrErrors", json!({"errors":[{"code":"UNAUTHORIZED","message":"m","detail":[{"Type":"repository"}]}]})).is_empty());
        assert!(
            violations(
                "AcrErrors",
                json!({"errors":[{"code":"NAME_UNKNOWN","message":"m","detail":{"name":"x"}}]})
            )
            .is_empty()
        );
        assert!(!violations("AcrErrors", json!({"errors":[{"message":"m"}]})).is_empty());
        assert!(!violations("AcrErrors", json!({"errors":[]})).is_empty());
        assert!(!violations("AcrErrors", json!({"error":"x"})).is_empty());
    }

    #[test]
    fn tokens_must_be_non_empty_strings() {
        assert!(violations("AccessToken", json!({"access_token":"eyJ"})).is_empty());
        assert!(!violations("AccessToken", json!({"access_token":""})).is_empty());
        assert!(!violations("RefreshToken", json!({"access_token":"eyJ"})).is_empty());
        assert!(violations("RefreshToken", json!({"refresh_token":"eyJ"})).is_empty());
    }

    #[test]
    fn manifest_shapes() {
        let d = json!({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:aa","size":3});
        let oci = json!({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":d,"layers":[d],"newUnspecifiedField":true});
        assert!(violations("OciManifest", oci.clone()).is_empty());
        assert!(violations("ManifestWrapper", oci.clone()).is_empty());
        assert!(!violations("OciIndex", oci).is_empty());
        let bad_size = json!({"schemaVersion":2,"config":d,"layers":[{"mediaType":"a/b","digest":"sha256:aa","size":"3"}]});
        let v = violations("OciManifest", bad_size);
        assert_eq!(v[0].pointer, "/layers/0/size");
        let list = json!({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:bb","size":1,
            "platform":{"architecture":"amd64","os":"linux"}}]});
        assert!(violations("DockerManifestList", list).is_empty());
        assert!(
            !violations(
                "DockerManifestV2",
                json!({"schemaVersion":2,"config":d,"layers":[]})
            )
            .is_empty()
        );
        assert_eq!(
            schema_for_manifest_media_type("application/vnd.oci.image.index.v1+json; charset=x"),
            "OciIndex"
        );
        assert_eq!(
            schema_for_manifest_media_type("application/foo"),
            "ManifestWrapper"
        );
    }

    #[test]
    fn listings() {
        assert!(violations("TagListOci", json!({"name":"a/b","tags":["v1"]})).is_empty());
        assert!(!violations("TagListOci", json!({"tags":["v1"]})).is_empty());
        assert!(violations("Catalog", json!({"repositories":["a"]})).is_empty());
        assert!(!violations("Catalog", json!({"repositories":"a"})).is_empty());
        assert!(violations("Repositories", json!({"repositories":["a"],"link":"x"})).is_empty());
        assert!(
            violations(
                "DeletedRepository",
                json!({"manifestsDeleted":["sha256:a"],"tagsDeleted":null})
            )
            .is_empty()
        );
        let repo = json!({"registry":"r","imageName":"i","createdTime":"2021-01-01T00:00:00Z",
            "lastUpdateTime":"2021-01-01T00:00:00+01:00","manifestCount":1,"tagCount":0,
            "changeableAttributes":{"deleteEnabled":true,"teleportEnabled":false}});
        assert!(violations("RepositoryAttributes", repo).is_empty());
        assert!(!violations("RepositoryAttributes", json!({"registry":"r"})).is_empty());
        let tag = json!({"registry":"r","imageName":"i","tag":{"name":"t","digest":"sha256:a",
            "createdTime":"2021-01-01T00:00:00Z","lastUpdateTime":"2021-01-01T00:00:00Z","changeableAttributes":{}}});
        assert!(violations("TagAttributes", tag).is_empty());
        assert!(violations("AcrManifests", json!({"manifests":null})).is_empty());
    }
}
