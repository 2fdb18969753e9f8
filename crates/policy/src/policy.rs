//! The policy document: its grammar, parsing from JSON text, validation with AWS's error
//! classes and a JSON path for every finding, and serialization back to JSON.

use serde_json::{Map, Value};

use crate::arn::{Arn, ArnPattern};
use crate::condition::{Base, Compiled, Condition, Operator};
use crate::error::{Finding, IamCheck, PolicyError, Severity};
use crate::pattern::{Pattern, Syntax};

/// Which kind of policy a document is; decides which elements it may and must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Identity-based (managed or inline), attached to a user, group or role.
    Identity,
    /// Resource-based (bucket, queue, secret policy).
    Resource,
    /// A role's trust policy.
    Trust,
    /// A KMS key policy.
    Key,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
    /// An Organizations service control policy.
    Scp,
    /// An Organizations resource control policy.
    Rcp,
}

impl PolicyKind {
    fn principal_rule(self) -> PrincipalRule {
        match self {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session | PolicyKind::Scp => {
                PrincipalRule::Forbidden
            }
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Key | PolicyKind::Rcp => PrincipalRule::Required,
        }
    }

    /// Whether statements need a Resource or NotResource element.
    fn resource_required(self) -> bool {
        !matches!(self, PolicyKind::Trust)
    }

    /// The default size limit, in characters excluding white space.
    pub fn default_size_limit(self) -> usize {
        match self {
            PolicyKind::Identity | PolicyKind::Boundary => limits::MANAGED_POLICY,
            PolicyKind::Resource => limits::RESOURCE_POLICY,
            PolicyKind::Trust => limits::TRUST_POLICY,
            PolicyKind::Key => limits::KEY_POLICY,
            PolicyKind::Session => limits::SESSION_POLICY,
            PolicyKind::Scp | PolicyKind::Rcp => limits::ORGANIZATIONS_POLICY,
        }
    }
}

/// Size quotas, in characters (IAM does not count white space).
pub mod limits {
    /// Customer managed policy.
    pub const MANAGED_POLICY: usize = 6_144;
    /// All inline policies of one user, together.
    pub const USER_INLINE: usize = 2_048;
    /// All inline policies of one group, together.
    pub const GROUP_INLINE: usize = 5_120;
    /// All inline policies of one role, together.
    pub const ROLE_INLINE: usize = 10_240;
    /// A role trust policy (default quota).
    pub const TRUST_POLICY: usize = 2_048;
    /// Inline plus managed session policies passed to STS.
    pub const SESSION_POLICY: usize = 2_048;
    /// SCPs and RCPs.
    pub const ORGANIZATIONS_POLICY: usize = 5_120;
    /// A KMS key policy (32 KB).
    pub const KEY_POLICY: usize = 32_768;
    /// Resource policies (S3 bucket policies are limited to 20 KB, Secrets Manager 20,480).
    pub const RESOURCE_POLICY: usize = 20_480;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalRule {
    Forbidden,
    Required,
}

/// How to read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    pub kind: PolicyKind,
    /// Size limit in non-white-space characters; `None` uses the kind's default.
    pub size_limit: Option<usize>,
    /// Refuse documents without `"Version": "2012-10-17"`, as IAM does for managed policies
    /// (CreatePolicy, CreatePolicyVersion).
    pub require_current_version: bool,
}

impl ParseOptions {
    pub fn new(kind: PolicyKind) -> ParseOptions {
        ParseOptions { kind, size_limit: None, require_current_version: false }
    }
    /// Requires `"Version": "2012-10-17"` (IAM managed policies).
    pub fn requiring_current_version(mut self) -> ParseOptions {
        self.require_current_version = true;
        self
    }
    pub fn with_size_limit(mut self, limit: usize) -> ParseOptions {
        self.size_limit = Some(limit);
        self
    }
}

