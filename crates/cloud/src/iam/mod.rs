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
mod shapes;
mod users;
mod wire;

use std::sync::RwLockReadGuard;

use serde_json::json;

use crate::authz::Access;
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::query::{in_range, lower_first};
use crate::state::{self, Group, ManagedPolicy, Role, State, Tag, User};
use shapes::*;

pub use entity::{Entity, Record};
pub use shapes::TagIn;
pub use keys::{key_use_due, note_key_use};
pub use wire::{handle, reads_only};

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
pub fn path_prefix(prefix: Option<&str>) -> Result<String, AwsError> {
    let prefix = prefix.unwrap_or("/");
    if !prefix.starts_with('/') || prefix.len() > 512 {
        return Err(pattern_error("pathPrefix", prefix, "\\u002F[\\u0021-\\u007F]*", 512));
    }
    Ok(prefix.to_string())
}

/// An optional description of at most 1000 characters.
pub fn description(d: Option<String>) -> Result<Option<String>, AwsError> {
    if let Some(text) = &d {
        if text.chars().count() > 1000 {
            return Err(validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"));
        }
    }
    Ok(d)
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

// ---- tags ----

fn tag_error(field: String, value: &str, pattern: &str, max: usize) -> AwsError {
    pattern_error(&field, value, pattern, max)
}

/// `Tags.member.N.{Key,Value}`, validated like IAM: key 1–128 and value 0–256 characters of
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, no key twice (keys are case-insensitive), at most 50.
pub fn tags_from(sent: Vec<TagIn>) -> Result<Vec<Tag>, AwsError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let mut tags: Vec<Tag> = Vec::new();
    for (i, t) in sent.into_iter().enumerate() {
        let key = t.key.ok_or_else(|| crate::protocol::query::missing(&format!("tags.{}.member.key", i + 1)))?;
        let value = t.value.unwrap_or_default();
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

pub fn tags_out(tags: &[Tag]) -> Vec<TagOut> {
    tags.iter().map(|t| TagOut { key: t.key.clone(), value: t.value.clone() }).collect()
}

/// `aws:RequestTag/<key>` for each tag and `aws:TagKeys`.
pub fn request_tag_access(mut access: Access, tags: &[Tag]) -> Access {
    access.context.extend(crate::authz::request_tags(tags.iter().map(Tag::pair)));
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

pub fn boundary_out(boundary: Option<&str>) -> Option<BoundaryOut> {
    boundary.map(|b| BoundaryOut { permissions_boundary_type: "PermissionsBoundaryPolicy", permissions_boundary_arn: b.to_string() })
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
pub fn paginate<T>(marker: Option<&str>, max_items: Option<i64>, mut items: Vec<(String, T)>) -> Result<(Vec<T>, Option<String>), AwsError> {
    let max = in_range("maxItems", max_items, 1, 1000)?.unwrap_or(100) as usize;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match marker {
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

/// A paginated list response with one list.
pub fn list_page<T>(marker: Option<&str>, max_items: Option<i64>, wrapper: &'static str, items: Vec<(String, T)>) -> Result<ListPage<T>, AwsError> {
    let (items, next) = paginate(marker, max_items, items)?;
    Ok(ListPage { wrapper, items, next })
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

    #[test]
    fn pages_follow_the_marker_and_survive_deletions() {
        let items = |names: &[&str]| names.iter().map(|n| (n.to_string(), n.to_string())).collect::<Vec<_>>();
        let (page, next) = paginate(None, Some(2), items(&["c", "a", "b", "d"])).unwrap();
        assert_eq!(page, ["a", "b"]);
        let marker = next.unwrap();
        // "c" is deleted between the pages: the next page starts at what follows.
        let (page, next) = paginate(Some(&marker), Some(2), items(&["a", "b", "d"])).unwrap();
        assert_eq!((page, next), (vec!["d".to_string()], None));
        assert_eq!(paginate(Some("zz"), None, items(&["a"])).unwrap_err().code, "InvalidInput");
        assert_eq!(paginate(None, Some(0), items(&["a"])).unwrap_err().code, "ValidationError");
    }

    fn keys(keys: &[&str]) -> Vec<TagIn> {
        keys.iter().map(|k| TagIn { key: Some(k.to_string()), value: None }).collect()
    }

    #[test]
    fn tags_are_validated_like_iam() {
        assert_eq!(tags_from(keys(&["a", "A"])).unwrap_err().code, "InvalidInput");
        assert_eq!(tags_from(keys(&["no*stars"])).unwrap_err().code, "ValidationError");
        let mut existing = vec![Tag { key: "Team".into(), value: "red".into() }];
        merge_tags(&mut existing, vec![Tag { key: "team".into(), value: "blue".into() }]).unwrap();
        assert_eq!(existing, vec![Tag { key: "team".into(), value: "blue".into() }]);
    }
}
