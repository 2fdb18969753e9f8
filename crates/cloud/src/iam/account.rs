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

pub fn authorization_details(call: &mut Call<'_>, input: AuthorizationDetailsInput) -> Result<AuthorizationDetailsOutput, AwsError> {
    let mut filter = input.filter;
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
    let (page, next) = paginate(input.marker.as_deref(), input.max_items, items)?;
    let mut out = AuthorizationDetailsOutput {
        user_detail_list: Vec::new(),
        group_detail_list: Vec::new(),
        role_detail_list: Vec::new(),
        policies: Vec::new(),
        is_truncated: next.is_some(),
        marker: next,
    };
    for d in page {
        match d {
            Detail::User(u) => out.user_detail_list.push(UserDetail {
                path: u.path.clone(),
                user_name: u.name.clone(),
                user_id: u.id.clone(),
                arn: u.arn.clone(),
                create_date: Timestamp(u.created),
                user_policy_list: inline_policies(u),
                attached_managed_policies: managed::attached(iam, &u.attached),
                permissions_boundary: boundary_out(u.boundary.as_deref()),
                tags: tags_out(&u.tags),
                group_list: u.groups.clone(),
            }),
            Detail::Group(g) => out.group_detail_list.push(GroupDetail {
                path: g.path.clone(),
                group_name: g.name.clone(),
                group_id: g.id.clone(),
                arn: g.arn.clone(),
                create_date: Timestamp(g.created),
                group_policy_list: inline_policies(g),
                attached_managed_policies: managed::attached(iam, &g.attached),
            }),
            Detail::Role(r) => out.role_detail_list.push(RoleDetail {
                path: r.path.clone(),
                role_name: r.name.clone(),
                role_id: r.id.clone(),
                arn: r.arn.clone(),
                create_date: Timestamp(r.created),
                role_policy_list: inline_policies(r),
                attached_managed_policies: managed::attached(iam, &r.attached),
                permissions_boundary: boundary_out(r.boundary.as_deref()),
                tags: tags_out(&r.tags),
                assume_role_policy_document: url_encode(&r.trust.text),
                instance_profile_list: (),
                role_last_used: (),
            }),
            Detail::Policy(pol) => {
                let p = managed::policy_out(pol, iam, false);
                out.policies.push(ManagedPolicyDetail {
                    policy_name: p.policy_name,
                    policy_id: p.policy_id,
                    arn: p.arn,
                    path: p.path,
                    default_version_id: p.default_version_id,
                    attachment_count: p.attachment_count,
                    permissions_boundary_usage_count: p.permissions_boundary_usage_count,
                    is_attachable: p.is_attachable,
                    create_date: p.create_date,
                    update_date: p.update_date,
                    policy_version_list: pol.versions.iter().map(|v| managed::version_out(v, &pol.default_version, true)).collect(),
                })
            }
        }
    }
    Ok(out)
}

/// An entity's inline policies, documents URL-encoded.
fn inline_policies<E: Entity>(e: &E) -> Vec<PolicyDetail> {
    e.inline().iter().map(|(name, doc): (&String, &PolicyDoc)| PolicyDetail { policy_name: name.clone(), policy_document: url_encode(&doc.text) }).collect()
}

pub fn summary(call: &mut Call<'_>, _input: Empty) -> Result<AccountSummaryOutput, AwsError> {
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
    Ok(AccountSummaryOutput { summary_map: SummaryMap(entries) })
}
