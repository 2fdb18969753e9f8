//! Roles: CreateRole, GetRole, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy.

use edgeward_policy::PolicyKind;

use super::entity::{created, creating, element_xml, update};
use super::*;
use crate::state::PolicyDoc;

/// A role's fields; lists leave out the boundary, tags and last use, as AWS does.
pub fn role_fields(x: &mut Xml, r: &Role, full: bool) {
    x.elem("Path", &r.path)
        .elem("RoleName", &r.name)
        .elem("RoleId", &r.id)
        .elem("Arn", &r.arn)
        .elem("CreateDate", &crate::time::iso8601(r.created))
        .elem("AssumeRolePolicyDocument", &url_encode(&r.trust.text));
    x.opt("Description", r.description.as_deref());
    x.elem("MaxSessionDuration", &r.max_session_duration.to_string());
    if full {
        boundary_xml(x, r.boundary.as_deref());
        tags_xml(x, &r.tags);
        x.raw("<RoleLastUsed/>");
    }
}

fn trust_doc(text: &str) -> Result<PolicyDoc, AwsError> {
    PolicyDoc::new(text, PolicyKind::Trust, None).map_err(|e| malformed(&e))
}

fn max_session(p: &Params) -> Result<Option<i64>, AwsError> {
    p.int("MaxSessionDuration", 3600, 43_200)
}

pub fn create(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let trust_text = p.required("AssumeRolePolicyDocument")?.to_string();
    let max = max_session(p)?.unwrap_or(3600);
    let description = description(p)?;
    let (new, mut st) = creating::<Role>(call, p)?;
    let role = Role {
        name: new.name,
        path: new.path,
        id: new.id,
        arn: new.arn,
        created: call.now,
        trust: trust_doc(&trust_text)?,
        description,
        max_session_duration: max,
        inline: Default::default(),
        attached: Vec::new(),
        boundary: new.boundary,
        tags: new.tags,
    };
    Ok(created(call, &mut st, role))
}

/// UpdateRole: `Description`, `MaxSessionDuration`; an empty result.
pub fn update_role(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let description = description(p)?;
    let max = max_session(p)?;
    update::<Role>(call, p, |a| a, |r, _| {
        if description.is_some() {
            r.description = description;
        }
        if let Some(m) = max {
            r.max_session_duration = m;
        }
        Ok(())
    })?;
    Ok(String::new())
}

/// UpdateRoleDescription: returns the role.
pub fn update_description(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    p.required("Description")?;
    let description = description(p)?;
    let role = update::<Role>(call, p, |a| a, |r, _| {
        r.description = description;
        Ok(())
    })?;
    let mut x = Xml::new();
    element_xml(&mut x, &role);
    Ok(x.finish())
}

/// UpdateAssumeRolePolicy: a new trust policy, validated as one.
pub fn update_trust(call: &mut Call<'_>, p: &Params) -> Result<String, AwsError> {
    let text = p.required("PolicyDocument")?.to_string();
    update::<Role>(call, p, |a| a, |r, _| {
        r.trust = trust_doc(&text)?;
        Ok(())
    })?;
    Ok(String::new())
}
