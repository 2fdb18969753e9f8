//! Groups: CreateGroup, GetGroup (with its users), membership (AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser). A user's groups are kept on the user.

use super::entity::{authorized, created, creating, read, save};
use super::*;

/// Groups per user (IAM's default quota).
const GROUPS_PER_USER: usize = 10;

pub fn group_fields(x: &mut Xml, g: &Group) {
    x.elem("Path", &g.path)
        .elem("GroupName", &g.name)
        .elem("GroupId", &g.id)
        .elem("Arn", &g.arn)
        .elem("CreateDate", &crate::time::iso8601(g.created));
}

fn is_member(u: &User, group: &str) -> bool {
    u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
}

fn members_of<'s>(st: &'s State, account: &str, group: &'s str) -> impl Iterator<Item = &'s User> + 's {
    iam(st, account).into_iter().flat_map(|i| i.users.values()).filter(move |u| is_member(u, group))
}

pub fn create(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let (new, mut st) = creating::<Group>(call, p)?;
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
pub fn get(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let account = call.caller.account.clone();
    read::<Group, _>(call, p, |g, st| {
        let users = members_of(st, &account, &g.name).map(|u| (u.name.to_ascii_lowercase(), u.clone())).collect();
        let (page, next) = paginate(p, users)?;
        let mut x = Xml::new();
        entity::element_xml(&mut x, g);
        members(&mut x, "Users", &page, |x, u| users::user_fields(x, u, false));
        truncation_xml(&mut x, &next);
        Ok(x.finish())
    })
}

/// The user named by `UserName`, which must exist (after the group's authorization).
fn member_user(st: &State, account: &str, p: &Params) -> Result<User, AwsError> {
    let name = p.required("UserName")?;
    check_name("userName", name, 64)?;
    iam(st, account).and_then(|i| i.users.get(&name.to_ascii_lowercase())).cloned().ok_or_else(|| no_such_entity("user", name))
}

/// AddUserToGroup and RemoveUserFromGroup: authorized on the group.
fn change_membership(call: &mut Call<'_>, p: &Params, add: bool) -> Result<String, AwsError> {
    let group_name = p.required("GroupName")?.to_string();
    let account = call.caller.account.clone();
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let group: Group = authorized(call, &st, &group_name, |a| a)?;
    let mut user = member_user(&st, &account, p)?;
    match (add, is_member(&user, &group.name)) {
        (true, true) => return Ok(String::new()),
        (true, false) if user.groups.len() >= GROUPS_PER_USER => {
            return Err(limit_exceeded(format!("Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")))
        }
        (true, false) => user.groups.push(group.name.clone()),
        (false, false) => return Err(no_such_entity("user", &user.name)),
        (false, true) => user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name)),
    }
    save(call, &mut st, user);
    Ok(String::new())
}

pub fn add_user(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    change_membership(call, p, true)
}

pub fn remove_user(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    change_membership(call, p, false)
}

/// ListGroupsForUser: authorized on the user.
pub fn list_for_user(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let account = call.caller.account.clone();
    read::<User, _>(call, p, |u, st| {
        let groups = iam(st, &account)
            .map(|i| i.groups.iter().filter(|(_, g)| is_member(u, &g.name)).map(|(k, g)| (k.clone(), g.clone())).collect())
            .unwrap_or_default();
        list_response(p, "Groups", groups, group_fields)
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
