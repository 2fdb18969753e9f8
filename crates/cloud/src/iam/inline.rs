//! Inline policies of users, groups and roles: Put/Get/Delete/List<Kind>Policy (policies).
//! Documents are validated as identity policies; the entity's inline policies together
//! must stay within its quota (user 2,048, group 5,120, role 10,240 characters).

use edgeward_policy::PolicyKind;

use super::entity::{read, update};
use super::*;
use crate::state::PolicyDoc;

fn policy_name(name: String) -> Result<String, AwsError> {
    check_name("policyName", &name, 128)?;
    Ok(name)
}

fn not_found<E: Entity>(policy: &str) -> AwsError {
    no_such_entity(&format!("{} policy", E::WHAT), policy)
}

pub fn put<E: Entity>(call: &mut Call<'_>, input: PutInlineInput) -> Result<(), AwsError> {
    let name = policy_name(input.policy_name)?;
    let text = input.policy_document;
    update::<E>(call, &input.name, |a| a, |e, _| {
        let doc = PolicyDoc::new(&text, PolicyKind::Identity, Some(usize::MAX)).map_err(|err| malformed(&err))?;
        e.inline_mut().insert(name, doc);
        let total: usize = e.inline().values().map(|d| edgeward_policy::policy_size(&d.text)).sum();
        if total > E::INLINE_LIMIT {
            return Err(limit_exceeded(format!("Maximum policy size of {} bytes exceeded for {} {}", E::INLINE_LIMIT, E::WHAT, e.name())));
        }
        Ok(())
    })?;
    Ok(())
}

/// The document comes back URL-encoded, as AWS sends it.
pub fn get<E: Entity>(call: &mut Call<'_>, input: InlineInput) -> Result<InlinePolicyOut, AwsError> {
    let name = policy_name(input.policy_name)?;
    read::<E, _>(call, &input.name, |e, _| {
        let doc = e.inline().get(&name).ok_or_else(|| not_found::<E>(&name))?;
        let policy_document = url_encode(&doc.text);
        Ok(InlinePolicyOut { owner_member: E::PARAM, owner: e.name().to_string(), policy_name: name, policy_document })
    })
}

pub fn delete<E: Entity>(call: &mut Call<'_>, input: InlineInput) -> Result<(), AwsError> {
    let name = policy_name(input.policy_name)?;
    update::<E>(call, &input.name, |a| a, |e, _| e.inline_mut().remove(&name).map(|_| ()).ok_or_else(|| not_found::<E>(&name)))?;
    Ok(())
}

pub fn list<E: Entity>(call: &mut Call<'_>, input: NamePageInput) -> Result<ListPage<String>, AwsError> {
    read::<E, _>(call, &input.name, |e, _| {
        let names = e.inline().keys().map(|n| (n.clone(), n.clone())).collect();
        list_page(input.marker.as_deref(), input.max_items, "PolicyNames", names)
    })
}
