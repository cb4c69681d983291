//! `for_each` loops resolved to their iterations — the chunks of a blob or rendered items —
//! each iteration's loop variables built only when its turn comes.

use super::vars::Vars;
use crate::scenario::template::{self, TValue};
use crate::scenario::valid::Loop;
use std::collections::HashMap;

/// At most this many iterations per `for_each` (every loop is bounded).
pub const MAX_ITERATIONS: u64 = 10_000;

/// A `for_each` resolved to its iterations; each layer is built only when its turn comes.
pub(super) enum Iterations {
    /// `chunk_size`-sized pieces of a blob of `size` bytes.
    Chunks { size: u64, chunk: u64, count: u64 },
    /// Rendered items.
    Items(Vec<TValue>),
}

/// A rendered `min_chunk_size`: a number of bytes (what a registry's `OCI-Chunk-Min-Length`
/// says). Anything else sets no bound: the header's own matcher judges a malformed value, and a
/// minimum the registry does not state is not a reason to stop.
fn min_bytes(template_text: &str, vars: &Vars) -> Result<u64, String> {
    let text = template::render_str(template_text, vars).map_err(|e| e.to_string())?;
    Ok(text.trim().parse::<u64>().unwrap_or(0))
}

impl Iterations {
    /// Resolves a loop, or says why it cannot run (an item that does not render, too many
    /// iterations).
    pub(super) fn new(fe: &Loop, vars: &Vars) -> Result<Self, String> {
        let it = match fe {
            Loop::Chunks {
                blob,
                chunk_size,
                min_chunk_size,
            } => {
                let g = vars.blob(blob);
                let chunk = match min_chunk_size {
                    None => chunk_size.get(),
                    Some(t) => chunk_size.get().max(min_bytes(t, vars)?),
                };
                // An empty blob has no chunks: nothing to send.
                Iterations::Chunks {
                    size: g.size,
                    chunk,
                    count: g.size.div_ceil(chunk),
                }
            }
            Loop::Items(items) => {
                let items = items
                    .iter()
                    .map(|item| template::render_value(item, vars).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                Iterations::Items(items)
            }
        };
        if it.len() > MAX_ITERATIONS {
            return Err(format!(
                "for_each would run {} iterations; at most {MAX_ITERATIONS} are allowed (use a larger chunk_size)",
                it.len()
            ));
        }
        Ok(it)
    }

    pub(super) fn len(&self) -> u64 {
        match self {
            Iterations::Chunks { count, .. } => *count,
            Iterations::Items(items) => items.len() as u64,
        }
    }

    /// The loop variables of iteration `i`.
    pub(super) fn layer(&self, i: u64) -> HashMap<String, TValue> {
        let mut l = HashMap::new();
        match self {
            Iterations::Chunks { size, chunk, count } => {
                let start = i * chunk;
                let end = (start + chunk).min(*size) - 1;
                l.insert("chunk.index".into(), TValue::Int(i as i64));
                l.insert("chunk.start".into(), TValue::Int(start as i64));
                l.insert("chunk.end".into(), TValue::Int(end as i64));
                l.insert("chunk.length".into(), TValue::Int((end + 1 - start) as i64));
                l.insert("chunk.count".into(), TValue::Int(*count as i64));
            }
            Iterations::Items(items) => {
                l.insert("item".into(), items[i as usize].clone());
                l.insert("item.index".into(), TValue::Int(i as i64));
            }
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_iterations_cover_the_blob_exactly() {
        let it = Iterations::Chunks {
            size: 10,
            chunk: 4,
            count: 3,
        };
        let spans: Vec<(TValue, TValue, TValue)> = (0..it.len())
            .map(|i| {
                let l = it.layer(i);
                (
                    l["chunk.start"].clone(),
                    l["chunk.end"].clone(),
                    l["chunk.length"].clone(),
                )
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (TValue::Int(0), TValue::Int(3), TValue::Int(4)),
                (TValue::Int(4), TValue::Int(7), TValue::Int(4)),
                (TValue::Int(8), TValue::Int(9), TValue::Int(2)),
            ]
        );
        let empty = Iterations::Chunks {
            size: 0,
            chunk: 4,
            count: 0,
        };
        assert_eq!(empty.len(), 0);
    }
}
