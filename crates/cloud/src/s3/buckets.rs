//! Bucket operations: create, head, list, delete, location, and the bucket's configuration
//! (policy and its public status, Block Public Access, tags, versioning, default encryption).

use edgeward_policy::{ContextValue, PolicyKind};

use super::model::{Bucket, BucketRecord, DefaultEncryption, PublicAccessBlock, Versioning};
use super::request::{iam_action, valid_bucket_name, S3Request};
use super::wire::{self, document, parse_xml};
use super::{authorize, bucket, bucket_mut, Reply};
use crate::authz::{Access, ContextKey};
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::xml_in;
use crate::state::{PolicyDoc, State};

/// Largest bucket policy S3 accepts.
const MAX_POLICY: usize = 20 * 1024;

fn save(call: &mut Call<'_>, b: &Bucket) {
    call.batch.put(b.store_key(), serde_json::to_vec(&b.rec).unwrap_or_default());
}

/// Changes a bucket's configuration record and stages it.
fn update(call: &mut Call<'_>, st: &mut State, name: &str, change: impl FnOnce(&mut BucketRecord)) -> Result<(), AwsError> {
    let b = bucket_mut(st, name)?;
    change(&mut b.rec);
    save(call, b);
    Ok(())
}

/// Authorizes `req`'s operation on its bucket.
fn allow(call: &mut Call<'_>, st: &State, req: &S3Request) -> Result<(), AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, None, iam_action(req.op, false), req, Vec::new())
}

pub fn list_buckets(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let access = Access::new("s3:ListAllMyBuckets", "*", &call.caller.account.clone());
    call.authorize(st, &access).map_err(wire::access_denied)?;
    let prefix = req.q("prefix").unwrap_or("");
    let region = req.q("bucket-region");
    let max = match req.q("max-buckets") {
        Some(v) => v.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
            AwsError::client("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000").with("ArgumentName", "max-buckets")
        })?,
        None => 10_000,
    };
    let after = req.q("continuation-token").unwrap_or("");
    let owned: Vec<&Bucket> = st
        .s3
        .buckets
        .values()
        .filter(|b| b.rec.owner == call.caller.account && b.rec.name.starts_with(prefix) && region.is_none_or(|r| r == b.rec.region))
        .filter(|b| b.rec.name.as_str() > after)
        .collect();
    let more = owned.len() > max;
    let page = &owned[..owned.len().min(max)];
    let body = document("ListAllMyBucketsResult", |x| {
        x.open("Buckets");
        for b in page {
            x.open("Bucket")
                .elem("Name", &b.rec.name)
                .elem("CreationDate", &crate::time::iso8601_millis(b.rec.created))
                .elem("BucketRegion", &b.rec.region)
                .close("Bucket");
        }
        x.close("Buckets");
        wire::owner(x, &call.caller.account);
        if more {
            x.elem("ContinuationToken", &page.last().map(|b| b.rec.name.clone()).unwrap_or_default());
        }
        if !prefix.is_empty() {
            x.elem("Prefix", prefix);
        }
    });
    Ok(Reply::xml(body))
}

