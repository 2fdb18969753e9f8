//! IAM (awsQuery): users, roles, inline and managed policies, access keys, tags. Every
//! policy written is validated by `edgeward-policy`; every call asks `authz` first.

use edgeward_policy::{limits, PolicyKind};
use serde_json::json;

use crate::authz::Access;
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::query::Params;
use crate::protocol::xml::Xml;
use crate::state::{self, AccessKey, KeyOwner, PolicyDoc, Role, State, Tag, User};

pub fn handle(call: &mut Call<'_>, op: &str, p: &Params) -> Result<String, AwsError> {
    match op {
        "CreateUser" => create_user(call, p),
        "GetUser" => get_user(call, p),
        "CreateRole" => create_role(call, p),
        "GetRole" => get_role(call, p),
        "PutRolePolicy" => put_role_policy(call, p),
        "PutUserPolicy" => put_user_policy(call, p),
        "CreateAccessKey" => create_access_key(call, p),
        _ => Err(AwsError::new(501, "NotImplemented", format!("IAM {op} is not implemented in edgeward"))),
    }
}

// ---- errors with IAM's codes and wording ----

pub fn no_such_entity(what: &str, name: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("The {what} with name {name} cannot be found."))
}

pub fn already_exists(what: &str, name: &str) -> AwsError {
    AwsError::new(409, "EntityAlreadyExists", format!("{what} with name {name} already exists."))
}

pub fn malformed(e: &edgeward_policy::PolicyError) -> AwsError {
    match e.code() {
        "LimitExceeded" => AwsError::new(409, "LimitExceeded", e.to_string()),
        _ => AwsError::client("MalformedPolicyDocument", e.to_string()),
    }
}

/// Checks a name against IAM's pattern `[\w+=,.@-]+` and length.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), AwsError> {
    let ok = !name.is_empty() && name.len() <= max && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AwsError::client(
            "ValidationError",
            format!("1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and {max}"),
        ))
    }
}

/// Checks a path: `/` or `/…/`.
pub fn check_path(path: &str) -> Result<(), AwsError> {
    let ok = path.starts_with('/') && path.ends_with('/') && path.len() <= 512 && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(AwsError::client("ValidationError", format!("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: {path}")))
    }
}

fn tags_from(p: &Params) -> Result<Vec<Tag>, AwsError> {
    let mut tags = Vec::new();
    for fields in p.list_of("Tags", &["Key", "Value"]) {
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let key = get("Key").ok_or_else(|| crate::protocol::query::missing("Tags.member.N.Key"))?;
        tags.push(Tag { key, value: get("Value").unwrap_or_default() });
    }
    if tags.len() > 50 {
        return Err(AwsError::new(409, "LimitExceeded", "Cannot exceed quota for TagsPerResource: 50"));
    }
    Ok(tags)
}

pub fn tags_xml(x: &mut Xml, tags: &[Tag]) {
    if tags.is_empty() {
        return;
    }
    x.open("Tags");
    for t in tags {
        x.open("member").elem("Key", &t.key).elem("Value", &t.value).close("member");
    }
    x.close("Tags");
}

fn request_tag_access(mut access: Access, tags: &[Tag]) -> Access {
    for t in tags {
        access = access.key(&format!("aws:RequestTag/{}", t.key), t.value.clone());
    }
    if !tags.is_empty() {
        access = access.keys("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect());
    }
    access
}

fn iam_mut<'s>(st: &'s mut State, account: &str) -> &'s mut state::Iam {
    st.iam.entry(account.to_string()).or_default()
}

// ---- users ----

