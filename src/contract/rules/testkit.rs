//! Test helpers: a builder for synthetic exchanges and the `Case` type (one violating and one
//! conforming exchange per rule) that the rule-coverage tests iterate.

use crate::contract::Operation;
use crate::exchange::{Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse};
use bytes::Bytes;
use sha2::{Digest as _, Sha256};

/// A rule id with an exchange that must fail it and one that must pass it.
pub struct Case {
    pub id: &'static str,
    pub fail: Exchange,
    pub pass: Exchange,
}

/// Builds a case.
pub fn case(id: &'static str, fail: ExBuilder, pass: ExBuilder) -> Case {
    Case {
        id,
        fail: fail.build(),
        pass: pass.build(),
    }
}

/// A digest of some bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Exchange builder.
#[derive(Clone)]
pub struct ExBuilder {
    ex: Exchange,
}

/// Starts an exchange for `op` with a request `method url` (relative URLs are fine) and a
/// `200` response with no headers and an empty body.
pub fn ex(op: Operation, method: &str, url: &str) -> ExBuilder {
    ExBuilder {
        ex: Exchange {
            op,
            request: ObservedRequest {
                method: method.to_string(),
                url: format!("http://127.0.0.1:5000{url}"),
                ..Default::default()
            },
            response: ObservedResponse {
                status: 200,
                headers: vec![],
                body: ObservedBody {
                    len: 0,
                    digest: digest_of(b""),
                    bytes: Some(Bytes::new()),
                    ..Default::default()
                },
            },
            context: ExchangeContext::default(),
        },
    }
}

impl ExBuilder {
    pub fn status(mut self, s: u16) -> Self {
        self.ex.response.status = s;
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.ex
            .response
            .headers
            .push((k.to_string(), v.to_string()));
        self
    }
    pub fn body(mut self, b: impl AsRef<[u8]>) -> Self {
        let b = b.as_ref();
        self.ex.response.body = ObservedBody {
            len: b.len() as u64,
            digest: digest_of(b),
            bytes: Some(Bytes::copy_from_slice(b)),
            ..Default::default()
        };
        self
    }
    pub fn json(self, v: serde_json::Value) -> Self {
        self.body(v.to_string())
    }
    pub fn req_header(mut self, k: &str, v: &str) -> Self {
        self.ex.request.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn req_body(mut self, b: impl AsRef<[u8]>) -> Self {
        let b = b.as_ref();
        self.ex.request.body_len = b.len() as u64;
        self.ex.request.body = Some(Bytes::copy_from_slice(b));
        self
    }
    pub fn broken_off(mut self, why: &str) -> Self {
        self.ex.response.body.incomplete = Some(why.to_string());
        self
    }
    pub fn ctx(mut self, f: impl FnOnce(&mut ExchangeContext)) -> Self {
        f(&mut self.ex.context);
        self
    }
    pub fn build(self) -> Exchange {
        self.ex
    }
}
