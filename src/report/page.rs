//! A report page — headings, paragraphs, lists, tables and charts — as
//! Markdown or as one self-contained HTML file (styles and charts inline).
//! The review and the diagnosis are pages.

use std::fmt::Write as _;

use super::table::Table;

/// One block of a page.
pub enum Block {
    Heading(String),
    Subheading(String),
    Paragraph(String),
    List(Vec<String>),
    Table(Table),
    /// A chart by file stem, with its caption.
    Chart(String, String),
}

/// A titled page of blocks.
pub struct Page {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Page {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.title);
        for b in &self.blocks {
            match b {
                Block::Heading(h) => out += &format!("## {h}\n\n"),
                Block::Subheading(h) => out += &format!("### {h}\n\n"),
                Block::Paragraph(p) => out += &format!("{p}\n\n"),
                Block::List(items) => {
                    for i in items {
                        out += &format!("- {i}\n");
                    }
                    out += "\n";
                }
                Block::Table(t) => out += &format!("{}\n", t.to_markdown()),
                Block::Chart(stem, caption) => {
                    out += &format!("![{caption}]({stem}.svg)\n\n*{caption}*\n\n");
                }
            }
        }
        out
    }

    /// One HTML file: styles inline, each chart's SVG (`svg(stem)`) inline.
    pub fn to_html(&self, svg: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        for b in &self.blocks {
            match b {
                Block::Heading(h) => {
                    let _ = writeln!(out, "<h2>{}</h2>", escape(h));
                }
                Block::Subheading(h) => {
                    let _ = writeln!(out, "<h3>{}</h3>", escape(h));
                }
                Block::Paragraph(p) => {
                    let _ = writeln!(out, "<p>{}</p>", code_spans(&escape(p)));
                }
                Block::List(items) => {
                    out += "<ul>\n";
                    for i in items {
                        let _ = writeln!(out, "<li>{}</li>", code_spans(&escape(i)));
                    }
                    out += "</ul>\n";
                }
                Block::Table(t) => out += &table_html(t),
                Block::Chart(stem, caption) => {
                    let _ = writeln!(
                        out,
                        "<figure>{}<figcaption>{}</figcaption></figure>",
                        svg(stem).unwrap_or_default(),
                        escape(caption)
                    );
                }
            }
        }
        out += "</body>\n</html>\n";
        out
    }
}

/// Text at a readable measure; tables and charts may use the whole window
/// (up to 1,400 px) and scroll sideways below it; numbers align right,
/// text left; smaller type on a phone.
const STYLE: &str = "body { font-family: sans-serif; max-width: 1400px; margin: 2em auto; \
padding: 0 1em; color: #111; line-height: 1.45; }\np, ul, figcaption { max-width: 60em; }\n\
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; display: block; \
overflow-x: auto; max-width: 100%; }\nth, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }\n\
td { text-align: right; white-space: nowrap; }\ntd.text { text-align: left; white-space: normal; \
min-width: 8em; }\nth { background: #eee; }\nfigure { margin: 1.5em 0; max-width: 960px; }\n\
figure svg { max-width: 100%; height: auto; }\nfigcaption { font-style: italic; }\n\
code { background: #f3f3f3; padding: 0 0.2em; }\n\
@media (max-width: 900px) { body { margin: 1em auto; } table { font-size: 0.8em; } }\n";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `code` spans of Markdown as HTML.
fn code_spans(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out += part;
        }
    }
    out
}

/// Whether a cell holds a figure (a number, maybe with a unit, a bound or
/// a note after it: "2.406", "≥ 1000.000", "12.2 %", "$1.01", "0.0
/// (saturated)", "-"), aligned right; anything else is text.
fn is_figure(cell: &str) -> bool {
    let c = cell.trim_start_matches(['≥', '≤', '~', '$', ' ', '-', '−', '+']);
    cell.trim() == "-" || c.starts_with(|ch: char| ch.is_ascii_digit())
}

fn table_html(t: &Table) -> String {
    let mut out = String::from("<table>\n<tr>");
    for h in &t.headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out += "</tr>\n";
    for row in &t.rows {
        out += "<tr>";
        for c in row {
            let class = if is_figure(c) { "" } else { " class=\"text\"" };
            let _ = write!(out, "<td{class}>{}</td>", code_spans(&escape(c)));
        }
        out += "</tr>\n";
    }
    out += "</table>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_align_right_and_text_left_with_its_code_spans() {
        for figure in [
            "2.406",
            "≥ 1000.000",
            "12.2 %",
            "$1.01",
            "0.0 (saturated)",
            "-",
            "−3",
        ] {
            assert!(is_figure(figure), "{figure}");
        }
        for text in ["db 15.3 %", "stale_read", "hot rows: writers at `db`"] {
            assert!(!is_figure(text), "{text}");
        }
        let t = Table {
            headers: vec!["architecture".into(), "p99 ms".into()],
            rows: vec![vec!["writers at `db`".into(), "2.406".into()]],
        };
        let html = table_html(&t);
        assert!(
            html.contains("<td class=\"text\">writers at <code>db</code></td><td>2.406</td>"),
            "{html}"
        );
    }
}
