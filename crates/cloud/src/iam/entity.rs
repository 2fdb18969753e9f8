//! What users, groups, roles (and, for lookup, tags and storage, managed policies) have in
//! common, and the operations written once for all of them: authorize-then-look-up, save,
//! list, rename, delete with its conflicts, tags, permissions boundaries.

use std::collections::BTreeMap;
use std::sync::RwLockWriteGuard;

use serde::Serialize;

use super::*;
use crate::state::{Iam, PolicyDoc};
use crate::Cloud;

/// A stored IAM record, found by the identifier a request names it with.
pub trait Record: Clone + Serialize + 'static {
    /// `user`, `group`, `role`, `policy`: messages, ARNs.
    const WHAT: &'static str;
    /// The request member that names it (`UserName`, …, `PolicyArn`).
    const PARAM: &'static str;
    /// The response element of a list of them (`Users`, …).
    const PLURAL: &'static str;
    fn map(iam: &Iam) -> &BTreeMap<String, Self>;
    fn map_mut(iam: &mut Iam) -> &mut BTreeMap<String, Self>;
    /// The map key of an identifier as a request gives it.
    fn key_for(id: &str) -> String;
    /// Validates the identifier's shape.
    fn check_id(id: &str) -> Result<(), AwsError>;
    /// The ARN authorization names when the record does not exist.
    fn arn_for(account: &str, id: &str) -> String;
    fn not_found(id: &str) -> AwsError;
    fn arn(&self) -> &str;
    fn map_key(&self) -> String;
    fn store_key(&self, account: &str) -> String;
    fn tags(&self) -> &[Tag] {
        &[]
    }
    fn tags_mut(&mut self) -> Option<&mut Vec<Tag>> {
        None
    }
    fn boundary(&self) -> Option<&str> {
        None
    }
}

/// A user, group or role: named, with a path, inline and attached policies.
pub trait Entity: Record {
    /// `User`, `Group`, `Role`: messages and quota names.
    const KIND: &'static str;
    const ID_PREFIX: &'static str;
    const NAME_MAX: usize;
    /// The aggregate size quota of the entity's inline policies.
    const INLINE_LIMIT: usize;
    fn name(&self) -> &str;
    fn path(&self) -> &str;
    fn id(&self) -> &str;
    fn created(&self) -> i64;
    fn set_name_path(&mut self, account: &str, name: &str, path: &str);
    fn inline(&self) -> &BTreeMap<String, PolicyDoc>;
    fn inline_mut(&mut self) -> &mut BTreeMap<String, PolicyDoc>;
    fn attached(&self) -> &[String];
    fn attached_mut(&mut self) -> &mut Vec<String>;
    fn boundary_mut(&mut self) -> Option<&mut Option<String>> {
        None
    }
    /// Why it cannot be deleted yet, beyond its policies.
    fn delete_blocker(&self, _st: &State, _account: &str) -> Option<&'static str> {
        None
    }
    /// Rewrites the records that name it after a rename.
    fn renamed(_call: &mut Call<'_>, _st: &mut State, _old: &str, _new: &str) {}
    /// What responses show of it (`<User>`, …).
    type Out: Serialize;
    /// Its fields: all of them (`full`), or those a list response carries.
    fn out(&self, full: bool) -> Self::Out;

    fn make_arn(account: &str, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:{}{path}{name}", Self::WHAT)
    }
}

macro_rules! entity_record {
    ($ty:ty, $what:literal, $param:literal, $plural:literal, $field:ident, $key:path, $max:expr, { $($extra:tt)* }) => {
        impl Record for $ty {
            const WHAT: &'static str = $what;
            const PARAM: &'static str = $param;
            const PLURAL: &'static str = $plural;
            fn map(iam: &Iam) -> &BTreeMap<String, Self> {
                &iam.$field
            }
            fn map_mut(iam: &mut Iam) -> &mut BTreeMap<String, Self> {
                &mut iam.$field
            }
            fn key_for(id: &str) -> String {
                id.to_ascii_lowercase()
            }
            fn check_id(id: &str) -> Result<(), AwsError> {
                check_name(&lower_first($param), id, $max)
            }
            fn arn_for(account: &str, id: &str) -> String {
                <$ty as Entity>::make_arn(account, "/", id)
            }
            fn not_found(id: &str) -> AwsError {
                no_such_entity($what, id)
            }
            fn arn(&self) -> &str {
                &self.arn
            }
            fn map_key(&self) -> String {
                self.name.to_ascii_lowercase()
            }
            fn store_key(&self, account: &str) -> String {
                $key(account, &self.name)
            }
            $($extra)*
        }
    };
}

