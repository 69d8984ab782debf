//! The footprint as boxes and arrows: a Mermaid flowchart, which renders in
//! the Markdown viewers reviews are read in (GitHub, GitLab, most wikis).
//!
//! Numbered systems of one kind (`shard_0` … `shard_63`) share one box with
//! their count, so a 64-shard cluster stays readable; an arrow's end written
//! as a pattern (`shard_*`) lands on that box.

use super::Footprint;

/// A fenced `mermaid` block with one subgraph per architecture.
pub fn mermaid<'a>(footprints: impl IntoIterator<Item = (&'a str, &'a Footprint)>) -> String {
    let mut out = String::from("```mermaid\nflowchart LR\n");
    let mut arrows = String::new();
    for (a, (architecture, footprint)) in footprints.into_iter().enumerate() {
        let boxes = boxes(footprint);
        out += &format!("  subgraph a{a}[\"{}\"]\n", escape(architecture));
        for (i, b) in boxes.iter().enumerate() {
            out += &format!("    a{a}n{i}[\"{}\"]\n", escape(&b.label()));
        }
        out += "  end\n";
        let index = |name: &str| {
            let key = pattern(name);
            boxes
                .iter()
                .position(|b| b.key == key)
                .expect("every end has a box")
        };
        let mut drawn = Vec::new();
        for s in &footprint.sync {
            let arrow = (index(&s.from), index(&s.to), s.via.as_str());
            if !drawn.contains(&arrow) {
                drawn.push(arrow);
                arrows += &format!(
                    "  a{a}n{} -->|\"{}\"| a{a}n{}\n",
                    arrow.0,
                    escape(arrow.2),
                    arrow.1
                );
            }
        }
    }
    out += &arrows;
    out += "```\n";
    out
}

/// One box: every system whose name has the pattern `key`.
struct SystemBox {
    key: String,
    first: String,
    count: usize,
}

impl SystemBox {
    fn label(&self) -> String {
        if self.count > 1 {
            format!("{} ×{}", self.key, self.count)
        } else {
            self.first.clone()
        }
    }
}

/// The boxes of a footprint: its systems in order, then arrow ends that
/// name no system (the client).
fn boxes(footprint: &Footprint) -> Vec<SystemBox> {
    let mut boxes: Vec<SystemBox> = Vec::new();
    let ends = footprint.sync.iter().flat_map(|s| [&s.from, &s.to]);
    for (name, is_system) in footprint
        .systems
        .iter()
        .map(|n| (n, true))
        .chain(ends.map(|n| (n, false)))
    {
        let key = pattern(name);
        match boxes.iter_mut().find(|b| b.key == key) {
            Some(b) if is_system => b.count += 1,
            Some(_) => {}
            None => boxes.push(SystemBox {
                key,
                first: name.clone(),
                count: 1,
            }),
        }
    }
    boxes
}

/// `name` with every run of digits replaced by `*`.
fn pattern(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut digits = false;
    for c in name.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('*');
            }
            digits = true;
        } else {
            out.push(c);
            digits = false;
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SyncPath;

    #[test]
    fn numbered_systems_share_a_box_and_arrows_are_drawn_once() {
        let f = Footprint {
            systems: [
                "shard_0",
                "shard_1",
                "shard_2",
                "cache_0",
                "cache_1",
                "db",
                "docstore_1",
                "docstore_2",
            ]
            .map(String::from)
            .to_vec(),
            sync: vec![
                SyncPath::new("shard_*", "cache_*", "cache-aside"),
                SyncPath::new("client", "docstore_1", "quorum"),
                SyncPath::new("client", "docstore_2", "quorum"),
            ],
            ..Footprint::default()
        };
        let text = mermaid([("sharded", &f)]);
        assert_eq!(
            text,
            "```mermaid\nflowchart LR\n  subgraph a0[\"sharded\"]\n    a0n0[\"shard_* ×3\"]\n    \
             a0n1[\"cache_* ×2\"]\n    a0n2[\"db\"]\n    a0n3[\"docstore_* ×2\"]\n    \
             a0n4[\"client\"]\n  end\n  a0n0 -->|\"cache-aside\"| a0n1\n  \
             a0n4 -->|\"quorum\"| a0n3\n```\n"
        );
    }
}
