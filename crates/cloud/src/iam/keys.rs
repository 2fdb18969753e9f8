//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey (an inactive key stops
//! authenticating: `identity::resolve` refuses it), DeleteAccessKey, GetAccessKeyLastUsed
//! (fed by `note_key_use`, which the HTTP layer calls for every authenticated request).

use super::entity::authorized;
use super::*;
use crate::identity::CallerKind;
use crate::state::{AccessKey, KeyOwner, KeyUse};

/// Access keys per user (and per root), IAM's quota.
const KEYS_PER_USER: usize = 2;

/// Whose keys the request is about: `UserName`, else the calling user's own, else (for the
/// root user) the root's. Authorized as `iam:<Operation>` on that user (or the root).
/// Returns the owner, its ARN and the name AWS shows for it.
fn owner(call: &mut Call<'_>, st: &State, user_name: Option<&str>) -> Result<(KeyOwner, String, String), AwsError> {
    let account = call.caller.account.clone();
    let name = match (user_name, &call.caller.kind) {
        (Some(n), _) => n.to_string(),
        (None, CallerKind::User { name, .. }) => name.clone(),
        (None, CallerKind::Root) => {
            let arn = format!("arn:aws:iam::{account}:root");
            let access = Access::new(&action(call), arn.clone(), &account);
            call.authorize(st, &access)?;
            return Ok((KeyOwner::Root { account: account.clone() }, arn, account));
        }
        (None, CallerKind::AssumedRole { .. } | CallerKind::Anonymous) => {
            return Err(validation("Must specify userName when calling with non-User credentials"))
        }
    };
    let user: User = authorized(call, st, &name, |a| a)?;
    Ok((KeyOwner::User { account, user: user.name.clone() }, user.arn, user.name))
}

fn metadata(shown: &str, k: &AccessKey) -> AccessKeyOut {
    AccessKeyOut {
        user_name: shown.to_string(),
        access_key_id: k.id.clone(),
        status: k.status.clone(),
        create_date: Timestamp(k.created),
        secret_access_key: None,
    }
}

pub fn create(call: &mut Call<'_>, input: KeysInput) -> Result<CreateAccessKeyOutput, AwsError> {
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let (owner, arn, shown) = owner(call, &st, input.user_name.as_deref())?;
    if st.keys.values().filter(|k| k.owner == owner).count() >= KEYS_PER_USER {
        return Err(limit_exceeded(format!("Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}")));
    }
    let key = AccessKey {
        id: crate::ids::aws_id("AKIA"),
        secret: crate::ids::secret_key(),
        owner,
        status: "Active".into(),
        created: call.now,
        last_used: None,
    };
    state::put(&mut call.batch, state::access_key_key(&key.id), &key);
    call.trail.response_elements = Some(json!({"accessKey": {"accessKeyId": key.id, "status": "Active", "userName": shown}}));
    call.trail.resources.push((arn, "AWS::IAM::User".into()));
    let access_key = AccessKeyOut { secret_access_key: Some(key.secret.clone()), ..metadata(&shown, &key) };
    st.keys.insert(key.id.clone(), key);
    Ok(CreateAccessKeyOutput { access_key })
}

pub fn list(call: &mut Call<'_>, input: KeysInput) -> Result<ListPage<AccessKeyOut>, AwsError> {
    let cloud = call.cloud;
    let st = cloud.read_state();
    let (owner, _, shown) = owner(call, &st, input.user_name.as_deref())?;
    let items = st.keys.values().filter(|k| k.owner == owner).map(|k| (k.id.clone(), metadata(&shown, k))).collect();
    list_page(input.marker.as_deref(), input.max_items, "AccessKeyMetadata", items)
}

fn no_such_key(id: &str) -> AwsError {
    AwsError::new(404, "NoSuchEntity", format!("The Access Key with id {id} cannot be found."))
}

