//! Inline policies of users, groups and roles: Put/Get/Delete/List<Kind>Policy (policies).
//! Documents are validated as identity policies; the entity's inline policies together
//! must stay within its quota (user 2,048, group 5,120, role 10,240 characters).

use edgeward_policy::PolicyKind;

use super::entity::{read, update};
use super::*;
use crate::state::PolicyDoc;

fn policy_name(p: &Params) -> Result<String, AwsError> {
    let name = p.required("PolicyName")?;
    check_name("policyName", name, 128)?;
    Ok(name.to_string())
}

fn not_found<E: Entity>(policy: &str) -> AwsError {
    no_such_entity(&format!("{} policy", E::WHAT), policy)
}

pub fn put<E: Entity>(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = policy_name(p)?;
    let text = p.required("PolicyDocument")?.to_string();
    update::<E>(call, p, |a| a, |e, _| {
        let doc = PolicyDoc::new(&text, PolicyKind::Identity, Some(usize::MAX)).map_err(|err| malformed(&err))?;
        e.inline_mut().insert(name, doc);
        let total: usize = e.inline().values().map(|d| edgeward_policy::policy_size(&d.text)).sum();
        if total > E::INLINE_LIMIT {
            return Err(limit_exceeded(format!("Maximum policy size of {} bytes exceeded for {} {}", E::INLINE_LIMIT, E::WHAT, e.name())));
        }
        Ok(())
    })?;
    Ok(String::new())
}

/// The document comes back URL-encoded, as AWS sends it.
pub fn get<E: Entity>(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = policy_name(p)?;
    read::<E, _>(call, p, |e, _| {
        let doc = e.inline().get(&name).ok_or_else(|| not_found::<E>(&name))?;
        let mut x = Xml::new();
        x.elem(E::PARAM, e.name()).elem("PolicyName", &name).elem("PolicyDocument", &url_encode(&doc.text));
        Ok(x.finish())
    })
}

pub fn delete<E: Entity>(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let name = policy_name(p)?;
    update::<E>(call, p, |a| a, |e, _| e.inline_mut().remove(&name).map(|_| ()).ok_or_else(|| not_found::<E>(&name)))?;
    Ok(String::new())
}

pub fn list<E: Entity>(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    read::<E, _>(call, p, |e, _| {
        let names = e.inline().keys().map(|n| (n.clone(), n.clone())).collect();
        list_response(p, "PolicyNames", names, text_member)
    })
}
