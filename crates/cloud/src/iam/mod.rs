//! IAM (awsQuery): users, groups, roles, inline and managed policies, permissions
//! boundaries, access keys, tags, account summaries. Every policy written is validated by
//! `edgeward-policy`; every call asks `authz` first, as `iam:<Operation>` on the ARN of the
//! entity it touches (the ARN it would have, when it does not exist).
//!
//! The three principal kinds share their code through the [`Entity`] trait (and managed
//! policies join them in [`Record`] for lookup, tags and storage): one inline-policy CRUD,
//! one attach/detach, one delete with its conflicts, one rename, one list with pagination.

mod account;
mod entity;
mod groups;
mod inline;
mod keys;
mod managed;
mod roles;
mod users;

use std::sync::RwLockReadGuard;

use serde_json::{json, Map, Value};

use crate::authz::Access;
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::query::{lower_first, Params};
use crate::protocol::xml::{escape, Xml};
use crate::state::{self, Group, ManagedPolicy, Role, State, Tag, User};

pub use entity::{Entity, Record};
pub use keys::note_key_use;

/// Real IAM operations edgeward does not implement: they answer 501 NotImplemented naming
/// the operation. Anything that is neither here nor implemented is not an IAM action.
const NOT_IMPLEMENTED: &[&str] = &[
    "AcceptDelegationRequest",
    "AcquireRole",
    "AddClientIDToOpenIDConnectProvider",
    "AddRoleToInstanceProfile",
    "AssociateDelegationRequest",
    "ChangePassword",
    "CreateAccountAlias",
    "CreateDelegationRequest",
    "CreateInstanceProfile",
    "CreateLoginProfile",
    "CreateOpenIDConnectProvider",
    "CreateSAMLProvider",
    "CreateServiceLinkedRole",
    "CreateServiceSpecificCredential",
    "CreateVirtualMFADevice",
    "DeactivateMFADevice",
    "DeleteAccountAlias",
    "DeleteAccountPasswordPolicy",
    "DeleteInstanceProfile",
    "DeleteLoginProfile",
    "DeleteOpenIDConnectProvider",
    "DeleteSAMLProvider",
    "DeleteSSHPublicKey",
    "DeleteServerCertificate",
    "DeleteServiceLinkedRole",
    "DeleteServiceSpecificCredential",
    "DeleteSigningCertificate",
    "DeleteVirtualMFADevice",
    "DisableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootSessions",
    "DisableOutboundWebIdentityFederation",
    "EnableMFADevice",
    "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "EnableOutboundWebIdentityFederation",
    "GenerateCredentialReport",
    "GenerateOrganizationsAccessReport",
    "GenerateServiceLastAccessedDetails",
    "GetAccountPasswordPolicy",
    "GetAccountProperties",
    "GetContextKeysForCustomPolicy",
    "GetContextKeysForPrincipalPolicy",
    "GetCredentialReport",
    "GetDelegationRequest",
    "GetHumanReadableSummary",
    "GetInstanceProfile",
    "GetLoginProfile",
    "GetMFADevice",
    "GetOpenIDConnectProvider",
    "GetOrganizationsAccessReport",
    "GetOutboundWebIdentityFederationInfo",
    "GetRoleTemplateVersion",
    "GetSAMLProvider",
    "GetSSHPublicKey",
    "GetServerCertificate",
    "GetServiceLastAccessedDetails",
    "GetServiceLastAccessedDetailsWithEntities",
    "GetServiceLinkedRoleDeletionStatus",
    "ListAccountAliases",
    "ListDelegationRequests",
    "ListInstanceProfileTags",
    "ListInstanceProfiles",
    "ListInstanceProfilesForRole",
    "ListMFADeviceTags",
    "ListMFADevices",
    "ListOpenIDConnectProviderTags",
    "ListOpenIDConnectProviders",
    "ListOrganizationsFeatures",
    "ListPoliciesGrantingServiceAccess",
    "ListSAMLProviderTags",
    "ListSAMLProviders",
    "ListSSHPublicKeys",
    "ListServerCertificateTags",
    "ListServerCertificates",
    "ListServiceSpecificCredentials",
    "ListSigningCertificates",
    "ListVirtualMFADevices",
    "PutAccountProperties",
    "RejectDelegationRequest",
    "RemoveClientIDFromOpenIDConnectProvider",
    "RemoveRoleFromInstanceProfile",
    "ResetServiceSpecificCredential",
    "ResyncMFADevice",
    "SendDelegationToken",
    "SetSecurityTokenServicePreferences",
    "SimulateCustomPolicy",
    "SimulatePrincipalPolicy",
    "TagInstanceProfile",
    "TagMFADevice",
    "TagOpenIDConnectProvider",
    "TagSAMLProvider",
    "TagServerCertificate",
    "UntagInstanceProfile",
    "UntagMFADevice",
    "UntagOpenIDConnectProvider",
    "UntagSAMLProvider",
    "UntagServerCertificate",
    "UpdateAccountPasswordPolicy",
    "UpdateDelegationRequest",
    "UpdateLoginProfile",
    "UpdateOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "UpdateSAMLProvider",
    "UpdateSSHPublicKey",
    "UpdateServerCertificate",
    "UpdateServiceSpecificCredential",
    "UpdateSigningCertificate",
    "UploadSSHPublicKey",
    "UploadServerCertificate",
    "UploadSigningCertificate",
];

