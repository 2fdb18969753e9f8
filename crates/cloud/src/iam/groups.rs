//! Groups: CreateGroup, GetGroup (with its users), membership (AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser). A user's groups are kept on the user.

use super::entity::{authorized, created, creating, read, save};
use super::*;

/// Groups per user (IAM's default quota).
const GROUPS_PER_USER: usize = 10;

pub fn group_out(g: &Group) -> GroupOut {
    GroupOut { path: g.path.clone(), group_name: g.name.clone(), group_id: g.id.clone(), arn: g.arn.clone(), create_date: Timestamp(g.created) }
}

fn is_member(u: &User, group: &str) -> bool {
    u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
}

fn members_of<'s>(st: &'s State, account: &str, group: &'s str) -> impl Iterator<Item = &'s User> + 's {
    iam(st, account).into_iter().flat_map(|i| i.users.values()).filter(move |u| is_member(u, group))
}

pub fn create(call: &mut Call<'_>, input: CreateInput) -> Result<Named<GroupOut>, AwsError> {
    let (new, mut st) = creating::<Group>(call, input.name, input.path, input.tags, input.permissions_boundary)?;
    let group = Group {
        name: new.name,
        path: new.path,
        id: new.id,
        arn: new.arn,
        created: call.now,
        inline: Default::default(),
        attached: Vec::new(),
    };
    Ok(created(call, &mut st, group))
}

/// The group and a page of its users.
pub fn get(call: &mut Call<'_>, input: NamePageInput) -> Result<GetGroupOutput, AwsError> {
    let account = call.caller.account.clone();
    read::<Group, _>(call, &input.name, |g, st| {
        let users = members_of(st, &account, &g.name).map(|u| (u.name.to_ascii_lowercase(), users::user_out(u, false))).collect();
        let (users, next) = paginate(input.marker.as_deref(), input.max_items, users)?;
        Ok(GetGroupOutput { group: group_out(g), users, is_truncated: next.is_some(), marker: next })
    })
}

/// The user named by `UserName`, which must exist (after the group's authorization).
fn member_user(st: &State, account: &str, name: Option<&str>) -> Result<User, AwsError> {
    let name = name.ok_or_else(|| crate::protocol::query::missing("UserName"))?;
    check_name("userName", name, 64)?;
    iam(st, account).and_then(|i| i.users.get(&name.to_ascii_lowercase())).cloned().ok_or_else(|| no_such_entity("user", name))
}

/// AddUserToGroup and RemoveUserFromGroup: authorized on the group.
fn change_membership(call: &mut Call<'_>, input: MembershipInput, add: bool) -> Result<(), AwsError> {
    let group_name = input.group_name;
    let account = call.caller.account.clone();
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let group: Group = authorized(call, &st, &group_name, |a| a)?;
    let mut user = member_user(&st, &account, input.user_name.as_deref())?;
    match (add, is_member(&user, &group.name)) {
        (true, true) => return Ok(()),
        (true, false) if user.groups.len() >= GROUPS_PER_USER => {
            return Err(limit_exceeded(format!("Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")))
        }
        (true, false) => user.groups.push(group.name.clone()),
        (false, false) => return Err(no_such_entity("user", &user.name)),
        (false, true) => user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name)),
    }
    save(call, &mut st, user);
    Ok(())
}

pub fn add_user(call: &mut Call<'_>, input: MembershipInput) -> Result<(), AwsError> {
    change_membership(call, input, true)
}

pub fn remove_user(call: &mut Call<'_>, input: MembershipInput) -> Result<(), AwsError> {
    change_membership(call, input, false)
}

/// ListGroupsForUser: authorized on the user.
pub fn list_for_user(call: &mut Call<'_>, input: NamePageInput) -> Result<ListPage<GroupOut>, AwsError> {
    let account = call.caller.account.clone();
    read::<User, _>(call, &input.name, |u, st| {
        let groups = iam(st, &account)
            .map(|i| i.groups.iter().filter(|(_, g)| is_member(u, &g.name)).map(|(k, g)| (k.clone(), group_out(g))).collect())
            .unwrap_or_default();
        list_page(input.marker.as_deref(), input.max_items, "Groups", groups)
    })
}

pub fn delete_blocker(g: &Group, st: &State, account: &str) -> Option<&'static str> {
    members_of(st, account, &g.name).next().map(|_| "Cannot delete entity, must remove users from group first.")
}

/// A renamed group keeps its members.
pub fn renamed(call: &mut Call<'_>, st: &mut State, old: &str, new: &str) {
    let changed: Vec<User> = members_of(st, &call.caller.account, old)
        .map(|u| {
            let mut u = u.clone();
            u.groups.retain(|g| !g.eq_ignore_ascii_case(old));
            u.groups.push(new.to_string());
            u
        })
        .collect();
    for u in changed {
        save(call, st, u);
    }
}
