//! The request being authorized, as data: who, what action, which resource, and the
//! context keys. Time and every other environmental fact come in here: the engine reads
//! no clock and fills in no key by itself.

use std::borrow::Cow;

use crate::arn::Arn;

/// A context key's value: one string, or several (multi-valued keys such as `aws:TagKeys`).
/// Typed operators (numeric, date, IP, bool) parse the strings when they compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// What kind of principal sends the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// The account root user (`arn:aws:iam::A:root`).
    Root,
    /// An IAM user.
    User,
    /// An assumed-role session (`arn:aws:sts::A:assumed-role/Role/session`).
    RoleSession,
    /// A federated user session from GetFederationToken.
    FederatedUser,
    /// An AWS service principal (`s3.amazonaws.com`).
    Service,
    /// An unsigned request.
    Anonymous,
    /// Anything else (a web identity or SAML provider, a canonical user id).
    Other,
}

/// The principal making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub arn: String,
    pub kind: PrincipalKind,
    pub account: Option<String>,
    /// For a role session: the role's ARN (with its path when known).
    pub role_arn: Option<String>,
}

impl Principal {
    /// Reads a principal from its ARN or name. Sessions get the role ARN without a path;
    /// use [`Principal::with_role_arn`] where the path is known.
    pub fn parse(text: &str) -> Principal {
        let text = text.trim();
        if text.is_empty() || text == "*" || text.eq_ignore_ascii_case("anonymous") {
            return Principal { arn: "*".into(), kind: PrincipalKind::Anonymous, account: None, role_arn: None };
        }
        if let Some(arn) = Arn::parse(text) {
            let account = Some(arn.account.to_string()).filter(|a| !a.is_empty());
            let (kind, role_arn) = match (arn.service, arn.resource) {
                ("iam", "root") => (PrincipalKind::Root, None),
                ("iam", r) if r.starts_with("user/") => (PrincipalKind::User, None),
                ("sts", r) if r.starts_with("assumed-role/") => {
                    let role = r["assumed-role/".len()..].split('/').next().unwrap_or("");
                    let role_arn = format!("arn:{}:iam::{}:role/{}", arn.partition, arn.account, role);
                    (PrincipalKind::RoleSession, Some(role_arn))
                }
                ("sts", r) if r.starts_with("federated-user/") => (PrincipalKind::FederatedUser, None),
                _ => (PrincipalKind::Other, None),
            };
            return Principal { arn: text.to_string(), kind, account, role_arn };
        }
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Principal {
                arn: format!("arn:aws:iam::{text}:root"),
                kind: PrincipalKind::Root,
                account: Some(text.to_string()),
                role_arn: None,
            };
        }
        if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
            return Principal { arn: text.to_string(), kind: PrincipalKind::Service, account: None, role_arn: None };
        }
        Principal { arn: text.to_string(), kind: PrincipalKind::Other, account: None, role_arn: None }
    }

    /// Sets the role ARN of a session (the session ARN does not carry the role's path).
    pub fn with_role_arn(mut self, role_arn: impl Into<String>) -> Principal {
        self.role_arn = Some(role_arn.into());
        self
    }

    pub fn anonymous() -> Principal {
        Principal::parse("*")
    }
}

/// A request to authorize. Build it once per call; policies are compiled separately and
/// shared across calls.
#[derive(Debug, Clone)]
pub struct Request {
    pub principal: Principal,
    /// `service:Action` as given.
    pub action: String,
    /// Lowercased action, matched against lowercased Action patterns.
    pub(crate) action_lower: String,
    /// Resource ARN, or `*` for actions without a resource.
    pub resource: String,
    /// The account that owns the resource, when known.
    pub resource_account: Option<String>,
    /// Context keys in their original spelling (kept for traces), each at most once
    /// (compared ASCII case-insensitively), with their values. A request has a few dozen
    /// keys at most: a linear scan finds one faster than hashing a lowercased copy, and
    /// the fixed global keys need no allocation (`RequestBuilder::insert_static`).
    context: Vec<(Cow<'static, str>, ContextValue)>,
}

impl Request {
    pub fn builder(principal: &str, action: &str, resource: &str) -> RequestBuilder {
        RequestBuilder::new(Principal::parse(principal), action, resource)
    }