pub fn create_bucket(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    let name = req.bucket().to_string();
    let constraint = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let root = parse_xml(body)?;
        root.child_text("LocationConstraint").map(str::to_string).filter(|s| !s.is_empty())
    };
    let signing_region = call.region.clone();
    // us-east-1 is the global endpoint: it creates buckets in any region. A regional
    // endpoint creates only its own region's, and an empty constraint means us-east-1.
    let region = match constraint.as_deref() {
        None if signing_region == "us-east-1" => "us-east-1".to_string(),
        None => {
            return Err(AwsError::client(
                "IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
            ))
        }
        Some("us-east-1") if signing_region == "us-east-1" => {
            return Err(AwsError::client("InvalidLocationConstraint", "The specified location-constraint is not valid").with("LocationConstraint", "us-east-1"))
        }
        Some(c) if c != signing_region && signing_region != "us-east-1" => {
            return Err(AwsError::client(
                "IllegalLocationConstraintException",
                format!("The {c} location constraint is incompatible for the region specific endpoint this request was sent to."),
            ))
        }
        Some(c) => c.to_string(),
    };
    let access = Access::new("s3:CreateBucket", format!("arn:aws:s3:::{name}"), &call.caller.account.clone());
    call.trail.resources.push((access.resource.clone(), "AWS::S3::Bucket".into()));
    call.authorize(st, &access).map_err(wire::access_denied)?;
    if !valid_bucket_name(&name) {
        return Err(AwsError::client("InvalidBucketName", "The specified bucket is not valid.").with("BucketName", name));
    }
    if let Some(existing) = st.s3.buckets.get(&name) {
        if existing.rec.owner != call.caller.account {
            return Err(AwsError::new(409, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").with("BucketName", name));
        }
        // us-east-1 answers 200 to its owner re-creating a bucket; other regions refuse.
        if existing.rec.region != "us-east-1" || region != "us-east-1" {
            return Err(AwsError::new(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", name));
        }
        return Ok(Reply::ok().header("location", format!("/{name}")));
    }
    let rec = BucketRecord {
        name: name.clone(),
        owner: call.caller.account.clone(),
        region,
        created: crate::time::now_millis(),
        policy: None,
        public_access_block: None,
        tags: None,
        versioning: Versioning::Unversioned,
        encryption: None,
    };
    let b = Bucket::new(rec);
    save(call, &b);
    st.s3.buckets.insert(name.clone(), b);
    Ok(Reply::ok().header("location", format!("/{name}")))
}

pub fn head_bucket(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let b = bucket(st, req.bucket())?;
    Ok(Reply::ok()
        .header("x-amz-bucket-region", b.rec.region.clone())
        .header("x-amz-access-point-alias", "false")
        .header("content-type", "application/xml"))
}

pub fn delete_bucket(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let b = bucket(st, req.bucket())?;
    if !b.objects.is_empty() {
        return Err(AwsError::new(409, "BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", req.bucket()));
    }
    let b = st.s3.buckets.remove(req.bucket()).ok_or_else(|| super::no_such_bucket(req.bucket()))?;
    call.batch.delete(b.store_key());
    let blobs: Vec<String> = b.uploads.values().flat_map(|u| u.parts.values().map(|p| p.piece.blob.clone())).collect();
    for u in b.uploads.values() {
        call.batch.delete(u.store_key());
    }
    st.s3.doomed.extend(blobs);
    Ok(Reply::ok().status(204))
}

pub fn get_location(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let b = bucket(st, req.bucket())?;
    let mut x = crate::protocol::xml::Xml::new();
    x.raw(wire::XML_DECL);
    // us-east-1 is the empty constraint.
    if b.rec.region == "us-east-1" {
        x.raw(&format!("<LocationConstraint xmlns=\"{}\"/>", wire::XMLNS));
    } else {
        x.open_ns("LocationConstraint", wire::XMLNS).raw(&crate::protocol::xml::escape(&b.rec.region)).close("LocationConstraint");
    }
    Ok(Reply::xml(x.finish()))
}

pub fn policy(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let name = req.bucket().to_string();
    match req.op {
        "GetBucketPolicy" => {
            let b = bucket(st, &name)?;
            let p = b.rec.policy.as_ref().ok_or_else(|| {
                AwsError::new(404, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", name.clone())
            })?;
            Ok(Reply { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: super::ReplyBody::Xml(p.text.clone()) })
        }
        "GetBucketPolicyStatus" => {
            let b = bucket(st, &name)?;
            let p = b.rec.policy.as_ref().ok_or_else(|| {
                AwsError::new(404, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", name.clone())
            })?;
            let public = is_public_policy(&p.text);
            Ok(Reply::xml(document("PolicyStatus", |x| {
                x.elem("IsPublic", wire::bool_text(public));
            })))
        }
        "DeleteBucketPolicy" => {
            update(call, st, &name, |rec| rec.policy = None)?;
            Ok(Reply::ok().status(204))
        }
        _ => {
            let text = std::str::from_utf8(body).map_err(|_| malformed_policy("Policies must be valid JSON and the first byte must be '{'"))?;
            if !text.trim_start().starts_with('{') {
                return Err(malformed_policy("Policies must be valid JSON and the first byte must be '{'"));
            }
            let doc = PolicyDoc::new(text, PolicyKind::Resource, Some(MAX_POLICY)).map_err(|e| malformed_policy(&e.aws_message()))?;
            check_policy_resources(text, &name)?;
            let b = bucket(st, &name)?;
            if b.rec.public_access_block.as_ref().is_some_and(|p| p.block_public_policy) && is_public_policy(text) {
                return Err(AwsError::new(
                    403,
                    "AccessDenied",
                    format!(
                        "User: {} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{name}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
                        call.caller.arn
                    ),
                ));
            }
            update(call, st, &name, |rec| rec.policy = Some(doc))?;
            Ok(Reply::ok().status(204))
        }
    }
}

fn malformed_policy(message: &str) -> AwsError {
    AwsError::client("MalformedPolicy", message.to_string())
}

/// A policy document's statements as JSON (one or a list); none if it is not JSON. The
/// document was already validated by the policy engine: these checks are S3's own.
fn statements(text: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut doc)) => match doc.remove("Statement") {
            Some(serde_json::Value::Array(list)) => list,
            Some(one) => vec![one],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Every `Resource` of a bucket policy must name the bucket or objects in it.
fn check_policy_resources(text: &str, bucket: &str) -> Result<(), AwsError> {
    let prefix = format!("arn:aws:s3:::{bucket}");
    for s in statements(text) {
        let resources = match s.get("Resource").or_else(|| s.get("NotResource")) {
            Some(serde_json::Value::String(r)) => vec![r.clone()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|r| r.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        let actions = match s.get("Action").or_else(|| s.get("NotAction")) {
            Some(serde_json::Value::String(a)) => vec![a.clone()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        // A bucket policy speaks only of S3's actions.
        if !actions.iter().all(|a| super::actions::known(a)) {
            return Err(malformed_policy("Policy has invalid action"));
        }
        for r in resources {
            let ok = r == prefix || r.starts_with(&format!("{prefix}/")) || r == "*" || r.starts_with("arn:aws:s3:::*");
            if !ok {
                return Err(malformed_policy("Policy has invalid resource"));
            }
        }
    }
    Ok(())
}

/// S3's notion of a public policy: an Allow to everyone (`*`) not pinned by a condition on
/// a fixed value (source account, ARN, VPC, organization, principal account, user id).
pub fn is_public_policy(text: &str) -> bool {
    const PINNING: [&str; 10] = [
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:userid",
        "aws:sourceip",
    ];
    statements(text).iter().any(|s| {
        let allow = s.get("Effect").and_then(|e| e.as_str()) == Some("Allow");
        let everyone = match s.get("Principal") {
            Some(serde_json::Value::String(p)) => p == "*",
            Some(serde_json::Value::Object(m)) => m.get("AWS").is_some_and(|a| match a {
                serde_json::Value::String(p) => p == "*",
                serde_json::Value::Array(l) => l.iter().any(|p| p.as_str() == Some("*")),
                _ => false,
            }),
            _ => false,
        };
        let pinned = s.get("Condition").and_then(|c| c.as_object()).is_some_and(|ops| {
            ops.values().filter_map(|m| m.as_object()).any(|m| m.keys().any(|k| PINNING.contains(&k.to_ascii_lowercase().as_str())))
        });
        allow && everyone && !pinned
    })
}

pub fn public_access_block(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let name = req.bucket().to_string();
    match req.op {
        "GetPublicAccessBlock" => {
            let b = bucket(st, &name)?;
            let p = b.rec.public_access_block.clone().ok_or_else(|| {
                AwsError::new(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found").with("BucketName", name.clone())
            })?;
            Ok(Reply::xml(document("PublicAccessBlockConfiguration", |x| {
                x.elem("BlockPublicAcls", wire::bool_text(p.block_public_acls))
                    .elem("IgnorePublicAcls", wire::bool_text(p.ignore_public_acls))
                    .elem("BlockPublicPolicy", wire::bool_text(p.block_public_policy))
                    .elem("RestrictPublicBuckets", wire::bool_text(p.restrict_public_buckets));
            })))
        }
        "DeletePublicAccessBlock" => {
            update(call, st, &name, |rec| rec.public_access_block = None)?;
            Ok(Reply::ok().status(204))
        }
        _ => {
            let root = parse_xml(body)?;
            let flag = |n: &str| -> Result<bool, AwsError> {
                match root.child_text(n).map(str::trim) {
                    None => Ok(false),
                    Some(t) if t.eq_ignore_ascii_case("true") => Ok(true),
                    Some(t) if t.eq_ignore_ascii_case("false") => Ok(false),
                    Some(_) => Err(xml_in::malformed()),
                }
            };
            let p = PublicAccessBlock {
                block_public_acls: flag("BlockPublicAcls")?,
                ignore_public_acls: flag("IgnorePublicAcls")?,
                block_public_policy: flag("BlockPublicPolicy")?,
                restrict_public_buckets: flag("RestrictPublicBuckets")?,
            };
            update(call, st, &name, |rec| rec.public_access_block = Some(p))?;
            Ok(Reply::ok())
        }
    }
}

pub fn tagging(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let name = req.bucket().to_string();
    match req.op {
        "GetBucketTagging" => {
            let b = bucket(st, &name)?;
            let tags = b.rec.tags.clone().ok_or_else(|| AwsError::new(404, "NoSuchTagSet", "The TagSet does not exist").with("BucketName", name.clone()))?;
            Ok(Reply::xml(wire::tagging_document(&tags, |_| {})))
        }
        "DeleteBucketTagging" => {
            update(call, st, &name, |rec| rec.tags = None)?;
            Ok(Reply::ok().status(204))
        }
        _ => {
            let tags = wire::parse_tagging(body)?;
            if tags.len() > 50 {
                return Err(AwsError::client("InvalidTag", "Bucket tag count cannot be greater than 50"));
            }
            // An empty tag set removes the tags.
            update(call, st, &name, |rec| rec.tags = (!tags.is_empty()).then_some(tags))?;
            Ok(Reply::ok().status(204))
        }
    }
}

pub fn versioning(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let name = req.bucket().to_string();
    if req.op == "GetBucketVersioning" {
        let b = bucket(st, &name)?;
        return Ok(Reply::xml(document("VersioningConfiguration", |x| match b.rec.versioning {
            Versioning::Unversioned => {}
            Versioning::Enabled => {
                x.elem("Status", "Enabled");
            }
            Versioning::Suspended => {
                x.elem("Status", "Suspended");
            }
        })));
    }
    let root = parse_xml(body)?;
    let status = match root.child_text("Status").map(str::trim) {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => return Err(xml_in::malformed()),
    };
    if root.child_text("MfaDelete").map(str::trim) == Some("Enabled") {
        return Err(AwsError::client("InvalidRequest", "DevPay and Mfa are mutually exclusive authorization methods."));
    }
    update(call, st, &name, |rec| {
        // A bucket that never had versioning stays unversioned when "suspended".
        if !(status == Versioning::Suspended && rec.versioning == Versioning::Unversioned) {
            rec.versioning = status;
        }
    })?;
    Ok(Reply::ok())
}

pub fn encryption(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let name = req.bucket().to_string();
    match req.op {
        "GetBucketEncryption" => {
            let b = bucket(st, &name)?;
            let e = b.rec.encryption.clone().unwrap_or_default();
            Ok(Reply::xml(document("ServerSideEncryptionConfiguration", |x| {
                x.open("Rule").open("ApplyServerSideEncryptionByDefault").elem("SSEAlgorithm", &e.algorithm);
                x.opt("KMSMasterKeyID", e.kms_key_id.as_deref());
                x.close("ApplyServerSideEncryptionByDefault").elem("BucketKeyEnabled", wire::bool_text(e.bucket_key_enabled)).close("Rule");
            })))
        }
        "DeleteBucketEncryption" => {
            update(call, st, &name, |rec| rec.encryption = None)?;
            Ok(Reply::ok().status(204))
        }
        _ => {
            let root = parse_xml(body)?;
            let rule = root.child("Rule").ok_or_else(xml_in::malformed)?;
            let default = rule.child("ApplyServerSideEncryptionByDefault").ok_or_else(xml_in::malformed)?;
            let algorithm = default.child_text("SSEAlgorithm").map(str::trim).unwrap_or("");
            if !matches!(algorithm, "AES256" | "aws:kms" | "aws:kms:dsse") {
                return Err(xml_in::malformed());
            }
            let kms_key_id = default.child_text("KMSMasterKeyID").map(str::trim).filter(|k| !k.is_empty()).map(str::to_string);
            if kms_key_id.is_some() && algorithm == "AES256" {
                return Err(AwsError::client("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"));
            }
            let bucket_key_enabled = rule.child_text("BucketKeyEnabled").is_some_and(|t| t.trim().eq_ignore_ascii_case("true"));
            update(call, st, &name, |rec| rec.encryption = Some(DefaultEncryption { algorithm: algorithm.to_string(), kms_key_id, bucket_key_enabled }))?;
            Ok(Reply::ok())
        }
    }
}

/// S3 condition keys a request carries into every decision on it.
pub fn request_context(req: &S3Request) -> Vec<(ContextKey, ContextValue)> {
    let mut ctx = Vec::new();
    let single = |k: &'static str, v: &str| (k.into(), ContextValue::Single(v.to_string()));
    for (header, key) in [
        ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
        ("x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
        ("x-amz-acl", "s3:x-amz-acl"),
        ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
        ("x-amz-storage-class", "s3:x-amz-storage-class"),
        ("x-amz-copy-source", "s3:x-amz-copy-source"),
        ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ] {
        if let Some(v) = req.header(header) {
            ctx.push(single(key, v));
        }
    }
    let auth_type = if req.headers.contains_key("authorization") { "REST-HEADER" } else { "REST-QUERY-STRING" };
    ctx.push(single("s3:authType", auth_type));
    ctx
}