/// The owner's key `AccessKeyId`, under the write lock, for UpdateAccessKey and
/// DeleteAccessKey.
fn change_key(
    call: &mut Call<'_>,
    id: &str,
    user_name: Option<&str>,
    change: impl FnOnce(&mut Call<'_>, &mut State, AccessKey),
) -> Result<(), AwsError> {
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let (owner, _, _) = owner(call, &st, user_name)?;
    let key = st.keys.get(id).filter(|k| k.owner == owner).cloned().ok_or_else(|| no_such_key(id))?;
    change(call, &mut st, key);
    Ok(())
}

pub fn update(call: &mut Call<'_>, input: UpdateAccessKeyInput) -> Result<(), AwsError> {
    let status = input.status;
    if status != "Active" && status != "Inactive" {
        return Err(validation(format!(
            "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        )));
    }
    change_key(call, &input.access_key_id, input.user_name.as_deref(), |call, st, mut key| {
        key.status = status;
        state::put(&mut call.batch, state::access_key_key(&key.id), &key);
        st.keys.insert(key.id.clone(), key);
    })
}

pub fn delete(call: &mut Call<'_>, input: AccessKeyInput) -> Result<(), AwsError> {
    change_key(call, &input.access_key_id, input.user_name.as_deref(), |call, st, key| {
        call.batch.delete(state::access_key_key(&key.id));
        call.batch.delete(state::key_use_key(&key.id));
        st.keys.remove(&key.id);
        st.key_use.remove(&key.id);
    })
}

/// Authorized on the key's user (or root); a key of another account is not found.
pub fn last_used(call: &mut Call<'_>, input: AccessKeyInput) -> Result<GetAccessKeyLastUsedOutput, AwsError> {
    let id = input.access_key_id;
    let account = call.caller.account.clone();
    let cloud = call.cloud;
    let st = cloud.read_state();
    let key = st.keys.get(&id).filter(|k| match &k.owner {
        KeyOwner::Root { account: a } | KeyOwner::User { account: a, .. } => *a == account,
        KeyOwner::Session { .. } => false,
    });
    let (arn, shown) = match key.map(|k| &k.owner) {
        Some(KeyOwner::User { user, .. }) => {
            let arn = iam(&st, &account).and_then(|i| i.users.get(&user.to_ascii_lowercase())).map(|u| u.arn.clone());
            (arn.unwrap_or_else(|| <User as Record>::arn_for(&account, user)), user.clone())
        }
        Some(_) => (format!("arn:aws:iam::{account}:root"), account.clone()),
        None => ("*".to_string(), String::new()),
    };
    let access = Access::new(&action(call), arn, &account);
    call.authorize(&st, &access)?;
    key.ok_or_else(|| no_such_key(&id))?;
    let access_key_last_used = match st.key_use.get(&id) {
        Some(u) => AccessKeyLastUsed { last_used_date: Some(Timestamp(u.date)), service_name: u.service.clone(), region: u.region.clone() },
        None => AccessKeyLastUsed { last_used_date: None, service_name: "N/A".into(), region: "N/A".into() },
    };
    Ok(GetAccessKeyLastUsedOutput { user_name: shown, access_key_last_used })
}

/// The key use to record for the call's access key, when it differs from the one recorded
/// (see `note_key_use`).
fn key_use(call: &Call<'_>, st: &State) -> Option<KeyUse> {
    if call.caller.session_token_issued.is_some() {
        return None;
    }
    let id = &call.caller.access_key_id;
    // Minute granularity: a key in steady use is recorded once a minute, not per request.
    let date = call.now - call.now.rem_euclid(60);
    if !st.keys.contains_key(id) || st.key_use.get(id).is_some_and(|k| k.date == date && k.service == call.service && k.region == call.region) {
        return None;
    }
    Some(KeyUse { date, service: call.service.to_string(), region: call.region.clone() })
}

/// Whether `note_key_use` would record anything for this call (then it needs the write path).
pub fn key_use_due(call: &Call<'_>) -> bool {
    key_use(call, &call.cloud.read_state()).is_some()
}

/// Records when, for which service and in which region a long-term access key was last
/// used. Temporary credentials are not tracked; nothing is written when nothing changed.
pub fn note_key_use(call: &mut Call<'_>) {
    let cloud = call.cloud;
    if key_use(call, &cloud.read_state()).is_none() {
        return;
    }
    let mut st = cloud.write_state();
    if let Some(seen) = key_use(call, &st) {
        let id = call.caller.access_key_id.clone();
        state::put(&mut call.batch, state::key_use_key(&id), &seen);
        st.key_use.insert(id, seen);
    }
}