/// The policy language version. Without a Version element IAM reads 2008-10-17, in which
/// `${...}` is literal text rather than a policy variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2012_10_17,
    V2008_10_17,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A compiled policy: parse once, evaluate many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// A label for traces (the managed or inline policy's name); not part of the document.
    pub name: Option<String>,
    /// None when the document has no Version element.
    pub version: Option<Version>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalBlock>,
    pub action: ActionBlock,
    pub resource: Option<ResourceBlock>,
    pub conditions: Vec<Condition>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBlock {
    pub negated: bool,
    /// `"Principal": "*"`.
    pub wildcard: bool,
    pub entries: Vec<PrincipalEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalEntry {
    pub kind: PrincipalType,
    pub value: String,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionBlock {
    pub negated: bool,
    pub values: Vec<String>,
    /// Lowercased patterns.
    pub(crate) patterns: Vec<Pattern>,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceBlock {
    pub negated: bool,
    pub values: Vec<String>,
    pub(crate) patterns: Vec<ArnPattern>,
}

impl Policy {
    /// Parses and validates a document. Warnings do not fail the parse.
    pub fn parse(text: &str, opts: ParseOptions) -> Result<Policy, PolicyError> {
        let (policy, findings) = analyze(text, opts);
        let errors: Vec<Finding> = findings.into_iter().filter(|f| f.severity == Severity::Error).collect();
        match policy {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(PolicyError::new(errors)),
        }
    }

    /// Parses an already-decoded JSON document (the size limit is checked on its compact text).
    pub fn from_value(value: &Value, opts: ParseOptions) -> Result<Policy, PolicyError> {
        Policy::parse(&value.to_string(), opts)
    }

    /// The context keys (lowercased, possibly repeated) that deciding a request against
    /// this policy can read: its condition keys, and the policy variables in its actions,
    /// resources and condition values. A request decides the same against this policy
    /// whether its context holds every key or only these, so a caller may gather just
    /// these (most policies read none).
    pub fn context_keys(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().flat_map(|s| {
            let actions = s.action.patterns.iter().flat_map(Pattern::variable_keys);
            let resources = s.resource.iter().flat_map(|r| r.patterns.iter().flat_map(ArnPattern::variable_keys));
            let conditions = s.conditions.iter().flat_map(|c| std::iter::once(c.key_lower.as_str()).chain(c.compiled.variable_keys()));
            actions.chain(resources).chain(conditions)
        })
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Policy {
        self.name = Some(name.into());
        self
    }

    /// The document as JSON (single values as strings, several as arrays).
    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        if let Some(v) = self.version {
            doc.insert("Version".into(), v.as_str().into());
        }
        if let Some(id) = &self.id {
            doc.insert("Id".into(), id.clone().into());
        }
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_json).collect();
        doc.insert("Statement".into(), Value::Array(statements));
        Value::Object(doc)
    }
}

fn one_or_many(values: &[String]) -> Value {
    match values {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

impl Statement {
    fn to_json(&self) -> Value {
        let mut s = Map::new();
        if let Some(sid) = &self.sid {
            s.insert("Sid".into(), sid.clone().into());
        }
        s.insert("Effect".into(), format!("{:?}", self.effect).into());
        if let Some(p) = &self.principal {
            let key = if p.negated { "NotPrincipal" } else { "Principal" };
            let value = if p.wildcard {
                Value::String("*".into())
            } else {
                let mut by_type: Map<String, Value> = Map::new();
                for kind in [PrincipalType::Aws, PrincipalType::Service, PrincipalType::Federated, PrincipalType::CanonicalUser] {
                    let vals: Vec<String> =
                        p.entries.iter().filter(|e| e.kind == kind).map(|e| e.value.clone()).collect();
                    if !vals.is_empty() {
                        by_type.insert(kind.as_str().into(), one_or_many(&vals));
                    }
                }
                Value::Object(by_type)
            };
            s.insert(key.into(), value);
        }
        let akey = if self.action.negated { "NotAction" } else { "Action" };
        s.insert(akey.into(), one_or_many(&self.action.values));
        if let Some(r) = &self.resource {
            let rkey = if r.negated { "NotResource" } else { "Resource" };
            s.insert(rkey.into(), one_or_many(&r.values));
        }
        if !self.conditions.is_empty() {
            let mut ops: Map<String, Value> = Map::new();
            for c in &self.conditions {
                let entry = ops.entry(c.operator.name.clone()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(c.key.clone(), one_or_many(&c.values));
                }
            }
            s.insert("Condition".into(), Value::Object(ops));
        }
        Value::Object(s)
    }
}

/// Counts characters as IAM does for its size quotas: white space outside strings is free.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parses and validates, returning the policy when it could be built and every finding
/// (errors and warnings). Never panics, whatever the input.
pub fn analyze(text: &str, opts: ParseOptions) -> (Option<Policy>, Vec<Finding>) {
    let mut cx = Checker { findings: Vec::new(), kind: opts.kind, resources: Vec::new() };
    let limit = opts.size_limit.unwrap_or(opts.kind.default_size_limit());
    let size = policy_size(text);
    if size > limit {
        cx.findings.push(Finding {
            severity: Severity::Error,
            code: "LimitExceeded",
            path: String::new(),
            message: format!("Cannot exceed quota for PolicySize: {limit} (this policy has {size} characters, white space excluded)"),
            aws_message: format!("Cannot exceed quota for PolicySize: {limit}"),
            check: IamCheck::Size,
        });
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            cx.syntax("", format!("Syntax errors in policy: {e}"));
            return (None, cx.findings);
        }
    };
    let policy = cx.policy(&value, opts.require_current_version);
    cx.order_resource_findings();
    (policy, cx.findings)
}

/// The texts IAM returns, by class of problem.
mod aws {
    pub const SYNTAX: &str = "Syntax errors in policy.";
    pub const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
    pub const LEGACY: &str = "The policy failed legacy parsing";
    pub const SID: &str = "Statement IDs (SID) in a single policy must be unique.";
    pub const ACTIONS: &str = "Policy statement must contain actions.";
    pub const RESOURCES: &str = "Policy statement must contain resources.";
    pub const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    pub const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
    pub const VENDOR_QUALIFIED: &str = "Resource vendor must be fully qualified and cannot contain regexes.";
    pub const NO_PRINCIPAL: &str = "Policy document should not specify a principal.";
    pub const MISSING_PRINCIPAL: &str = "Missing required field Principal";
    pub const TRUST_ACTIONS: &str =
        "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity";
    pub const TRUST_RESOURCE: &str = "Has prohibited field Resource.";
}

/// AWS partitions an ARN may name.
const PARTITIONS: [&str; 8] = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// What an IAM resource path (the part after the account) may start with.
const IAM_RESOURCE_TYPES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// One Resource/NotResource value, for placing its findings in IAM's order afterwards.
struct ResourceValue {
    /// 0 for Resource, 1 for NotResource: IAM checks every Resource before any NotResource.
    key: u8,
    statement: usize,
    value: String,
    format_error: Option<usize>,
    legacy_error: Option<usize>,
}

struct Checker {
    findings: Vec<Finding>,
    kind: PolicyKind,
    resources: Vec<ResourceValue>,
}

const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

impl Checker {
    /// Records an error; returns its index.
    fn error(&mut self, path: &str, check: IamCheck, aws_message: impl Into<String>, message: impl Into<String>) -> usize {
        self.findings.push(Finding {
            severity: Severity::Error,
            code: "MalformedPolicyDocument",
            path: path.to_string(),
            message: message.into(),
            aws_message: aws_message.into(),
            check,
        });
        self.findings.len() - 1
    }

    /// A grammar error: IAM answers "Syntax errors in policy.".
    fn syntax(&mut self, path: &str, message: impl Into<String>) {
        self.error(path, IamCheck::Syntax, aws::SYNTAX, message);
    }

    fn warning(&mut self, path: &str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Warning,
            code: "MalformedPolicyDocument",
            path: path.to_string(),
            message: message.into(),
            aws_message: String::new(),
            check: IamCheck::Other,
        });
    }

    fn policy(&mut self, value: &Value, require_current_version: bool) -> Option<Policy> {
        let Value::Object(doc) = value else {
            self.syntax("", "Syntax errors in policy: the document must be a JSON object");
            return None;
        };
        for key in doc.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                self.syntax(key, format!("Unknown field {key}"));
            }
        }
        let version = match doc.get("Version") {
            None => {
                if require_current_version {
                    self.error("Version", IamCheck::Version, aws::VERSION, "No Version element: managed policies must say \"Version\": \"2012-10-17\"");
                } else {
                    self.warning("Version", "No Version element: the policy is read as 2008-10-17, where policy variables are literal text; use \"2012-10-17\"");
                }
                None
            }
            Some(Value::String(s)) if s == "2012-10-17" => Some(Version::V2012_10_17),
            Some(Value::String(s)) if s == "2008-10-17" => {
                if require_current_version {
                    self.error("Version", IamCheck::Version, aws::VERSION, "Version 2008-10-17: managed policies must say \"Version\": \"2012-10-17\"");
                }
                Some(Version::V2008_10_17)
            }
            Some(other) => {
                self.syntax("Version", format!("The policy must contain a valid version string: {other} is not 2012-10-17 or 2008-10-17"));
                None
            }
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.syntax("Id", "Id must be a string");
                None
            }
        };
        let variables = version == Some(Version::V2012_10_17);
        let statements: Vec<(String, &Value)> = match doc.get("Statement") {
            None => {
                self.syntax("Statement", "Missing required field Statement");
                return None;
            }
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    self.syntax("Statement", "The policy has no statements");
                }
                items.iter().enumerate().map(|(i, v)| (format!("Statement[{i}]"), v)).collect()
            }
            Some(one @ Value::Object(_)) => vec![("Statement".to_string(), one)],
            Some(_) => {
                self.syntax("Statement", "Statement must be an object or an array of objects");
                return None;
            }
        };
        let mut out = Vec::with_capacity(statements.len());
        let mut sids: Vec<&str> = Vec::new();
        for (index, (path, v)) in statements.iter().enumerate() {
            if let Some(Value::String(sid)) = v.get("Sid") {
                if !sid.is_empty() && sids.contains(&sid.as_str()) {
                    self.error(
                        &format!("{path}.Sid"),
                        IamCheck::SidUnique,
                        aws::SID,
                        format!("Statement IDs (SID) in a single policy must be unique: {sid} is repeated"),
                    );
                }
                sids.push(sid);
            }
            if let Some(s) = self.statement(index, path, v, variables) {
                out.push(s);
            }
        }
        let failed = self.findings.iter().any(|f| f.severity == Severity::Error);
        (!failed).then_some(Policy { name: None, version, id, statements: out })
    }

    fn statement(&mut self, index: usize, path: &str, value: &Value, variables: bool) -> Option<Statement> {
        let Value::Object(st) = value else {
            self.syntax(path, "Each statement must be a JSON object");
            return None;
        };
        for key in st.keys() {
            if !STATEMENT_KEYS.contains(&key.as_str()) {
                self.syntax(&format!("{path}.{key}"), format!("Unknown field {key} in statement"));
            }
        }
        let sid = match st.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.syntax(&format!("{path}.Sid"), "Sid must be a string");
                None
            }
        };
        let effect = match st.get("Effect") {
            Some(Value::String(s)) if s == "Allow" => Some(Effect::Allow),
            Some(Value::String(s)) if s == "Deny" => Some(Effect::Deny),
            None => {
                self.syntax(&format!("{path}.Effect"), "Missing required field Effect");
                None
            }
            // IAM's grammar takes the effect in any case; its legacy parser then refuses it.
            Some(Value::String(s)) if s.eq_ignore_ascii_case("allow") || s.eq_ignore_ascii_case("deny") => {
                self.error(
                    &format!("{path}.Effect"),
                    IamCheck::LegacyParsing,
                    aws::LEGACY,
                    format!("Invalid effect: \"{s}\" (Effect is case-sensitive: \"Allow\" or \"Deny\")"),
                );
                None
            }
            Some(other) => {
                self.syntax(&format!("{path}.Effect"), format!("Invalid effect: {other} (expected \"Allow\" or \"Deny\")"));
                None
            }
        };
        let principal = self.principal_block(path, st, effect);
        let action = self.action_block(path, st);
        let resource = self.resource_block(index, path, st, variables);
        let conditions = self.conditions(path, st.get("Condition"), variables);
        Some(Statement { sid, effect: effect?, principal: principal?, action: action?, resource: resource?, conditions: conditions? })
    }

    /// Reads an element that has a negated twin (`Action`/`NotAction`, …): Err when both
    /// are present (reported), Ok(None) when neither is.
    fn either<'v>(
        &mut self,
        path: &str,
        st: &'v Map<String, Value>,
        name: &'static str,
        not_name: &'static str,
    ) -> Result<Option<(&'static str, &'v Value, bool)>, ()> {
        match (st.get(name), st.get(not_name)) {
            (Some(_), Some(_)) => {
                self.syntax(path, format!("A statement cannot have both {name} and {not_name}"));
                Err(())
            }
            (Some(v), None) => Ok(Some((name, v, false))),
            (None, Some(v)) => Ok(Some((not_name, v, true))),
            (None, None) => Ok(None),
        }
    }

    /// Returns Some(None) when the statement legitimately has no principal element.
    fn principal_block(&mut self, path: &str, st: &Map<String, Value>, effect: Option<Effect>) -> Option<Option<PrincipalBlock>> {
        let (key, value, negated) = match self.either(path, st, "Principal", "NotPrincipal").ok()? {
            Some(found) => found,
            None => {
                if self.kind.principal_rule() == PrincipalRule::Required {
                    self.error(path, IamCheck::Principal, aws::MISSING_PRINCIPAL, "Missing required field Principal");
                    return None;
                }
                return Some(None);
            }
        };
        let path = format!("{path}.{key}");
        if self.kind.principal_rule() == PrincipalRule::Forbidden {
            self.error(
                &path,
                IamCheck::Principal,
                aws::NO_PRINCIPAL,
                format!("Policy document should not specify a principal ({} policies have no {key} element)", kind_name(self.kind)),
            );
            return None;
        }
        if negated && effect == Some(Effect::Allow) {
            self.warning(&path, "NotPrincipal with Allow grants access to every principal not listed, including anonymous users; AWS recommends against it");
        }
        if negated && self.kind == PolicyKind::Trust {
            self.syntax(&path, "NotPrincipal is not supported in role trust policies");
            return None;
        }
        let mut block = PrincipalBlock { negated, wildcard: false, entries: Vec::new() };
        match value {
            Value::String(s) if s == "*" => block.wildcard = true,
            Value::Object(map) => {
                if map.is_empty() {
                    self.syntax(&path, "Invalid principal in policy: the principal map is empty");
                    return None;
                }
                for (type_name, vals) in map {
                    let kind = match type_name.as_str() {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        other => {
                            self.syntax(&format!("{path}.{other}"), format!("Invalid principal in policy: unknown principal type {other} (expected AWS, Service, Federated or CanonicalUser)"));
                            return None;
                        }
                    };
                    let vpath = format!("{path}.{type_name}");
                    for v in self.strings(&vpath, vals)? {
                        if let Err(msg) = check_principal(kind, &v) {
                            self.error(
                                &vpath,
                                IamCheck::Principal,
                                format!("Invalid principal in policy: \"{type_name}\":\"{v}\""),
                                format!("Invalid principal in policy: \"{v}\": {msg}"),
                            );
                            return None;
                        }
                        block.entries.push(PrincipalEntry { kind, value: v });
                    }
                }
            }
            other => {
                self.syntax(&path, format!("Invalid principal in policy: {other} (expected \"*\" or an object such as {{\"AWS\": ...}})"));
                return None;
            }
        }
        if !block.wildcard && block.entries.is_empty() {
            self.syntax(&path, "Invalid principal in policy: the principal list is empty");
            return None;
        }
        if self.kind == PolicyKind::Rcp && !block.wildcard {
            let message = "Resource control policies must use \"Principal\": \"*\"";
            self.error(&path, IamCheck::Other, message, message);
            return None;
        }
        Some(Some(block))
    }

    fn action_block(&mut self, path: &str, st: &Map<String, Value>) -> Option<ActionBlock> {
        let (key, value, negated) = match self.either(path, st, "Action", "NotAction").ok()? {
            Some(found) => found,
            None => {
                self.error(path, IamCheck::ActionsPresent, aws::ACTIONS, "Policy statement must contain actions (Action or NotAction)");
                return None;
            }
        };
        let path = format!("{path}.{key}");
        let values = self.strings(&path, value)?;
        if values.is_empty() {
            self.error(&path, IamCheck::ActionsPresent, aws::ACTIONS, format!("{key} must not be empty"));
            return None;
        }
        let check = if negated { IamCheck::NotActionFormat } else { IamCheck::ActionFormat };
        let mut ok = true;
        let mut patterns = Vec::with_capacity(values.len());
        for v in &values {
            if let Err(aws_message) = check_action(v) {
                self.error(&path, check, aws_message, format!("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: \"{v}\" is not service:action"));
                ok = false;
                continue;
            }
            let p = Pattern::compile(&v.to_ascii_lowercase(), Syntax { wildcards: true, variables: false })
                .expect("patterns without variables always compile");
            patterns.push(p);
        }
        if self.kind == PolicyKind::Trust {
            for v in &values {
                let lower = v.to_ascii_lowercase();
                if lower != "*" && !lower.starts_with("sts:") {
                    self.error(
                        &path,
                        IamCheck::TrustActions,
                        aws::TRUST_ACTIONS,
                        format!("Trust policies may only allow sts actions (sts:AssumeRole, sts:TagSession, ...): \"{v}\""),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(ActionBlock { negated, values, patterns })
    }

    /// Returns Some(None) for a trust policy statement without a resource.
    fn resource_block(&mut self, index: usize, path: &str, st: &Map<String, Value>, variables: bool) -> Option<Option<ResourceBlock>> {
        let (key, value, negated) = match self.either(path, st, "Resource", "NotResource").ok()? {
            Some(found) => found,
            None => {
                if self.kind.resource_required() {
                    self.error(path, IamCheck::ResourcesPresent, aws::RESOURCES, "Policy statement must contain resources (Resource or NotResource)");
                    return None;
                }
                return Some(None);
            }
        };
        let path = format!("{path}.{key}");
        let trust = self.kind == PolicyKind::Trust;
        let values = self.resource_strings(&path, value)?;
        let mut ok = !trust;
        if values.is_empty() && !trust {
            self.error(&path, IamCheck::ResourcesPresent, aws::RESOURCES, format!("{key} must not be empty"));
            return None;
        }
        let mut patterns = Vec::with_capacity(values.len());
        for v in &values {
            let mut entry = ResourceValue { key: negated as u8, statement: index, value: v.clone(), format_error: None, legacy_error: None };
            let leading_variable = variables && v.starts_with("${");
            if v != "*" && !leading_variable {
                if let Some((aws_message, message)) = resource_format(v, variables) {
                    entry.format_error = Some(self.error(&path, IamCheck::ResourceFormat, aws_message, message));
                    ok = false;
                } else if let Some(message) = resource_legacy(v) {
                    entry.legacy_error = Some(self.error(&path, IamCheck::LegacyParsing, aws::LEGACY, message));
                    ok = false;
                }
            }
            self.resources.push(entry);
            match Pattern::compile(v, Syntax { wildcards: true, variables }) {
                Ok(p) => patterns.push(ArnPattern::from_pattern(p)),
                Err(bad) => {
                    self.syntax(&path, format!("Invalid policy variable {} in {v}", bad.0));
                    ok = false;
                }
            }
        }
        if trust {
            self.error(&path, IamCheck::TrustResource, aws::TRUST_RESOURCE, format!("Has prohibited field {key}: trust policies apply to the role itself"));
        }
        ok.then_some(Some(ResourceBlock { negated, values, patterns }))
    }

    /// IAM reports one resource problem: it checks every Resource before any NotResource,
    /// statement by statement, each list in descending order, and the last format error it
    /// meets is the one it returns; an ARN its legacy parser refuses counts only when no
    /// format error came before it. Reorders the findings' checks to match.
    fn order_resource_findings(&mut self) {
        let reported = self
            .resources
            .iter()
            .filter(|r| r.format_error.is_some())
            .max_by(|a, b| (a.key, a.statement).cmp(&(b.key, b.statement)).then_with(|| b.value.cmp(&a.value)))
            .and_then(|r| r.format_error);
        for r in &self.resources {
            if let Some(i) = r.format_error {
                if Some(i) != reported {
                    self.findings[i].check = IamCheck::Other;
                }
            }
            if let Some(i) = r.legacy_error {
                let earlier_format_error =
                    self.resources.iter().any(|o| o.format_error.is_some() && (o.key, o.statement) <= (r.key, r.statement));
                if earlier_format_error {
                    self.findings[i].check = IamCheck::Other;
                }
            }
        }
    }

    fn conditions(&mut self, path: &str, value: Option<&Value>, variables: bool) -> Option<Vec<Condition>> {
        let Some(value) = value else { return Some(Vec::new()) };
        let path = format!("{path}.Condition");
        let Value::Object(ops) = value else {
            self.syntax(&path, "Condition must be an object of operators");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (op_name, keys) in ops {
            let op_path = format!("{path}.{op_name}");
            let Value::Object(keys) = keys else {
                self.syntax(&op_path, "A condition operator must map condition keys to values");
                ok = false;
                continue;
            };
            let Some(operator) = Operator::parse(op_name) else {
                if keys.is_empty() {
                    // IAM accepts an unknown operator that names no keys; it tests nothing.
                    self.warning(&op_path, format!("Unknown condition operator {op_name} with no condition keys: it has no effect"));
                } else {
                    self.syntax(&op_path, format!("Invalid Condition type : {op_name}"));
                    ok = false;
                }
                continue;
            };
            if keys.is_empty() {
                self.warning(&op_path, "The condition operator names no condition keys: it has no effect");
            }
            for (key, vals) in keys {
                let key_path = format!("{op_path}.{key}");
                if !key.contains(':') || key.starts_with(':') {
                    self.warning(&key_path, format!("Condition key \"{key}\" has no service prefix (such as aws: or s3:); AWS request contexts carry no such key"));
                }
                let Some(values) = self.condition_values(&key_path, vals) else {
                    ok = false;
                    continue;
                };
                if values.is_empty() {
                    self.warning(&key_path, "The condition has no values: it can never match");
                }
                if let Some(v) = values.iter().find(|v| is_date(operator.base) && epoch_out_of_range(v)) {
                    let message = format!("Invalid value \"{v}\" for {op_name}: epoch seconds beyond 9223372036854775807");
                    self.error(&key_path, IamCheck::LegacyParsing, aws::LEGACY, message);
                    ok = false;
                    continue;
                }
                match Compiled::compile(&operator, &values, variables) {
                    Ok(compiled) => out.push(Condition {
                        operator: operator.clone(),
                        key: key.clone(),
                        key_lower: key.to_ascii_lowercase(),
                        values,
                        compiled,
                    }),
                    Err(bad) => {
                        self.error(
                            &key_path,
                            IamCheck::LegacyParsing,
                            aws::LEGACY,
                            format!("Invalid value \"{}\" for {op_name}: expected {}", bad.value, bad.expected),
                        );
                        ok = false;
                    }
                }
                if operator.base == Base::Bool {
                    if let Some(v) = out.last().and_then(|c| c.values.iter().find(|v| !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false"))) {
                        self.warning(&key_path, format!("Bool compares with \"true\" or \"false\"; \"{v}\" never matches a boolean key"));
                    }
                }
            }
        }
        ok.then_some(out)
    }

    /// Condition values: strings, numbers and booleans, alone or in an array.
    fn condition_values(&mut self, path: &str, value: &Value) -> Option<Vec<String>> {
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            match scalar(v) {
                Some(s) => out.push(s),
                None => {
                    self.syntax(path, format!("Condition values must be strings, numbers or booleans, not {v}"));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A string or an array of strings.
    fn strings(&mut self, path: &str, value: &Value) -> Option<Vec<String>> {
        match value {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.syntax(path, format!("Expected a string, found {other}"));
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.syntax(path, format!("Expected a string or an array of strings, found {other}"));
                None
            }
        }
    }

    /// Resource values: like [`strings`](Self::strings), but IAM skips `null` items in the list.
    fn resource_strings(&mut self, path: &str, value: &Value) -> Option<Vec<String>> {
        match value {
            Value::Array(items) => {
                let kept: Vec<Value> = items.iter().filter(|v| !v.is_null()).cloned().collect();
                self.strings(path, &Value::Array(kept))
            }
            other => self.strings(path, other),
        }
    }
}

fn is_date(base: Base) -> bool {
    matches!(base, Base::DateEquals | Base::DateLessThan | Base::DateLessThanEquals | Base::DateGreaterThan | Base::DateGreaterThanEquals)
}

/// IAM's legacy parser reads all-digit date values as epoch seconds in a signed 64-bit integer.
fn epoch_out_of_range(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_err()
}

/// An Action value: `*` or `vendor:action`. Err carries IAM's message.
fn check_action(v: &str) -> Result<(), String> {
    if v == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = v.split(':').collect();
    match parts.as_slice() {
        [_] => Err(aws::VENDOR.to_string()),
        [vendor, action] => {
            if *vendor != "*" && !vendor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
                Err(format!("Vendor {vendor} is not valid"))
            } else if vendor.is_empty() || action.is_empty() {
                Err(aws::VENDOR.to_string())
            } else {
                Ok(())
            }
        }
        _ => Err(aws::ONE_COLON.to_string()),
    }
}

/// Splits an ARN into at most six colon-separated segments, the last taking the rest; with
/// policy variables on, a colon inside `${…}` does not separate.
fn arn_segments(v: &str, variables: bool) -> Vec<&str> {
    let mut out = Vec::with_capacity(6);
    let mut start = 0;
    let mut depth = false;
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() && out.len() < 5 {
        match bytes[i] {
            b'$' if variables && bytes.get(i + 1) == Some(&b'{') => depth = true,
            b'}' if depth => depth = false,
            b':' if !depth => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&v[start..]);
    out
}

/// IAM's Resource format checks. Returns (IAM's message, edgeward's message).
fn resource_format(v: &str, variables: bool) -> Option<(String, String)> {
    let not_arn = || {
        let m = format!("Resource {v} must be in ARN format or \"*\".");
        Some((m.clone(), m))
    };
    let segs = arn_segments(v, variables);
    if segs.len() == 1 {
        return not_arn();
    }
    let partition = segs[1];
    let partition_ok = partition == "*" || PARTITIONS.contains(&partition) || (variables && partition.contains("${"));
    if !partition_ok {
        // IAM echoes the ARN it read, with `*` for the missing segments.
        let rest: Vec<&str> = v.splitn(3, ':').nth(2).unwrap_or("").split(':').collect();
        let seg = |i: usize| if rest.len() > i { rest[i].to_string() } else { "*".to_string() };
        let first = if !rest[0].is_empty() || rest.len() > 1 { rest[0].to_string() } else { "*".to_string() };
        let last = if rest.len() > 3 { rest[3..].join(":") } else { "*".to_string() };
        let m = format!("Partition \"{partition}\" is not valid for resource \"arn:{partition}:{first}:{}:{}:{last}\".", seg(1), seg(2));
        return Some((m.clone(), m));
    }
    if segs.len() == 2 {
        return Some((aws::VENDOR_QUALIFIED.to_string(), format!("Resource {v}: the ARN has no service (vendor) segment")));
    }
    if segs[0] != "arn" {
        return not_arn();
    }
    let service = segs[2];
    let region = segs.get(3).copied().unwrap_or("");
    let account = segs.get(4).copied().unwrap_or("");
    let path = segs.get(5).copied().unwrap_or("");
    // IAM is global: its ARNs have no region. Refused here only with an empty account, as
    // observed; with an account edgeward keeps reading the ARN as before.
    if service == "iam" && !region.is_empty() && account.is_empty() {
        let m = format!("IAM resource {v} cannot contain region information.");
        return Some((m.clone(), m));
    }
    // Bucket and object ARNs have neither region nor account; access points, jobs and the
    // like have both.
    if service == "s3" && !region.is_empty() && account.is_empty() && !path.starts_with("accesspoint/") {
        let m = format!("Resource {v} can not contain region information.");
        return Some((m.clone(), m));
    }
    if service == "iam" && path != "*" && !IAM_RESOURCE_TYPES.iter().any(|t| path.starts_with(t)) {
        let m = format!("IAM resource path must either be \"*\" or start with {}.", IAM_RESOURCE_TYPES.join(", "));
        return Some((m, format!("Resource {v}: an IAM resource path must be \"*\" or start with a resource type such as user/ or role/")));
    }
    None
}

/// IAM's legacy ARN parser: an ARN with `::` needs all six segments, and the service
/// segment must not be empty. Returns edgeward's message.
fn resource_legacy(v: &str) -> Option<String> {
    if v.matches(':').count() < 5 && v.contains("::") {
        return Some(format!("Resource {v} is not a valid ARN: it has an empty segment but fewer than six segments"));
    }
    if v.split(':').nth(2).is_some_and(str::is_empty) {
        return Some(format!("Resource {v} is not a valid ARN: the service segment is empty"));
    }
    None
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity-based",
        PolicyKind::Resource => "resource-based",
        PolicyKind::Trust => "trust",
        PolicyKind::Key => "key",
        PolicyKind::Boundary => "permissions boundary",
        PolicyKind::Session => "session",
        PolicyKind::Scp => "service control",
        PolicyKind::Rcp => "resource control",
    }
}

/// Checks one principal value of a given type.
fn check_principal(kind: PrincipalType, v: &str) -> Result<(), String> {
    match kind {
        PrincipalType::Aws => {
            if v == "*" {
                return Ok(());
            }
            if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(());
            }
            // Unique ids (AIDA…, AROA…) appear where a user or role was deleted and recreated.
            if v.len() >= 16 && v.starts_with(['A']) && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
                return Ok(());
            }
            let Some(arn) = Arn::parse(v) else {
                return Err("expected \"*\", a 12-digit account id or an IAM/STS ARN".into());
            };
            if v.contains('*') || v.contains('?') {
                return Err("wildcards are not allowed in principal ARNs; use \"*\" with a condition on aws:PrincipalArn".into());
            }
            if arn.account.len() != 12 || !arn.account.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the account id must be 12 digits".into());
            }
            let r = arn.resource;
            let ok = match arn.service {
                "iam" => r == "root" || r.starts_with("user/") || r.starts_with("role/") || r.starts_with("federated-user/"),
                "sts" => r.starts_with("assumed-role/") || r.starts_with("federated-user/"),
                _ => false,
            };
            if ok { Ok(()) } else { Err("expected an account root, user, role or session ARN".into()) }
        }
        PrincipalType::Service => {
            if v.is_empty() || v.contains('*') || v.contains(char::is_whitespace) {
                Err("expected a service principal such as s3.amazonaws.com".into())
            } else {
                Ok(())
            }
        }
        PrincipalType::Federated | PrincipalType::CanonicalUser => {
            if v.is_empty() || v.contains('*') {
                Err("expected a provider name or ARN".into())
            } else {
                Ok(())
            }
        }
    }
}
