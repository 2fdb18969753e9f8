//! The audit trail: every call, allowed or denied, becomes a CloudTrail-shaped event in the
//! caller's account and, across accounts, in the resource owner's. Events are appended in
//! the same transaction as the state change they record; the store chains them by hash
//! and signs digests of the chain (`digest`); `verify` checks both.

pub mod admin;
pub mod digest;
pub mod verify;

use serde_json::Value;

use crate::call::Call;
use crate::error::AwsError;
use crate::identity::CallerKind;
use crate::protocol::json;
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
    let event_id = crate::ids::uuid();
    let other = call.trail.resource_account.clone().filter(|a| *a != call.caller.account);
    // Across accounts: (owner, sharedEventID, the owner's eventID).
    let shared = other.map(|owner| (owner, crate::ids::uuid(), crate::ids::uuid()));
    let shared = shared.as_ref().map(|(o, s, t)| (o.as_str(), s.as_str(), t.as_str()));
    let mut events = events(call, outcome, &event_id, shared);
    if call.caller.is_anonymous() {
        // An anonymous caller has no trail of its own: the event goes to the resource
        // owner's alone (none when no resource was reached).
        let owner = events.len() == 2;
        events.pop();
        if !owner {
            return;
        }
    }
    call.batch.trail.extend(events);
}

/// The serialized events of a call, given its ids: the owner's copy first (when the
/// resource is in another account), then the caller's.
///
/// Written straight to JSON bytes rather than built as a `serde_json::Value` tree: the
/// bytes are exactly what `serde_json::to_vec` gives for the tree (its maps sort their
/// keys, so each shape writes its keys in sorted order; the `same_bytes_as_the_value_tree`
/// test holds the two together). The chain hash covers them.
fn events(call: &Call<'_>, outcome: &Result<(), AwsError>, event_id: &str, shared: Option<(&str, &str, &str)>) -> Vec<TrailAppend> {
    let c = &call.caller;
    let session_context = c.session_token_issued.map(|issued| SessionContext {
        creation_date: crate::time::iso8601(issued),
        session_issuer: match &c.kind {
            CallerKind::AssumedRole { role_name, role_arn, role_id, .. } => {
                Some(SessionIssuer { account_id: &c.account, arn: role_arn, principal_id: role_id, user_name: role_name })
            }
            _ => None,
        },
        source_identity: c.source_identity.as_deref(),
    });
    let user_name = match &c.kind {
        CallerKind::User { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let request_parameters = redacted(call.trail.request_parameters.as_ref());
    let response_elements = redacted(if outcome.is_ok() { call.trail.response_elements.as_ref() } else { None });
    let mut event = Event {
        aws_region: &call.region,
        error_code: outcome.as_ref().err().map(|e| e.code.as_ref()),
        error_message: outcome.as_ref().err().map(|e| e.message.as_str()),
        data_event: call.trail.data_event,
        event_id,
        event_name: &call.operation,
        event_source: event_source(call.service),
        event_time: crate::time::iso8601(call.now),
        read_only: call.trail.read_only,
        recipient_account_id: &c.account,
        request_id: &call.request_id,
        request_parameters: &request_parameters,
        resources: call
            .trail
            .resources
            .iter()
            .map(|(arn, ty)| Resource {
                arn,
                // S3 ARNs name no account: the resource owner's.
                account_id: arn_account(arn).or(call.trail.resource_account.as_deref()).unwrap_or(&c.account),
                kind: ty,
            })
            .collect(),
        response_elements: &response_elements,
        shared_event_id: shared.map(|(_, id, _)| id),
        source_ip_address: &call.source_ip,
        user_agent: &call.user_agent,
        user_identity: UserIdentity {
            access_key_id: &c.access_key_id,
            account_id: &c.account,
            arn: &c.arn,
            invoked_by: call.trail.invoked_by.as_deref(),
            principal_id: c.user_id(),
            session_context,
            kind: c.trail_type(),
            user_name,
        },
    };
    let bytes = |e: &Event<'_>| {
        // Room for a typical event (about 1.2 KB) from the start.
        let mut out = Vec::with_capacity(2048);
        e.write(&mut out);
        out
    };
    let mut out = Vec::with_capacity(2);
    if let Some((owner, _, their_id)) = shared {
        let mine = (event.recipient_account_id, event.event_id);
        (event.recipient_account_id, event.event_id) = (owner, their_id);
        out.push(TrailAppend { account: owner.to_string(), event: bytes(&event) });
        (event.recipient_account_id, event.event_id) = mine;
    }
    out.push(TrailAppend { account: c.account.clone(), event: bytes(&event) });
    out
}

/// `v` with its secrets hidden (`Null` when absent); a copy is made only when there is a
/// secret to hide.
fn redacted(v: Option<&Value>) -> std::borrow::Cow<'_, Value> {
    static NULL: Value = Value::Null;
    match v {
        Some(v) if has_secret(v) => {
            let mut v = v.clone();
            redact(&mut v);
            std::borrow::Cow::Owned(v)
        }
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Borrowed(&NULL),
    }
}

