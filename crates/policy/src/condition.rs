//! Condition operators and their evaluation: the operator families, `…IfExists`,
//! `ForAllValues:` / `ForAnyValue:`, and the documented treatment of missing and empty keys.

use std::net::IpAddr;

use crate::arn::ArnPattern;
use crate::pattern::{Pattern, Syntax};
use crate::request::Request;
use crate::values::{decode_base64, parse_date, parse_number, Cidr};

/// The comparison an operator makes, before negation, `IfExists` and set qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// As written in the policy.
    pub name: String,
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetQualifier>,
}

impl Operator {
    /// Reads an operator name; None for an unknown operator.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (rest, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        use Base::*;
        let (base, negated) = match rest.to_ascii_lowercase().as_str() {
            "stringequals" => (StringEquals, false),
            "stringnotequals" => (StringEquals, true),
            "stringequalsignorecase" => (StringEqualsIgnoreCase, false),
            "stringnotequalsignorecase" => (StringEqualsIgnoreCase, true),
            "stringlike" => (StringLike, false),
            "stringnotlike" => (StringLike, true),
            "numericequals" => (NumericEquals, false),
            "numericnotequals" => (NumericEquals, true),
            "numericlessthan" => (NumericLessThan, false),
            "numericlessthanequals" => (NumericLessThanEquals, false),
            "numericgreaterthan" => (NumericGreaterThan, false),
            "numericgreaterthanequals" => (NumericGreaterThanEquals, false),
            "dateequals" => (DateEquals, false),
            "datenotequals" => (DateEquals, true),
            "datelessthan" => (DateLessThan, false),
            "datelessthanequals" => (DateLessThanEquals, false),
            "dategreaterthan" => (DateGreaterThan, false),
            "dategreaterthanequals" => (DateGreaterThanEquals, false),
            "bool" => (Bool, false),
            "binaryequals" => (BinaryEquals, false),
            "ipaddress" => (IpAddress, false),
            "notipaddress" => (IpAddress, true),
            "arnequals" | "arnlike" => (ArnLike, false),
            "arnnotequals" | "arnnotlike" => (ArnLike, true),
            "null" => (Null, false),
            _ => return None,
        };
        if base == Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator { name: name.to_string(), base, negated, if_exists, set })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    (tail.eq_ignore_ascii_case(suffix) && cut > 0).then(|| &s[..cut])
}

/// The policy's values for one key, compiled for the operator's family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Compiled {
    /// String operators: patterns (wildcards only for `StringLike`; lowercased for `IgnoreCase`).
    Strings(Vec<Pattern>),
    Numbers(Vec<f64>),
    Dates(Vec<i128>),
    Bools(Vec<String>),
    Binary(Vec<Vec<u8>>),
    Cidrs(Vec<Cidr>),
    Arns(Vec<ArnPattern>),
    /// `Null`: true means "the key must be absent".
    Null(Vec<bool>),
}

/// A problem with one condition value, found at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue {
    pub value: String,
    pub expected: &'static str,
}

