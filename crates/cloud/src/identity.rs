//! Who is calling: an access key resolved to its caller (root, IAM user, role session),
//! with everything authorization and the trail need to know about it.

use crate::state::{KeyOwner, SessionKind, State, Tag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    Root,
    User { name: String, id: String, path: String },
    AssumedRole {
        role_name: String,
        role_arn: String,
        role_id: String,
        session_name: String,
        session_tags: Vec<Tag>,
        transitive_tag_keys: Vec<String>,
        chained: bool,
    },
    /// An unsigned request (S3 only): it has no account and no identity policies; only a
    /// resource policy granting everyone (`"Principal": "*"`) lets it through.
    Anonymous,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    /// The caller's ARN: root, user, or assumed-role session ARN.
    pub arn: String,
    pub kind: CallerKind,
    pub access_key_id: String,
    /// Set when the credentials are temporary.
    pub session_token_issued: Option<i64>,
    pub source_identity: Option<String>,
    /// The session's policies (AssumeRole `Policy` and `PolicyArns`), when any.
    pub session_policy: Option<crate::state::PolicyDoc>,
    pub session_policy_arns: Vec<String>,
}

impl Caller {
    /// An account's root user, signing with `access_key_id`.
    pub fn root(account: &str, access_key_id: &str) -> Caller {
        Caller {
            account: account.to_string(),
            arn: format!("arn:aws:iam::{account}:root"),
            kind: CallerKind::Root,
            access_key_id: access_key_id.to_string(),
            session_token_issued: None,
            source_identity: None,
            session_policy: None,
            session_policy_arns: Vec::new(),
        }
    }

    /// The caller of an unsigned request.
    pub fn anonymous() -> Caller {
        Caller {
            account: String::new(),
            arn: "*".into(),
            kind: CallerKind::Anonymous,
            access_key_id: String::new(),
            session_token_issued: None,
            source_identity: None,
            session_policy: None,
            session_policy_arns: Vec::new(),
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == CallerKind::Anonymous
    }

    /// `aws:userid`: the account for root, the user id, or `ROLEID:session`.
    pub fn user_id(&self) -> String {
        match &self.kind {
            CallerKind::Root => self.account.clone(),
            CallerKind::User { id, .. } => id.clone(),
            CallerKind::AssumedRole { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
            CallerKind::Anonymous => "anonymous".into(),
        }
    }

    /// `aws:PrincipalArn`: for a session, the role's ARN.
    pub fn principal_arn(&self) -> &str {
        match &self.kind {
            CallerKind::AssumedRole { role_arn, .. } => role_arn,
            _ => &self.arn,
        }
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            CallerKind::Root => "Account",
            CallerKind::User { .. } => "User",
            CallerKind::AssumedRole { .. } => "AssumedRole",
            CallerKind::Anonymous => "Anonymous",
        }
    }

    /// CloudTrail's `userIdentity.type`.
    pub fn trail_type(&self) -> &'static str {
        match self.kind {
            CallerKind::Root => "Root",
            CallerKind::User { .. } => "IAMUser",
            CallerKind::AssumedRole { .. } => "AssumedRole",
            CallerKind::Anonymous => "AnonymousPrincipal",
        }
    }
}

/// Why a key did not authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    UnknownKey,
    Inactive,
    BadToken,
    Expired,
}

/// Resolves an access key (and session token) to its caller and secret.
pub fn resolve(state: &State, key_id: &str, token: Option<&str>, now: i64) -> Result<(Caller, String), AuthFailure> {
    if let Some(session) = state.sessions.get(key_id) {
        if token != Some(session.token.as_str()) {
            return Err(AuthFailure::BadToken);
        }
        if now >= session.expires {
            return Err(AuthFailure::Expired);
        }
        let secret = state.keys.get(key_id).map(|k| k.secret.clone()).ok_or(AuthFailure::UnknownKey)?;
        let caller = match &session.kind {
            SessionKind::AssumedRole {
                role_name,
                role_arn,
                role_id,
                session_name,
                tags,
                transitive_tag_keys,
                session_policy,
                session_policy_arns,
                chained,
            } => Caller {
                account: session.account.clone(),
                arn: format!("arn:aws:sts::{}:assumed-role/{role_name}/{session_name}", session.account),
                kind: CallerKind::AssumedRole {
                    role_name: role_name.clone(),
                    role_arn: role_arn.clone(),
                    role_id: role_id.clone(),
                    session_name: session_name.clone(),
                    session_tags: tags.clone(),
                    transitive_tag_keys: transitive_tag_keys.clone(),
                    chained: *chained,
                },
                access_key_id: key_id.to_string(),
                session_token_issued: Some(session.issued),
                source_identity: session.source_identity.clone(),
                session_policy: session_policy.clone(),
                session_policy_arns: session_policy_arns.clone(),
            },
            SessionKind::SessionToken { owner } => {
                let mut c = long_term_caller(state, owner, key_id).ok_or(AuthFailure::UnknownKey)?;
                c.session_token_issued = Some(session.issued);
                c
            }
        };
        return Ok((caller, secret));
    }
    if token.is_some_and(|t| !t.is_empty()) {
        // A long-term key presented with a session token.
        return Err(AuthFailure::BadToken);
    }
    let key = state.keys.get(key_id).ok_or(AuthFailure::UnknownKey)?;
    if key.status != "Active" {
        return Err(AuthFailure::Inactive);
    }
    let caller = long_term_caller(state, &key.owner, key_id).ok_or(AuthFailure::UnknownKey)?;
    Ok((caller, key.secret.clone()))
}

fn long_term_caller(state: &State, owner: &KeyOwner, key_id: &str) -> Option<Caller> {
    let (account, kind, arn) = match owner {
        KeyOwner::Root { account } => (account.clone(), CallerKind::Root, format!("arn:aws:iam::{account}:root")),
        KeyOwner::User { account, user } => {
            let u = state.iam.get(account)?.users.get(&user.to_ascii_lowercase())?;
            (account.clone(), CallerKind::User { name: u.name.clone(), id: u.id.clone(), path: u.path.clone() }, u.arn.clone())
        }
        KeyOwner::Session { .. } => return None,
    };
    Some(Caller {
        account,
        arn,
        kind,
        access_key_id: key_id.to_string(),
        session_token_issued: None,
        source_identity: None,
        session_policy: None,
        session_policy_arns: Vec::new(),
    })
}
