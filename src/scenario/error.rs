//! Scenario errors, each naming the file, the line and column, and what was
//! expected.

use std::fmt;
use std::path::PathBuf;

use crate::dist::Dist;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {}: {cause}; {}", path.display(), read_hint(cause))]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "scenario {} is larger than {} KiB; a scenario is a short TOML file — is it the right \
         file?",
        path.display(),
        limit / 1024
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{0}")]
    At(Positioned),
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("--set {set}: {message}")]
    Override { set: String, message: String },
}

/// An error at a place in a file, shown with the offending line.
#[derive(Debug)]
pub struct Positioned {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub source_line: String,
}

/// Characters of the offending line shown under an error: a one-line file of
/// megabytes is shown around the error, not whole.
const SHOWN: usize = 120;

impl fmt::Display for Positioned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gutter = self.line.to_string().len();
        let chars: Vec<char> = self.source_line.chars().collect();
        let at = self.column.saturating_sub(1).min(chars.len());
        let from = if chars.len() <= SHOWN {
            0
        } else {
            at.saturating_sub(SHOWN / 2).min(chars.len() - SHOWN)
        };
        let to = (from + SHOWN).min(chars.len());
        let ellipsis = |cut: bool| if cut { "…" } else { "" };
        let shown: String = chars[from..to].iter().collect();
        let caret_pad: String = ellipsis(from > 0)
            .chars()
            .map(|_| ' ')
            .chain(
                chars[from..at]
                    .iter()
                    .map(|&c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )?;
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(
            f,
            "{} | {}{shown}{}",
            self.line,
            ellipsis(from > 0),
            ellipsis(to < chars.len())
        )?;
        write!(f, "{:gutter$} | {caret_pad}^", "")
    }
}

impl ScenarioError {
    /// Places a TOML error: line and column from its span, refined to the
    /// exact character when the value is a distribution or duration string
    /// whose parser knows where it went wrong.
    pub fn from_toml(origin: &str, text: &str, err: &toml::de::Error) -> ScenarioError {
        let mut message = err.message().trim_end().to_string();
        if message.contains("expected a sequence") {
            message += "; [[architecture]], [[fault]] and [[workload.phase]] are lists of \
                        tables: write their headers with double brackets";
        }
        if let Some(suggested) = did_you_mean(&message) {
            message = suggested;
        }
        if let Some(plain) = plain_types(&message) {
            message = plain;
        }
        if message == "wanted string or table" {
            // An enumeration (a kind, a role, a mode) given a number or a
            // list: say it wants one of its names.
            message = "expected a quoted name here (e.g. kind = \"crash\"); `archsim list` \
                       shows the names each field takes"
                .to_string();
        }
        let Some(span) = err.span() else {
            if message.contains("recursion limit") {
                let at = deepest_line(text);
                return ScenarioError::At(position(
                    origin,
                    text,
                    at,
                    "tables, arrays or dotted keys nested too deep for TOML's reader; a \
                     scenario needs a few levels: flatten this"
                        .to_string(),
                ));
            }
            return ScenarioError::Invalid {
                origin: origin.to_string(),
                message,
            };
        };
        if message == "duplicate key" {
            let key = key_at(&text[span.start.min(text.len())..]);
            message = if key == "architecture"
                && !text[..span.start.min(text.len())].contains("[[architecture]]")
            {
                "[[architecture]] comes after a table [architecture.…] that belongs to no \
                 architecture yet; move that table under the [[architecture]] it describes"
                    .to_string()
            } else {
                format!(
                    "duplicate key `{key}`: a key is given once per table (this one is given \
                     earlier); remove one"
                )
            };
        }
        let mut at = span.start.min(text.len());
        if let Some(offset) = offset_inside_string(&text[at..span.end.min(text.len())], &message) {
            at += offset;
        }
        ScenarioError::At(position(origin, text, at, message))
    }

    /// An error about the value at `path` (table keys, array indices) of the
    /// file `text`, placed on that value's line when the file has it, else on
    /// the nearest enclosing table that it has.
    pub fn at_path(origin: &str, text: &str, path: &[&str], message: String) -> ScenarioError {
        match locate(text, path) {
            Some(at) => ScenarioError::At(position(origin, text, at, message)),
            None => ScenarioError::Invalid {
                origin: origin.to_string(),
                message,
            },
        }
    }

    /// The message without its place.
    pub fn message(&self) -> String {
        match self {
            ScenarioError::At(p) => p.message.clone(),
            ScenarioError::Invalid { message, .. } | ScenarioError::Override { message, .. } => {
                message.clone()
            }
            ScenarioError::Read { .. } | ScenarioError::TooLarge { .. } => self.to_string(),
        }
    }

