//! Amazon Resource Names: `arn:partition:service:region:account:resource`, and ARN
//! patterns matched segment by segment (a wildcard never crosses the `:` between the
//! first five segments; inside the resource segment it may cross `/` and `:`).

use crate::pattern::{Pattern, Token};
use crate::request::Request;

/// A parsed ARN, borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        if partition.is_empty() || service.is_empty() {
            return None;
        }
        Some(Arn { partition, service, region, account, resource })
    }
}

/// An ARN pattern: six segment patterns, or one pattern over the whole text when the
/// text is not ARN-shaped (`*`, or something validation would reject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// Up to six segments; they must meet as many segments of the text (split into at most
    /// six, the last keeping its colons), so a short pattern never stretches across.
    Segments(Vec<Pattern>),
    Whole(Pattern),
}

impl ArnPattern {
    /// Splits a compiled pattern at the literal colons of its first five segments.
    pub(crate) fn from_pattern(whole: Pattern) -> ArnPattern {
        let starts_arn = matches!(whole.tokens().first(), Some(Token::Lit(l)) if l.starts_with("arn:"));
        if !starts_arn {
            return ArnPattern::Whole(whole);
        }
        let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
        for token in whole.tokens() {
            match token {
                Token::Lit(l) if segments.len() < 6 => {
                    let mut rest = l.as_str();
                    while let Some(i) = rest.find(':').filter(|_| segments.len() < 6) {
                        if i > 0 {
                            segments.last_mut().unwrap().push(Token::Lit(rest[..i].to_string()));
                        }
                        segments.push(Vec::new());
                        rest = &rest[i + 1..];
                    }
                    if !rest.is_empty() {
                        segments.last_mut().unwrap().push(Token::Lit(rest.to_string()));
                    }
                }
                other => segments.last_mut().unwrap().push(other.clone()),
            }
        }
        ArnPattern::Segments(segments.into_iter().map(Pattern::from_tokens).collect())
    }

    pub(crate) fn matches(&self, text: &str, req: &Request) -> bool {
        match self {
            ArnPattern::Whole(p) => p.matches(text, req, false),
            ArnPattern::Segments(segs) => {
                let mut parts = text.splitn(6, ':');
                let all = segs.iter().all(|seg| match parts.next() {
                    Some(part) => seg.matches(part, req, false),
                    None => false,
                });
                all && parts.next().is_none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Syntax;

    fn pat(s: &str) -> ArnPattern {
        ArnPattern::from_pattern(Pattern::compile(s, Syntax { wildcards: true, variables: true }).unwrap())
    }

    #[test]
    fn segments_do_not_cross() {
        let req = Request::builder("arn:aws:iam::111111111111:user/a", "s3:GetObject", "*").build();
        assert!(pat("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket/a/b:c", &req));
        assert!(!pat("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket2/a", &req));
        assert!(pat("arn:aws:sqs:*:111111111111:*").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        // A star in the region segment cannot swallow the account separator.
        assert!(!pat("arn:aws:sqs:*:q").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        assert!(!pat("arn:aws:*").matches("arn:aws:s3:::bucket", &req));
        assert!(pat("*").matches("arn:aws:s3:::bucket", &req));
        assert!(pat("arn:aws:iam::*:role/edgeward-edge-*").matches("arn:aws:iam::222222222222:role/edgeward-edge-x", &req));
    }

    #[test]
    fn variables_keep_their_colons() {
        let req = Request::builder("arn:aws:iam::111111111111:user/a", "s3:GetObject", "*")
            .context("aws:PrincipalTag/p", "x:y")
            .build();
        assert!(pat("arn:aws:s3:::b/${aws:PrincipalTag/p}").matches("arn:aws:s3:::b/x:y", &req));
    }
}
