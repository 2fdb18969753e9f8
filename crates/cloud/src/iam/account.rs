//! The whole account: GetAccountAuthorizationDetails (every user, group, role and customer
//! managed policy with their policies, `Filter`, one pagination over all four lists) and
//! GetAccountSummary (usage and quotas).

use edgeward_policy::limits;

use super::*;
use crate::state::{Iam, KeyOwner, PolicyDoc};

enum Detail<'a> {
    User(&'a User),
    Group(&'a Group),
    Role(&'a Role),
    Policy(&'a ManagedPolicy),
}

const FILTERS: &[&str] = &["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];

pub fn authorization_details(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let mut filter = p.list("Filter");
    if let Some(bad) = filter.iter().find(|f| !FILTERS.contains(&f.as_str())) {
        return Err(validation(format!(
            "1 validation error detected: Value '[{bad}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]"
        )));
    }
    if filter.is_empty() {
        filter = FILTERS.iter().map(|f| f.to_string()).collect();
    }
    let wants = |f: &str| filter.iter().any(|x| x == f);
    let account = call.caller.account.clone();
    let st = read_authorized(call, "*".into())?;
    let iam = iam(&st, &account);
    let mut items: Vec<(String, Detail<'_>)> = Vec::new();
    if let Some(i) = iam {
        // The sort keys keep AWS's order: users, groups, roles, policies.
        if wants("User") {
            items.extend(i.users.iter().map(|(k, u)| (format!("1/{k}"), Detail::User(u))));
        }
        if wants("Group") {
            items.extend(i.groups.iter().map(|(k, g)| (format!("2/{k}"), Detail::Group(g))));
        }
        if wants("Role") {
            items.extend(i.roles.iter().map(|(k, r)| (format!("3/{k}"), Detail::Role(r))));
        }
        if wants("LocalManagedPolicy") {
            items.extend(i.policies.values().map(|pol| (format!("4/{}", pol.arn), Detail::Policy(pol))));
        }
    }
    let (page, next) = paginate(p, items)?;
    let mut x = Xml::new();
    let pick_users: Vec<&User> = page.iter().filter_map(|d| if let Detail::User(u) = d { Some(*u) } else { None }).collect();
    let pick_groups: Vec<&Group> = page.iter().filter_map(|d| if let Detail::Group(g) = d { Some(*g) } else { None }).collect();
    let pick_roles: Vec<&Role> = page.iter().filter_map(|d| if let Detail::Role(r) = d { Some(*r) } else { None }).collect();
    let pick_policies: Vec<&ManagedPolicy> = page.iter().filter_map(|d| if let Detail::Policy(pol) = d { Some(*pol) } else { None }).collect();
    members(&mut x, "UserDetailList", &pick_users, |x, u| {
        entity_detail(x, *u, iam);
        members(x, "GroupList", &u.groups, text_member);
    });
    members(&mut x, "GroupDetailList", &pick_groups, |x, g| entity_detail(x, *g, iam));
    members(&mut x, "RoleDetailList", &pick_roles, |x, r| {
        entity_detail(x, *r, iam);
        x.elem("AssumeRolePolicyDocument", &url_encode(&r.trust.text)).raw("<InstanceProfileList/><RoleLastUsed/>");
    });
    members(&mut x, "Policies", &pick_policies, |x, pol| {
        managed::policy_fields(x, pol, iam, false);
        members(x, "PolicyVersionList", &pol.versions, |x, v| managed::version_fields(x, v, &pol.default_version, true));
    });
    truncation_xml(&mut x, &next);
    Ok(x.finish())
}

/// What every entity detail has: identity, inline and attached policies, boundary, tags.
fn entity_detail<E: Entity>(x: &mut Xml, e: &E, iam: Option<&Iam>) {
    x.elem("Path", e.path())
        .elem(E::PARAM, e.name())
        .elem(&format!("{}Id", E::KIND), e.id())
        .elem("Arn", e.arn())
        .elem("CreateDate", &crate::time::iso8601(e.created()));
    let inline: Vec<(&String, &PolicyDoc)> = e.inline().iter().collect();
    members(x, &format!("{}PolicyList", E::KIND), &inline, |x, (name, doc)| {
        x.elem("PolicyName", name).elem("PolicyDocument", &url_encode(&doc.text));
    });
    managed::attached_xml(x, iam, e.attached());
    boundary_xml(x, e.boundary());
    tags_xml(x, e.tags());
}

pub fn summary(call: &mut Call<'_>) -> Result<String, AwsError> {
    let account = call.caller.account.clone();
    let st = read_authorized(call, "*".into())?;
    let default = Iam::default();
    let i = iam(&st, &account).unwrap_or(&default);
    let root_keys = st.keys.values().filter(|k| k.owner == KeyOwner::Root { account: account.clone() }).count();
    let versions: usize = i.policies.values().map(|pol| pol.versions.len()).sum();
    let entries: Vec<(&str, usize)> = vec![
        ("Users", i.users.len()),
        ("UsersQuota", 5000),
        ("Groups", i.groups.len()),
        ("GroupsQuota", 300),
        ("Roles", i.roles.len()),
        ("RolesQuota", 1000),
        ("Policies", i.policies.len()),
        ("PoliciesQuota", 1500),
        ("PolicySizeQuota", limits::MANAGED_POLICY),
        ("PolicyVersionsInUse", versions),
        ("PolicyVersionsInUseQuota", 10000),
        ("VersionsPerPolicyQuota", 5),
        ("UserPolicySizeQuota", limits::USER_INLINE),
        ("GroupPolicySizeQuota", limits::GROUP_INLINE),
        ("RolePolicySizeQuota", limits::ROLE_INLINE),
        ("AssumeRolePolicySizeQuota", limits::TRUST_POLICY),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("GroupsPerUserQuota", 10),
        ("AccessKeysPerUserQuota", 2),
        ("AccountAccessKeysPresent", usize::from(root_keys > 0)),
        ("AccountMFAEnabled", 0),
        ("AccountPasswordPresent", 0),
        ("AccountSigningCertificatesPresent", 0),
        ("SigningCertificatesPerUserQuota", 2),
        ("MFADevices", 0),
        ("MFADevicesInUse", 0),
        ("InstanceProfiles", 0),
        ("InstanceProfilesQuota", 1000),
        ("Providers", 0),
        ("ServerCertificates", 0),
        ("ServerCertificatesQuota", 20),
        ("GlobalEndpointTokenVersion", 1),
    ];
    let mut x = Xml::new();
    x.open("SummaryMap");
    for (k, v) in entries {
        x.open("entry").elem("key", k).elem("value", &v.to_string()).close("entry");
    }
    x.close("SummaryMap");
    Ok(x.finish())
}
