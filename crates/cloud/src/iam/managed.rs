//! Customer managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, their
//! versions (at most five, the default one undeletable), attachment to users, groups and
//! roles, and ListEntitiesForPolicy. AWS managed policies (`arn:aws:iam::aws:policy/…`) are
//! not modelled: they do not exist here.

use edgeward_policy::{limits, ParseOptions, PolicyKind};

use super::entity::{authorized, read, remove, save, update};
use super::*;
use crate::state::{Iam, PolicyDoc, PolicyVersion};

/// Managed policies attached to one user, group or role (IAM's default quota).
const ATTACHED_PER_ENTITY: usize = 10;
/// Versions one managed policy may have.
const VERSIONS_PER_POLICY: usize = 5;

/// `arn:aws:iam::ACCOUNT:policy/…` (or `aws` for AWS managed policies).
pub fn check_policy_arn(arn: &str) -> Result<(), AwsError> {
    let ok = arn.len() >= 20
        && edgeward_policy::Arn::parse(arn).is_some_and(|a| {
            a.service == "iam" && a.resource.starts_with("policy/") && (a.account == "aws" || (a.account.len() == 12 && a.account.bytes().all(|b| b.is_ascii_digit())))
        });
    if ok {
        Ok(())
    } else {
        Err(invalid_input(format!("ARN {arn} is not valid.")))
    }
}

fn not_attachable(arn: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("Policy {arn} does not exist or is not attachable."))
}

fn policy_document(text: &str) -> Result<PolicyDoc, AwsError> {
    // IAM refuses managed policies without "Version": "2012-10-17", ahead of most other
    // problems; inline policies may still omit it.
    let opts = ParseOptions::new(PolicyKind::Identity).with_size_limit(limits::MANAGED_POLICY).requiring_current_version();
    edgeward_policy::Policy::parse(text, opts).map_err(|e| malformed(&e))?;
    PolicyDoc::new(text, PolicyKind::Identity, Some(limits::MANAGED_POLICY)).map_err(|e| malformed(&e))
}

/// One use of a policy: attached to an entity, or its permissions boundary.
struct Use<'a> {
    kind: &'static str,
    name: &'a str,
    id: &'a str,
    path: &'a str,
    boundary: bool,
}

fn uses_in<'a, E: Entity>(iam: &'a Iam, arn: &str, out: &mut Vec<Use<'a>>) {
    for e in E::map(iam).values() {
        let mut add = |boundary| out.push(Use { kind: E::KIND, name: e.name(), id: e.id(), path: e.path(), boundary });
        if e.attached().iter().any(|a| a == arn) {
            add(false);
        }
        if e.boundary() == Some(arn) {
            add(true);
        }
    }
}

fn uses<'a>(iam: &'a Iam, arn: &str) -> Vec<Use<'a>> {
    let mut out = Vec::new();
    uses_in::<User>(iam, arn, &mut out);
    uses_in::<Group>(iam, arn, &mut out);
    uses_in::<Role>(iam, arn, &mut out);
    out
}

/// (AttachmentCount, PermissionsBoundaryUsageCount).
fn usage(iam: Option<&Iam>, arn: &str) -> (usize, usize) {
    let all = iam.map(|i| uses(i, arn)).unwrap_or_default();
    let boundaries = all.iter().filter(|u| u.boundary).count();
    (all.len() - boundaries, boundaries)
}

/// A policy's fields; lists leave out the description and tags, as AWS does.
pub fn policy_out(p: &ManagedPolicy, iam: Option<&Iam>, full: bool) -> PolicyOut {
    let (attached, boundaries) = usage(iam, &p.arn);
    PolicyOut {
        policy_name: p.name.clone(),
        policy_id: p.id.clone(),
        arn: p.arn.clone(),
        path: p.path.clone(),
        default_version_id: p.default_version.clone(),
        attachment_count: attached,
        permissions_boundary_usage_count: boundaries,
        is_attachable: true,
        description: if full { p.description.clone() } else { None },
        create_date: Timestamp(p.created),
        update_date: Timestamp(p.updated),
        tags: if full { tags_out(&p.tags) } else { Vec::new() },
    }
}

pub fn version_out(v: &PolicyVersion, default: &str, with_document: bool) -> PolicyVersionOut {
    PolicyVersionOut {
        document: with_document.then(|| url_encode(&v.doc.text)),
        version_id: v.id.clone(),
        is_default_version: v.id == default,
        create_date: Timestamp(v.created),
    }
}