    /// A context key's value; `key` is case-insensitive.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
    }

    /// The value of a policy variable: single-valued context keys only.
    pub(crate) fn variable(&self, key_lower: &str) -> Option<&str> {
        match self.get(key_lower)? {
            ContextValue::Single(s) => Some(s),
            ContextValue::Multi(v) if v.len() == 1 => Some(&v[0]),
            ContextValue::Multi(_) => None,
        }
    }

    /// Context keys with their original spelling.
    pub fn context(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.context.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// True when the principal's account owns the resource.
    pub fn is_same_account(&self) -> bool {
        match (&self.principal.account, &self.resource_account) {
            (Some(p), Some(r)) => p == r,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// Builds a [`Request`].
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    pub fn new(principal: Principal, action: &str, resource: &str) -> RequestBuilder {
        let resource_account = Arn::parse(resource).map(|a| a.account.to_string()).filter(|a| !a.is_empty());
        RequestBuilder::owned_by(principal, action, resource, resource_account)
    }

    /// [`RequestBuilder::new`] for a resource whose owner is known (`account`; empty when
    /// unknown), rather than read from its ARN (an S3 ARN names no account).
    pub fn in_account(principal: Principal, action: &str, resource: &str, account: &str) -> RequestBuilder {
        RequestBuilder::owned_by(principal, action, resource, Some(account.to_string()).filter(|a| !a.is_empty()))
    }

    fn owned_by(principal: Principal, action: &str, resource: &str, resource_account: Option<String>) -> RequestBuilder {
        RequestBuilder {
            req: Request {
                principal,
                action: action.to_string(),
                action_lower: action.to_ascii_lowercase(),
                resource: resource.to_string(),
                resource_account,
                context: Vec::new(),
            },
        }
    }

    pub fn resource_account(mut self, account: &str) -> Self {
        self.req.resource_account = Some(account.to_string()).filter(|a| !a.is_empty());
        self
    }

    pub fn context(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, ContextValue::Single(value.into()));
        self
    }

    pub fn context_multi<I: IntoIterator<Item = S>, S: Into<String>>(mut self, key: &str, values: I) -> Self {
        self.insert(key, ContextValue::Multi(values.into_iter().map(Into::into).collect()));
        self
    }

    /// Sets a context key (case-insensitive: a later spelling replaces an earlier one,
    /// with its value).
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.insert_key(Cow::Owned(key.to_string()), value);
    }

    /// [`RequestBuilder::insert`] for a key known at compile time: nothing is allocated
    /// for the name.
    pub fn insert_static(&mut self, key: &'static str, value: ContextValue) {
        self.insert_key(Cow::Borrowed(key), value);
    }

    /// [`RequestBuilder::insert`] for a name that is fixed or already made: it is stored as is.
    pub fn insert_key(&mut self, key: Cow<'static, str>, value: ContextValue) {
        match self.req.context.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            Some(slot) => *slot = (key, value),
            None => self.req.context.push((key, value)),
        }
    }

    pub fn build(self) -> Request {
        self.req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keys_are_case_insensitive_and_the_last_spelling_wins() {
        let mut b = Request::builder("arn:aws:iam::111111111111:user/a", "s3:GetObject", "*").context("aws:SourceIp", "10.0.0.1");
        b.insert_static("aws:UserAgent", ContextValue::Single("ua".into()));
        b.insert("AWS:sourceip", ContextValue::Multi(vec!["10.0.0.2".into()]));
        let r = b.build();
        assert_eq!(r.get("aws:sourceIP"), Some(&ContextValue::Multi(vec!["10.0.0.2".into()])));
        assert_eq!(r.get("aws:useragent"), Some(&ContextValue::Single("ua".into())));
        assert_eq!(r.variable("aws:useragent"), Some("ua"));
        assert_eq!(r.get("aws:Missing"), None);
        let keys: Vec<&str> = r.context().map(|(k, _)| k).collect();
        assert_eq!(keys, ["AWS:sourceip", "aws:UserAgent"]);
    }
}
