//! The audit trail: every call, allowed or denied, becomes a CloudTrail-shaped event in the
//! caller's account and, across accounts, in the resource owner's. Events are appended in
//! the same transaction as the state change they record; the store chains them by hash
//! and signs digests of the chain (`digest`); `verify` checks both.

pub mod admin;
pub mod digest;
pub mod verify;

use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::AwsError;
use crate::identity::CallerKind;
use crate::store::TrailAppend;

/// Keys whose values never enter the trail.
const REDACTED: &[&str] = &["secretAccessKey", "SecretAccessKey", "sessionToken", "SessionToken", "SecretString", "SecretBinary", "Plaintext", "password", "Password"];

/// Replaces secret values anywhere in a JSON tree with "HIDDEN_DUE_TO_SECURITY_REASONS".
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if REDACTED.iter().any(|r| r == k) {
                    *val = Value::String("HIDDEN_DUE_TO_SECURITY_REASONS".into());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Builds the event(s) for a finished call and adds them to its batch.
pub fn record(call: &mut Call<'_>, outcome: &Result<(), AwsError>) {
    let c = &call.caller;
    let mut identity = Map::new();
    identity.insert("type".into(), c.trail_type().into());
    identity.insert("principalId".into(), c.user_id().into());
    identity.insert("arn".into(), c.arn.clone().into());
    identity.insert("accountId".into(), c.account.clone().into());
    identity.insert("accessKeyId".into(), c.access_key_id.clone().into());
    if let CallerKind::User { name, .. } = &c.kind {
        identity.insert("userName".into(), name.clone().into());
    }
    if let Some(issued) = c.session_token_issued {
        let mut session = Map::new();
        if let CallerKind::AssumedRole { role_name, role_arn, role_id, .. } = &c.kind {
            session.insert(
                "sessionIssuer".into(),
                json!({"type": "Role", "principalId": role_id, "arn": role_arn, "accountId": c.account, "userName": role_name}),
            );
        }
        session.insert("attributes".into(), json!({"creationDate": crate::time::iso8601(issued), "mfaAuthenticated": "false"}));
        if let Some(si) = &c.source_identity {
            session.insert("sourceIdentity".into(), si.clone().into());
        }
        identity.insert("sessionContext".into(), Value::Object(session));
    }
    let event_id = crate::ids::uuid();
    let mut request_parameters = call.trail.request_parameters.clone().unwrap_or(Value::Null);
    redact(&mut request_parameters);
    let mut response_elements = if outcome.is_ok() { call.trail.response_elements.clone().unwrap_or(Value::Null) } else { Value::Null };
    redact(&mut response_elements);
    let mut event = json!({
        "eventVersion": "1.09",
        "userIdentity": Value::Object(identity),
        "eventTime": crate::time::iso8601(call.now),
        "eventSource": format!("{}.amazonaws.com", call.service),
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": call.request_id,
        "eventID": event_id,
        "readOnly": call.trail.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": c.account,
        "eventCategory": "Management",
    });
    if !call.trail.resources.is_empty() {
        event["resources"] = call
            .trail
            .resources
            .iter()
            .map(|(arn, ty)| json!({"ARN": arn, "accountId": arn_account(arn).unwrap_or(&c.account), "type": ty}))
            .collect();
    }
    if let Err(e) = outcome {
        event["errorCode"] = e.code.to_string().into();
        event["errorMessage"] = e.message.clone().into();
    }
    let other = call.trail.resource_account.clone().filter(|a| *a != c.account);
    if let Some(owner) = other {
        let shared = crate::ids::uuid();
        event["sharedEventID"] = shared.clone().into();
        let mut theirs = event.clone();
        theirs["recipientAccountId"] = owner.clone().into();
        theirs["eventID"] = crate::ids::uuid().into();
        call.batch.trail.push(TrailAppend { account: owner, event: theirs });
    }
    call.batch.trail.push(TrailAppend { account: c.account.clone(), event });
}

fn arn_account(arn: &str) -> Option<&str> {
    edgeward_policy::Arn::parse(arn).map(|a| a.account).filter(|a| !a.is_empty())
}
