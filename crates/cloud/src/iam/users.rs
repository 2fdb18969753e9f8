//! Users: CreateUser, GetUser, and what users add to the shared entity operations (their
//! access keys and groups block deletion; a rename follows their keys and sessions).

use super::entity::{created, creating};
use super::*;
use crate::identity::CallerKind;
use crate::state::{KeyOwner, SessionKind};

/// A user's fields; lists leave out the boundary and tags, as AWS does.
pub fn user_fields(x: &mut Xml, u: &User, full: bool) {
    x.elem("Path", &u.path)
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem("Arn", &u.arn)
        .elem("CreateDate", &crate::time::iso8601(u.created));
    if full {
        boundary_xml(x, u.boundary.as_deref());
        tags_xml(x, &u.tags);
    }
}

pub fn create(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let (new, mut st) = creating::<User>(call, p)?;
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
pub fn get(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = match (p.get("UserName"), &call.caller.kind) {
        (Some(n), _) => n.to_string(),
        (None, CallerKind::User { name, .. }) => name.clone(),
        (None, CallerKind::Root) => {
            let account = &call.caller.account;
            let created = call.cloud.read_state().accounts.get(account).map(|a| a.created).unwrap_or(call.now);
            let mut x = Xml::new();
            x.open("User")
                .elem("UserId", account)
                .elem("Arn", &call.caller.arn)
                .elem("CreateDate", &crate::time::iso8601(created))
                .close("User");
            return Ok(x.finish());
        }
        (None, _) => return Err(validation("Must specify userName when calling with non-User credentials")),
    };
    let cloud = call.cloud;
    let st = cloud.read_state();
    let user: User = entity::authorized(call, &st, &name, |a| a)?;
    let mut x = Xml::new();
    entity::element_xml(&mut x, &user);
    Ok(x.finish())
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
