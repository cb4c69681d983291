//! Source positions (`file:line:col`) and [`YamlIndex`], the locator that maps a logical path in
//! a scenario (`steps[2].request.url`) to the line and column where it is written.

use std::fmt;
use std::path::PathBuf;

/// A position in a scenario file; `line` and `col` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePos {
    /// The file, as given by the user (relative paths stay relative).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

impl SourcePos {
    /// A position in `file`.
    pub fn new(file: impl Into<PathBuf>, line: usize, col: usize) -> Self {
        SourcePos {
            file: file.into(),
            line,
            col,
        }
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One step of a logical path into a YAML document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based).
    Index(usize),
}

impl Seg {
    /// A key segment.
    pub fn key(k: impl Into<String>) -> Self {
        Seg::Key(k.into())
    }
}

/// Parses a serde-style path such as `steps[2].request.url` into segments (`.` separates keys,
/// `[n]` indexes). Returns `None` for text that is not such a path.
pub fn parse_path(path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if key.is_empty() && rest.is_empty() {
            return None;
        }
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index = rest.get(1..close)?.parse().ok()?;
            segs.push(Seg::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(segs)
}

/// A node of the position index: where a value starts and ends in the text.
#[derive(Debug, Clone)]
struct Node {
    /// Char index of the first character of the value (for an empty value: of its key).
    start: usize,
    /// Char index one past the value's last character.
    end: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(String),
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    key_start: usize,
    value: Node,
}

/// Maps logical paths (`steps[2].request.url`) to line/column positions in YAML text.
///
/// serde_yaml 0.9 keeps no spans, so this is a small position-only reader for the YAML subset
/// scenario files use: block mappings and sequences (including `- key: value` compact items),
/// flow mappings and sequences (`{ a: 1, b: [x, y] }`, possibly over several lines), plain,
/// single- and double-quoted scalars (multi-line too), block scalars (`|`, `>`), comments, and a
/// leading `---`. Limits: anchors and tags are skipped but aliases are not followed, merge keys
/// (`<<`) are not expanded, complex keys (`? key`) and tabs used as indentation are not
/// understood. When the reader meets something it does not understand it stops that collection,
/// and a lookup then answers with the deepest position it did find (at worst line 1, column 1),
/// so an error is always reported, possibly less precisely.
#[derive(Debug, Clone)]
pub struct YamlIndex {
    line_starts: Vec<usize>,
    root: Option<Node>,
    chars: Vec<char>,
}

impl YamlIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut line_starts = vec![0];
        for (i, c) in chars.iter().enumerate() {
            if *c == '\n' {
                line_starts.push(i + 1);
            }
        }
        let root = Reader { c: &chars, i: 0 }.document();
        YamlIndex {
            line_starts,
            root,
            chars,
        }
    }

    /// 1-based (line, column) of a char index.
    fn line_col(&self, index: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&index) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        (line + 1, index - self.line_starts[line] + 1)
    }

    /// Follows `path` as far as it exists. Returns the node reached, the start of the last key
    /// matched (if the last segment matched was a key), and whether the whole path matched.
    fn walk(&self, path: &[Seg]) -> Option<(&Node, Option<usize>, bool)> {
        let mut node = self.root.as_ref()?;
        let mut key_start = None;
        for seg in path {
            let next = match (seg, &node.kind) {
                (Seg::Key(k), Kind::Map(entries)) => entries
                    .iter()
                    .find(|e| &e.key == k)
                    .map(|e| (&e.value, Some(e.key_start))),
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i).map(|n| (n, None)),
                _ => None,
            };
            match next {
                Some((n, k)) => {
                    node = n;
                    key_start = k;
                }
                None => return Some((node, key_start, false)),
            }
        }
        Some((node, key_start, true))
    }

    /// Position of the key (or sequence item) that `path` ends with; for a path that does not
    /// fully exist, the position of the deepest part that does.
    pub fn key_pos(&self, path: &[Seg]) -> (usize, usize) {
        match self.walk(path) {
            Some((node, key, _)) => self.line_col(key.unwrap_or(node.start)),
            None => (1, 1),
        }
    }

    /// Position of the value at `path` (the key's position when the value is empty); for a path
    /// that does not fully exist, the position of the deepest part that does.
    pub fn value_pos(&self, path: &[Seg]) -> (usize, usize) {
        match self.walk(path) {
            Some((node, _, true)) => self.line_col(node.start),
            Some((node, key, false)) => self.line_col(key.unwrap_or(node.start)),
            None => (1, 1),
        }
    }

    /// First and last (line, column) of the value at `path`, when the whole path exists.
    pub fn value_span(&self, path: &[Seg]) -> Option<((usize, usize), (usize, usize))> {
        match self.walk(path) {
            Some((node, _, true)) => Some((
                self.line_col(node.start),
                self.line_col(node.end.max(node.start + 1) - 1),
            )),
            _ => None,
        }
    }

    /// Position of the first occurrence of `needle` inside the source text of the value at
    /// `path`, falling back to [`value_pos`](Self::value_pos).
    pub fn find_in_value(&self, path: &[Seg], needles: &[&str]) -> (usize, usize) {
        if let Some((node, _, true)) = self.walk(path) {
            let end = node.end.min(self.chars.len());
            let text: String = self.chars[node.start..end].iter().collect();
            if let Some(at) = needles.iter().filter_map(|n| text.find(n)).min() {
                let offset = text[..at].chars().count();
                return self.line_col(node.start + offset);
            }
        }
        self.value_pos(path)
    }

    /// Position of the first scalar under `path` (inclusive) whose value is `value`.
    pub fn find_scalar(&self, path: &[Seg], value: &str) -> Option<(usize, usize)> {
        fn search<'n>(node: &'n Node, value: &str) -> Option<&'n Node> {
            match &node.kind {
                Kind::Scalar(s) => (s == value).then_some(node),
                Kind::Seq(items) => items.iter().find_map(|n| search(n, value)),
                Kind::Map(entries) => entries.iter().find_map(|e| search(&e.value, value)),
            }
        }
        let (node, _, _) = self.walk(path)?;
        search(node, value).map(|n| self.line_col(n.start))
    }

    /// Position of the first line starting with `---` after the first content (a second YAML
    /// document).
    pub fn second_document(&self) -> Option<(usize, usize)> {
        let first = self.root.as_ref()?.start;
        self.line_starts
            .iter()
            .copied()
            .find(|&s| s > first && self.chars[s..].starts_with(&['-', '-', '-']))
            .map(|s| self.line_col(s))
    }
}