macro_rules! entity_fields {
    () => {
        fn name(&self) -> &str {
            &self.name
        }
        fn path(&self) -> &str {
            &self.path
        }
        fn id(&self) -> &str {
            &self.id
        }
        fn created(&self) -> i64 {
            self.created
        }
        fn set_name_path(&mut self, account: &str, name: &str, path: &str) {
            self.arn = Self::make_arn(account, path, name);
            self.name = name.to_string();
            self.path = path.to_string();
        }
        fn inline(&self) -> &BTreeMap<String, PolicyDoc> {
            &self.inline
        }
        fn inline_mut(&mut self) -> &mut BTreeMap<String, PolicyDoc> {
            &mut self.inline
        }
        fn attached(&self) -> &[String] {
            &self.attached
        }
        fn attached_mut(&mut self) -> &mut Vec<String> {
            &mut self.attached
        }
    };
}

macro_rules! tagged_with_boundary {
    () => {
        fn tags(&self) -> &[Tag] {
            &self.tags
        }
        fn tags_mut(&mut self) -> Option<&mut Vec<Tag>> {
            Some(&mut self.tags)
        }
        fn boundary(&self) -> Option<&str> {
            self.boundary.as_deref()
        }
    };
}

entity_record!(User, "user", "UserName", "Users", users, state::user_key, 64, { tagged_with_boundary!(); });
entity_record!(Group, "group", "GroupName", "Groups", groups, state::group_key, 128, {});
entity_record!(Role, "role", "RoleName", "Roles", roles, state::role_key, 64, { tagged_with_boundary!(); });

impl Entity for User {
    const KIND: &'static str = "User";
    const ID_PREFIX: &'static str = "AIDA";
    const NAME_MAX: usize = 64;
    const INLINE_LIMIT: usize = edgeward_policy::limits::USER_INLINE;
    entity_fields!();
    fn boundary_mut(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.boundary)
    }
    fn delete_blocker(&self, st: &State, account: &str) -> Option<&'static str> {
        users::delete_blocker(self, st, account)
    }
    fn renamed(call: &mut Call<'_>, st: &mut State, old: &str, new: &str) {
        users::renamed(call, st, old, new)
    }
    type Out = UserOut;
    fn out(&self, full: bool) -> UserOut {
        users::user_out(self, full)
    }
}

impl Entity for Group {
    const KIND: &'static str = "Group";
    const ID_PREFIX: &'static str = "AGPA";
    const NAME_MAX: usize = 128;
    const INLINE_LIMIT: usize = edgeward_policy::limits::GROUP_INLINE;
    entity_fields!();
    fn delete_blocker(&self, st: &State, account: &str) -> Option<&'static str> {
        groups::delete_blocker(self, st, account)
    }
    fn renamed(call: &mut Call<'_>, st: &mut State, old: &str, new: &str) {
        groups::renamed(call, st, old, new)
    }
    type Out = GroupOut;
    fn out(&self, _full: bool) -> GroupOut {
        groups::group_out(self)
    }
}

impl Entity for Role {
    const KIND: &'static str = "Role";
    const ID_PREFIX: &'static str = "AROA";
    const NAME_MAX: usize = 64;
    const INLINE_LIMIT: usize = edgeward_policy::limits::ROLE_INLINE;
    entity_fields!();
    fn boundary_mut(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.boundary)
    }
    type Out = RoleOut;
    fn out(&self, full: bool) -> RoleOut {
        roles::role_out(self, full)
    }
}

