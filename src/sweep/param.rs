//! `--param PATH=VALUES`: a swept parameter from the command line, as a
//! range `1000..20000:1000` (inclusive, integer or decimal steps) or a list
//! `group,key` (each item a TOML value when it reads as one, else a string).

use std::str::FromStr;

/// One `--param`: a scenario path and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// Values a range may expand to.
const MAX_VALUES: usize = 10_000;

impl FromStr for Param {
    type Err = String;

    fn from_str(text: &str) -> Result<Param, String> {
        let (path, spec) = text.split_once('=').ok_or_else(|| {
            format!("\"{text}\" is not PATH=VALUES, e.g. workload.rate=1000..20000:1000")
        })?;
        let (path, spec) = (path.trim(), spec.trim());
        if text.chars().any(char::is_control) {
            return Err(format!(
                "{text:?}: a parameter is one line of text; remove the line breaks and control \
                 characters"
            ));
        }
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("\"{text}\": the path has an empty part"));
        }
        if spec.is_empty() {
            return Err(format!("\"{text}\": no values after '='"));
        }
        let values = match spec.split_once("..") {
            Some((from, rest)) => range(text, from, rest)?,
            None => spec.split(',').map(|v| value(v.trim())).collect(),
        };
        Ok(Param {
            path: path.to_string(),
            values,
        })
    }
}

/// `from..to:step`, inclusive of `to` when a step lands on it.
fn range(text: &str, from: &str, rest: &str) -> Result<Vec<toml::Value>, String> {
    let usage = || format!("\"{text}\": a range is FROM..TO:STEP, e.g. 1000..20000:1000");
    let (to, step) = rest.split_once(':').ok_or_else(usage)?;
    let integers = [from, to, step]
        .iter()
        .all(|s| s.trim().parse::<i64>().is_ok());
    let num = |s: &str| s.trim().parse::<f64>().map_err(|_| usage());
    let (a, b, step) = (num(from)?, num(to)?, num(step)?);
    let rising = step > 0.0 && a <= b && a.is_finite() && b.is_finite();
    if !rising {
        return Err(format!(
            "\"{text}\": the range must rise from FROM to TO by a positive STEP"
        ));
    }
    let n = ((b - a) / step + 1e-9).floor() as usize + 1;
    if n > MAX_VALUES {
        return Err(format!(
            "\"{text}\" expands to {n} values; at most {MAX_VALUES}"
        ));
    }
    Ok((0..n)
        .map(|i| {
            let v = a + step * i as f64;
            if integers {
                toml::Value::Integer(v.round() as i64)
            } else {
                toml::Value::Float((v * 1e9).round() / 1e9)
            }
        })
        .collect())
}

/// An item: a TOML value when it is one (number, boolean, quoted string),
/// else the text as a string (`group`, `exp(2ms)`).
fn value(item: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {item}"))
        .ok()
        .filter(|t| t.len() == 1)
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(item.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists() {
        let p: Param = "workload.rate=1000..5000:2000".parse().unwrap();
        assert_eq!(p.path, "workload.rate");
        assert_eq!(
            p.values,
            [1000, 3000, 5000].map(toml::Value::Integer).to_vec()
        );
        let p: Param = "workload.locality=0.5..1:0.25".parse().unwrap();
        assert_eq!(p.values, [0.5, 0.75, 1.0].map(toml::Value::Float).to_vec());
        let p: Param = "architecture.colocated.partition_by=group,key"
            .parse()
            .unwrap();
        assert_eq!(
            p.values,
            ["group", "key"]
                .map(|s| toml::Value::String(s.into()))
                .to_vec()
        );
        assert!("workload.rate".parse::<Param>().is_err());
        let injected = "workload.rate=1,2\n[[architecture]]\nkind = \"x\"".parse::<Param>();
        assert!(injected.unwrap_err().contains("one line of text"));
        assert!("workload.rate=5..1:1".parse::<Param>().is_err());
        assert!("workload.rate=1..5".parse::<Param>().is_err());
        assert!("workload.rate=0..1e9:1".parse::<Param>().is_err());
    }
}
