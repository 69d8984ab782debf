//! `[sweep]`: parameters to vary, each a scenario path (as `--set` takes
//! it) with a list of values. The points are the cartesian product, in file
//! order: the first path varies slowest. Every point runs every
//! architecture on the same seed, so points differ only by what is swept
//! (common random numbers).
//!
//! ```toml
//! [sweep]
//! "workload.locality" = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
//! "architecture.colocated.partition_by" = ["group", "key"]
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::Override;

/// The most points a sweep may expand to.
pub const MAX_POINTS: usize = 10_000;

/// Swept paths and their values, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sweep(pub Vec<(String, Vec<toml::Value>)>);

/// One point of a sweep: the value of each swept path.
pub type Point = BTreeMap<String, String>;

impl Sweep {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many points the sweep expands to (1 without a sweep).
    pub fn len(&self) -> usize {
        self.0
            .iter()
            .map(|(_, values)| values.len())
            .fold(1usize, |n, k| n.saturating_mul(k))
    }

    /// Every point as its overrides, first path slowest.
    pub fn points(&self) -> Vec<Vec<Override>> {
        let mut points: Vec<Vec<Override>> = vec![Vec::new()];
        for (path, values) in &self.0 {
            points = points
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut p = p.clone();
                        p.push(Override {
                            path: path.split('.').map(str::to_string).collect(),
                            value: v.clone(),
                            text: format!("{path}={v}"),
                        });
                        p
                    })
                })
                .collect();
        }
        points
    }

    /// A point's label: each swept path and its value as written.
    pub fn label(point: &[Override]) -> Point {
        point
            .iter()
            .map(|o| (o.path.join("."), display(&o.value)))
            .collect()
    }
}

/// A value as a reader writes it: strings without quotes.
pub fn display(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Serialize for Sweep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (path, values) in &self.0 {
            map.serialize_entry(path, values)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Sweep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Sweep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a table of scenario paths to lists of values, e.g. \
                     \"workload.rate\" = [1000, 2000]",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sweep, A::Error> {
                use serde::de::Error;
                let mut out = Vec::new();
                while let Some((path, values)) = map.next_entry::<String, toml::Value>()? {
                    let toml::Value::Array(values) = values else {
                        return Err(A::Error::custom(format!(
                            "sweep \"{path}\": expected a list of values, e.g. [1, 2, 3]"
                        )));
                    };
                    if values.is_empty() {
                        return Err(A::Error::custom(format!(
                            "sweep \"{path}\": the list of values is empty"
                        )));
                    }
                    out.push((path, values));
                }
                Ok(Sweep(out))
            }
        }
        d.deserialize_map(InOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_the_product_with_the_first_path_slowest() {
        let sweep: Sweep = toml::from_str("a = [1, 2]\n\"b.c\" = [\"x\", \"y\", \"z\"]\n").unwrap();
        assert_eq!(sweep.len(), 6);
        let labels: Vec<String> = sweep
            .points()
            .iter()
            .map(|p| {
                let l = Sweep::label(p);
                format!("{}{}", l["a"], l["b.c"])
            })
            .collect();
        assert_eq!(labels, ["1x", "1y", "1z", "2x", "2y", "2z"]);
    }
}