impl Record for ManagedPolicy {
    const WHAT: &'static str = "policy";
    const PARAM: &'static str = "PolicyArn";
    const PLURAL: &'static str = "Policies";
    fn map(iam: &Iam) -> &BTreeMap<String, Self> {
        &iam.policies
    }
    fn map_mut(iam: &mut Iam) -> &mut BTreeMap<String, Self> {
        &mut iam.policies
    }
    fn key_for(id: &str) -> String {
        id.to_string()
    }
    fn check_id(id: &str) -> Result<(), AwsError> {
        managed::check_policy_arn(id)
    }
    fn arn_for(_account: &str, id: &str) -> String {
        id.to_string()
    }
    fn not_found(id: &str) -> AwsError {
        AwsError::new(404, "NoSuchEntity", format!("Policy {id} was not found."))
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn map_key(&self) -> String {
        self.arn.clone()
    }
    fn store_key(&self, account: &str) -> String {
        state::policy_key(account, &self.arn)
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> Option<&mut Vec<Tag>> {
        Some(&mut self.tags)
    }
}

// ---- the shared steps ----

/// The record `id` of the caller's account, once authz allows `iam:<Operation>` on it (on
/// the ARN it would have, when it does not exist: a caller learns nothing it may not ask).
/// The access carries the record's tags and, where AWS defines it, `iam:PermissionsBoundary`.
pub fn authorized<R: Record>(call: &mut Call<'_>, st: &State, id: &str, more: impl FnOnce(Access) -> Access) -> Result<R, AwsError> {
    R::check_id(id)?;
    let account = call.caller.account.clone();
    let found = iam(st, &account).and_then(|i| R::map(i).get(&R::key_for(id))).cloned();
    let arn = found.as_ref().map(|r| r.arn().to_string()).unwrap_or_else(|| R::arn_for(&account, id));
    let mut access = Access::new(&action(call), arn, &account);
    if let Some(r) = &found {
        access.resource_tags = r.tags().to_vec();
        if let Some(b) = r.boundary().filter(|_| BOUNDARY_KEY_OPS.contains(&call.operation.as_str())) {
            access = access.key("iam:PermissionsBoundary", b);
        }
    }
    call.authorize(st, &more(access))?;
    found.ok_or_else(|| R::not_found(id))
}

/// Writes a record to the call's batch and to memory.
pub fn save<R: Record>(call: &mut Call<'_>, st: &mut State, r: R) {
    let account = call.caller.account.clone();
    state::put(&mut call.batch, r.store_key(&account), &r);
    R::map_mut(iam_mut(st, &account)).insert(r.map_key(), r);
}

/// Deletes a record from the store (in the call's batch) and from memory.
pub fn remove<R: Record>(call: &mut Call<'_>, st: &mut State, r: &R) {
    let account = call.caller.account.clone();
    call.batch.delete(r.store_key(&account));
    R::map_mut(iam_mut(st, &account)).remove(&r.map_key());
}

/// Reads the record the request names (by `R::PARAM`), authorized.
pub fn read<R: Record, T>(call: &mut Call<'_>, id: &str, view: impl FnOnce(&R, &State) -> Result<T, AwsError>) -> Result<T, AwsError> {
    let cloud = call.cloud;
    let st = cloud.read_state();
    let r: R = authorized(call, &st, id, |a| a)?;
    view(&r, &st)
}

/// Changes the record the request names (by `R::PARAM`), authorized, and saves it.
pub fn update<R: Record>(
    call: &mut Call<'_>,
    id: &str,
    more: impl FnOnce(Access) -> Access,
    change: impl FnOnce(&mut R, &State) -> Result<(), AwsError>,
) -> Result<R, AwsError> {
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let mut r: R = authorized(call, &st, id, more)?;
    change(&mut r, &st)?;
    save(call, &mut st, r.clone());
    Ok(r)
}

/// What a Create call has checked: name, path, ARN, new id, tags, boundary.
pub struct New {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub id: String,
    pub tags: Vec<Tag>,
    pub boundary: Option<String>,
}

/// The common steps of CreateUser/CreateGroup/CreateRole: validate, authorize (with
/// `aws:RequestTag`, `aws:TagKeys`, `iam:PermissionsBoundary`), refuse duplicates and
/// unknown boundaries. Returns the write lock to insert under.
pub fn creating<'c, E: Entity>(
    call: &mut Call<'c>,
    name: String,
    path: Option<String>,
    tags: Vec<TagIn>,
    boundary: Option<String>,
) -> Result<(New, RwLockWriteGuard<'c, State>), AwsError> {
    check_name(&lower_first(E::PARAM), &name, E::NAME_MAX)?;
    let path = path.unwrap_or_else(|| "/".to_string());
    check_path(&path)?;
    let tags = tags_from(tags)?;
    let account = call.caller.account.clone();
    let arn = E::make_arn(&account, &path, &name);
    let cloud: &'c Cloud = call.cloud;
    let st = cloud.write_state();
    let mut access = request_tag_access(Access::new(&action(call), arn.clone(), &account), &tags);
    if let Some(b) = &boundary {
        access = access.key("iam:PermissionsBoundary", b.clone());
    }
    call.authorize(&st, &access)?;
    if iam(&st, &account).is_some_and(|i| E::map(i).contains_key(&E::key_for(&name))) {
        return Err(already_exists(E::KIND, &name));
    }
    if let Some(b) = &boundary {
        check_boundary(&st, &account, b)?;
    }
    let new = New { name, path, arn, id: crate::ids::aws_id(E::ID_PREFIX), tags, boundary };
    Ok((new, st))
}

/// `<User>…</User>` (`Group`, `Role`) with every field.
pub fn element<E: Entity>(e: &E) -> Named<E::Out> {
    Named(E::KIND, e.out(true))
}

/// The end of CreateUser/CreateGroup/CreateRole: the trail's response elements, the
/// response, the record saved.
pub fn created<E: Entity>(call: &mut Call<'_>, st: &mut State, e: E) -> Named<E::Out> {
    let what = E::WHAT;
    call.trail.response_elements = Some(json!({ what: {
        format!("{what}Name"): e.name(), format!("{what}Id"): e.id(), "arn": e.arn(), "path": e.path(),
    }}));
    let out = element(&e);
    save(call, st, e);
    out
}

/// GetUser, GetGroup, GetRole: the entity with every field.
pub fn get<E: Entity>(call: &mut Call<'_>, input: NameInput) -> Result<Named<E::Out>, AwsError> {
    read::<E, _>(call, &input.name, |e, _| Ok(element(e)))
}

/// ListUsers, ListGroups, ListRoles: `PathPrefix`, pagination.
pub fn list<E: Entity>(call: &mut Call<'_>, input: ListInput) -> Result<ListPage<E::Out>, AwsError> {
    let prefix = path_prefix(input.path_prefix.as_deref())?;
    let resource = format!("arn:aws:iam::{}:{}{prefix}", call.caller.account, E::WHAT);
    let st = read_authorized(call, resource)?;
    let items = iam(&st, &call.caller.account)
        .map(|i| E::map(i).iter().filter(|(_, e)| e.path().starts_with(&prefix)).map(|(k, e)| (k.clone(), e.out(false))).collect())
        .unwrap_or_default();
    list_page(input.marker.as_deref(), input.max_items, E::PLURAL, items)
}

/// UpdateUser, UpdateGroup: `New<Kind>Name`, `NewPath`. Needs permission on the source and
/// the target ARN, as AWS documents; the records that name the entity follow the rename.
pub fn rename<E: Entity>(call: &mut Call<'_>, input: RenameInput) -> Result<(), AwsError> {
    let RenameInput { name, new_name, new_path } = input;
    let new_param = format!("New{}", E::PARAM);
    if let Some(n) = &new_name {
        check_name(&lower_first(&new_param), n, E::NAME_MAX)?;
    }
    if let Some(path) = &new_path {
        check_path(path)?;
    }
    let account = call.caller.account.clone();
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let old: E = authorized(call, &st, &name, |a| a)?;
    let mut e = old.clone();
    e.set_name_path(&account, new_name.as_deref().unwrap_or(old.name()), new_path.as_deref().unwrap_or(old.path()));
    if e.arn() != old.arn() {
        let access = Access::new(&action(call), e.arn().to_string(), &account);
        call.authorize(&st, &access)?;
    }
    if e.map_key() != old.map_key() && iam(&st, &account).is_some_and(|i| E::map(i).contains_key(&e.map_key())) {
        return Err(already_exists(E::KIND, e.name()));
    }
    remove(call, &mut st, &old);
    E::renamed(call, &mut st, old.name(), e.name());
    save(call, &mut st, e);
    Ok(())
}

/// DeleteUser, DeleteGroup, DeleteRole: refused while anything still hangs off it.
pub fn delete<E: Entity>(call: &mut Call<'_>, input: NameInput) -> Result<(), AwsError> {
    let name = input.name;
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let e: E = authorized(call, &st, &name, |a| a)?;
    if !e.inline().is_empty() {
        return Err(delete_conflict("Cannot delete entity, must delete policies first."));
    }
    if !e.attached().is_empty() {
        return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
    }
    if let Some(why) = e.delete_blocker(&st, &call.caller.account) {
        return Err(delete_conflict(why));
    }
    remove(call, &mut st, &e);
    Ok(())
}

/// TagUser, TagRole, TagPolicy.
pub fn tag<R: Record>(call: &mut Call<'_>, input: TagInput) -> Result<(), AwsError> {
    let tags = tags_from(input.tags)?;
    if tags.is_empty() {
        return Err(crate::protocol::query::missing("Tags"));
    }
    let access_tags = tags.clone();
    update::<R>(call, &input.name, |a| request_tag_access(a, &access_tags), |r, _| match r.tags_mut() {
        Some(existing) => merge_tags(existing, tags),
        None => Ok(()),
    })?;
    Ok(())
}

/// UntagUser, UntagRole, UntagPolicy.
pub fn untag<R: Record>(call: &mut Call<'_>, input: UntagInput) -> Result<(), AwsError> {
    let keys = input.tag_keys;
    if keys.is_empty() {
        return Err(crate::protocol::query::missing("TagKeys"));
    }
    let access_keys = keys.clone();
    update::<R>(call, &input.name, |a| a.keys("aws:TagKeys", access_keys), |r, _| {
        if let Some(tags) = r.tags_mut() {
            tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        }
        Ok(())
    })?;
    Ok(())
}

/// ListUserTags, ListRoleTags, ListPolicyTags.
pub fn list_tags<R: Record>(call: &mut Call<'_>, input: NamePageInput) -> Result<ListPage<TagOut>, AwsError> {
    read::<R, _>(call, &input.name, |r, _| {
        let items = r.tags().iter().zip(tags_out(r.tags())).map(|(t, out)| (t.key.to_lowercase(), out)).collect();
        list_page(input.marker.as_deref(), input.max_items, "Tags", items)
    })
}

/// PutUserPermissionsBoundary, PutRolePermissionsBoundary.
pub fn put_boundary<E: Entity>(call: &mut Call<'_>, input: PutBoundaryInput) -> Result<(), AwsError> {
    let boundary = input.permissions_boundary;
    let account = call.caller.account.clone();
    let key = boundary.clone();
    update::<E>(call, &input.name, |a| a.key("iam:PermissionsBoundary", key), |e, st| {
        check_boundary(st, &account, &boundary)?;
        if let Some(b) = e.boundary_mut() {
            *b = Some(boundary);
        }
        Ok(())
    })?;
    Ok(())
}

/// DeleteUserPermissionsBoundary, DeleteRolePermissionsBoundary.
pub fn delete_boundary<E: Entity>(call: &mut Call<'_>, input: NameInput) -> Result<(), AwsError> {
    update::<E>(call, &input.name, |a| a, |e, _| {
        if let Some(b) = e.boundary_mut() {
            *b = None;
        }
        Ok(())
    })?;
    Ok(())
}
