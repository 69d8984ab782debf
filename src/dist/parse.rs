//! Recursive-descent parser for the distribution syntax (see the module docs).
//! Errors carry the byte offset of the culprit so a scenario error can point
//! at the exact column.

use super::Spec;
use crate::sim::time::parse_nanos;

/// A distribution string that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid distribution \"{text}\": {message}")]
pub struct DistError {
    pub text: String,
    pub message: String,
    /// Byte offset in `text` of the part that is wrong.
    pub at: usize,
}

const EXPECTED: &str = "expected a duration (\"2ms\") or one of exp(mean), uniform(a, b), \
lognormal(p50=, p99=), lognormal(mean=, sigma=), pareto(xm=, alpha=), normal(mean, sd), \
erlang(k, mean), mix(p: dist, ...)";

pub(super) fn parse(text: &str) -> Result<Spec, DistError> {
    let mut p = Parser {
        src: text,
        pos: 0,
        depth: 0,
    };
    let spec = p.dist().map_err(|(message, at)| DistError {
        text: text.to_string(),
        message,
        at,
    })?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(DistError {
            text: text.to_string(),
            message: format!("unexpected \"{}\" after the distribution", &text[p.pos..]),
            at: p.pos,
        });
    }
    Ok(spec)
}

type PResult<T> = Result<T, (String, usize)>;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// How deep in nested `mix(…)` the parser is.
    depth: usize,
}

/// The deepest nesting of `mix(…)` accepted.
const MAX_DEPTH: usize = 16;

/// One argument of a call: optional `name=`, its raw text, where it starts.
struct Arg<'a> {
    name: Option<&'a str>,
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.rest().chars().next() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn eat(&mut self, ch: char) -> bool {
        self.skip_ws();
        if self.rest().starts_with(ch) {
            self.pos += ch.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, ch: char, what: &str) -> PResult<()> {
        if self.eat(ch) {
            Ok(())
        } else {
            Err((format!("expected '{ch}' {what}"), self.pos))
        }
    }

    /// Raw token up to the next delimiter: a number, a duration or a name.
    fn token(&mut self) -> (&'a str, usize) {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| matches!(c, ',' | ')' | '(' | '=' | ':') || c.is_whitespace())
            .unwrap_or(self.rest().len());
        self.pos += len;
        (&self.src[start..start + len], start)
    }

    fn dist(&mut self) -> PResult<Spec> {
        let (head, at) = self.token();
        if head.is_empty() {
            return Err((EXPECTED.to_string(), at));
        }
        self.skip_ws();
        if !self.rest().starts_with('(') {
            // A bare duration is a constant.
            return duration(head, at).map(Spec::Constant);
        }
        self.pos += 1;
        if head == "mix" {
            if self.depth == MAX_DEPTH {
                return Err((
                    format!("mix(…) nested more than {MAX_DEPTH} deep; flatten it"),
                    at,
                ));
            }
            self.depth += 1;
            let spec = self.mix(at);
            self.depth -= 1;
            return spec;
        }
        let args = self.args()?;
        build(head, at, &args)
    }

    fn args(&mut self) -> PResult<Vec<Arg<'a>>> {
        let mut args = Vec::new();
        if self.eat(')') {
            return Ok(args);
        }
        loop {
            let (first, at) = self.token();
            let arg = if self.eat('=') {
                let (text, vat) = self.token();
                Arg {
                    name: Some(first),
                    text,
                    at: vat,
                }
            } else {
                Arg {
                    name: None,
                    text: first,
                    at,
                }
            };
            if arg.text.is_empty() {
                return Err(("expected a value".to_string(), arg.at));
            }
            args.push(arg);
            if self.eat(')') {
                return Ok(args);
            }
            self.expect(',', "between arguments or ')' to close")?;
        }
    }

    fn mix(&mut self, at: usize) -> PResult<Spec> {
        let mut parts = Vec::new();
        loop {
            let (p_text, p_at) = self.token();
            let p = number(p_text, p_at)?;
            if !(0.0..=1.0).contains(&p) {
                return Err((format!("probability {p} is outside [0, 1]"), p_at));
            }
            self.expect(
                ':',
                "after a mix probability, as in mix(0.99: 1ms, 0.01: exp(1s))",
            )?;
            let part = self.dist()?;
            parts.push((p, part));
            if self.eat(')') {
                break;
            }
            self.expect(',', "between mix parts or ')' to close")?;
        }
        let total: f64 = parts.iter().map(|(p, _)| p).sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err((format!("mix probabilities sum to {total}, expected 1"), at));
        }
        Ok(Spec::Mix(parts))
    }
}

