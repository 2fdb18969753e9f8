//! IAM's awsQuery mapping: the one table from an action to its operation, and the trail's
//! `requestParameters` as CloudTrail derives them from the wire. Inputs are decoded and
//! outputs rendered by `protocol` (`form`, `xml`); the operations see only `shapes`.

use serde_json::{Map, Value};

use super::{account, entity, groups, inline, keys, managed, roles, users};
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::query::{lower_first, run, unknown_action, Params};
use crate::state::{Group, ManagedPolicy, Role, User};

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

/// The operations that only read state (each takes the read lock itself): they may take the
/// read path (`http::dispatch`). CloudTrail marks every Get and List call read-only.
const READ_ONLY: &[&str] = &[
    "GetUser",
    "ListUsers",
    "ListUserTags",
    "GetGroup",
    "ListGroups",
    "ListGroupsForUser",
    "GetRole",
    "ListRoles",
    "ListRoleTags",
    "GetUserPolicy",
    "ListUserPolicies",
    "GetGroupPolicy",
    "ListGroupPolicies",
    "GetRolePolicy",
    "ListRolePolicies",
    "GetPolicy",
    "ListPolicies",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "ListEntitiesForPolicy",
    "ListPolicyTags",
    "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies",
    "ListAttachedRolePolicies",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
];

/// Whether `op` only reads state (and so may take the read path).
pub fn reads_only(op: &str) -> bool {
    READ_ONLY.contains(&op)
}