impl Compiled {
    /// The (lowercased) context keys of the policy variables in the values: only string
    /// and ARN operators read variables.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &str> {
        let (strings, arns): (&[Pattern], &[ArnPattern]) = match self {
            Compiled::Strings(p) => (p, &[]),
            Compiled::Arns(a) => (&[], a),
            _ => (&[], &[]),
        };
        strings.iter().flat_map(Pattern::variable_keys).chain(arns.iter().flat_map(ArnPattern::variable_keys))
    }

    pub(crate) fn compile(op: &Operator, values: &[String], variables: bool) -> Result<Compiled, BadValue> {
        let bad = |v: &String, expected| BadValue { value: v.clone(), expected };
        let each = |f: &dyn Fn(&String) -> Option<()>, expected| -> Result<(), BadValue> {
            values.iter().try_for_each(|v| f(v).ok_or_else(|| bad(v, expected)))
        };
        Ok(match op.base {
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike => {
                let syntax = Syntax { wildcards: op.base == Base::StringLike, variables };
                let fold = op.base == Base::StringEqualsIgnoreCase;
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    let text = if fold { v.to_lowercase() } else { v.clone() };
                    out.push(Pattern::compile(&text, syntax).map_err(|_| bad(v, "a valid policy variable"))?);
                }
                Compiled::Strings(out)
            }
            Base::NumericEquals
            | Base::NumericLessThan
            | Base::NumericLessThanEquals
            | Base::NumericGreaterThan
            | Base::NumericGreaterThanEquals => {
                each(&|v| parse_number(v).map(drop), "a number")?;
                Compiled::Numbers(values.iter().filter_map(|v| parse_number(v)).collect())
            }
            Base::DateEquals
            | Base::DateLessThan
            | Base::DateLessThanEquals
            | Base::DateGreaterThan
            | Base::DateGreaterThanEquals => {
                each(&|v| parse_date(v).map(drop), "an ISO 8601 date or epoch seconds")?;
                Compiled::Dates(values.iter().filter_map(|v| parse_date(v)).collect())
            }
            Base::Bool => Compiled::Bools(values.iter().map(|v| v.to_ascii_lowercase()).collect()),
            Base::BinaryEquals => {
                each(&|v| decode_base64(v).map(drop), "base64-encoded bytes")?;
                Compiled::Binary(values.iter().filter_map(|v| decode_base64(v)).collect())
            }
            Base::IpAddress => {
                each(&|v| Cidr::parse(v).map(drop), "an IP address or CIDR block")?;
                Compiled::Cidrs(values.iter().filter_map(|v| Cidr::parse(v)).collect())
            }
            Base::ArnLike => {
                let syntax = Syntax { wildcards: true, variables };
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    let p = Pattern::compile(v, syntax).map_err(|_| bad(v, "a valid policy variable"))?;
                    out.push(ArnPattern::from_pattern(p));
                }
                Compiled::Arns(out)
            }
            Base::Null => {
                each(
                    &|v| (v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")).then_some(()),
                    "true or false",
                )?;
                Compiled::Null(values.iter().map(|v| v.eq_ignore_ascii_case("true")).collect())
            }
        })
    }

    /// Does one request value match any of the policy's values (before negation)?
    fn any_matches(&self, base: Base, actual: &str, req: &Request) -> bool {
        match self {
            Compiled::Strings(patterns) => {
                if base == Base::StringEqualsIgnoreCase {
                    let lower = actual.to_lowercase();
                    patterns.iter().any(|p| string_equals(p, &lower, req, true))
                } else if base == Base::StringLike {
                    patterns.iter().any(|p| p.matches(actual, req, false))
                } else {
                    patterns.iter().any(|p| string_equals(p, actual, req, false))
                }
            }
            Compiled::Numbers(expected) => match parse_number(actual) {
                Some(a) => expected.iter().any(|e| compare(base, a.partial_cmp(e))),
                None => false,
            },
            Compiled::Dates(expected) => match parse_date(actual) {
                Some(a) => expected.iter().any(|e| compare(base, Some(a.cmp(e)))),
                None => false,
            },
            Compiled::Bools(expected) => expected.iter().any(|e| e.eq_ignore_ascii_case(actual.trim())),
            Compiled::Binary(expected) => match decode_base64(actual) {
                Some(a) => expected.contains(&a),
                None => false,
            },
            Compiled::Cidrs(nets) => match actual.trim().parse::<IpAddr>() {
                Ok(ip) => nets.iter().any(|n| n.contains(&ip)),
                Err(_) => false,
            },
            Compiled::Arns(patterns) => {
                crate::arn::Arn::parse(actual).is_some() && patterns.iter().any(|p| p.matches(actual, req))
            }
            Compiled::Null(_) => false,
        }
    }
}

fn string_equals(p: &Pattern, actual: &str, req: &Request, fold: bool) -> bool {
    match p.as_literal() {
        Some(lit) => lit == actual,
        None => p.resolve_text(req, fold).is_some_and(|t| t == actual),
    }
}

