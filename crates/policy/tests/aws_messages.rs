//! The message IAM returns for a refused document (`PolicyError::aws_message`): one table of
//! document → AWS's text, in IAM's order of checks, and the documents IAM accepts.

use edgeward_policy::{ParseOptions, Policy, PolicyKind};
use serde_json::{json, Value};

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

fn managed() -> ParseOptions {
    ParseOptions::new(PolicyKind::Identity).requiring_current_version()
}

/// A one-statement 2012-10-17 document; `patch` adds or replaces statement elements (a
/// `null` removes one).
fn stmt(patch: Value) -> String {
    let mut st = json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket"});
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            st.as_object_mut().unwrap().remove(k);
        } else {
            st[k] = v.clone();
        }
    }
    json!({"Version": "2012-10-17", "Statement": st}).to_string()
}

fn doc(v: Value) -> String {
    v.to_string()
}

#[test]
fn refused_documents_get_iam_messages() {
    let ok_st = json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"});
    let cases: Vec<(&str, ParseOptions, String, &str)> = vec![
        // Syntax
        ("not JSON", managed(), "{not json".into(), SYNTAX),
        ("not an object", managed(), "[]".into(), SYNTAX),
        ("unknown top-level field", managed(), doc(json!({"Version": "2012-10-17", "Statement": ok_st, "Extra": 1})), SYNTAX),
        ("unknown version", managed(), doc(json!({"Version": "2013-01-01", "Statement": ok_st})), SYNTAX),
        ("no statement", managed(), doc(json!({"Version": "2012-10-17"})), SYNTAX),
        ("empty statement list", managed(), doc(json!({"Version": "2012-10-17", "Statement": []})), SYNTAX),
        ("statement not an object", managed(), doc(json!({"Version": "2012-10-17", "Statement": ["x"]})), SYNTAX),
        ("Id not a string", managed(), doc(json!({"Version": "2012-10-17", "Id": [], "Statement": ok_st})), SYNTAX),
        ("unknown statement field", managed(), stmt(json!({"Extra": "x"})), SYNTAX),
        ("no effect", managed(), stmt(json!({"Effect": null})), SYNTAX),
        ("unknown effect", managed(), stmt(json!({"Effect": "Permit"})), SYNTAX),
        ("Action and NotAction", managed(), stmt(json!({"NotAction": "s3:GetObject"})), SYNTAX),
        ("Resource and NotResource", managed(), stmt(json!({"NotResource": "*"})), SYNTAX),
        ("Action an object", managed(), stmt(json!({"Action": {}})), SYNTAX),
        ("Resource list with an object", managed(), stmt(json!({"Resource": ["*", {}]})), SYNTAX),
        ("Sid not a string", managed(), stmt(json!({"Sid": []})), SYNTAX),
        ("Condition a list", managed(), stmt(json!({"Condition": []})), SYNTAX),
        ("operator maps to a string", managed(), stmt(json!({"Condition": {"StringEquals": "x"}})), SYNTAX),
        ("unknown operator with keys", managed(), stmt(json!({"Condition": {"StringEqualz": {"aws:username": "a"}}})), SYNTAX),
        ("condition value an object", managed(), stmt(json!({"Condition": {"StringEquals": {"aws:username": {}}}})), SYNTAX),
        // Version (managed policies), checked right after the grammar
        ("no version", managed(), doc(json!({"Statement": ok_st})), VERSION),
        ("version 2008-10-17", managed(), doc(json!({"Version": "2008-10-17", "Statement": ok_st})), VERSION),
        ("no version before legacy parsing", managed(), doc(json!({"Statement": {"Effect": "allow", "Action": "s3:ListBucket", "Resource": "*"}})), VERSION),
        ("syntax before version", managed(), doc(json!({"Statement": {"Effect": "Allow", "Action": {}, "Resource": "*"}})), SYNTAX),
        // Legacy parsing
        ("effect in lower case", managed(), stmt(json!({"Effect": "allow"})), LEGACY),
        ("unreadable date", managed(), stmt(json!({"Condition": {"DateGreaterThan": {"aws:CurrentTime": "yesterday"}}})), LEGACY),
        ("epoch beyond 64 bits", managed(), stmt(json!({"Condition": {"DateLessThan": {"aws:EpochTime": "9223372036854775808"}}})), LEGACY),
        ("ARN with :: and five segments", managed(), stmt(json!({"Resource": "arn:aws:s3::bucket"})), LEGACY),
        ("ARN with an empty service", managed(), stmt(json!({"Resource": "arn:aws::::bucket"})), LEGACY),
        ("legacy before unique SIDs", managed(), doc(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "a", "Effect": "deny", "Action": "s3:ListBucket", "Resource": "*"},
            {"Sid": "a", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})), LEGACY),
        // Unique SIDs, then actions
        ("repeated SID", managed(), doc(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "a", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
            {"Sid": "a", "Effect": "Allow"}]})), "Statement IDs (SID) in a single policy must be unique."),
        ("no action", managed(), stmt(json!({"Action": null})), "Policy statement must contain actions."),
        ("empty action list", managed(), stmt(json!({"Action": []})), "Policy statement must contain actions."),
        ("actions before resource format", managed(), stmt(json!({"Action": null, "Resource": "bucket"})), "Policy statement must contain actions."),
        // Resource format
        ("not an ARN", managed(), stmt(json!({"Resource": "bucket"})), "Resource bucket must be in ARN format or \"*\"."),
        ("empty resource", managed(), stmt(json!({"Resource": ""})), "Resource  must be in ARN format or \"*\"."),
        ("unknown partition", managed(), stmt(json!({"Resource": "arn:aws-moon:s3:::bucket"})),
            "Partition \"aws-moon\" is not valid for resource \"arn:aws-moon:s3:::bucket\"."),
        ("partition with missing segments", managed(), stmt(json!({"Resource": "x:y:z"})), "Partition \"y\" is not valid for resource \"arn:y:z:*:*:*\"."),
        ("last statement's smallest bad ARN", managed(), stmt(json!({"Resource": ["arn:bad1:s3:::a", "arn:bad2:s3:::b"]})),
            "Partition \"bad1\" is not valid for resource \"arn:bad1:s3:::a\"."),
        ("no vendor", managed(), stmt(json!({"Resource": "arn:aws"})), "Resource vendor must be fully qualified and cannot contain regexes."),
        ("IAM ARN with a region", managed(), stmt(json!({"Resource": "arn:aws:iam:eu-west-1::role/x"})),
            "IAM resource arn:aws:iam:eu-west-1::role/x cannot contain region information."),
        ("bucket ARN with a region", managed(), stmt(json!({"Resource": "arn:aws:s3:eu-west-1::bucket"})),
            "Resource arn:aws:s3:eu-west-1::bucket can not contain region information."),
        ("IAM path of no known type", managed(), stmt(json!({"Resource": "arn:aws:iam::123456789012:widget/x"})),
            "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."),
        ("format error hides a later legacy one", managed(), doc(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "bucket"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3::bucket"}]})),
            "Resource bucket must be in ARN format or \"*\"."),
        ("resource format before action format", managed(), stmt(json!({"Action": "ListBucket", "Resource": "bucket"})),
            "Resource bucket must be in ARN format or \"*\"."),
        // Action format: every Action before any NotAction
        ("action without vendor", managed(), stmt(json!({"Action": "ListBucket"})), VENDOR),
        ("empty NotAction", managed(), stmt(json!({"Action": null, "NotAction": ""})), VENDOR),
        ("two colons", managed(), stmt(json!({"Action": "s3:List:Bucket"})), "Actions/Condition can contain only one colon."),
        ("vendor with a space", managed(), stmt(json!({"Action": "s 3:ListBucket"})), "Vendor s 3 is not valid"),
        ("Action before NotAction", managed(), doc(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "ListBucket", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:a:b", "Resource": "*"}]})), "Actions/Condition can contain only one colon."),
        // Resources, last of the identity checks
        ("no resource", managed(), stmt(json!({"Resource": null})), "Policy statement must contain resources."),
        ("empty resource list", managed(), stmt(json!({"Resource": []})), "Policy statement must contain resources."),
        ("action format before resources", managed(), stmt(json!({"Action": "ListBucket", "Resource": null})), VENDOR),
        ("principal in an identity policy", managed(), stmt(json!({"Principal": "*"})), "Policy document should not specify a principal."),
        // Trust policies
        ("trust: not an sts action", ParseOptions::new(PolicyKind::Trust),
            doc(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "s3:GetObject"}})),
            "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"),
        ("trust: a resource", ParseOptions::new(PolicyKind::Trust),
            doc(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}})),
            "Has prohibited field Resource."),
        ("trust: no principal", ParseOptions::new(PolicyKind::Trust),
            doc(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}})), "Missing required field Principal"),
        ("trust: invalid principal", ParseOptions::new(PolicyKind::Trust),
            doc(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "nobody"}, "Action": "sts:AssumeRole"}})),
            "Invalid principal in policy: \"AWS\":\"nobody\""),
    ];
    let mut wrong = Vec::new();
    for (name, opts, text, want) in &cases {
        match Policy::parse(text, *opts) {
            Ok(_) => wrong.push(format!("{name}: accepted, want {want:?}\n  {text}")),
            Err(e) => {
                assert_eq!(e.code(), "MalformedPolicyDocument", "{name}");
                if e.aws_message() != *want {
                    wrong.push(format!("{name}: got {:?}, want {want:?}\n  {text}\n  findings: {e}", e.aws_message()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
}

#[test]
fn documents_iam_accepts() {
    let cases: Vec<(&str, ParseOptions, String)> = vec![
        ("inline policy without version", ParseOptions::new(PolicyKind::Identity), doc(json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}))),
        ("condition key without a vendor", managed(), stmt(json!({"Condition": {"StringEqualsIfExists": {"a": "b"}}}))),
        ("known operator without keys", managed(), stmt(json!({"Condition": {"DateGreaterThan": {}}}))),
        ("unknown operator without keys", managed(), stmt(json!({"Condition": {"x": {}, "y": {}}}))),
        ("empty value list", managed(), stmt(json!({"Condition": {"DateGreaterThan": {"aws:CurrentTime": []}}}))),
        ("percent-encoded colons", managed(), stmt(json!({"Resource": "arn:aws:test%3Aencoded%3Astring"}))),
        ("short ARN without ::", managed(), stmt(json!({"Resource": "arn:aws:fdsasf"}))),
        ("null in the resource list", managed(), stmt(json!({"Resource": ["arn:aws:kms:*:123456789012:key/*", null]}))),
        ("vendor with a dot", managed(), stmt(json!({"Action": "s3.s:ListBucket"}))),
        ("spaces in the action name", managed(), stmt(json!({"Action": "iam: list users "}))),
        ("empty SIDs may repeat", managed(), doc(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
            {"Sid": "", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))),
        ("access point ARN with a region", managed(), stmt(json!({"Resource": "arn:aws:s3:us-west-2:123456789012:accesspoint/ap"}))),
        ("S3 job ARN with a region", managed(), stmt(json!({"Resource": "arn:aws:s3:us-west-2:123456789012:job/*"}))),
        ("IAM wildcard path", managed(), stmt(json!({"Resource": "arn:aws:iam::123456789012:*"}))),
        ("IAM path with a variable account", managed(), stmt(json!({"Resource": "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}))),
        ("variable partition", managed(), stmt(json!({"Resource": "arn:${aws:partition}:s3:::bucket"}))),
        ("any partition", managed(), stmt(json!({"Resource": "arn:*:s3:::bucket"}))),
        ("negative epoch", managed(), stmt(json!({"Condition": {"DateLessThan": {"aws:CurrentTime": "-292275054"}}}))),
    ];
    for (name, opts, text) in &cases {
        if let Err(e) = Policy::parse(text, *opts) {
            panic!("{name}: refused: {e}\n  {text}");
        }
    }
}

#[test]
fn edgeward_findings_keep_path_and_detail() {
    let text = stmt(json!({"Condition": {"StringEqualz": {"aws:username": "a"}}}));
    let e = Policy::parse(&text, managed()).unwrap_err();
    assert_eq!(e.aws_message(), SYNTAX);
    assert_eq!(e.to_string(), "Statement.Condition.StringEqualz: Invalid Condition type : StringEqualz");
    let f = e.reported().unwrap();
    assert_eq!(f.path, "Statement.Condition.StringEqualz");
    assert_eq!(f.aws_message(), SYNTAX);
}

#[test]
fn size_quota_message() {
    let text = stmt(json!({"Sid": "x".repeat(200)}));
    let e = Policy::parse(&text, managed().with_size_limit(100)).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded");
    assert_eq!(e.aws_message(), "Cannot exceed quota for PolicySize: 100");
    assert!(e.to_string().contains("this policy has"), "{e}");
}
