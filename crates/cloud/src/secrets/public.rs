//! BlockPublicPolicy: whether a resource policy grants broad access to a secret.
//!
//! A statement is public when it allows a wildcard principal (`"*"`, `{"AWS": "*"}`) and no
//! condition pins the caller to known accounts, principals, organizations or networks with
//! a value free of wildcards: the same test AWS documents for resource policies.

use serde_json::Value;

/// Keys that, with a fixed value, restrict a wildcard principal.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:sourceip",
    "kms:calleraccount",
];

/// True when some Allow statement of the (already valid) policy grants public access.
pub fn is_public(policy_text: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(policy_text) else { return false };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        v @ Value::Object(_) => vec![v.clone()],
        _ => return false,
    };
    statements.iter().any(|s| s["Effect"] == "Allow" && wildcard_principal(&s["Principal"]) && !restricted(&s["Condition"]))
}

fn wildcard_principal(p: &Value) -> bool {
    let star = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(a) => a.iter().any(|x| x == "*"),
        _ => false,
    };
    match p {
        Value::String(s) => s == "*",
        Value::Object(m) => m.get("AWS").is_some_and(star),
        _ => false,
    }
}

fn restricted(condition: &Value) -> bool {
    let Value::Object(ops) = condition else { return false };
    ops.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        // Negated operators and IfExists do not pin the caller.
        if op.contains("not") || op.ends_with("ifexists") {
            return false;
        }
        let Value::Object(keys) = keys else { return false };
        keys.iter().any(|(k, v)| {
            let fixed = |s: &str| !s.is_empty() && !s.contains('*') && !s.contains('?');
            RESTRICTING_KEYS.contains(&k.to_ascii_lowercase().as_str())
                && match v {
                    Value::String(s) => fixed(s),
                    Value::Array(a) => !a.is_empty() && a.iter().all(|x| x.as_str().is_some_and(fixed)),
                    _ => false,
                }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_not() {
        let p = |principal: &str, cond: &str| {
            format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"secretsmanager:GetSecretValue","Resource":"*"{cond}}}]}}"#)
        };
        assert!(is_public(&p(r#""*""#, "")));
        assert!(is_public(&p(r#"{"AWS":"*"}"#, "")));
        assert!(is_public(&p(r#"{"AWS":["arn:aws:iam::1:root","*"]}"#, "")));
        assert!(!is_public(&p(r#"{"AWS":"arn:aws:iam::222222222222:root"}"#, "")));
        assert!(!is_public(&p(r#""*""#, r#","Condition":{"StringEquals":{"aws:PrincipalAccount":"222222222222"}}"#)));
        assert!(is_public(&p(r#""*""#, r#","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}"#)));
        assert!(is_public(&p(r#""*""#, r#","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"2"}}"#)));
        let deny = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}"#;
        assert!(!is_public(deny));
    }
}