fn number(text: &str, at: usize) -> PResult<f64> {
    match text.replace('_', "").parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err((format!("expected a number, found \"{text}\""), at)),
    }
}

fn duration(text: &str, at: usize) -> PResult<f64> {
    parse_nanos(text).map_err(|e| (e.message, at + e.at))
}

/// Builds a named distribution from its arguments, checking each parameter.
fn build(name: &str, at: usize, args: &[Arg<'_>]) -> PResult<Spec> {
    let sig = |s: &str| format!("{name} takes {s}");
    // Looks an argument up by name, or by position when unnamed.
    let get = |key: &str, index: usize| -> Option<&Arg<'_>> {
        args.iter()
            .find(|a| a.name == Some(key))
            .or_else(|| args.get(index).filter(|a| a.name.is_none()))
    };
    let need = |key: &str, index: usize, usage: &str| -> PResult<&Arg<'_>> {
        get(key, index).ok_or_else(|| (sig(usage), at))
    };
    let check_names = |allowed: &[&str], usage: &str| -> PResult<()> {
        for a in args {
            if let Some(n) = a.name {
                if !allowed.contains(&n) {
                    return Err((format!("unknown parameter \"{n}\"; {}", sig(usage)), a.at));
                }
            }
        }
        if args.len() > allowed.len() {
            return Err((
                format!("too many arguments; {}", sig(usage)),
                args[allowed.len()].at,
            ));
        }
        Ok(())
    };
    let positive = |v: f64, a: &Arg<'_>, what: &str| -> PResult<f64> {
        if v > 0.0 {
            Ok(v)
        } else {
            Err((format!("{what} must be greater than 0"), a.at))
        }
    };

    match name {
        "exp" => {
            let usage = "one argument, the mean: exp(2ms)";
            check_names(&["mean"], usage)?;
            let a = need("mean", 0, usage)?;
            Ok(Spec::Exp {
                mean: duration(a.text, a.at)?,
            })
        }
        "uniform" => {
            let usage = "two durations: uniform(1ms, 3ms)";
            check_names(&["min", "max"], usage)?;
            let (a, b) = (need("min", 0, usage)?, need("max", 1, usage)?);
            let (low, high) = (duration(a.text, a.at)?, duration(b.text, b.at)?);
            if high < low {
                return Err(("the upper bound is below the lower bound".to_string(), b.at));
            }
            Ok(Spec::Uniform { low, high })
        }
        "lognormal" => {
            let usage = "either (p50=…, p99=…) or (mean=…, sigma=…)";
            if get("p50", usize::MAX).is_some() || get("p99", usize::MAX).is_some() {
                check_names(&["p50", "p99"], usage)?;
                let (a, b) = (
                    need("p50", usize::MAX, usage)?,
                    need("p99", usize::MAX, usage)?,
                );
                let p50 = positive(duration(a.text, a.at)?, a, "p50")?;
                let p99 = duration(b.text, b.at)?;
                if p99 <= p50 {
                    return Err(("p99 must be greater than p50".to_string(), b.at));
                }
                Ok(Spec::LogNormalPercentiles { p50, p99 })
            } else {
                check_names(&["mean", "sigma"], usage)?;
                let (a, b) = (
                    need("mean", usize::MAX, usage)?,
                    need("sigma", usize::MAX, usage)?,
                );
                let mean = positive(duration(a.text, a.at)?, a, "mean")?;
                let sigma = number(b.text, b.at)?;
                if !(0.0..=10.0).contains(&sigma) {
                    return Err(("sigma must be between 0 and 10".to_string(), b.at));
                }
                Ok(Spec::LogNormal { mean, sigma })
            }
        }
        "pareto" => {
            let usage = "(xm=…, alpha=…)";
            check_names(&["xm", "alpha"], usage)?;
            let (a, b) = (need("xm", 0, usage)?, need("alpha", 1, usage)?);
            let xm = positive(duration(a.text, a.at)?, a, "xm")?;
            let alpha = positive(number(b.text, b.at)?, b, "alpha")?;
            Ok(Spec::Pareto { xm, alpha })
        }
        "normal" => {
            let usage = "(mean, sd): normal(1ms, 0.2ms)";
            check_names(&["mean", "sd"], usage)?;
            let (a, b) = (need("mean", 0, usage)?, need("sd", 1, usage)?);
            let mean = positive(duration(a.text, a.at)?, a, "mean")?;
            let sd = duration(b.text, b.at)?;
            Ok(Spec::Normal { mean, sd })
        }
        "erlang" => {
            let usage = "(k, mean): erlang(4, 2ms)";
            check_names(&["k", "mean"], usage)?;
            let (a, b) = (need("k", 0, usage)?, need("mean", 1, usage)?);
            let k = a
                .text
                .parse::<u32>()
                .ok()
                .filter(|k| (1..=1000).contains(k))
                .ok_or_else(|| ("k must be a whole number from 1 to 1000".to_string(), a.at))?;
            Ok(Spec::Erlang {
                k,
                mean: duration(b.text, b.at)?,
            })
        }
        _ => Err((format!("unknown distribution \"{name}\"; {EXPECTED}"), at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> DistError {
        parse(text).unwrap_err()
    }

    #[test]
    fn reads_every_form() {
        assert_eq!(parse("2ms").unwrap(), Spec::Constant(2e6));
        assert_eq!(parse(" exp( 2ms ) ").unwrap(), Spec::Exp { mean: 2e6 });
        assert_eq!(parse("exp(mean=2ms)").unwrap(), Spec::Exp { mean: 2e6 });
        assert_eq!(
            parse("lognormal(p99=8ms, p50=1ms)").unwrap(),
            Spec::LogNormalPercentiles { p50: 1e6, p99: 8e6 }
        );
        assert_eq!(
            parse("erlang(2, 1ms)").unwrap(),
            Spec::Erlang { k: 2, mean: 1e6 }
        );
        assert_eq!(
            parse("mix(0.99: 1ms, 0.01: exp(1s))").unwrap(),
            Spec::Mix(vec![
                (0.99, Spec::Constant(1e6)),
                (0.01, Spec::Exp { mean: 1e9 })
            ])
        );
    }

    #[test]
    fn errors_point_at_the_culprit() {
        let e = err("exp(2mz)");
        assert_eq!(e.at, 5);
        assert!(e.message.contains("unknown time unit \"mz\""), "{e}");

        let e = err("expo(2ms)");
        assert_eq!(e.at, 0);
        assert!(e.message.contains("unknown distribution \"expo\""), "{e}");

        let e = err("lognormal(p50=5ms, p99=1ms)");
        assert_eq!(e.at, 23);
        assert!(e.message.contains("p99 must be greater than p50"), "{e}");

        let e = err("mix(0.5: 1ms, 0.4: 2ms)");
        assert!(e.message.contains("sum to 0.9"), "{e}");

        let e = err("exp(2ms");
        assert!(e.message.contains("expected ','"), "{e}");

        let e = err("uniform(3ms, 1ms)");
        assert_eq!(e.at, 13);

        let e = err("exp(2ms) x");
        assert_eq!(e.at, 9);

        let e = err("");
        assert!(e.message.contains("expected a duration"), "{e}");

        let e = err("erlang(0, 1ms)");
        assert!(e.message.contains("k must be"), "{e}");

        let e = err("pareto(xm=1ms, beta=2)");
        assert!(e.message.contains("unknown parameter \"beta\""), "{e}");
    }
}