/// The position-only YAML reader behind [`YamlIndex`].
struct Reader<'c> {
    c: &'c [char],
    i: usize,
}

impl Reader<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.c.get(i).copied()
    }

    fn col(&self, i: usize) -> usize {
        let mut s = i;
        while s > 0 && self.c[s - 1] != '\n' {
            s -= 1;
        }
        i - s
    }

    fn is_ws(c: Option<char>) -> bool {
        matches!(c, None | Some(' ' | '\t' | '\r' | '\n'))
    }

    /// Whether position `i` ends the content of a line (end of text, newline, or a comment).
    fn at_eol(&self, i: usize) -> bool {
        match self.at(i) {
            None | Some('\n') => true,
            Some('\r') => self.at(i + 1).is_none_or(|c| c == '\n'),
            Some('#') => i == 0 || Self::is_ws(self.at(i - 1)),
            _ => false,
        }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.at(self.i), Some(' ' | '\t')) {
            self.i += 1;
        }
    }

    fn skip_to_eol(&mut self) {
        while !matches!(self.at(self.i), None | Some('\n')) {
            self.i += 1;
        }
    }

    /// Skips spaces, comments and line breaks.
    fn skip_blank(&mut self) {
        loop {
            self.skip_spaces();
            match self.at(self.i) {
                Some('#') => self.skip_to_eol(),
                Some('\n' | '\r') => self.i += 1,
                _ => return,
            }
        }
    }

    fn at_doc_marker(&self) -> bool {
        self.col(self.i) == 0
            && (self.c[self.i..].starts_with(&['-', '-', '-'])
                || self.c[self.i..].starts_with(&['.', '.', '.']))
            && Self::is_ws(self.at(self.i + 3))
    }

    fn document(&mut self) -> Option<Node> {
        self.skip_blank();
        if self.c[self.i..].starts_with(&['-', '-', '-']) && Self::is_ws(self.at(self.i + 3)) {
            self.i += 3;
            self.skip_blank();
        }
        self.block(-1)
    }

    /// A block node whose content must be indented more than `parent`. Starts at the current
    /// position or on a later line.
    fn block(&mut self, parent: isize) -> Option<Node> {
        self.skip_blank();
        let start = self.i;
        let col = self.col(start) as isize;
        if self.at(start).is_none() || col <= parent || self.at_doc_marker() {
            return None;
        }
        self.skip_properties();
        let c = self.at(self.i)?;
        if c == '-' && Self::is_ws(self.at(self.i + 1)) {
            return Some(self.block_seq(self.col(self.i)));
        }
        match c {
            '{' | '[' => return Some(self.flow()),
            '|' | '>' => return Some(self.block_scalar(parent)),
            _ => {}
        }
        if self.key_end(self.i).is_some() {
            return Some(self.block_map(self.col(self.i)));
        }
        Some(self.block_plain_or_quoted(parent))
    }

    /// Skips `&anchor` and `!tag` properties before a node.
    fn skip_properties(&mut self) {
        while matches!(self.at(self.i), Some('&' | '!')) {
            while !Self::is_ws(self.at(self.i)) {
                self.i += 1;
            }
            self.skip_spaces();
        }
    }

    /// If a block mapping key starts at `i`, the index just past its `:`.
    fn key_end(&self, i: usize) -> Option<usize> {
        let mut j = i;
        match self.at(i)? {
            q @ ('"' | '\'') => {
                j = self.quoted_end(i, q);
                while matches!(self.at(j), Some(' ' | '\t')) {
                    j += 1;
                }
                return (self.at(j) == Some(':') && Self::is_ws(self.at(j + 1))).then_some(j + 1);
            }
            '{' | '[' | '#' => return None,
            _ => {}
        }
        while !self.at_eol(j) {
            if self.c[j] == ':' && Self::is_ws(self.at(j + 1)) {
                return Some(j + 1);
            }
            j += 1;
        }
        None
    }

    /// Index just past the closing quote of a quoted scalar starting at `i`.
    fn quoted_end(&self, i: usize, q: char) -> usize {
        let mut j = i + 1;
        while let Some(c) = self.at(j) {
            if q == '"' && c == '\\' {
                j += 2;
                continue;
            }
            if c == q {
                if q == '\'' && self.at(j + 1) == Some('\'') {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j += 1;
        }
        self.c.len()
    }

    fn unquote(&self, start: usize, end: usize) -> String {
        let q = self.c[start];
        let inner_end = end.saturating_sub(1).max(start + 1);
        let raw: String = self.c[start + 1..inner_end.min(self.c.len())]
            .iter()
            .collect();
        if q == '\'' {
            raw.replace("''", "'")
        } else {
            raw.replace("\\\"", "\"").replace("\\\\", "\\")
        }
    }

    fn key_text(&self, start: usize, colon: usize) -> String {
        match self.c[start] {
            q @ ('"' | '\'') => {
                let end = self.quoted_end(start, q);
                self.unquote(start, end)
            }
            _ => self.c[start..colon - 1]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        }
    }

    fn block_map(&mut self, indent: usize) -> Node {
        let start = self.i;
        let mut entries = Vec::new();
        let mut end = start;
        loop {
            let key_start = self.i;
            let Some(after) = self.key_end(key_start) else {
                break;
            };
            let key = self.key_text(key_start, after);
            self.i = after;
            self.skip_spaces();
            let value = if self.at_eol(self.i) {
                self.skip_to_eol();
                let save = self.i;
                match self.block(indent as isize) {
                    Some(v) => v,
                    None => {
                        self.i = save;
                        self.skip_blank();
                        if self.col(self.i) == indent
                            && self.at(self.i) == Some('-')
                            && Self::is_ws(self.at(self.i + 1))
                        {
                            self.block_seq(indent)
                        } else {
                            self.i = save;
                            empty(key_start)
                        }
                    }
                }
            } else {
                self.block(indent as isize)
                    .unwrap_or_else(|| empty(key_start))
            };
            end = end.max(value.end);
            entries.push(Entry {
                key,
                key_start,
                value,
            });
            let save = self.i;
            self.skip_blank();
            if self.at(self.i).is_none() || self.col(self.i) != indent || self.at_doc_marker() {
                self.i = save;
                break;
            }
        }
        Node {
            start,
            end,
            kind: Kind::Map(entries),
        }
    }

    fn block_seq(&mut self, indent: usize) -> Node {
        let start = self.i;
        let mut items = Vec::new();
        let mut end = start;
        while self.at(self.i) == Some('-') && Self::is_ws(self.at(self.i + 1)) {
            let dash = self.i;
            self.i += 1;
            self.skip_spaces();
            let item = if self.at_eol(self.i) {
                self.skip_to_eol();
                let save = self.i;
                self.block(indent as isize).unwrap_or_else(|| {
                    self.i = save;
                    empty(dash)
                })
            } else {
                self.block(indent as isize).unwrap_or_else(|| empty(dash))
            };
            end = end.max(item.end);
            items.push(item);
            let save = self.i;
            self.skip_blank();
            if self.at(self.i).is_none() || self.col(self.i) != indent || self.at_doc_marker() {
                self.i = save;
                break;
            }
        }
        Node {
            start,
            end,
            kind: Kind::Seq(items),
        }
    }

    /// `|` or `>` scalar: the indicator line plus every following line that is blank or indented
    /// more than `parent`.
    fn block_scalar(&mut self, parent: isize) -> Node {
        let start = self.i;
        self.skip_to_eol();
        let mut end = self.i;
        let mut text = String::new();
        while self.at(self.i) == Some('\n') {
            let line = self.i + 1;
            let mut j = line;
            while matches!(self.at(j), Some(' ' | '\t')) {
                j += 1;
            }
            let blank = matches!(self.at(j), None | Some('\n' | '\r'));
            if !blank && (self.col(j) as isize) <= parent {
                break;
            }
            if self.at(j).is_none() {
                break;
            }
            self.i = j;
            self.skip_to_eol();
            if !blank {
                end = self.i;
                let content: String = self.c[j..self.i].iter().collect();
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(content.trim_end());
            }
        }
        self.i = end;
        Node {
            start,
            end,
            kind: Kind::Scalar(text),
        }
    }

    /// A plain or quoted scalar in block context; plain scalars continue on following lines
    /// indented more than `parent`.
    fn block_plain_or_quoted(&mut self, parent: isize) -> Node {
        let start = self.i;
        if let Some(q @ ('"' | '\'')) = self.at(start) {
            let end = self.quoted_end(start, q);
            self.i = end;
            return Node {
                start,
                end,
                kind: Kind::Scalar(self.unquote(start, end)),
            };
        }
        let mut text = String::new();
        let mut end;
        loop {
            let line_start = self.i;
            while !self.at_eol(self.i) {
                self.i += 1;
            }
            let part: String = self.c[line_start..self.i].iter().collect();
            end = line_start + part.trim_end().chars().count();
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(part.trim());
            self.skip_to_eol();
            let save = self.i;
            self.skip_blank();
            let next = self.i;
            let continues = self.at(next).is_some()
                && (self.col(next) as isize) > parent
                && !self.at_doc_marker()
                && self.c[save..next].iter().all(|c| *c != '#');
            if !continues {
                self.i = end;
                break;
            }
        }
        Node {
            start,
            end,
            kind: Kind::Scalar(text),
        }
    }

    /// Skips whitespace, line breaks and comments inside flow collections.
    fn skip_flow_blank(&mut self) {
        self.skip_blank();
    }

    fn flow(&mut self) -> Node {
        self.skip_flow_blank();
        self.skip_properties();
        let start = self.i;
        match self.at(start) {
            Some('{') => {
                self.i += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_flow_blank();
                    match self.at(self.i) {
                        None => break,
                        Some('}') => {
                            self.i += 1;
                            break;
                        }
                        Some(',') => {
                            self.i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    let key_start = self.i;
                    let key_node = self.flow_scalar(true);
                    let key = match key_node.kind {
                        Kind::Scalar(s) => s,
                        _ => String::new(),
                    };
                    self.skip_flow_blank();
                    let value = if self.at(self.i) == Some(':') {
                        self.i += 1;
                        self.skip_flow_blank();
                        if matches!(self.at(self.i), Some(',' | '}')) {
                            empty(key_start)
                        } else {
                            self.flow()
                        }
                    } else {
                        empty(key_start)
                    };
                    entries.push(Entry {
                        key,
                        key_start,
                        value,
                    });
                    self.skip_flow_blank();
                    match self.at(self.i) {
                        Some(',') => self.i += 1,
                        Some('}') => {
                            self.i += 1;
                            break;
                        }
                        _ => break,
                    }
                }
                Node {
                    start,
                    end: self.i,
                    kind: Kind::Map(entries),
                }
            }
            Some('[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_flow_blank();
                    match self.at(self.i) {
                        None => break,
                        Some(']') => {
                            self.i += 1;
                            break;
                        }
                        _ => {}
                    }
                    items.push(self.flow());
                    self.skip_flow_blank();
                    match self.at(self.i) {
                        Some(',') => self.i += 1,
                        Some(']') => {
                            self.i += 1;
                            break;
                        }
                        _ => break,
                    }
                }
                Node {
                    start,
                    end: self.i,
                    kind: Kind::Seq(items),
                }
            }
            _ => self.flow_scalar(false),
        }
    }

    /// A scalar in flow context; a key stops at `:`.
    fn flow_scalar(&mut self, is_key: bool) -> Node {
        let start = self.i;
        if let Some(q @ ('"' | '\'')) = self.at(start) {
            let end = self.quoted_end(start, q);
            self.i = end;
            return Node {
                start,
                end,
                kind: Kind::Scalar(self.unquote(start, end)),
            };
        }
        while let Some(c) = self.at(self.i) {
            let stop = match c {
                ',' | '}' | ']' | '\n' | '\r' => true,
                ':' => {
                    is_key
                        || Self::is_ws(self.at(self.i + 1))
                        || matches!(self.at(self.i + 1), Some(',' | '}' | ']'))
                }
                '#' => self.i > start && Self::is_ws(self.at(self.i - 1)),
                _ => false,
            };
            if stop {
                break;
            }
            self.i += 1;
        }
        let text: String = self.c[start..self.i].iter().collect();
        let trimmed = text.trim_end();
        Node {
            start,
            end: start + trimmed.chars().count(),
            kind: Kind::Scalar(trimmed.to_string()),
        }
    }
}

fn empty(at: usize) -> Node {
    Node {
        start: at,
        end: at,
        kind: Kind::Scalar(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_file_line_col() {
        let pos = SourcePos::new("scenarios/a.yaml", 12, 7);
        assert_eq!(pos.to_string(), "scenarios/a.yaml:12:7");
        assert!(SourcePos::new("a", 2, 1) > SourcePos::new("a", 1, 9));
    }

    const DOC: &str = r#"# leading comment
---
name: demo   # trailing
description: a long
  description over lines
vars: { tag: v1, "quoted key": 'it''s' }
steps:
  - name: start
    op: StartUpload
    request:
      path: /v2/{{repo}}/blobs/uploads/
    expect:
      status: [202, 201]
      headers:
        Location: { present: true }
  - name: chunks
    for_each: { chunks: layer,
                chunk_size: 1MiB }
    steps:
      - name: send
        request:
          url: "{{upload}}"
          body: |
            line one
            line two
        expect: {status: 202}
      -
        name: empty-dash
tags:
- a
- b
"#;

    fn p(path: &str) -> Vec<Seg> {
        parse_path(path).unwrap()
    }

    #[test]
    fn parse_path_reads_serde_paths() {
        assert_eq!(
            parse_path("steps[2].steps[0].request.url").unwrap(),
            vec![
                Seg::key("steps"),
                Seg::Index(2),
                Seg::key("steps"),
                Seg::Index(0),
                Seg::key("request"),
                Seg::key("url")
            ]
        );
        assert_eq!(parse_path("a[1][2]").unwrap().len(), 3);
        assert!(parse_path("a[x]").is_none());
        assert!(parse_path("a..b").is_none());
    }

    #[test]
    fn locates_block_keys_and_values() {
        let ix = YamlIndex::new(DOC);
        assert_eq!(ix.key_pos(&p("name")), (3, 1));
        assert_eq!(ix.value_pos(&p("name")), (3, 7));
        assert_eq!(ix.value_pos(&p("description")), (4, 14));
        assert_eq!(ix.key_pos(&p("steps[0]")), (8, 5));
        assert_eq!(ix.key_pos(&p("steps[0].op")), (9, 5));
        assert_eq!(ix.value_pos(&p("steps[0].request.path")), (11, 13));
        assert_eq!(ix.value_pos(&p("steps[0].expect.status[1]")), (13, 21));
        assert_eq!(
            ix.key_pos(&p("steps[0].expect.headers.Location.present")),
            (15, 21)
        );
        assert_eq!(ix.key_pos(&p("steps[1].name")), (16, 5));
        assert_eq!(ix.key_pos(&p("tags[1]")), (31, 3));
    }

    #[test]
    fn locates_inside_flow_collections_over_lines() {
        let ix = YamlIndex::new(DOC);
        assert_eq!(ix.value_pos(&p("vars.tag")), (6, 14));
        assert_eq!(ix.key_pos(&p("vars.quoted key")), (6, 18));
        assert_eq!(ix.find_scalar(&p("vars"), "it's"), Some((6, 32)));
        assert_eq!(ix.key_pos(&p("steps[1].for_each.chunk_size")), (18, 17));
        assert_eq!(
            ix.value_pos(&p("steps[1].steps[0].expect.status")),
            (26, 26)
        );
    }

    #[test]
    fn locates_quoted_block_scalars_and_empty_items() {
        let ix = YamlIndex::new(DOC);
        assert_eq!(ix.value_pos(&p("steps[1].steps[0].request.url")), (22, 16));
        assert_eq!(
            ix.find_in_value(&p("steps[1].steps[0].request.url"), &["{{upload"]),
            (22, 17)
        );
        assert_eq!(ix.value_pos(&p("steps[1].steps[0].request.body")), (23, 17));
        assert_eq!(ix.key_pos(&p("steps[1].steps[0].expect")), (26, 9));
        assert_eq!(ix.key_pos(&p("steps[1].steps[1].name")), (28, 9));
    }

    #[test]
    fn missing_paths_fall_back_to_the_deepest_existing_part() {
        let ix = YamlIndex::new(DOC);
        assert_eq!(ix.key_pos(&p("steps[0].request.url")), (10, 5));
        assert_eq!(ix.value_pos(&p("steps[9].name")), (7, 1));
        assert_eq!(YamlIndex::new("").key_pos(&p("name")), (1, 1));
        assert_eq!(
            YamlIndex::new("name: a\n---\nname: b\n").second_document(),
            Some((2, 1))
        );
    }
}
