//! Roles: CreateRole, GetRole, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy.

use edgeward_policy::PolicyKind;

use super::entity::{created, creating, element, update};
use super::*;
use crate::state::PolicyDoc;

/// A role's fields; lists leave out the boundary, tags and last use, as AWS does.
pub fn role_out(r: &Role, full: bool) -> RoleOut {
    RoleOut {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn.clone(),
        create_date: Timestamp(r.created),
        assume_role_policy_document: url_encode(&r.trust.text),
        description: r.description.clone(),
        max_session_duration: r.max_session_duration,
        permissions_boundary: if full { boundary_out(r.boundary.as_deref()) } else { None },
        tags: if full { tags_out(&r.tags) } else { Vec::new() },
        role_last_used: full.then_some(()),
    }
}

fn trust_doc(text: &str) -> Result<PolicyDoc, AwsError> {
    PolicyDoc::new(text, PolicyKind::Trust, None).map_err(|e| malformed(&e))
}

fn max_session(n: Option<i64>) -> Result<Option<i64>, AwsError> {
    in_range("maxSessionDuration", n, 3600, 43_200)
}

pub fn create(call: &mut Call<'_>, input: CreateRoleInput) -> Result<Named<RoleOut>, AwsError> {
    let trust_text = input.assume_role_policy_document;
    let max = max_session(input.max_session_duration)?.unwrap_or(3600);
    let description = description(input.description)?;
    let (new, mut st) = creating::<Role>(call, input.role_name, input.path, input.tags, input.permissions_boundary)?;
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
pub fn update_role(call: &mut Call<'_>, input: UpdateRoleInput) -> Result<(), AwsError> {
    let description = description(input.description)?;
    let max = max_session(input.max_session_duration)?;
    update::<Role>(call, &input.role_name, |a| a, |r, _| {
        if description.is_some() {
            r.description = description;
        }
        if let Some(m) = max {
            r.max_session_duration = m;
        }
        Ok(())
    })?;
    Ok(())
}

/// UpdateRoleDescription: returns the role.
pub fn update_description(call: &mut Call<'_>, input: UpdateRoleDescriptionInput) -> Result<Named<RoleOut>, AwsError> {
    let description = description(Some(input.description))?;
    let role = update::<Role>(call, &input.role_name, |a| a, |r, _| {
        r.description = description;
        Ok(())
    })?;
    Ok(element(&role))
}

/// UpdateAssumeRolePolicy: a new trust policy, validated as one.
pub fn update_trust(call: &mut Call<'_>, input: UpdateAssumeRolePolicyInput) -> Result<(), AwsError> {
    let text = input.policy_document;
    update::<Role>(call, &input.role_name, |a| a, |r, _| {
        r.trust = trust_doc(&text)?;
        Ok(())
    })?;
    Ok(())
}