pub fn handle(call: &mut Call<'_>, op: &str, p: &Params) -> Result<String, AwsError> {
    call.trail.request_parameters = Some(request_parameters(p));
    call.trail.read_only = op.starts_with("Get") || op.starts_with("List");
    match op {
        // users
        "CreateUser" => users::create(call, p),
        "GetUser" => users::get(call, p),
        "ListUsers" => entity::list::<User>(call, p),
        "UpdateUser" => entity::rename::<User>(call, p),
        "DeleteUser" => entity::delete::<User>(call, p),
        "TagUser" => entity::tag::<User>(call, p),
        "UntagUser" => entity::untag::<User>(call, p),
        "ListUserTags" => entity::list_tags::<User>(call, p),
        "PutUserPermissionsBoundary" => entity::put_boundary::<User>(call, p),
        "DeleteUserPermissionsBoundary" => entity::delete_boundary::<User>(call, p),
        // groups
        "CreateGroup" => groups::create(call, p),
        "GetGroup" => groups::get(call, p),
        "ListGroups" => entity::list::<Group>(call, p),
        "UpdateGroup" => entity::rename::<Group>(call, p),
        "DeleteGroup" => entity::delete::<Group>(call, p),
        "AddUserToGroup" => groups::add_user(call, p),
        "RemoveUserFromGroup" => groups::remove_user(call, p),
        "ListGroupsForUser" => groups::list_for_user(call, p),
        // roles
        "CreateRole" => roles::create(call, p),
        "GetRole" => entity::get::<Role>(call, p),
        "ListRoles" => entity::list::<Role>(call, p),
        "UpdateRole" => roles::update_role(call, p),
        "UpdateRoleDescription" => roles::update_description(call, p),
        "UpdateAssumeRolePolicy" => roles::update_trust(call, p),
        "DeleteRole" => entity::delete::<Role>(call, p),
        "TagRole" => entity::tag::<Role>(call, p),
        "UntagRole" => entity::untag::<Role>(call, p),
        "ListRoleTags" => entity::list_tags::<Role>(call, p),
        "PutRolePermissionsBoundary" => entity::put_boundary::<Role>(call, p),
        "DeleteRolePermissionsBoundary" => entity::delete_boundary::<Role>(call, p),
        // inline policies
        "PutUserPolicy" => inline::put::<User>(call, p),
        "GetUserPolicy" => inline::get::<User>(call, p),
        "DeleteUserPolicy" => inline::delete::<User>(call, p),
        "ListUserPolicies" => inline::list::<User>(call, p),
        "PutGroupPolicy" => inline::put::<Group>(call, p),
        "GetGroupPolicy" => inline::get::<Group>(call, p),
        "DeleteGroupPolicy" => inline::delete::<Group>(call, p),
        "ListGroupPolicies" => inline::list::<Group>(call, p),
        "PutRolePolicy" => inline::put::<Role>(call, p),
        "GetRolePolicy" => inline::get::<Role>(call, p),
        "DeleteRolePolicy" => inline::delete::<Role>(call, p),
        "ListRolePolicies" => inline::list::<Role>(call, p),
        // managed policies
        "CreatePolicy" => managed::create(call, p),
        "GetPolicy" => managed::get(call, p),
        "ListPolicies" => managed::list(call, p),
        "DeletePolicy" => managed::delete(call, p),
        "CreatePolicyVersion" => managed::create_version(call, p),
        "GetPolicyVersion" => managed::get_version(call, p),
        "ListPolicyVersions" => managed::list_versions(call, p),
        "SetDefaultPolicyVersion" => managed::set_default_version(call, p),
        "DeletePolicyVersion" => managed::delete_version(call, p),
        "ListEntitiesForPolicy" => managed::list_entities(call, p),
        "TagPolicy" => entity::tag::<ManagedPolicy>(call, p),
        "UntagPolicy" => entity::untag::<ManagedPolicy>(call, p),
        "ListPolicyTags" => entity::list_tags::<ManagedPolicy>(call, p),
        "AttachUserPolicy" => managed::attach::<User>(call, p),
        "DetachUserPolicy" => managed::detach::<User>(call, p),
        "ListAttachedUserPolicies" => managed::list_attached::<User>(call, p),
        "AttachGroupPolicy" => managed::attach::<Group>(call, p),
        "DetachGroupPolicy" => managed::detach::<Group>(call, p),
        "ListAttachedGroupPolicies" => managed::list_attached::<Group>(call, p),
        "AttachRolePolicy" => managed::attach::<Role>(call, p),
        "DetachRolePolicy" => managed::detach::<Role>(call, p),
        "ListAttachedRolePolicies" => managed::list_attached::<Role>(call, p),
        // access keys
        "CreateAccessKey" => keys::create(call, p),
        "ListAccessKeys" => keys::list(call, p),
        "UpdateAccessKey" => keys::update(call, p),
        "DeleteAccessKey" => keys::delete(call, p),
        "GetAccessKeyLastUsed" => keys::last_used(call, p),
        // the account
        "GetAccountAuthorizationDetails" => account::authorization_details(call, p),
        "GetAccountSummary" => account::summary(call),
        _ if NOT_IMPLEMENTED.contains(&op) => {
            Err(AwsError::new(501, "NotImplemented", format!("IAM {op} is not implemented in edgeward")))
        }
        _ => Err(AwsError::client("InvalidAction", format!("The action {op} is not valid for this web service."))),
    }
}

