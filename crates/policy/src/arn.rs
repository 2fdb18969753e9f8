//! Amazon Resource Names (`arn:partition:service:region:account:resource`) and ARN
//! patterns. Per the IAM Resource element documentation, wildcards work within a segment,
//! and "if the * wildcard is the last character of a resource ARN segment, it can expand to
//! match beyond the colon boundaries"; a `*` elsewhere in one of the first five segments
//! stays inside it. In the resource part (after the fifth colon) `*` matches anything.

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

/// An ARN pattern: the compiled text with each `*` marked as crossing colons or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern(Pattern);

impl ArnPattern {
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.0.variable_keys()
    }

    pub(crate) fn from_pattern(whole: Pattern) -> ArnPattern {
        let starts_arn = matches!(whole.tokens().first(), Some(Token::Lit(l)) if l.starts_with("arn:"));
        if !starts_arn {
            return ArnPattern(whole);
        }
        let tokens = whole.tokens();
        let mut out = Vec::with_capacity(tokens.len());
        let mut colons = 0usize;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Token::Lit(l) => {
                    colons += l.matches(':').count();
                    out.push(token.clone());
                }
                Token::Star if colons < 5 => {
                    let ends_segment = match tokens.get(i + 1) {
                        None => true,
                        Some(Token::Lit(next)) => next.starts_with(':'),
                        Some(_) => false,
                    };
                    out.push(if ends_segment { Token::Star } else { Token::SegmentStar });
                }
                other => out.push(other.clone()),
            }
        }
        ArnPattern(Pattern::from_tokens(out))
    }

    pub(crate) fn matches(&self, text: &str, req: &Request) -> bool {
        self.0.matches(text, req, false)
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
    fn segment_wildcards() {
        let req = Request::builder("arn:aws:iam::111111111111:user/a", "s3:GetObject", "*").build();
        assert!(pat("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket/a/b:c", &req));
        assert!(!pat("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket2/a", &req));
        assert!(pat("arn:aws:sqs:*:111111111111:*").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        // A star that ends its segment may expand beyond the colons (IAM Resource element doc)…
        assert!(pat("arn:aws:sqs:*:q").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        assert!(pat("arn:aws:*").matches("arn:aws:s3:::bucket", &req));
        assert!(pat("arn:aws:secretsmanager:us-east-1:*:edgeward/*")
            .matches("arn:aws:secretsmanager:us-east-1:222222222222:secret:edgeward/x", &req));
        // …one inside a segment stays inside it.
        assert!(!pat("arn:aws:sqs:us-*1:q").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        assert!(pat("arn:aws:sqs:us-*-1:111111111111:q").matches("arn:aws:sqs:us-east-1:111111111111:q", &req));
        assert!(!pat("arn:aws:sqs:*t:111111111111:q").matches("arn:aws:sqs:us-east:1:111111111111:q", &req));
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