    /// The position of an error, if it has one: (line, column).
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self {
            ScenarioError::At(p) => Some((p.line, p.column)),
            _ => None,
        }
    }
}

/// Whether the TOML `text` itself has every part of `path`.
pub fn has_path(text: &str, path: &[&str]) -> bool {
    walk(text, path).1 == path.len()
}

/// How many keys the table at `path` of the TOML `text` has (0 when the
/// text has no table there).
pub fn key_count(text: &str, path: &[&str]) -> usize {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return 0;
    };
    let mut value: &DeValue<'_> = &DeValue::Table(root.into_inner());
    for part in path {
        let next = match value {
            DeValue::Table(t) => t.iter().find(|(k, _)| k.get_ref() == part).map(|(_, v)| v),
            DeValue::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(v) => value = v.get_ref(),
            None => return 0,
        }
    }
    match value {
        DeValue::Table(t) => t.len(),
        _ => 0,
    }
}

/// Byte offset of the deepest part of `path` present in the TOML `text`.
fn locate(text: &str, path: &[&str]) -> Option<usize> {
    walk(text, path).0
}

/// The byte offset of the deepest part of `path` present in `text`, and how
/// many parts are present.
fn walk(text: &str, path: &[&str]) -> (Option<usize>, usize) {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return (None, 0);
    };
    let mut value: &DeValue<'_> = &DeValue::Table(root.into_inner());
    let mut found = None;
    let mut depth = 0;
    for part in path {
        let next = match value {
            DeValue::Table(t) => t.iter().find(|(k, _)| k.get_ref() == part).map(|(k, v)| {
                found = Some(k.span().start);
                v
            }),
            DeValue::Array(items) => {
                let item = part.parse::<usize>().ok().and_then(|i| items.get(i));
                if let Some(v) = item {
                    found = Some(v.span().start);
                }
                item
            }
            _ => None,
        };
        match next {
            Some(v) => {
                value = v.get_ref();
                depth += 1;
            }
            None => break,
        }
    }
    (found, depth)
}

fn position(origin: &str, text: &str, at: usize, message: String) -> Positioned {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    Positioned {
        origin: origin.to_string(),
        line: before.matches('\n').count() + 1,
        column: text[line_start..at].chars().count() + 1,
        message,
        source_line: text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string(),
    }
}

/// For a quoted string value whose distribution (or duration) parser failed
/// with `message`, the byte offset of the culprit from the opening quote.
fn offset_inside_string(literal: &str, message: &str) -> Option<usize> {
    let quote = literal.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = literal[1..].split(quote).next()?;
    if inner.contains('\\') {
        return None;
    }
    match Dist::parse(inner) {
        Err(e) if message.contains(&e.message) => Some(1 + e.at),
        _ => None,
    }
}

/// The key that starts `rest` (`name = …`, `[workload]`), for naming it.
fn key_at(rest: &str) -> String {
    let line = rest.lines().next().unwrap_or("");
    let key = line
        .trim_start_matches(['[', ' ', '\t'])
        .split(['=', ']'])
        .next()
        .unwrap_or("")
        .trim();
    key.chars().take(80).collect()
}

/// The byte offset of the first line nested deepest (dots in its key plus
/// open brackets and braces), where a recursion-limit error belongs.
fn deepest_line(text: &str) -> usize {
    let mut best = (0, 0);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let key = line.split('=').next().unwrap_or("");
        let depth = key.matches('.').count()
            + line
                .matches(['[', '{'])
                .count()
                .saturating_sub(line.matches([']', '}']).count());
        if depth > best.0 {
            best = (depth, offset);
        }
        offset += line.len();
    }
    best.1
}

/// What to do about a scenario file that cannot be read.
fn read_hint(cause: &std::io::Error) -> &'static str {
    match cause.kind() {
        std::io::ErrorKind::InvalidData => {
            "a scenario is UTF-8 text (TOML); this file is not — is it the right one?"
        }
        std::io::ErrorKind::NotFound => "check the path (the shipped scenarios are in scenarios/)",
        _ => "check the path and its permissions",
    }
}