pub fn create(call: &mut Call<'_>, input: CreatePolicyInput) -> Result<PolicyResult, AwsError> {
    let name = input.policy_name;
    check_name("policyName", &name, 128)?;
    let path = input.path.unwrap_or_else(|| "/".to_string());
    check_path(&path)?;
    let text = input.policy_document;
    let description = description(input.description)?;
    let tags = tags_from(input.tags)?;
    let account = call.caller.account.clone();
    let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let access = request_tag_access(Access::new(&action(call), arn.clone(), &account), &tags);
    call.authorize(&st, &access)?;
    let doc = policy_document(&text)?;
    if iam(&st, &account).is_some_and(|i| i.policies.values().any(|p| p.name.eq_ignore_ascii_case(&name))) {
        return Err(AwsError::new(409, "EntityAlreadyExists", format!("A policy called {name} already exists. Duplicate names are not allowed.")));
    }
    let now = call.now;
    let policy = ManagedPolicy {
        name,
        path,
        id: crate::ids::aws_id("ANPA"),
        arn,
        created: now,
        updated: now,
        description,
        default_version: "v1".into(),
        versions: vec![PolicyVersion { id: "v1".into(), doc, created: now }],
        next_version: 2,
        tags,
    };
    call.trail.response_elements = Some(json!({"policy": {"policyName": policy.name, "policyId": policy.id, "arn": policy.arn, "path": policy.path, "defaultVersionId": "v1"}}));
    let out = PolicyResult { policy: policy_out(&policy, None, true) };
    save(call, &mut st, policy);
    Ok(out)
}

pub fn get(call: &mut Call<'_>, input: NameInput) -> Result<PolicyResult, AwsError> {
    let account = call.caller.account.clone();
    read::<ManagedPolicy, _>(call, &input.name, |pol, st| Ok(PolicyResult { policy: policy_out(pol, iam(st, &account), true) }))
}

/// ListPolicies: `Scope` (AWS managed policies are not modelled, so `AWS` lists none),
/// `OnlyAttached` (with `PolicyUsageFilter` choosing attachments or boundary uses),
/// `PathPrefix`, pagination.
pub fn list(call: &mut Call<'_>, input: ListPoliciesInput) -> Result<ListPage<PolicyOut>, AwsError> {
    let scope = input.scope.as_deref().unwrap_or("All");
    if !matches!(scope, "All" | "AWS" | "Local") {
        return Err(enum_error("scope", scope, "[All, AWS, Local]"));
    }
    let usage_filter = usage_filter(input.policy_usage_filter.as_deref())?;
    let only_attached = input.only_attached.unwrap_or(false);
    let prefix = path_prefix(input.path_prefix.as_deref())?;
    let account = call.caller.account.clone();
    let st = read_authorized(call, "*".into())?;
    let iam = iam(&st, &account);
    let items = iam
        .filter(|_| scope != "AWS")
        .map(|i| i.policies.values().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|pol| pol.path.starts_with(&prefix))
        .filter(|pol| {
            let (attached, boundaries) = usage(iam, &pol.arn);
            let used = match usage_filter {
                Some("PermissionsPolicy") => attached,
                Some(_) => boundaries,
                None => attached + boundaries,
            };
            !only_attached || used > 0
        })
        .map(|pol| (pol.name.to_ascii_lowercase(), policy_out(pol, iam, false)))
        .collect();
    list_page(input.marker.as_deref(), input.max_items, "Policies", items)
}

fn enum_error(field: &str, value: &str, values: &str) -> AwsError {
    validation(format!("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: {values}"))
}

fn usage_filter(filter: Option<&str>) -> Result<Option<&str>, AwsError> {
    match filter {
        None => Ok(None),
        Some(v @ ("PermissionsPolicy" | "PermissionsBoundary")) => Ok(Some(v)),
        Some(v) => Err(enum_error("policyUsageFilter", v, "[PermissionsPolicy, PermissionsBoundary]")),
    }
}

/// Refused while attached or used as a boundary, or while it has non-default versions.
pub fn delete(call: &mut Call<'_>, input: NameInput) -> Result<(), AwsError> {
    let arn = input.name;
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let pol: ManagedPolicy = authorized(call, &st, &arn, |a| a)?;
    if usage(iam(&st, &call.caller.account), &arn) != (0, 0) {
        return Err(delete_conflict("Cannot delete a policy attached to entities."));
    }
    if pol.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    remove(call, &mut st, &pol);
    Ok(())
}