/// Runs `op`; the result is the members of `<OpResult>`. Every action's input and output
/// type is fixed here; the user, group and role variants of one operation share an input
/// type that names the entity `Name` (see `shapes`).
pub fn handle(call: &mut Call<'_>, op: &str, p: &Params) -> Result<String, AwsError> {
    call.trail.request_parameters = Some(request_parameters(p));
    call.trail.read_only = op.starts_with("Get") || op.starts_with("List");
    let user: &[(&str, &'static str)] = &[("UserName", "Name"), ("NewUserName", "NewName")];
    let group: &[(&str, &'static str)] = &[("GroupName", "Name"), ("NewGroupName", "NewName")];
    let role: &[(&str, &'static str)] = &[("RoleName", "Name")];
    let policy: &[(&str, &'static str)] = &[("PolicyArn", "Name")];
    match op {
        // users
        "CreateUser" => run(call, p, user, users::create),
        "GetUser" => run(call, p, &[], users::get),
        "ListUsers" => run(call, p, &[], entity::list::<User>),
        "UpdateUser" => run(call, p, user, entity::rename::<User>),
        "DeleteUser" => run(call, p, user, entity::delete::<User>),
        "TagUser" => run(call, p, user, entity::tag::<User>),
        "UntagUser" => run(call, p, user, entity::untag::<User>),
        "ListUserTags" => run(call, p, user, entity::list_tags::<User>),
        "PutUserPermissionsBoundary" => run(call, p, user, entity::put_boundary::<User>),
        "DeleteUserPermissionsBoundary" => run(call, p, user, entity::delete_boundary::<User>),
        // groups
        "CreateGroup" => run(call, p, group, groups::create),
        "GetGroup" => run(call, p, group, groups::get),
        "ListGroups" => run(call, p, &[], entity::list::<Group>),
        "UpdateGroup" => run(call, p, group, entity::rename::<Group>),
        "DeleteGroup" => run(call, p, group, entity::delete::<Group>),
        "AddUserToGroup" => run(call, p, &[], groups::add_user),
        "RemoveUserFromGroup" => run(call, p, &[], groups::remove_user),
        "ListGroupsForUser" => run(call, p, user, groups::list_for_user),
        // roles
        "CreateRole" => run(call, p, &[], roles::create),
        "GetRole" => run(call, p, role, entity::get::<Role>),
        "ListRoles" => run(call, p, &[], entity::list::<Role>),
        "UpdateRole" => run(call, p, &[], roles::update_role),
        "UpdateRoleDescription" => run(call, p, &[], roles::update_description),
        "UpdateAssumeRolePolicy" => run(call, p, &[], roles::update_trust),
        "DeleteRole" => run(call, p, role, entity::delete::<Role>),
        "TagRole" => run(call, p, role, entity::tag::<Role>),
        "UntagRole" => run(call, p, role, entity::untag::<Role>),
        "ListRoleTags" => run(call, p, role, entity::list_tags::<Role>),
        "PutRolePermissionsBoundary" => run(call, p, role, entity::put_boundary::<Role>),
        "DeleteRolePermissionsBoundary" => run(call, p, role, entity::delete_boundary::<Role>),
        // inline policies
        "PutUserPolicy" => run(call, p, user, inline::put::<User>),
        "GetUserPolicy" => run(call, p, user, inline::get::<User>),
        "DeleteUserPolicy" => run(call, p, user, inline::delete::<User>),
        "ListUserPolicies" => run(call, p, user, inline::list::<User>),
        "PutGroupPolicy" => run(call, p, group, inline::put::<Group>),
        "GetGroupPolicy" => run(call, p, group, inline::get::<Group>),
        "DeleteGroupPolicy" => run(call, p, group, inline::delete::<Group>),
        "ListGroupPolicies" => run(call, p, group, inline::list::<Group>),
        "PutRolePolicy" => run(call, p, role, inline::put::<Role>),
        "GetRolePolicy" => run(call, p, role, inline::get::<Role>),
        "DeleteRolePolicy" => run(call, p, role, inline::delete::<Role>),
        "ListRolePolicies" => run(call, p, role, inline::list::<Role>),
        // managed policies
        "CreatePolicy" => run(call, p, &[], managed::create),
        "GetPolicy" => run(call, p, policy, managed::get),
        "ListPolicies" => run(call, p, &[], managed::list),
        "DeletePolicy" => run(call, p, policy, managed::delete),
        "CreatePolicyVersion" => run(call, p, &[], managed::create_version),
        "GetPolicyVersion" => run(call, p, &[], managed::get_version),
        "ListPolicyVersions" => run(call, p, policy, managed::list_versions),
        "SetDefaultPolicyVersion" => run(call, p, &[], managed::set_default_version),
        "DeletePolicyVersion" => run(call, p, &[], managed::delete_version),
        "ListEntitiesForPolicy" => run(call, p, &[], managed::list_entities),
        "TagPolicy" => run(call, p, policy, entity::tag::<ManagedPolicy>),
        "UntagPolicy" => run(call, p, policy, entity::untag::<ManagedPolicy>),
        "ListPolicyTags" => run(call, p, policy, entity::list_tags::<ManagedPolicy>),
        "AttachUserPolicy" => run(call, p, user, managed::attach::<User>),
        "DetachUserPolicy" => run(call, p, user, managed::detach::<User>),
        "ListAttachedUserPolicies" => run(call, p, user, managed::list_attached::<User>),
        "AttachGroupPolicy" => run(call, p, group, managed::attach::<Group>),
        "DetachGroupPolicy" => run(call, p, group, managed::detach::<Group>),
        "ListAttachedGroupPolicies" => run(call, p, group, managed::list_attached::<Group>),
        "AttachRolePolicy" => run(call, p, role, managed::attach::<Role>),
        "DetachRolePolicy" => run(call, p, role, managed::detach::<Role>),
        "ListAttachedRolePolicies" => run(call, p, role, managed::list_attached::<Role>),
        // access keys
        "CreateAccessKey" => run(call, p, &[], keys::create),
        "ListAccessKeys" => run(call, p, &[], keys::list),
        "UpdateAccessKey" => run(call, p, &[], keys::update),
        "DeleteAccessKey" => run(call, p, &[], keys::delete),
        "GetAccessKeyLastUsed" => run(call, p, &[], keys::last_used),
        // the account
        "GetAccountAuthorizationDetails" => run(call, p, &[], account::authorization_details),
        "GetAccountSummary" => run(call, p, &[], account::summary),
        _ => Err(unknown_action("IAM", op, NOT_IMPLEMENTED)),
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

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
    fn read_only_operations_are_the_get_and_list_calls_cloudtrail_marks_read_only() {
        for op in READ_ONLY {
            assert!(op.starts_with("Get") || op.starts_with("List"), "{op}");
            assert!(!NOT_IMPLEMENTED.contains(op), "{op}");
        }
    }
}