// ---- errors with IAM's codes and wording ----

pub fn no_such_entity(what: &str, name: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("The {what} with name {name} cannot be found."))
}

pub fn already_exists(what: &str, name: &str) -> AwsError {
    AwsError::new(409, "EntityAlreadyExists", format!("{what} with name {name} already exists."))
}

pub fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "DeleteConflict", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new(409, "LimitExceeded", message)
}

pub fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidInput", message)
}

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationError", message)
}

/// A refused policy document, with the message IAM returns for it (the first problem in
/// IAM's order of checks, in AWS's words; `edgeward policy validate` shows every finding).
pub fn malformed(e: &edgeward_policy::PolicyError) -> AwsError {
    match e.code() {
        "LimitExceeded" => limit_exceeded(e.aws_message()),
        _ => AwsError::client("MalformedPolicyDocument", e.aws_message()),
    }
}

fn pattern_error(field: &str, value: &str, pattern: &str, max: usize) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern} and have length between 1 and {max}"
    ))
}

/// Checks a name against IAM's pattern `[\w+=,.@-]+` and length.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), AwsError> {
    let ok = !name.is_empty() && name.len() <= max && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(pattern_error(field, name, "[\\w+=,.@-]+", max))
    }
}

/// Checks a path: `/` or `/…/`.
pub fn check_path(path: &str) -> Result<(), AwsError> {
    let ok = path.starts_with('/') && path.ends_with('/') && path.len() <= 512 && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(validation(format!("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: {path}")))
    }
}