/// True when a JSON tree holds a key whose value `redact` hides.
fn has_secret(v: &Value) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, val)| REDACTED.contains(&k.as_str()) || has_secret(val)),
        Value::Array(items) => items.iter().any(has_secret),
        _ => false,
    }
}

// The event's shape. Each writes its JSON keys in sorted (byte) order: the order
// serde_json's `Value` maps write them in, which earlier events were hashed with.

/// A key as `Object::key` writes it: `"name":`.
macro_rules! k {
    ($name:literal) => {
        concat!("\"", $name, "\":")
    };
}

/// A JSON object being written, its fields in the order they are added.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Object<'o> {
    fn start(out: &'o mut Vec<u8>) -> Object<'o> {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Writes the key, given as `k!("name")`; the caller writes its value into the returned
    /// buffer. Keys are this file's literals, plain ASCII names, quoted at compile time.
    fn key(&mut self, quoted: &'static str) -> &mut Vec<u8> {
        debug_assert!(quoted.len() > 3 && quoted[1..quoted.len() - 2].bytes().all(|b| b.is_ascii_alphanumeric()), "{quoted}");
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.extend_from_slice(quoted.as_bytes());
        self.out
    }

    fn str(&mut self, key: &'static str, value: &str) {
        json::write_str(self.key(key), value);
    }

    fn some_str(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    fn bool(&mut self, key: &'static str, value: bool) {
        self.key(key).extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

struct Event<'a> {
    aws_region: &'a str,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
    /// A data event (S3 object access), not a management event.
    data_event: bool,
    event_id: &'a str,
    event_name: &'a str,
    event_source: std::borrow::Cow<'static, str>,
    event_time: String,
    read_only: bool,
    recipient_account_id: &'a str,
    request_id: &'a str,
    request_parameters: &'a Value,
    resources: Vec<Resource<'a>>,
    response_elements: &'a Value,
    shared_event_id: Option<&'a str>,
    source_ip_address: &'a str,
    user_agent: &'a str,
    user_identity: UserIdentity<'a>,
}

impl Event<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::start(out);
        o.str(k!("awsRegion"), self.aws_region);
        o.some_str(k!("errorCode"), self.error_code);
        o.some_str(k!("errorMessage"), self.error_message);
        o.str(k!("eventCategory"), if self.data_event { "Data" } else { "Management" });
        o.str(k!("eventID"), self.event_id);
        o.str(k!("eventName"), self.event_name);
        o.str(k!("eventSource"), &self.event_source);
        o.str(k!("eventTime"), &self.event_time);
        o.str(k!("eventType"), "AwsApiCall");
        o.str(k!("eventVersion"), "1.09");
        o.bool(k!("managementEvent"), !self.data_event);
        o.bool(k!("readOnly"), self.read_only);
        o.str(k!("recipientAccountId"), self.recipient_account_id);
        o.str(k!("requestID"), self.request_id);
        json::write_value(o.key(k!("requestParameters")), self.request_parameters);
        if !self.resources.is_empty() {
            let out = o.key(k!("resources"));
            out.push(b'[');
            for (i, r) in self.resources.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let mut ro = Object::start(out);
                ro.str(k!("ARN"), r.arn);
                ro.str(k!("accountId"), r.account_id);
                ro.str(k!("type"), r.kind);
                ro.end();
            }
            out.push(b']');
        }
        json::write_value(o.key(k!("responseElements")), self.response_elements);
        o.some_str(k!("sharedEventID"), self.shared_event_id);
        o.str(k!("sourceIPAddress"), self.source_ip_address);
        o.str(k!("userAgent"), self.user_agent);
        self.user_identity.write(o.key(k!("userIdentity")));
        o.end();
    }
}

struct UserIdentity<'a> {
    access_key_id: &'a str,
    account_id: &'a str,
    arn: &'a str,
    /// The service that made the call on the caller's behalf (forward access).
    invoked_by: Option<&'a str>,
    principal_id: String,
    session_context: Option<SessionContext<'a>>,
    kind: &'static str,
    user_name: Option<&'a str>,
}