// ---- versions ----

fn version_id(v: String) -> Result<String, AwsError> {
    let digits = v.strip_prefix('v').map(|r| r.split('.').next().unwrap_or(""));
    let ok = digits.is_some_and(|d| !d.is_empty() && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
        )));
    }
    Ok(v)
}

fn no_such_version(arn: &str, v: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("Policy {arn} version {v} does not exist or is not attachable."))
}

fn find_version<'p>(pol: &'p ManagedPolicy, v: &str) -> Result<&'p PolicyVersion, AwsError> {
    pol.versions.iter().find(|x| x.id == v).ok_or_else(|| no_such_version(&pol.arn, v))
}

/// At most five versions; `SetAsDefault` makes the new one the policy's document.
pub fn create_version(call: &mut Call<'_>, input: CreatePolicyVersionInput) -> Result<PolicyVersionResult, AwsError> {
    let text = input.policy_document;
    let set_default = input.set_as_default.unwrap_or(false);
    let now = call.now;
    let pol = update::<ManagedPolicy>(call, &input.policy_arn, |a| a, |pol, _| {
        let doc = policy_document(&text)?;
        if pol.versions.len() >= VERSIONS_PER_POLICY {
            return Err(limit_exceeded(format!(
                "A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let id = format!("v{}", pol.next_version);
        pol.next_version += 1;
        pol.versions.push(PolicyVersion { id: id.clone(), doc, created: now });
        if set_default {
            pol.default_version = id;
            pol.updated = now;
        }
        Ok(())
    })?;
    let v = pol.versions.last().expect("the version just added");
    call.trail.response_elements = Some(json!({"policyVersion": {"versionId": v.id, "isDefaultVersion": v.id == pol.default_version}}));
    Ok(PolicyVersionResult { policy_version: version_out(v, &pol.default_version, false) })
}

pub fn get_version(call: &mut Call<'_>, input: PolicyVersionInput) -> Result<PolicyVersionResult, AwsError> {
    let v = version_id(input.version_id)?;
    read::<ManagedPolicy, _>(call, &input.policy_arn, |pol, _| {
        Ok(PolicyVersionResult { policy_version: version_out(find_version(pol, &v)?, &pol.default_version, true) })
    })
}

pub fn list_versions(call: &mut Call<'_>, input: NamePageInput) -> Result<ListPage<PolicyVersionOut>, AwsError> {
    read::<ManagedPolicy, _>(call, &input.name, |pol, _| {
        let items = pol.versions.iter().map(|v| (format!("{:>12}", &v.id[1..]), version_out(v, &pol.default_version, false))).collect();
        list_page(input.marker.as_deref(), input.max_items, "Versions", items)
    })
}

pub fn set_default_version(call: &mut Call<'_>, input: PolicyVersionInput) -> Result<(), AwsError> {
    let v = version_id(input.version_id)?;
    let now = call.now;
    update::<ManagedPolicy>(call, &input.policy_arn, |a| a, |pol, _| {
        find_version(pol, &v)?;
        pol.default_version = v;
        pol.updated = now;
        Ok(())
    })?;
    Ok(())
}

pub fn delete_version(call: &mut Call<'_>, input: PolicyVersionInput) -> Result<(), AwsError> {
    let v = version_id(input.version_id)?;
    update::<ManagedPolicy>(call, &input.policy_arn, |a| a, |pol, _| {
        find_version(pol, &v)?;
        if pol.default_version == v {
            return Err(delete_conflict("Cannot delete the default version of a policy."));
        }
        pol.versions.retain(|x| x.id != v);
        Ok(())
    })?;
    Ok(())
}

// ---- attachments ----

fn policy_arn(arn: String) -> Result<String, AwsError> {
    check_policy_arn(&arn)?;
    Ok(arn)
}

/// Attach<Kind>Policy: authorized with `iam:PolicyARN`; the policy must exist; idempotent.
pub fn attach<E: Entity>(call: &mut Call<'_>, input: AttachInput) -> Result<(), AwsError> {
    let arn = policy_arn(input.policy_arn)?;
    let account = call.caller.account.clone();
    let key = arn.clone();
    update::<E>(call, &input.name, |a| a.key("iam:PolicyARN", key), |e, st| {
        if !iam(st, &account).is_some_and(|i| i.policies.contains_key(&arn)) {
            return Err(not_attachable(&arn));
        }
        if !e.attached().contains(&arn) {
            if e.attached().len() >= ATTACHED_PER_ENTITY {
                return Err(limit_exceeded(format!("Cannot exceed quota for PoliciesPer{}: {ATTACHED_PER_ENTITY}", E::KIND)));
            }
            e.attached_mut().push(arn);
        }
        Ok(())
    })?;
    Ok(())
}

pub fn detach<E: Entity>(call: &mut Call<'_>, input: AttachInput) -> Result<(), AwsError> {
    let arn = policy_arn(input.policy_arn)?;
    let key = arn.clone();
    update::<E>(call, &input.name, |a| a.key("iam:PolicyARN", key), |e, _| {
        if !e.attached().contains(&arn) {
            return Err(AwsError::new(404, "NoSuchEntity", format!("Policy {arn} was not found.")));
        }
        e.attached_mut().retain(|a| *a != arn);
        Ok(())
    })?;
    Ok(())
}

fn attached_out(pol: &ManagedPolicy) -> AttachedPolicy {
    AttachedPolicy { policy_name: pol.name.clone(), policy_arn: pol.arn.clone() }
}

/// The managed policies of `arns` that exist.
pub fn attached(iam: Option<&Iam>, arns: &[String]) -> Vec<AttachedPolicy> {
    arns.iter().filter_map(|a| iam?.policies.get(a)).map(attached_out).collect()
}

/// ListAttached<Kind>Policies: `PathPrefix` on the policies' paths, pagination.
pub fn list_attached<E: Entity>(call: &mut Call<'_>, input: ListAttachedInput) -> Result<ListPage<AttachedPolicy>, AwsError> {
    let prefix = path_prefix(input.path_prefix.as_deref())?;
    let account = call.caller.account.clone();
    read::<E, _>(call, &input.name, |e, st| {
        let items = e
            .attached()
            .iter()
            .filter_map(|a| iam(st, &account)?.policies.get(a))
            .filter(|pol| pol.path.starts_with(&prefix))
            .map(|pol| (pol.arn.clone(), attached_out(pol)))
            .collect();
        list_page(input.marker.as_deref(), input.max_items, "AttachedPolicies", items)
    })
}

/// ListEntitiesForPolicy: `EntityFilter`, `PathPrefix` (of the entities),
/// `PolicyUsageFilter`, one pagination over groups, roles and users.
pub fn list_entities(call: &mut Call<'_>, input: ListEntitiesForPolicyInput) -> Result<ListEntitiesForPolicyOutput, AwsError> {
    let filter = input.entity_filter.as_deref();
    if let Some(f) = filter {
        if !matches!(f, "User" | "Role" | "Group" | "LocalManagedPolicy" | "AWSManagedPolicy") {
            return Err(enum_error("entityFilter", f, "[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"));
        }
    }
    let usage_filter = usage_filter(input.policy_usage_filter.as_deref())?;
    let prefix = path_prefix(input.path_prefix.as_deref())?;
    let account = call.caller.account.clone();
    read::<ManagedPolicy, _>(call, &input.policy_arn, |pol, st| {
        let mut all = iam(st, &account).map(|i| uses(i, &pol.arn)).unwrap_or_default();
        all.retain(|u| {
            filter.is_none_or(|f| f == u.kind)
                && u.path.starts_with(&prefix)
                && match usage_filter {
                    Some("PermissionsPolicy") => !u.boundary,
                    Some(_) => u.boundary,
                    None => true,
                }
        });
        let mut items: Vec<(String, Use<'_>)> = all.into_iter().map(|u| (format!("{}/{}", u.kind, u.name.to_ascii_lowercase()), u)).collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.dedup_by(|a, b| a.0 == b.0);
        let (page, next) = paginate(input.marker.as_deref(), input.max_items, items)?;
        let of = |kind: &'static str| page.iter().filter(move |u| u.kind == kind);
        Ok(ListEntitiesForPolicyOutput {
            policy_groups: of("Group").map(|u| PolicyGroup { group_name: u.name.to_string(), group_id: u.id.to_string() }).collect(),
            policy_users: of("User").map(|u| PolicyUser { user_name: u.name.to_string(), user_id: u.id.to_string() }).collect(),
            policy_roles: of("Role").map(|u| PolicyRole { role_name: u.name.to_string(), role_id: u.id.to_string() }).collect(),
            is_truncated: next.is_some(),
            marker: next,
        })
    })
}