/// `PathPrefix` (default `/`): must begin with `/`.
pub fn path_prefix(p: &Params) -> Result<String, AwsError> {
    let prefix = p.get("PathPrefix").unwrap_or("/");
    if !prefix.starts_with('/') || prefix.len() > 512 {
        return Err(pattern_error("pathPrefix", prefix, "\\u002F[\\u0021-\\u007F]*", 512));
    }
    Ok(prefix.to_string())
}

/// An optional description of at most 1000 characters.
pub fn description(p: &Params) -> Result<Option<String>, AwsError> {
    let d = p.get("Description");
    if let Some(text) = d {
        if text.chars().count() > 1000 {
            return Err(validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"));
        }
    }
    Ok(d.map(str::to_string))
}

/// IAM returns policy documents URL-encoded.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn iam<'s>(st: &'s State, account: &str) -> Option<&'s state::Iam> {
    st.iam.get(account)
}

pub fn iam_mut<'s>(st: &'s mut State, account: &str) -> &'s mut state::Iam {
    st.iam.entry(account.to_string()).or_default()
}

// ---- the trail ----

/// CloudTrail's `requestParameters`: the request's members in camelCase, lists as arrays
/// (`Tags.member.1.Key` → `tags[0].key`), numbers and booleans typed.
pub fn request_parameters(p: &Params) -> Value {
    let mut root = Value::Object(Map::new());
    for (name, value) in p.pairs() {
        if name == "Action" || name == "Version" {
            continue;
        }
        let mut path: Vec<Step> = Vec::new();
        for seg in name.split('.') {
            match seg.parse::<usize>() {
                Ok(n) if n > 0 => path.push(Step::Index(n - 1)),
                _ if seg == "member" || seg == "entry" => {}
                _ => path.push(Step::Key(lower_first(seg))),
            }
        }
        let typed = match path.last() {
            Some(Step::Key(k)) if matches!(k.as_str(), "maxItems" | "maxSessionDuration") => {
                value.parse::<i64>().map(Value::from).unwrap_or_else(|_| value.clone().into())
            }
            Some(Step::Key(k)) if matches!(k.as_str(), "setAsDefault" | "onlyAttached") => Value::Bool(value.eq_ignore_ascii_case("true")),
            _ => Value::String(value.clone()),
        };
        insert_at(&mut root, &path, typed);
    }
    root
}

enum Step {
    Key(String),
    Index(usize),
}

fn insert_at(node: &mut Value, path: &[Step], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    let child = match first {
        Step::Key(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            node.as_object_mut().expect("an object").entry(k.clone()).or_insert(Value::Null)
        }
        Step::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let items = node.as_array_mut().expect("an array");
            if items.len() <= *i {
                items.resize(*i + 1, Value::Null);
            }
            &mut items[*i]
        }
    };
    insert_at(child, rest, value);
}

// ---- tags ----

fn tag_error(field: String, value: &str, pattern: &str, max: usize) -> AwsError {
    pattern_error(&field, value, pattern, max)
}

