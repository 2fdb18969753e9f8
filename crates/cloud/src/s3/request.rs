//! What an S3 request addresses and which operation it is: bucket and key from a
//! virtual-host-style `Host` (`<bucket>.localhost`, `<bucket>.s3.<region>.amazonaws.com`) or
//! the path (`/<bucket>/<key>`), the operation from the method, the subresource query
//! parameters and a few headers, as S3's REST API defines them.

use http::Method;

use crate::error::AwsError;

/// One S3 request, parsed.
#[derive(Debug, Clone)]
pub struct S3Request {
    pub method: Method,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: http::HeaderMap,
    /// The operation's name (S3's API name, e.g. `PutObject`).
    pub op: &'static str,
}

impl S3Request {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn bucket(&self) -> &str {
        self.bucket.as_deref().unwrap_or("")
    }

    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or("")
    }
}

/// Bucket and key of a request (`None` when absent), or S3's error for a bad path.
pub fn address(host: Option<&str>, raw_path: &str) -> Result<(Option<String>, Option<String>), AwsError> {
    let path = percent_encoding::percent_decode_str(raw_path)
        .decode_utf8()
        .map_err(|_| AwsError::client("InvalidURI", "Couldn't parse the specified URI."))?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    if let Some(bucket) = host.and_then(virtual_host_bucket) {
        let key = (!path.is_empty()).then(|| path.to_string());
        return Ok((Some(bucket), key));
    }
    if path.is_empty() {
        return Ok((None, None));
    }
    match path.split_once('/') {
        Some((bucket, key)) => Ok((Some(bucket.to_string()), (!key.is_empty()).then(|| key.to_string()))),
        None => Ok((Some(path.to_string()), None)),
    }
}

/// The bucket named by a virtual-host-style `Host`, if it is one.
fn virtual_host_bucket(host: &str) -> Option<String> {
    let host = host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let host = host.to_ascii_lowercase();
    let prefix = if let Some(p) = host.strip_suffix(".localhost") {
        p.strip_suffix(".s3").unwrap_or(p)
    } else if let Some(p) = host.strip_suffix(".amazonaws.com") {
        // <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>.amazonaws.com
        let (bucket, rest) = p.split_once(".s3")?;
        if !(rest.is_empty() || rest.starts_with('.') || rest.starts_with('-')) {
            return None;
        }
        bucket
    } else {
        return None;
    };
    (!prefix.is_empty() && prefix != "s3").then(|| prefix.to_string())
}

/// Subresources S3 has that edgeward does not implement: their operations answer
/// `NotImplemented` by name rather than being mistaken for plain object or bucket calls.
const UNSUPPORTED: [(&str, &str); 22] = [
    ("acl", "Acl"),
    ("cors", "Cors"),
    ("lifecycle", "Lifecycle"),
    ("website", "Website"),
    ("logging", "Logging"),
    ("notification", "NotificationConfiguration"),
    ("replication", "Replication"),
    ("ownershipControls", "OwnershipControls"),
    ("object-lock", "ObjectLockConfiguration"),
    ("accelerate", "Accelerate"),
    ("requestPayment", "RequestPayment"),
    ("intelligent-tiering", "IntelligentTieringConfiguration"),
    ("inventory", "InventoryConfiguration"),
    ("metrics", "MetricsConfiguration"),
    ("analytics", "AnalyticsConfiguration"),
    ("legal-hold", "ObjectLegalHold"),
    ("retention", "ObjectRetention"),
    ("restore", "RestoreObject"),
    ("select", "SelectObjectContent"),
    ("torrent", "ObjectTorrent"),
    ("session", "CreateSession"),
    ("metadataTable", "BucketMetadataTableConfiguration"),
];

