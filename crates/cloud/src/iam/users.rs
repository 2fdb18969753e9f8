//! Users: CreateUser, GetUser, and what users add to the shared entity operations (their
//! access keys and groups block deletion; a rename follows their keys and sessions).

use super::entity::{created, creating};
use super::*;
use crate::identity::CallerKind;
use crate::state::{KeyOwner, SessionKind};

/// A user's fields; lists leave out the boundary and tags, as AWS does.
pub fn user_out(u: &User, full: bool) -> UserOut {
    UserOut {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: u.id.clone(),
        arn: u.arn.clone(),
        create_date: Timestamp(u.created),
        permissions_boundary: if full { boundary_out(u.boundary.as_deref()) } else { None },
        tags: if full { tags_out(&u.tags) } else { Vec::new() },
    }
}

pub fn create(call: &mut Call<'_>, input: CreateInput) -> Result<Named<UserOut>, AwsError> {
    let (new, mut st) = creating::<User>(call, input.name, input.path, input.tags, input.permissions_boundary)?;
    let user = User {
        name: new.name,
        path: new.path,
        id: new.id,
        arn: new.arn,
        created: call.now,
        inline: Default::default(),
        attached: Vec::new(),
        boundary: new.boundary,
        tags: new.tags,
        groups: Vec::new(),
    };
    Ok(created(call, &mut st, user))
}

/// Without `UserName`, the calling user (or, for the root user, the account's root).
pub fn get(call: &mut Call<'_>, input: GetUserInput) -> Result<Named<UserOut>, AwsError> {
    let name = match (input.user_name, &call.caller.kind) {
        (Some(n), _) => n,
        (None, CallerKind::User { name, .. }) => name.clone(),
        (None, CallerKind::Root) => {
            let account = &call.caller.account;
            let created = call.cloud.read_state().accounts.get(account).map(|a| a.created).unwrap_or(call.now);
            return Ok(Named(
                "User",
                UserOut {
                    path: None,
                    user_name: None,
                    user_id: account.clone(),
                    arn: call.caller.arn.clone(),
                    create_date: Timestamp(created),
                    permissions_boundary: None,
                    tags: Vec::new(),
                },
            ));
        }
        (None, _) => return Err(validation("Must specify userName when calling with non-User credentials")),
    };
    let cloud = call.cloud;
    let st = cloud.read_state();
    let user: User = entity::authorized(call, &st, &name, |a| a)?;
    Ok(entity::element(&user))
}

pub fn delete_blocker(u: &User, st: &State, account: &str) -> Option<&'static str> {
    let owner = KeyOwner::User { account: account.to_string(), user: u.name.clone() };
    if st.keys.values().any(|k| k.owner == owner) {
        return Some("Cannot delete entity, must delete access keys first.");
    }
    if !u.groups.is_empty() {
        return Some("Cannot delete entity, must remove users from group first.");
    }
    None
}

/// A renamed user keeps its access keys and GetSessionToken sessions.
pub fn renamed(call: &mut Call<'_>, st: &mut State, old: &str, new: &str) {
    let account = call.caller.account.clone();
    let old_owner = KeyOwner::User { account: account.clone(), user: old.to_string() };
    let new_owner = KeyOwner::User { account, user: new.to_string() };
    for key in st.keys.values_mut().filter(|k| k.owner == old_owner) {
        key.owner = new_owner.clone();
        state::put(&mut call.batch, state::access_key_key(&key.id), key);
    }
    for session in st.sessions.values_mut() {
        if let SessionKind::SessionToken { owner } = &mut session.kind {
            if *owner == old_owner {
                *owner = new_owner.clone();
                state::put(&mut call.batch, state::session_key(&session.access_key_id), session);
            }
        }
    }
}