impl UserIdentity<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::start(out);
        o.str(k!("accessKeyId"), self.access_key_id);
        o.str(k!("accountId"), self.account_id);
        o.str(k!("arn"), self.arn);
        o.some_str(k!("invokedBy"), self.invoked_by);
        o.str(k!("principalId"), &self.principal_id);
        if let Some(session) = &self.session_context {
            let mut so = Object::start(o.key(k!("sessionContext")));
            let mut ao = Object::start(so.key(k!("attributes")));
            ao.str(k!("creationDate"), &session.creation_date);
            ao.str(k!("mfaAuthenticated"), "false");
            ao.end();
            if let Some(issuer) = &session.session_issuer {
                let mut io = Object::start(so.key(k!("sessionIssuer")));
                io.str(k!("accountId"), issuer.account_id);
                io.str(k!("arn"), issuer.arn);
                io.str(k!("principalId"), issuer.principal_id);
                io.str(k!("type"), "Role");
                io.str(k!("userName"), issuer.user_name);
                io.end();
            }
            so.some_str(k!("sourceIdentity"), session.source_identity);
            so.end();
        }
        o.str(k!("type"), self.kind);
        o.some_str(k!("userName"), self.user_name);
        o.end();
    }
}

struct SessionContext<'a> {
    creation_date: String,
    session_issuer: Option<SessionIssuer<'a>>,
    source_identity: Option<&'a str>,
}

struct SessionIssuer<'a> {
    account_id: &'a str,
    arn: &'a str,
    principal_id: &'a str,
    user_name: &'a str,
}

struct Resource<'a> {
    arn: &'a str,
    account_id: &'a str,
    kind: &'a str,
}

/// `<service>.amazonaws.com`; the services edgeward serves need no formatting.
fn event_source(service: &str) -> std::borrow::Cow<'static, str> {
    match service {
        "iam" => "iam.amazonaws.com".into(),
        "sts" => "sts.amazonaws.com".into(),
        "kms" => "kms.amazonaws.com".into(),
        "secretsmanager" => "secretsmanager.amazonaws.com".into(),
        "sqs" => "sqs.amazonaws.com".into(),
        "s3" => "s3.amazonaws.com".into(),
        "cloudtrail" => "cloudtrail.amazonaws.com".into(),
        other => format!("{other}.amazonaws.com").into(),
    }
}