/// `Tags.member.N.{Key,Value}`, validated like IAM: key 1–128 and value 0–256 characters of
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, no key twice (keys are case-insensitive), at most 50.
pub fn tags_from(p: &Params) -> Result<Vec<Tag>, AwsError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let mut tags: Vec<Tag> = Vec::new();
    for (i, fields) in p.list_of("Tags", &["Key", "Value"]).into_iter().enumerate() {
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let key = get("Key").ok_or_else(|| crate::protocol::query::missing(&format!("tags.{}.member.key", i + 1)))?;
        let value = get("Value").unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(allowed) {
            return Err(tag_error(format!("tags.{}.member.key", i + 1), &key, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 128));
        }
        if value.chars().count() > 256 || !value.chars().all(allowed) {
            return Err(tag_error(format!("tags.{}.member.value", i + 1), &value, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", 256));
        }
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(&key)) {
            return Err(invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive."));
        }
        tags.push(Tag { key, value });
    }
    if tags.len() > 50 {
        return Err(limit_exceeded("Cannot exceed quota for TagsPerResource: 50"));
    }
    Ok(tags)
}

/// Adds or replaces tags (keys compare case-insensitively); at most 50 in all.
pub fn merge_tags(existing: &mut Vec<Tag>, new: Vec<Tag>) -> Result<(), AwsError> {
    for t in new {
        existing.retain(|e| !e.key.eq_ignore_ascii_case(&t.key));
        existing.push(t);
    }
    if existing.len() > 50 {
        return Err(limit_exceeded("Cannot exceed quota for TagsPerResource: 50"));
    }
    Ok(())
}

pub fn tags_xml(x: &mut Xml, tags: &[Tag]) {
    if !tags.is_empty() {
        members(x, "Tags", tags, tag_fields);
    }
}

fn tag_fields(x: &mut Xml, t: &Tag) {
    x.elem("Key", &t.key).elem("Value", &t.value);
}

/// `aws:RequestTag/<key>` for each tag and `aws:TagKeys`.
pub fn request_tag_access(mut access: Access, tags: &[Tag]) -> Access {
    for t in tags {
        access = access.key(&format!("aws:RequestTag/{}", t.key), t.value.clone());
    }
    if !tags.is_empty() {
        access = access.keys("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect());
    }
    access
}

// ---- permissions boundaries ----

/// A boundary must name an existing customer managed policy of the account.
pub fn check_boundary(st: &State, account: &str, arn: &str) -> Result<(), AwsError> {
    managed::check_policy_arn(arn)?;
    if iam(st, account).is_some_and(|i| i.policies.contains_key(arn)) {
        Ok(())
    } else {
        Err(AwsError::new(404, "NoSuchEntity", format!("Scope ARN: {arn} does not exist or is not attachable.")))
    }
}

pub fn boundary_xml(x: &mut Xml, boundary: Option<&str>) {
    if let Some(b) = boundary {
        x.open("PermissionsBoundary")
            .elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .elem("PermissionsBoundaryArn", b)
            .close("PermissionsBoundary");
    }
}

/// The operations for which AWS supplies `iam:PermissionsBoundary` as the boundary the
/// user or role has (the Put/Create operations supply the one being set).
const BOUNDARY_KEY_OPS: &[&str] = &[
    "AttachRolePolicy",
    "AttachUserPolicy",
    "DeleteRolePermissionsBoundary",
    "DeleteRolePolicy",
    "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
];

// ---- pagination and lists ----

/// One page of `items` (each with its unique sort key) after `Marker`, at most `MaxItems`
/// (default 100), and the marker of the next page when there is one. Markers are the
/// hex-encoded sort key of the next item, so a page boundary survives concurrent changes.
pub fn paginate<T>(p: &Params, mut items: Vec<(String, T)>) -> Result<(Vec<T>, Option<String>), AwsError> {
    let max = p.int("MaxItems", 1, 1000)?.unwrap_or(100) as usize;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match p.get("Marker") {
        Some(m) => {
            let key = hex::decode(m).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| invalid_input("Invalid Marker."))?;
            items.partition_point(|(k, _)| *k < key)
        }
        None => 0,
    };
    let mut rest = items.split_off(start.min(items.len()));
    let next = rest.get(max).map(|(k, _)| hex::encode(k));
    rest.truncate(max);
    Ok((rest.into_iter().map(|(_, v)| v).collect(), next))
}

/// `<IsTruncated>` and, when truncated, `<Marker>`.
pub fn truncation_xml(x: &mut Xml, next: &Option<String>) {
    x.elem("IsTruncated", if next.is_some() { "true" } else { "false" });
    x.opt("Marker", next.as_deref());
}

/// `<wrapper><member>…</member>…</wrapper>` (an empty wrapper when there are none).
pub fn members<T>(x: &mut Xml, wrapper: &str, items: &[T], render: impl Fn(&mut Xml, &T)) {
    x.open(wrapper);
    for item in items {
        x.open("member");
        render(x, item);
        x.close("member");
    }
    x.close(wrapper);
}

/// A paginated list response with one list.
pub fn list_response<T>(p: &Params, wrapper: &str, items: Vec<(String, T)>, render: impl Fn(&mut Xml, &T)) -> Result<String, AwsError> {
    let (page, next) = paginate(p, items)?;
    let mut x = Xml::new();
    members(&mut x, wrapper, &page, render);
    truncation_xml(&mut x, &next);
    Ok(x.finish())
}

/// A list member that is just text.
pub fn text_member<S: AsRef<str>>(x: &mut Xml, s: &S) {
    x.raw(&escape(s.as_ref()));
}

/// The `iam:<Operation>` action of the call.
pub fn action(call: &Call<'_>) -> String {
    format!("iam:{}", call.operation)
}

/// The state to read once authz allows `iam:<Operation>` on `resource` (`*` for the
/// account-wide operations, `arn:aws:iam::ACCOUNT:user/PATH` for a list under a path).
pub fn read_authorized<'c>(call: &mut Call<'c>, resource: String) -> Result<RwLockReadGuard<'c, State>, AwsError> {
    let cloud: &'c crate::Cloud = call.cloud;
    let st = cloud.read_state();
    let access = Access::new(&action(call), resource, &call.caller.account);
    call.authorize(&st, &access)?;
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        Params::parse(body.as_bytes(), "")
    }

    #[test]
    fn request_parameters_are_camel_case_with_lists_and_types() {
        let p = params(&[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "ana"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
            ("Tags.member.2.Key", "cost"),
            ("Tags.member.2.Value", "1"),
            ("Filter.member.1", "User"),
            ("MaxItems", "5"),
            ("SetAsDefault", "true"),
        ]);
        assert_eq!(
            request_parameters(&p),
            json!({
                "userName": "ana",
                "tags": [{"key": "team", "value": "red"}, {"key": "cost", "value": "1"}],
                "filter": ["User"],
                "maxItems": 5,
                "setAsDefault": true,
            })
        );
    }

    #[test]
    fn pages_follow_the_marker_and_survive_deletions() {
        let items = |names: &[&str]| names.iter().map(|n| (n.to_string(), n.to_string())).collect::<Vec<_>>();
        let (page, next) = paginate(&params(&[("MaxItems", "2")]), items(&["c", "a", "b", "d"])).unwrap();
        assert_eq!(page, ["a", "b"]);
        let marker = next.unwrap();
        // "c" is deleted between the pages: the next page starts at what follows.
        let (page, next) = paginate(&params(&[("MaxItems", "2"), ("Marker", &marker)]), items(&["a", "b", "d"])).unwrap();
        assert_eq!((page, next), (vec!["d".to_string()], None));
        assert_eq!(paginate(&params(&[("Marker", "zz")]), items(&["a"])).unwrap_err().code, "InvalidInput");
        assert_eq!(paginate(&params(&[("MaxItems", "0")]), items(&["a"])).unwrap_err().code, "ValidationError");
    }

    #[test]
    fn tags_are_validated_like_iam() {
        let dup = params(&[("Tags.member.1.Key", "a"), ("Tags.member.2.Key", "A")]);
        assert_eq!(tags_from(&dup).unwrap_err().code, "InvalidInput");
        let bad = params(&[("Tags.member.1.Key", "no*stars")]);
        assert_eq!(tags_from(&bad).unwrap_err().code, "ValidationError");
        let mut existing = vec![Tag { key: "Team".into(), value: "red".into() }];
        merge_tags(&mut existing, vec![Tag { key: "team".into(), value: "blue".into() }]).unwrap();
        assert_eq!(existing, vec![Tag { key: "team".into(), value: "blue".into() }]);
    }
}