/// Reads (and deletions) of configurations edgeward never holds, answered as S3 answers a
/// bucket without them (`settings`): `(subresource, method, operation)`.
const NEVER_SET: [(&str, Method, &str); 18] = [
    ("acl", Method::GET, "GetBucketAcl"),
    ("acl", Method::PUT, "PutBucketAcl"),
    ("cors", Method::GET, "GetBucketCors"),
    ("cors", Method::DELETE, "DeleteBucketCors"),
    ("lifecycle", Method::GET, "GetBucketLifecycleConfiguration"),
    ("lifecycle", Method::DELETE, "DeleteBucketLifecycle"),
    ("website", Method::GET, "GetBucketWebsite"),
    ("website", Method::DELETE, "DeleteBucketWebsite"),
    ("replication", Method::GET, "GetBucketReplication"),
    ("replication", Method::DELETE, "DeleteBucketReplication"),
    ("object-lock", Method::GET, "GetObjectLockConfiguration"),
    ("accelerate", Method::GET, "GetBucketAccelerateConfiguration"),
    ("requestPayment", Method::GET, "GetBucketRequestPayment"),
    ("logging", Method::GET, "GetBucketLogging"),
    ("notification", Method::GET, "GetBucketNotificationConfiguration"),
    ("ownershipControls", Method::GET, "GetBucketOwnershipControls"),
    ("intelligent-tiering", Method::GET, "ListBucketIntelligentTieringConfigurations"),
    ("inventory", Method::GET, "ListBucketInventoryConfigurations"),
];