fn compare(base: Base, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    let Some(ord) = ord else { return false };
    match base {
        Base::NumericEquals | Base::DateEquals => ord == Equal,
        Base::NumericLessThan | Base::DateLessThan => ord == Less,
        Base::NumericLessThanEquals | Base::DateLessThanEquals => ord != Greater,
        Base::NumericGreaterThan | Base::DateGreaterThan => ord == Greater,
        Base::NumericGreaterThanEquals | Base::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

/// One condition: an operator applied to one key with one or more values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    pub(crate) key_lower: String,
    /// The values as written (JSON numbers and booleans as their text).
    pub values: Vec<String>,
    pub(crate) compiled: Compiled,
}

impl Condition {
    /// Evaluates the condition against the request, following the IAM documentation:
    /// several values are ORed; a missing key fails a positive operator and passes a
    /// negated one; `IfExists` passes when the key is missing; `ForAnyValue` fails on a
    /// missing or empty key, `ForAllValues` passes on one.
    pub fn evaluate(&self, req: &Request) -> bool {
        let op = &self.operator;
        let actual = req.get(&self.key_lower).map(|v| v.values()).filter(|v| !v.is_empty());
        if let Compiled::Null(expected) = &self.compiled {
            let absent = actual.is_none();
            return expected.contains(&absent);
        }
        let Some(actual) = actual else {
            return match op.set {
                _ if op.if_exists => true,
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.negated,
            };
        };
        let one = |v: &String| self.compiled.any_matches(op.base, v, req) != op.negated;
        match op.set {
            Some(SetQualifier::ForAllValues) => actual.iter().all(one),
            Some(SetQualifier::ForAnyValue) => actual.iter().any(one),
            // Without a qualifier, a negated operator holds when no request value matches.
            None if op.negated => !actual.iter().any(|v| self.compiled.any_matches(op.base, v, req)),
            None => actual.iter().any(|v| self.compiled.any_matches(op.base, v, req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let operator = Operator::parse(op).unwrap();
        let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        let compiled = Compiled::compile(&operator, &values, true).unwrap();
        Condition { operator, key: key.into(), key_lower: key.to_ascii_lowercase(), values, compiled }
    }

    fn req() -> crate::request::RequestBuilder {
        Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "*")
    }

    #[test]
    fn missing_keys() {
        let r = req().build();
        assert!(!cond("StringEquals", "aws:x", &["a"]).evaluate(&r));
        assert!(cond("StringNotEquals", "aws:x", &["a"]).evaluate(&r));
        assert!(cond("StringEqualsIfExists", "aws:x", &["a"]).evaluate(&r));
        assert!(cond("ForAllValues:StringEquals", "aws:x", &["a"]).evaluate(&r));
        assert!(!cond("ForAnyValue:StringEquals", "aws:x", &["a"]).evaluate(&r));
        assert!(cond("Null", "aws:x", &["true"]).evaluate(&r));
        assert!(!cond("Null", "aws:x", &["false"]).evaluate(&r));
    }

    #[test]
    fn set_operators() {
        let r = req().context_multi("aws:TagKeys", ["a", "b"]).build();
        assert!(cond("ForAllValues:StringEquals", "aws:tagkeys", &["a", "b", "c"]).evaluate(&r));
        assert!(!cond("ForAllValues:StringEquals", "aws:TagKeys", &["a"]).evaluate(&r));
        assert!(cond("ForAnyValue:StringEquals", "aws:TagKeys", &["b"]).evaluate(&r));
        assert!(cond("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"]).evaluate(&r));
        assert!(!cond("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"]).evaluate(&r));
        let empty = req().context_multi("aws:TagKeys", Vec::<String>::new()).build();
        assert!(cond("ForAllValues:StringEquals", "aws:TagKeys", &["z"]).evaluate(&empty));
        assert!(!cond("ForAnyValue:StringEquals", "aws:TagKeys", &["z"]).evaluate(&empty));
    }

    #[test]
    fn typed_families() {
        let r = req()
            .context("aws:SourceIp", "10.1.2.3")
            .context("aws:CurrentTime", "2026-01-01T00:00:00Z")
            .context("aws:MultiFactorAuthAge", "300")
            .context("aws:SecureTransport", "true")
            .context("aws:SourceArn", "arn:aws:sqs:us-east-1:111111111111:q")
            .build();
        assert!(cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]).evaluate(&r));
        assert!(cond("NotIpAddress", "aws:SourceIp", &["192.168.0.0/16"]).evaluate(&r));
        assert!(cond("DateGreaterThan", "aws:CurrentTime", &["2025-12-31"]).evaluate(&r));
        assert!(cond("NumericLessThan", "aws:MultiFactorAuthAge", &["3600"]).evaluate(&r));
        assert!(!cond("NumericGreaterThan", "aws:MultiFactorAuthAge", &["3600"]).evaluate(&r));
        assert!(cond("Bool", "aws:SecureTransport", &["True"]).evaluate(&r));
        assert!(cond("ArnLike", "aws:SourceArn", &["arn:aws:sqs:*:111111111111:*"]).evaluate(&r));
        assert!(cond("ArnNotEquals", "aws:SourceArn", &["arn:aws:sqs:*:222222222222:*"]).evaluate(&r));
        assert!(cond("StringEqualsIgnoreCase", "aws:SecureTransport", &["TRUE"]).evaluate(&r));
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("StringEqualz").is_none());
    }
}