/// serde's "unknown field `kyes`, expected one of `rate`, `keys`, …" (or
/// "unknown variant") as "unknown field `kyes`; did you mean `keys`?" when
/// one name is close (Damerau–Levenshtein distance at most a third of its
/// length, at least 1); `None` when none is, and the full list stays.
fn did_you_mean(message: &str) -> Option<String> {
    let (head, rest) = message.split_once(", expected one of ")?;
    let unknown = head
        .strip_prefix("unknown field `")
        .or_else(|| head.strip_prefix("unknown variant `"))?
        .strip_suffix('`')?;
    let (best, distance) = rest
        .split(", ")
        .map(|name| name.trim_matches('`'))
        .map(|name| (name, strsim::damerau_levenshtein(unknown, name)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= (best.len() / 3).max(1)).then(|| {
        format!("{head}; did you mean `{best}`? (`archsim list` shows every field and its default)")
    })
}

/// A deserializer's `message` in the scenario's words: a near field or
/// variant name suggested, type names said plainly.
pub(crate) fn plain(message: &str) -> String {
    let message = did_you_mean(message).unwrap_or_else(|| message.to_string());
    plain_types(&message).unwrap_or(message)
}

/// serde's "invalid type: floating point `1.5`, expected u64" (or
/// "invalid value: …") in the words of the scenario: "expected a whole
/// number, 0 or more; found 1.5". `None` for any other message.
fn plain_types(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let expected = match expected {
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        _ => return None,
    };
    let quoted = |kind: &str| {
        found
            .strip_prefix(kind)
            .map(|v| v.trim().trim_matches('`').to_string())
    };
    let found = if let Some(s) = found.strip_prefix("string ") {
        let text = s.trim_matches('"');
        if let Some(why) = too_large(text) {
            // `--set` passes a number TOML cannot hold as text.
            format!("{text}{why}")
        } else if text.starts_with(|c: char| c.is_ascii_digit()) {
            format!(
                "the string {s} (write numbers without quotes or units; underscores may group \
                 digits, as in 1_000_000)"
            )
        } else {
            format!("the string {s}")
        }
    } else if let Some(v) = quoted("floating point").or_else(|| quoted("integer")) {
        match too_large(&v) {
            Some(why) => format!("{v}{why}"),
            None => v,
        }
    } else {
        found.to_string()
    };
    Some(format!("expected {expected}; found {found}"))
}

/// Why `v`, a number TOML cannot hold, is refused: a whole number beyond
/// a 64-bit signed integer, or a number (starting with a digit) beyond the
/// largest float. `None` for anything else.
fn too_large(v: &str) -> Option<&'static str> {
    let digits = v.replace('_', "");
    let unsigned = digits.strip_prefix('-').unwrap_or(&digits);
    if !unsigned.is_empty() && unsigned.chars().all(|c| c.is_ascii_digit()) {
        digits.parse::<i64>().is_err().then_some(
            " (too large: a scenario's whole numbers go up to 9_223_372_036_854_775_807)",
        )
    } else if digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.parse::<f64>().is_ok_and(f64::is_infinite)
    {
        Some(" (too large: numbers go up to about 1.8e308)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, plain_types};

    #[test]
    fn type_names_are_said_in_the_scenarios_words() {
        assert_eq!(
            plain_types("invalid type: floating point `1.5`, expected u64").unwrap(),
            "expected a whole number, 0 or more; found 1.5"
        );
        assert_eq!(
            plain_types("invalid value: integer `-1`, expected u32").unwrap(),
            "expected a whole number, 0 or more; found -1"
        );
        assert!(
            plain_types("invalid type: string \"50GB\", expected i64")
                .unwrap()
                .starts_with("expected a whole number; found the string \"50GB\" (write numbers")
        );
        assert_eq!(
            plain_types("invalid type: string \"fast\", expected f64").unwrap(),
            "expected a number; found the string \"fast\""
        );
        assert_eq!(
            plain_types("invalid type: string \"x\", expected f64").unwrap()[..17],
            *"expected a number"
        );
        assert_eq!(
            plain_types("invalid type: integer `5`, expected a string"),
            None
        );
    }

    #[test]
    fn a_number_beyond_toml_is_said_to_be_too_large() {
        // In a file: the parser's own integer; through `--set`: the text.
        for message in [
            "invalid value: integer `9223372036854775808`, expected i64",
            "invalid type: string \"18446744073709551615\", expected u64",
            "invalid type: string \"1e400\", expected f64",
        ] {
            let plain = plain_types(message).unwrap();
            assert!(plain.contains("(too large:"), "{plain}");
            assert!(!plain.contains("the string"), "{plain}");
        }
        assert!(
            !plain_types("invalid value: integer `-1`, expected u32")
                .unwrap()
                .contains("too large")
        );
    }

    #[test]
    fn a_near_name_is_suggested_and_a_far_one_lists_all() {
        let m = "unknown field `kyes`, expected one of `rate`, `keys`, `popularity`";
        assert_eq!(
            did_you_mean(m).unwrap(),
            "unknown field `kyes`; did you mean `keys`? (`archsim list` shows every field and \
             its default)"
        );
        assert_eq!(
            did_you_mean("unknown field `zzzzzz`, expected one of `rate`, `keys`"),
            None
        );
        assert!(
            did_you_mean("unknown variant `crahs`, expected one of `crash`, `slow`")
                .unwrap()
                .contains("did you mean `crash`?")
        );
    }
}