/// The operation a request names. Unknown combinations answer S3's errors.
pub fn operation(method: &Method, bucket: bool, key: bool, has: impl Fn(&str) -> bool, copy_source: bool) -> Result<&'static str, AwsError> {
    if bucket {
        if key && has("acl") && matches!(*method, Method::GET | Method::HEAD) {
            return Ok("GetObjectAcl");
        }
        if key && has("acl") && *method == Method::PUT {
            return Ok("PutObjectAcl");
        }
        let get = if *method == Method::HEAD { Method::GET } else { method.clone() };
        if let Some((_, _, op)) = NEVER_SET.iter().find(|(sub, m, _)| !key && *m == get && has(sub) && !(*sub == "inventory" && has("id"))) {
            return Ok(op);
        }
    }
    for (sub, name) in UNSUPPORTED {
        if has(sub) {
            let verb = match *method {
                Method::GET | Method::HEAD => "Get",
                Method::DELETE => "Delete",
                _ => "Put",
            };
            let what = if key { "Object" } else { "Bucket" };
            let op = if name.starts_with("Object") || name.contains("Session") || name.starts_with("Restore") || name.starts_with("Select") {
                name.to_string()
            } else {
                format!("{verb}{what}{name}")
            };
            return Err(AwsError::new(501, "NotImplemented", format!("edgeward does not implement {op}")));
        }
    }
    let op = match (method.clone(), bucket, key) {
        (Method::GET, false, _) => "ListBuckets",
        (_, false, _) => return Err(AwsError::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")),
        (Method::PUT, true, false) => {
            if has("policy") {
                "PutBucketPolicy"
            } else if has("publicAccessBlock") {
                "PutPublicAccessBlock"
            } else if has("tagging") {
                "PutBucketTagging"
            } else if has("versioning") {
                "PutBucketVersioning"
            } else if has("encryption") {
                "PutBucketEncryption"
            } else {
                "CreateBucket"
            }
        }
        (Method::GET, true, false) => {
            if has("policy") {
                "GetBucketPolicy"
            } else if has("policyStatus") {
                "GetBucketPolicyStatus"
            } else if has("publicAccessBlock") {
                "GetPublicAccessBlock"
            } else if has("tagging") {
                "GetBucketTagging"
            } else if has("versioning") {
                "GetBucketVersioning"
            } else if has("encryption") {
                "GetBucketEncryption"
            } else if has("location") {
                "GetBucketLocation"
            } else if has("versions") {
                "ListObjectVersions"
            } else if has("uploads") {
                "ListMultipartUploads"
            } else if has("list-type") {
                "ListObjectsV2"
            } else {
                "ListObjects"
            }
        }
        (Method::DELETE, true, false) => {
            if has("policy") {
                "DeleteBucketPolicy"
            } else if has("publicAccessBlock") {
                "DeletePublicAccessBlock"
            } else if has("tagging") {
                "DeleteBucketTagging"
            } else if has("encryption") {
                "DeleteBucketEncryption"
            } else {
                "DeleteBucket"
            }
        }
        (Method::HEAD, true, false) => "HeadBucket",
        (Method::POST, true, false) if has("delete") => "DeleteObjects",
        (Method::PUT, true, true) => {
            if has("partNumber") && has("uploadId") {
                if copy_source {
                    "UploadPartCopy"
                } else {
                    "UploadPart"
                }
            } else if has("tagging") {
                "PutObjectTagging"
            } else if copy_source {
                "CopyObject"
            } else {
                "PutObject"
            }
        }
        (Method::GET, true, true) => {
            if has("uploadId") {
                "ListParts"
            } else if has("tagging") {
                "GetObjectTagging"
            } else if has("attributes") {
                "GetObjectAttributes"
            } else {
                "GetObject"
            }
        }
        (Method::HEAD, true, true) => "HeadObject",
        (Method::DELETE, true, true) => {
            if has("uploadId") {
                "AbortMultipartUpload"
            } else if has("tagging") {
                "DeleteObjectTagging"
            } else {
                "DeleteObject"
            }
        }
        (Method::POST, true, true) if has("uploads") => "CreateMultipartUpload",
        (Method::POST, true, true) if has("uploadId") => "CompleteMultipartUpload",
        (Method::POST, true, false) => {
            return Err(AwsError::new(501, "NotImplemented", "edgeward does not implement browser-based POST uploads (PostObject)"))
        }
        _ => return Err(AwsError::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")),
    };
    Ok(op)
}

/// The IAM action an operation needs (S3's action names differ from its API names).
pub fn iam_action(op: &str, versioned: bool) -> &'static str {
    match op {
        "ListBuckets" => "s3:ListAllMyBuckets",
        "CreateBucket" => "s3:CreateBucket",
        "DeleteBucket" => "s3:DeleteBucket",
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => "s3:ListBucket",
        "ListObjectVersions" => "s3:ListBucketVersions",
        "ListMultipartUploads" => "s3:ListBucketMultipartUploads",
        "GetBucketLocation" => "s3:GetBucketLocation",
        "GetBucketPolicy" => "s3:GetBucketPolicy",
        "GetBucketPolicyStatus" => "s3:GetBucketPolicyStatus",
        "PutBucketPolicy" => "s3:PutBucketPolicy",
        "DeleteBucketPolicy" => "s3:DeleteBucketPolicy",
        "GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock",
        "PutPublicAccessBlock" | "DeletePublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
        "GetBucketTagging" => "s3:GetBucketTagging",
        "PutBucketTagging" | "DeleteBucketTagging" => "s3:PutBucketTagging",
        "GetBucketVersioning" => "s3:GetBucketVersioning",
        "PutBucketVersioning" => "s3:PutBucketVersioning",
        "GetBucketEncryption" => "s3:GetEncryptionConfiguration",
        "PutBucketEncryption" | "DeleteBucketEncryption" => "s3:PutEncryptionConfiguration",
        "GetObject" | "HeadObject" if versioned => "s3:GetObjectVersion",
        "GetObject" | "HeadObject" => "s3:GetObject",
        "GetObjectAttributes" if versioned => "s3:GetObjectVersionAttributes",
        "GetObjectAttributes" => "s3:GetObjectAttributes",
        "DeleteObject" | "DeleteObjects" if versioned => "s3:DeleteObjectVersion",
        "DeleteObject" | "DeleteObjects" => "s3:DeleteObject",
        "GetObjectTagging" if versioned => "s3:GetObjectVersionTagging",
        "GetObjectTagging" => "s3:GetObjectTagging",
        "PutObjectTagging" if versioned => "s3:PutObjectVersionTagging",
        "PutObjectTagging" => "s3:PutObjectTagging",
        "DeleteObjectTagging" if versioned => "s3:DeleteObjectVersionTagging",
        "DeleteObjectTagging" => "s3:DeleteObjectTagging",
        "AbortMultipartUpload" => "s3:AbortMultipartUpload",
        "GetBucketAcl" => "s3:GetBucketAcl",
        "PutBucketAcl" => "s3:PutBucketAcl",
        "GetObjectAcl" if versioned => "s3:GetObjectVersionAcl",
        "GetObjectAcl" => "s3:GetObjectAcl",
        "PutObjectAcl" if versioned => "s3:PutObjectVersionAcl",
        "PutObjectAcl" => "s3:PutObjectAcl",
        "GetBucketCors" => "s3:GetBucketCORS",
        "DeleteBucketCors" => "s3:PutBucketCORS",
        "GetBucketLifecycleConfiguration" => "s3:GetLifecycleConfiguration",
        "DeleteBucketLifecycle" => "s3:PutLifecycleConfiguration",
        "GetBucketWebsite" => "s3:GetBucketWebsite",
        "DeleteBucketWebsite" => "s3:DeleteBucketWebsite",
        "GetBucketReplication" => "s3:GetReplicationConfiguration",
        "DeleteBucketReplication" => "s3:PutReplicationConfiguration",
        "GetObjectLockConfiguration" => "s3:GetBucketObjectLockConfiguration",
        "GetBucketAccelerateConfiguration" => "s3:GetAccelerateConfiguration",
        "GetBucketRequestPayment" => "s3:GetBucketRequestPayment",
        "GetBucketLogging" => "s3:GetBucketLogging",
        "GetBucketNotificationConfiguration" => "s3:GetBucketNotification",
        "GetBucketOwnershipControls" => "s3:GetBucketOwnershipControls",
        "ListBucketIntelligentTieringConfigurations" => "s3:GetIntelligentTieringConfiguration",
        "ListBucketInventoryConfigurations" => "s3:GetInventoryConfiguration",
        "ListParts" => "s3:ListMultipartUploadParts",
        // PutObject, CopyObject (destination), CreateMultipartUpload, UploadPart(Copy), CompleteMultipartUpload.
        _ => "s3:PutObject",
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub fn valid_bucket_name(name: &str) -> bool {
    let len_ok = (3..=63).contains(&name.len());
    let chars_ok = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let not_ip = name.split('.').count() != 4 || !name.split('.').all(|p| p.parse::<u8>().is_ok());
    let reserved = name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") || name.ends_with("--ol-s3");
    len_ok && chars_ok && ends_ok && !name.contains("..") && not_ip && !reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_virtual_host_addressing() {
        assert_eq!(address(Some("localhost:4566"), "/").unwrap(), (None, None));
        assert_eq!(address(Some("localhost:4566"), "/b").unwrap(), (Some("b".into()), None));
        assert_eq!(address(Some("localhost:4566"), "/b/").unwrap(), (Some("b".into()), None));
        assert_eq!(address(Some("127.0.0.1:4566"), "/b/a/c%20d").unwrap(), (Some("b".into()), Some("a/c d".into())));
        assert_eq!(address(Some("b.localhost:4566"), "/k").unwrap(), (Some("b".into()), Some("k".into())));
        assert_eq!(address(Some("my.b.s3.localhost"), "/").unwrap(), (Some("my.b".into()), None));
        assert_eq!(address(Some("b.s3.us-east-1.amazonaws.com"), "/k/").unwrap(), (Some("b".into()), Some("k/".into())));
        assert_eq!(address(Some("s3.amazonaws.com"), "/b/k").unwrap(), (Some("b".into()), Some("k".into())));
        assert_eq!(address(Some("localhost"), "/b//k").unwrap(), (Some("b".into()), Some("/k".into())));
    }

    #[test]
    fn operations_from_method_and_subresources() {
        let op = |m: Method, b, k, q: &[&str], copy| operation(&m, b, k, |s| q.contains(&s), copy);
        assert_eq!(op(Method::GET, false, false, &[], false).unwrap(), "ListBuckets");
        assert_eq!(op(Method::PUT, true, false, &[], false).unwrap(), "CreateBucket");
        assert_eq!(op(Method::GET, true, false, &["list-type"], false).unwrap(), "ListObjectsV2");
        assert_eq!(op(Method::PUT, true, true, &["partNumber", "uploadId"], true).unwrap(), "UploadPartCopy");
        assert_eq!(op(Method::PUT, true, true, &[], true).unwrap(), "CopyObject");
        assert_eq!(op(Method::POST, true, false, &["delete"], false).unwrap(), "DeleteObjects");
        let e = op(Method::PUT, true, false, &["cors"], false).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (501, "edgeward does not implement PutBucketCors"));
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.logs", "a1b"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in ["ab", "ABC", "a..b", "-ab", "ab-", "192.168.1.1", "xn--abc", "a_b"] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