/// The account field of an ARN, when it has one (S3 ARNs name none).
fn arn_account(arn: &str) -> Option<&str> {
    edgeward_policy::Arn::parse(arn).map(|a| a.account).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;
    use crate::call::TrailDraft;
    use crate::identity::Caller;

    #[test]
    fn the_account_of_a_resource_arn() {
        assert_eq!(arn_account("arn:aws:kms:us-east-1:111111111111:key/1234"), Some("111111111111"));
        assert_eq!(arn_account("arn:aws:secretsmanager:us-east-1:222222222222:secret:a:b-x1y2z3"), Some("222222222222"));
        assert_eq!(arn_account("arn:aws:iam::333333333333:role/a/b"), Some("333333333333"));
        // S3 ARNs name no account.
        assert_eq!(arn_account("arn:aws:s3:::bucket/key:with:colons"), None);
        assert_eq!(arn_account("not-an-arn"), None);
        assert_eq!(arn_account("arn:aws:sqs"), None);
    }

    /// The events as built before `events` wrote them directly: a `Value` tree.
    fn value_events(call: &Call<'_>, outcome: &Result<(), AwsError>, event_id: &str, shared: Option<(&str, &str, &str)>) -> Vec<(String, Value)> {
        let c = &call.caller;
        let mut identity = Map::new();
        identity.insert("type".into(), c.trail_type().into());
        identity.insert("principalId".into(), c.user_id().into());
        identity.insert("arn".into(), c.arn.clone().into());
        identity.insert("accountId".into(), c.account.clone().into());
        identity.insert("accessKeyId".into(), c.access_key_id.clone().into());
        if let Some(by) = &call.trail.invoked_by {
            identity.insert("invokedBy".into(), by.clone().into());
        }
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
        let mut out = Vec::new();
        if let Some((owner, shared_id, their_id)) = shared {
            event["sharedEventID"] = shared_id.into();
            let mut theirs = event.clone();
            theirs["recipientAccountId"] = owner.into();
            theirs["eventID"] = their_id.into();
            out.push((owner.to_string(), theirs));
        }
        out.push((c.account.clone(), event));
        out
    }

    fn caller(kind: CallerKind, arn: &str, token: Option<i64>, source_identity: Option<&str>) -> Caller {
        Caller {
            account: "111111111111".into(),
            arn: arn.into(),
            kind,
            access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
            session_token_issued: token,
            source_identity: source_identity.map(str::to_string),
            session_policy: None,
            session_policy_arns: Vec::new(),
        }
    }

    #[test]
    fn same_bytes_as_the_value_tree() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let cloud = crate::test_cloud(&rt, &["111111111111"], false);
        let root = caller(CallerKind::Root, "arn:aws:iam::111111111111:root", None, None);
        let user = caller(
            CallerKind::User { name: "al\"ice".into(), id: "AIDAEXAMPLE".into(), path: "/".into() },
            "arn:aws:iam::111111111111:user/al\"ice",
            None,
            None,
        );
        let session = caller(
            CallerKind::AssumedRole {
                role_name: "r".into(),
                role_arn: "arn:aws:iam::111111111111:role/p/r".into(),
                role_id: "AROAEXAMPLE".into(),
                session_name: "s\u{e9}".into(),
                session_tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                chained: false,
            },
            "arn:aws:sts::111111111111:assumed-role/r/s\u{e9}",
            Some(1_790_000_000),
            Some("who\\me"),
        );
        let token_user = caller(CallerKind::Root, "arn:aws:iam::111111111111:root", Some(1_790_000_000), None);
        let params = json!({"RoleName": "bench-role", "Password": "p", "nested": [{"SecretAccessKey": "x", "n": 1.5, "b": null}], "Zz": "\u{1}\t\n</x>"});
        let response = json!({"role": {"arn": "arn:aws:iam::111111111111:role/bench-role", "createDate": "2026-01-01T00:00:00Z"}, "credentials": {"sessionToken": "t", "accessKeyId": "ASIA"}});
        let denied = AwsError::new(403, "AccessDenied", "User: x is not authorized to perform: iam:GetRole on resource: \"y\"");
        // (caller, request parameters, response elements, resources, resource account, outcome, read-only)
        type Case = (Caller, Option<Value>, Option<Value>, Vec<(String, String)>, Option<String>, Result<(), AwsError>, bool);
        let cases: Vec<Case> = vec![
            (root.clone(), None, None, vec![], None, Ok(()), true),
            (root, Some(params.clone()), Some(response.clone()), vec![("arn:aws:iam::111111111111:role/bench-role".into(), "AWS::IAM::Role".into())], None, Ok(()), true),
            (user.clone(), Some(params.clone()), Some(response.clone()), vec![("*".into(), "AWS::IAM::Role".into())], None, Err(denied.clone()), false),
            (session.clone(), Some(params.clone()), Some(response.clone()), vec![("arn:aws:iam::222222222222:role/x".into(), "AWS::IAM::Role".into())], Some("222222222222".into()), Ok(()), false),
            (session, Some(json!({})), None, vec![], Some("222222222222".into()), Err(denied), false),
            (token_user, Some(json!([1, "two"])), Some(json!("s")), vec![], Some("111111111111".into()), Ok(()), true),
            (user, None, Some(response), vec![], None, Ok(()), false),
        ];
        for (i, (caller, request_parameters, response_elements, resources, resource_account, outcome, read_only)) in cases.into_iter().enumerate() {
            let call = Call {
                cloud: &cloud,
                request_id: format!("req-{i}"),
                service: if i % 2 == 0 { "iam" } else { "sts" },
                operation: "GetRole".into(),
                region: "eu-west-3".into(),
                source_ip: "127.0.0.1".into(),
                user_agent: "Boto3/1.40 md/\"q\" \u{7f} \u{2028} ü".into(),
                now: 1_790_000_123,
                caller,
                batch: Default::default(),
                trail: TrailDraft { request_parameters, response_elements, resources, resource_account: resource_account.clone(), read_only, data_event: false, invoked_by: (i == 2).then(|| "secretsmanager.amazonaws.com".into()) },
                enforce: true,
                due: Vec::new(),
            };
            let other = resource_account.filter(|a| *a != call.caller.account);
            let shared = other.as_deref().map(|o| (o, "shared-id", "their-id"));
            let new: Vec<(String, String)> =
                events(&call, &outcome, "event-id", shared).into_iter().map(|a| (a.account, String::from_utf8(a.event).unwrap())).collect();
            let old: Vec<(String, String)> = value_events(&call, &outcome, "event-id", shared)
                .into_iter()
                .map(|(a, v)| (a, serde_json::to_string(&v).unwrap()))
                .collect();
            assert_eq!(new, old, "case {i}");
        }
        drop(cloud);
    }
}
