//! Text patterns as they appear in policies: literal text, the wildcards `*` and `?`,
//! and policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`,
//! `${*}`, `${?}`, `${$}`).
//!
//! A pattern is compiled once at parse time; matching resolves variables against the
//! request and never re-parses the policy text.

use crate::request::Request;

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Text that must appear as is (wildcard characters produced by `${*}` land here).
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    Question,
    /// `*` inside one of an ARN's first five segments, not at the segment's end: any run of
    /// characters other than `:`.
    SegmentStar,
    /// `${key}` or `${key, 'default'}`; `key` is stored lowercased.
    Var { key: String, default: Option<String> },
}

/// How the text of a pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike) or literal (StringEquals).
    pub wildcards: bool,
    /// `${...}` is a variable (policy version 2012-10-17) or literal text (2008-10-17).
    pub variables: bool,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    has_vars: bool,
}

/// A variable reference that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadVariable(pub String);

impl Pattern {
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Result<Pattern, BadVariable> {
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let Some(end) = rest.find('}') else {
                    return Err(BadVariable(rest.to_string()));
                };
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => lit.push_str(inner),
                    _ => {
                        let (key, default) = parse_variable(inner)?;
                        flush(&mut lit, &mut tokens);
                        tokens.push(Token::Var { key, default });
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut lit, &mut tokens);
                    // Consecutive stars mean the same as one.
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut lit, &mut tokens);
                    tokens.push(Token::Question);
                }
                _ => lit.push(c),
            }
        }
        flush(&mut lit, &mut tokens);
        let has_vars = tokens.iter().any(|t| matches!(t, Token::Var { .. }));
        Ok(Pattern { tokens, has_vars })
    }

    pub(crate) fn from_tokens(tokens: Vec<Token>) -> Pattern {
        let has_vars = tokens.iter().any(|t| matches!(t, Token::Var { .. }));
        Pattern { tokens, has_vars }
    }

    pub(crate) fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub fn has_variables(&self) -> bool {
        self.has_vars
    }

    /// The (lowercased) context keys of the pattern's variables.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// True when the pattern is exactly `*`.
    pub fn is_match_all(&self) -> bool {
        self.tokens == [Token::Star]
    }

    /// Matches `text` after resolving variables; `fold` lowercases the resolved variable
    /// values (the literal parts were lowercased at compile time by the caller).
    /// A variable the request does not define, with no default, makes the match fail.
    pub(crate) fn matches(&self, text: &str, req: &Request, fold: bool) -> bool {
        if !self.has_vars {
            return glob(&self.tokens, text);
        }
        match self.resolve(req, fold) {
            Some(tokens) => glob(&tokens, text),
            None => false,
        }
    }

    /// The pattern with variables replaced by their values, or None when one is undefined.
    pub(crate) fn resolve(&self, req: &Request, fold: bool) -> Option<Vec<Token>> {
        let mut out = Vec::with_capacity(self.tokens.len());
        for t in &self.tokens {
            match t {
                Token::Var { key, default } => {
                    let value = match req.variable(key) {
                        Some(v) => v.to_string(),
                        None => default.clone()?,
                    };
                    let value = if fold { value.to_lowercase() } else { value };
                    out.push(Token::Lit(value));
                }
                other => out.push(other.clone()),
            }
        }
        Some(out)
    }

    /// The resolved pattern as plain text (for equality operators, where `*` is literal).
    pub(crate) fn resolve_text(&self, req: &Request, fold: bool) -> Option<std::borrow::Cow<'_, str>> {
        if !self.has_vars {
            return Some(std::borrow::Cow::Owned(to_text(&self.tokens)));
        }
        self.resolve(req, fold).map(|t| std::borrow::Cow::Owned(to_text(&t)))
    }

    /// The literal text when the pattern has no variables and no wildcards.
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match self.tokens.as_slice() {
            [] => Some(""),
            [Token::Lit(s)] => Some(s),
            _ => None,
        }
    }
}

fn to_text(tokens: &[Token]) -> String {
    let mut s = String::new();
    for t in tokens {
        match t {
            Token::Lit(l) => s.push_str(l),
            Token::Star | Token::SegmentStar => s.push('*'),
            Token::Question => s.push('?'),
            Token::Var { .. } => {}
        }
    }
    s
}

fn flush(lit: &mut String, tokens: &mut Vec<Token>) {
    if !lit.is_empty() {
        tokens.push(Token::Lit(std::mem::take(lit)));
    }
}

/// `aws:username` or `aws:PrincipalTag/team, 'default'`.
fn parse_variable(inner: &str) -> Result<(String, Option<String>), BadVariable> {
    let bad = || BadVariable(format!("${{{inner}}}"));
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, def)) => {
            let def = def.trim();
            let quoted = def.len() >= 2 && def.starts_with('\'') && def.ends_with('\'');
            if !quoted {
                return Err(bad());
            }
            (key.trim(), Some(def[1..def.len() - 1].to_string()))
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok((key.to_ascii_lowercase(), default))
}