pub fn user_xml(x: &mut Xml, u: &User) {
    x.open("User")
        .elem("Path", &u.path)
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem("Arn", &u.arn)
        .elem("CreateDate", &crate::time::iso8601(u.created));
    if let Some(b) = &u.boundary {
        x.open("PermissionsBoundary")
            .elem("PermissionsBoundaryType", "Policy")
            .elem("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
    tags_xml(x, &u.tags);
    x.close("User");
}

fn create_user(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = p.required("UserName")?.to_string();
    check_name("userName", &name, 64)?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    let tags = tags_from(p)?;
    let account = call.caller.account.clone();
    let arn = format!("arn:aws:iam::{account}:user{path}{name}");
    call.trail.request_parameters = Some(json!({"userName": name, "path": path}));
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let access = request_tag_access(Access::new("iam:CreateUser", arn.clone(), &account), &tags);
    call.authorize(&st, &access)?;
    let boundary = p.get("PermissionsBoundary").map(str::to_string);
    let iam = iam_mut(&mut st, &account);
    if iam.users.contains_key(&name.to_ascii_lowercase()) {
        return Err(already_exists("User", &name));
    }
    if let Some(b) = &boundary {
        if !iam.policies.contains_key(b) {
            return Err(AwsError::client("InvalidInput", format!("ARN {b} is not valid or the policy does not exist.")));
        }
    }
    let user = User {
        name: name.clone(),
        path,
        id: crate::ids::aws_id("AIDA"),
        arn,
        created: call.now,
        inline: Default::default(),
        attached: Vec::new(),
        boundary,
        tags,
        groups: Vec::new(),
    };
    state::put(&mut call.batch, state::user_key(&account, &name), &user);
    let mut x = Xml::new();
    user_xml(&mut x, &user);
    call.trail.response_elements = Some(json!({"user": {"userName": user.name, "userId": user.id, "arn": user.arn}}));
    iam.users.insert(name.to_ascii_lowercase(), user);
    Ok(x.finish())
}

fn get_user(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    call.trail.read_only = true;
    let account = call.caller.account.clone();
    let name = match p.get("UserName") {
        Some(n) => n.to_string(),
        None => match &call.caller.kind {
            crate::identity::CallerKind::User { name, .. } => name.clone(),
            _ => return Err(crate::protocol::query::missing("UserName")),
        },
    };
    let cloud = call.cloud;
    let st = cloud.read_state();
    let user = st.iam.get(&account).and_then(|i| i.users.get(&name.to_ascii_lowercase())).cloned();
    let arn = user.as_ref().map(|u| u.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:user/{name}"));
    call.authorize(&st, &Access::new("iam:GetUser", arn, &account))?;
    let user = user.ok_or_else(|| no_such_entity("user", &name))?;
    let mut x = Xml::new();
    user_xml(&mut x, &user);
    Ok(x.finish())
}

fn put_user_policy(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = p.required("UserName")?.to_string();
    let policy_name = p.required("PolicyName")?.to_string();
    check_name("policyName", &policy_name, 128)?;
    let text = p.required("PolicyDocument")?.to_string();
    let account = call.caller.account.clone();
    call.trail.request_parameters = Some(json!({"userName": name, "policyName": policy_name, "policyDocument": text}));
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let user = st.iam.get(&account).and_then(|i| i.users.get(&name.to_ascii_lowercase())).cloned();
    let arn = user.as_ref().map(|u| u.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:user/{name}"));
    call.authorize(&st, &Access::new("iam:PutUserPolicy", arn, &account))?;
    let mut user = user.ok_or_else(|| no_such_entity("user", &name))?;
    let doc = PolicyDoc::new(&text, PolicyKind::Identity, Some(usize::MAX)).map_err(|e| malformed(&e))?;
    user.inline.insert(policy_name, doc);
    let total: usize = user.inline.values().map(|d| edgeward_policy::policy_size(&d.text)).sum();
    if total > limits::USER_INLINE {
        return Err(AwsError::new(409, "LimitExceeded", format!("Maximum policy size of {} bytes exceeded for user {name}", limits::USER_INLINE)));
    }
    state::put(&mut call.batch, state::user_key(&account, &name), &user);
    iam_mut(&mut st, &account).users.insert(name.to_ascii_lowercase(), user);
    Ok(String::new())
}

// ---- roles ----

pub fn role_xml(x: &mut Xml, r: &Role) {
    x.open("Role")
        .elem("Path", &r.path)
        .elem("RoleName", &r.name)
        .elem("RoleId", &r.id)
        .elem("Arn", &r.arn)
        .elem("CreateDate", &crate::time::iso8601(r.created))
        .elem("AssumeRolePolicyDocument", &url_encode(&r.trust.text));
    x.opt("Description", r.description.as_deref());
    x.elem("MaxSessionDuration", &r.max_session_duration.to_string());
    if let Some(b) = &r.boundary {
        x.open("PermissionsBoundary")
            .elem("PermissionsBoundaryType", "Policy")
            .elem("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
    tags_xml(x, &r.tags);
    x.raw("<RoleLastUsed/>");
    x.close("Role");
}

/// IAM returns policy documents URL-encoded.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn create_role(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = p.required("RoleName")?.to_string();
    check_name("roleName", &name, 64)?;
    let path = p.get("Path").unwrap_or("/").to_string();
    check_path(&path)?;
    let trust_text = p.required("AssumeRolePolicyDocument")?.to_string();
    let max = p.int("MaxSessionDuration", 3600, 43_200)?.unwrap_or(3600);
    let description = p.get("Description").map(str::to_string);
    let tags = tags_from(p)?;
    let boundary = p.get("PermissionsBoundary").map(str::to_string);
    let account = call.caller.account.clone();
    let arn = format!("arn:aws:iam::{account}:role{path}{name}");
    call.trail.request_parameters = Some(json!({"roleName": name, "path": path, "assumeRolePolicyDocument": trust_text, "maxSessionDuration": max, "description": description}));
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let mut access = request_tag_access(Access::new("iam:CreateRole", arn.clone(), &account), &tags);
    if let Some(b) = &boundary {
        access = access.key("iam:PermissionsBoundary", b.clone());
    }
    call.authorize(&st, &access)?;
    let trust = PolicyDoc::new(&trust_text, PolicyKind::Trust, None).map_err(|e| malformed(&e))?;
    let iam = iam_mut(&mut st, &account);
    if iam.roles.contains_key(&name.to_ascii_lowercase()) {
        return Err(already_exists("Role", &name));
    }
    if let Some(b) = &boundary {
        if !iam.policies.contains_key(b) {
            return Err(AwsError::client("InvalidInput", format!("ARN {b} is not valid or the policy does not exist.")));
        }
    }
    let role = Role {
        name: name.clone(),
        path,
        id: crate::ids::aws_id("AROA"),
        arn,
        created: call.now,
        trust,
        description,
        max_session_duration: max,
        inline: Default::default(),
        attached: Vec::new(),
        boundary,
        tags,
    };
    state::put(&mut call.batch, state::role_key(&account, &name), &role);
    let mut x = Xml::new();
    role_xml(&mut x, &role);
    call.trail.response_elements = Some(json!({"role": {"roleName": role.name, "roleId": role.id, "arn": role.arn}}));
    iam.roles.insert(name.to_ascii_lowercase(), role);
    Ok(x.finish())
}

fn get_role(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    call.trail.read_only = true;
    let name = p.required("RoleName")?.to_string();
    let account = call.caller.account.clone();
    let cloud = call.cloud;
    let st = cloud.read_state();
    let role = st.iam.get(&account).and_then(|i| i.roles.get(&name.to_ascii_lowercase())).cloned();
    let arn = role.as_ref().map(|r| r.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{name}"));
    call.authorize(&st, &Access::new("iam:GetRole", arn, &account))?;
    let role = role.ok_or_else(|| no_such_entity("role", &name))?;
    let mut x = Xml::new();
    role_xml(&mut x, &role);
    Ok(x.finish())
}

fn put_role_policy(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = p.required("RoleName")?.to_string();
    let policy_name = p.required("PolicyName")?.to_string();
    check_name("policyName", &policy_name, 128)?;
    let text = p.required("PolicyDocument")?.to_string();
    let account = call.caller.account.clone();
    call.trail.request_parameters = Some(json!({"roleName": name, "policyName": policy_name, "policyDocument": text}));
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let role = st.iam.get(&account).and_then(|i| i.roles.get(&name.to_ascii_lowercase())).cloned();
    let arn = role.as_ref().map(|r| r.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{name}"));
    call.authorize(&st, &Access::new("iam:PutRolePolicy", arn, &account))?;
    let mut role = role.ok_or_else(|| no_such_entity("role", &name))?;
    let doc = PolicyDoc::new(&text, PolicyKind::Identity, Some(usize::MAX)).map_err(|e| malformed(&e))?;
    role.inline.insert(policy_name, doc);
    let total: usize = role.inline.values().map(|d| edgeward_policy::policy_size(&d.text)).sum();
    if total > limits::ROLE_INLINE {
        return Err(AwsError::new(409, "LimitExceeded", format!("Maximum policy size of {} bytes exceeded for role {name}", limits::ROLE_INLINE)));
    }
    state::put(&mut call.batch, state::role_key(&account, &name), &role);
    iam_mut(&mut st, &account).roles.insert(name.to_ascii_lowercase(), role);
    Ok(String::new())
}

// ---- access keys ----

fn create_access_key(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let account = call.caller.account.clone();
    let user_name = match (p.get("UserName"), &call.caller.kind) {
        (Some(n), _) => Some(n.to_string()),
        (None, crate::identity::CallerKind::User { name, .. }) => Some(name.clone()),
        (None, _) => None,
    };
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let (owner, arn) = match &user_name {
        Some(n) => {
            let u = st.iam.get(&account).and_then(|i| i.users.get(&n.to_ascii_lowercase())).cloned();
            let arn = u.as_ref().map(|u| u.arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:user/{n}"));
            call.authorize(&st, &Access::new("iam:CreateAccessKey", arn.clone(), &account))?;
            let u = u.ok_or_else(|| no_such_entity("user", n))?;
            (KeyOwner::User { account: account.clone(), user: u.name.clone() }, arn)
        }
        None => {
            let arn = format!("arn:aws:iam::{account}:root");
            call.authorize(&st, &Access::new("iam:CreateAccessKey", arn.clone(), &account))?;
            (KeyOwner::Root { account: account.clone() }, arn)
        }
    };
    let existing = st.keys.values().filter(|k| k.owner == owner).count();
    if existing >= 2 {
        return Err(AwsError::new(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"));
    }
    let key = AccessKey {
        id: crate::ids::aws_id("AKIA"),
        secret: crate::ids::secret_key(),
        owner,
        status: "Active".into(),
        created: call.now,
        last_used: None,
    };
    state::put(&mut call.batch, state::access_key_key(&key.id), &key);
    let shown_name = user_name.clone().unwrap_or_else(|| account.clone());
    call.trail.request_parameters = Some(json!({"userName": user_name}));
    call.trail.response_elements = Some(json!({"accessKey": {"accessKeyId": key.id, "status": "Active", "userName": shown_name}}));
    call.trail.resources.push((arn, "AWS::IAM::User".into()));
    let mut x = Xml::new();
    x.open("AccessKey")
        .elem("UserName", &shown_name)
        .elem("AccessKeyId", &key.id)
        .elem("Status", "Active")
        .elem("SecretAccessKey", &key.secret)
        .elem("CreateDate", &crate::time::iso8601(key.created))
        .close("AccessKey");
    st.keys.insert(key.id.clone(), key);
    Ok(x.finish())
}
