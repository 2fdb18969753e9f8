//! IAM's inputs and outputs as plain Rust types, named as AWS's model names their members
//! (`wire` maps them to and from awsQuery). Inputs shared by the user, group and role
//! variants of an operation call the entity's member `Name` (`NewName` for a rename): the
//! wire table supplies the real member name (`UserName`, `GroupName`, `RoleName`,
//! `PolicyArn`).

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

pub use crate::protocol::xml::{Named, Timestamp};

// ---- inputs ----

/// No members.
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// A tag as sent; the operation validates it in IAM's words.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagIn {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// ListUsers, ListGroups, ListRoles.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// The entity an operation names, and nothing else (GetRole, Delete…, Delete…PermissionsBoundary,
/// GetPolicy, DeletePolicy).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameInput {
    pub name: String,
}

/// The entity and a page (List…Tags, List…Policies, ListGroupsForUser, GetGroup,
/// ListPolicyVersions).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamePageInput {
    pub name: String,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// CreateUser, CreateGroup.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInput {
    pub name: String,
    pub path: Option<String>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRoleInput {
    pub assume_role_policy_document: String,
    pub role_name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserInput {
    pub user_name: Option<String>,
}

/// UpdateUser, UpdateGroup.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RenameInput {
    pub name: String,
    pub new_name: Option<String>,
    pub new_path: Option<String>,
}

/// TagUser, TagRole, TagPolicy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    pub name: String,
    #[serde(default)]
    pub tags: Vec<TagIn>,
}

/// UntagUser, UntagRole, UntagPolicy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagInput {
    pub name: String,
    #[serde(default)]
    pub tag_keys: Vec<String>,
}

/// PutUserPermissionsBoundary, PutRolePermissionsBoundary.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutBoundaryInput {
    pub permissions_boundary: String,
    pub name: String,
}

