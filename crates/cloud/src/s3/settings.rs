//! Bucket configurations edgeward never holds (CORS, lifecycle, website, replication, Object
//! Lock, acceleration, request payment, logging, notifications, ACLs beyond the owner's),
//! read as S3 answers a bucket that has none of them: the "not found" errors for the
//! documents that may be absent, the empty documents for those that always exist, and the
//! owner-only ACL of a bucket whose ownership is `BucketOwnerEnforced` (ACLs disabled, S3's
//! default since April 2023). Tools that read every setting of a bucket (Terraform's
//! `aws_s3_bucket`, the console) work; setting them answers `NotImplemented` by name.

use super::request::{iam_action, S3Request};
use super::wire::{self, document};
use super::{authorize, bucket, Reply};
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

fn not_found(code: &'static str, message: &str, bucket: &str) -> AwsError {
    AwsError::new(404, code, message.to_string()).with("BucketName", bucket)
}

/// The configuration reads, deletions and ACL calls of `request::NEVER_SET`.
pub fn never_set(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    let object = req.key.is_some();
    authorize(call, st, b, req.key.as_deref(), iam_action(req.op, req.q("versionId").is_some()), req, Vec::new())?;
    let name = req.bucket();
    let empty = |root: &str| Ok(Reply::xml(document(root, |_| {})));
    match req.op {
        "GetBucketAcl" | "GetObjectAcl" => {
            let owner = if object {
                let v = super::objects::find_version(b, req)?;
                v.owner.clone()
            } else {
                b.rec.owner.clone()
            };
            Ok(Reply::xml(document("AccessControlPolicy", |x| {
                wire::owner(x, &owner);
                x.open("AccessControlList");
                x.raw("<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">");
                x.elem("ID", &wire::canonical_user_id(&owner)).elem("DisplayName", &owner);
                x.raw("</Grantee>").elem("Permission", "FULL_CONTROL").raw("</Grant>");
                x.close("AccessControlList");
            })))
        }
        "PutBucketAcl" | "PutObjectAcl" => {
            // With ACLs disabled, only the owner-only ACL may be "set".
            let canned = req.header("x-amz-acl");
            let grants = req.headers.keys().any(|k| k.as_str().starts_with("x-amz-grant-"));
            if canned.is_some_and(|a| a == "private" || a == "bucket-owner-full-control") && !grants {
                return Ok(Reply::ok());
            }
            Err(AwsError::client("AccessControlListNotSupported", "The bucket does not allow ACLs"))
        }
        "GetBucketCors" => Err(not_found("NoSuchCORSConfiguration", "The CORS configuration does not exist", name)),
        "GetBucketLifecycleConfiguration" => Err(not_found("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", name)),
        "GetBucketWebsite" => Err(not_found("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", name)),
        "GetBucketReplication" => Err(not_found("ReplicationConfigurationNotFoundError", "The replication configuration was not found", name)),
        "GetObjectLockConfiguration" => {
            Err(not_found("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", name))
        }
        "DeleteBucketCors" | "DeleteBucketLifecycle" | "DeleteBucketWebsite" | "DeleteBucketReplication" => Ok(Reply::ok().status(204)),
        "GetBucketAccelerateConfiguration" => empty("AccelerateConfiguration"),
        "GetBucketLogging" => empty("BucketLoggingStatus"),
        "GetBucketNotificationConfiguration" => empty("NotificationConfiguration"),
        "GetBucketRequestPayment" => Ok(Reply::xml(document("RequestPaymentConfiguration", |x| {
            x.elem("Payer", "BucketOwner");
        }))),
        "GetBucketOwnershipControls" => Ok(Reply::xml(document("OwnershipControls", |x| {
            x.open("Rule").elem("ObjectOwnership", "BucketOwnerEnforced").close("Rule");
        }))),
        "ListBucketIntelligentTieringConfigurations" => Ok(Reply::xml(document("ListBucketIntelligentTieringConfigurationsOutput", |x| {
            x.elem("IsTruncated", "false");
        }))),
        "ListBucketInventoryConfigurations" => Ok(Reply::xml(document("ListInventoryConfigurationsResult", |x| {
            x.elem("IsTruncated", "false");
        }))),
        other => Err(AwsError::new(501, "NotImplemented", format!("edgeward does not implement {other}"))),
    }
}