/// Wildcard match of resolved tokens against text (no variables left).
/// Iterative with single-star backtracking: linear in practice, never exponential.
pub(crate) fn glob(tokens: &[Token], text: &str) -> bool {
    if tokens.contains(&Token::SegmentStar) {
        return glob_sets(tokens, text);
    }
    // Fast paths for the common shapes.
    match tokens {
        [] => return text.is_empty(),
        [Token::Star] => return true,
        [Token::Lit(l)] => return l == text,
        [Token::Lit(l), Token::Star] => return text.starts_with(l.as_str()),
        [Token::Star, Token::Lit(l)] => return text.ends_with(l.as_str()),
        _ => {}
    }
    let (mut ti, mut pos) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None; // (token after star, text position)
    loop {
        if ti < tokens.len() {
            match &tokens[ti] {
                Token::Star => {
                    ti += 1;
                    backtrack = Some((ti, pos));
                    continue;
                }
                Token::Question => {
                    if let Some(c) = text[pos..].chars().next() {
                        pos += c.len_utf8();
                        ti += 1;
                        continue;
                    }
                }
                Token::Lit(l) => {
                    if text[pos..].starts_with(l.as_str()) {
                        pos += l.len();
                        ti += 1;
                        continue;
                    }
                }
                Token::Var { .. } | Token::SegmentStar => return false,
            }
        } else if pos == text.len() {
            return true;
        }
        // Mismatch: let the last star absorb one more character, or fail.
        match backtrack {
            Some((after_star, star_pos)) => {
                let Some(c) = text[star_pos..].chars().next() else { return false };
                let next = star_pos + c.len_utf8();
                backtrack = Some((after_star, next));
                ti = after_star;
                pos = next;
            }
            None => return false,
        }
    }
}

/// Wildcard match by the set of reachable text positions, token by token: handles stars
/// that may not cross `:` beside ones that may. O(tokens × text length).
fn glob_sets(tokens: &[Token], text: &str) -> bool {
    let n = text.len();
    let mut cur = vec![false; n + 1];
    let mut next = vec![false; n + 1];
    cur[0] = true;
    for token in tokens {
        next.iter_mut().for_each(|b| *b = false);
        match token {
            Token::Lit(l) => {
                for p in (0..=n).filter(|&p| cur[p]) {
                    if text[p..].starts_with(l.as_str()) {
                        next[p + l.len()] = true;
                    }
                }
            }
            Token::Question => {
                for p in (0..n).filter(|&p| cur[p]) {
                    if let Some(c) = text[p..].chars().next() {
                        next[p + c.len_utf8()] = true;
                    }
                }
            }
            Token::Star | Token::SegmentStar => {
                let stop_at_colon = *token == Token::SegmentStar;
                let mut reach = false;
                for p in 0..=n {
                    if cur[p] {
                        reach = true;
                    }
                    if reach && text.is_char_boundary(p) {
                        next[p] = true;
                    }
                    if stop_at_colon && text.as_bytes().get(p) == Some(&b':') {
                        reach = false;
                    }
                }
            }
            Token::Var { .. } => return false,
        }
        std::mem::swap(&mut cur, &mut next);
        if !cur.iter().any(|&b| b) {
            return false;
        }
    }
    cur[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::compile(s, Syntax { wildcards: true, variables: true }).unwrap()
    }

    #[test]
    fn wildcards() {
        let req = Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "*").build();
        assert!(p("a*c").matches("abbbc", &req, false));
        assert!(p("a*c").matches("ac", &req, false));
        assert!(!p("a*c").matches("acb", &req, false));
        assert!(p("a?c").matches("abc", &req, false));
        assert!(!p("a?c").matches("ac", &req, false));
        assert!(p("*a*b*").matches("xxaxxbxx", &req, false));
        assert!(p("ü?").matches("üé", &req, false));
        assert!(p("**").matches("", &req, false));
        assert!(!p("a*b*c").matches("aXbXd", &req, false));
    }

    #[test]
    fn variables_and_escapes() {
        let req = Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "*")
            .context("aws:username", "alice")
            .build();
        assert!(p("home/${aws:username}/*").matches("home/alice/x", &req, false));
        assert!(!p("home/${aws:username}/*").matches("home/bob/x", &req, false));
        assert!(!p("${aws:PrincipalTag/team}").matches("", &req, false));
        assert!(p("${aws:PrincipalTag/team, 'none'}").matches("none", &req, false));
        assert!(p("a${*}b").matches("a*b", &req, false));
        assert!(!p("a${*}b").matches("axb", &req, false));
        assert!(p("${$}{x}").matches("${x}", &req, false));
        assert!(Pattern::compile("${aws:username", Syntax { wildcards: true, variables: true }).is_err());
        let legacy = Pattern::compile("${aws:username}", Syntax { wildcards: true, variables: false }).unwrap();
        assert!(legacy.matches("${aws:username}", &req, false));
    }
}