/// AddUserToGroup, RemoveUserFromGroup (`UserName` is looked up after the group).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MembershipInput {
    pub group_name: String,
    pub user_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateRoleInput {
    pub role_name: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateRoleDescriptionInput {
    pub description: String,
    pub role_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAssumeRolePolicyInput {
    pub policy_document: String,
    pub role_name: String,
}

/// Put<Kind>Policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutInlineInput {
    pub policy_name: String,
    pub policy_document: String,
    pub name: String,
}

/// Get<Kind>Policy, Delete<Kind>Policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlineInput {
    pub policy_name: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyInput {
    pub policy_name: String,
    pub path: Option<String>,
    pub policy_document: String,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesInput {
    pub scope: Option<String>,
    pub only_attached: Option<bool>,
    pub path_prefix: Option<String>,
    pub policy_usage_filter: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyVersionInput {
    pub policy_document: String,
    pub set_as_default: Option<bool>,
    pub policy_arn: String,
}

/// GetPolicyVersion, SetDefaultPolicyVersion, DeletePolicyVersion.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersionInput {
    pub version_id: String,
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEntitiesForPolicyInput {
    pub policy_arn: String,
    pub entity_filter: Option<String>,
    pub path_prefix: Option<String>,
    pub policy_usage_filter: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// Attach<Kind>Policy, Detach<Kind>Policy.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachInput {
    pub policy_arn: String,
    pub name: String,
}

/// ListAttached<Kind>Policies.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttachedInput {
    pub name: String,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// CreateAccessKey, ListAccessKeys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysInput {
    pub user_name: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAccessKeyInput {
    pub status: String,
    pub access_key_id: String,
    pub user_name: Option<String>,
}

/// DeleteAccessKey, GetAccessKeyLastUsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyInput {
    pub access_key_id: String,
    pub user_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetailsInput {
    #[serde(default)]
    pub filter: Vec<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

// ---- outputs ----

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagOut {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BoundaryOut {
    pub permissions_boundary_type: &'static str,
    pub permissions_boundary_arn: String,
}

/// A user; lists leave out the boundary and tags (and the root user has no path or name).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserOut {
    pub path: Option<String>,
    pub user_name: Option<String>,
    pub user_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub permissions_boundary: Option<BoundaryOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupOut {
    pub path: String,
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    pub create_date: Timestamp,
}

/// A role; lists leave out the boundary, tags and last use.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleOut {
    pub path: String,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<BoundaryOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
    pub role_last_used: Option<()>,
}

/// One page of a list: `<Wrapper><member>…</member></Wrapper><IsTruncated/>[<Marker/>]`.
#[derive(Debug)]
pub struct ListPage<T> {
    pub wrapper: &'static str,
    pub items: Vec<T>,
    /// The marker of the next page, when there is one.
    pub next: Option<String>,
}

impl<T: Serialize> Serialize for ListPage<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ListPage", 3)?;
        st.serialize_field(self.wrapper, &self.items)?;
        st.serialize_field("IsTruncated", &self.next.is_some())?;
        st.serialize_field("Marker", &self.next)?;
        st.end()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupOutput {
    pub group: GroupOut,
    pub users: Vec<UserOut>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// Get<Kind>Policy: the entity's name under its member name (`UserName`, …).
#[derive(Debug)]
pub struct InlinePolicyOut {
    pub owner_member: &'static str,
    pub owner: String,
    pub policy_name: String,
    /// URL-encoded, as IAM returns documents.
    pub policy_document: String,
}

impl Serialize for InlinePolicyOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("InlinePolicyOut", 3)?;
        st.serialize_field(self.owner_member, &self.owner)?;
        st.serialize_field("PolicyName", &self.policy_name)?;
        st.serialize_field("PolicyDocument", &self.policy_document)?;
        st.end()
    }
}

/// A managed policy; lists leave out the description and tags.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyOut {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: usize,
    pub permissions_boundary_usage_count: usize,
    pub is_attachable: bool,
    pub description: Option<String>,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyResult {
    pub policy: PolicyOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersionOut {
    /// URL-encoded; left out of lists and CreatePolicyVersion.
    pub document: Option<String>,
    pub version_id: String,
    pub is_default_version: bool,
    pub create_date: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersionResult {
    pub policy_version: PolicyVersionOut,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyGroup {
    pub group_name: String,
    pub group_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyUser {
    pub user_name: String,
    pub user_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyRole {
    pub role_name: String,
    pub role_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEntitiesForPolicyOutput {
    pub policy_groups: Vec<PolicyGroup>,
    pub policy_users: Vec<PolicyUser>,
    pub policy_roles: Vec<PolicyRole>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyOut {
    pub user_name: String,
    pub access_key_id: String,
    pub status: String,
    pub create_date: Timestamp,
    /// Only when the key is created.
    pub secret_access_key: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccessKeyOutput {
    pub access_key: AccessKeyOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyLastUsed {
    pub last_used_date: Option<Timestamp>,
    pub service_name: String,
    pub region: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccessKeyLastUsedOutput {
    pub user_name: String,
    pub access_key_last_used: AccessKeyLastUsed,
}

/// An inline policy in GetAccountAuthorizationDetails.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDetail {
    pub policy_name: String,
    pub policy_document: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    pub path: String,
    pub user_name: String,
    pub user_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub user_policy_list: Vec<PolicyDetail>,
    pub attached_managed_policies: Vec<AttachedPolicy>,
    pub permissions_boundary: Option<BoundaryOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
    pub group_list: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    pub path: String,
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub group_policy_list: Vec<PolicyDetail>,
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub path: String,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub role_policy_list: Vec<PolicyDetail>,
    pub attached_managed_policies: Vec<AttachedPolicy>,
    pub permissions_boundary: Option<BoundaryOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagOut>,
    pub assume_role_policy_document: String,
    pub instance_profile_list: (),
    pub role_last_used: (),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: usize,
    pub permissions_boundary_usage_count: usize,
    pub is_attachable: bool,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub policy_version_list: Vec<PolicyVersionOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetailsOutput {
    pub user_detail_list: Vec<UserDetail>,
    pub group_detail_list: Vec<GroupDetail>,
    pub role_detail_list: Vec<RoleDetail>,
    pub policies: Vec<ManagedPolicyDetail>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// Usage and quotas, in AWS's order.
#[derive(Debug)]
pub struct SummaryMap(pub Vec<(&'static str, usize)>);

impl Serialize for SummaryMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (*k, *v)))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSummaryOutput {
    pub summary_map: SummaryMap,
}
