//! S3 (restXml; path-style and virtual-host-style addressing).
//!
//! A request is parsed (`request`: bucket, key, operation), authenticated (SigV4 with S3's
//! canonicalization; the body hash is the declared `x-amz-content-sha256`, checked against
//! the bytes as they stream in), and run in steps under the commit-order and state locks
//! (`step`). Operations that carry object bytes (PutObject, UploadPart) stream them between
//! two steps straight into an encrypted blob file (`blob`), so memory stays bounded; GetObject
//! streams them back out after its step committed the trail event.
//!
//! Layout: `request` (addressing, operation table, IAM action names), `payload` (the request
//! body: plain or aws-chunked, with its hashes and checksums), `model` (records), `blob`
//! (encrypted object files), `sse` (SSE-S3 and SSE-KMS data keys; KMS through
//! `kms::forward`), `buckets` (bucket operations and configuration), `objects` (object
//! operations), `listing` (ListObjects, ListObjectsV2, ListObjectVersions), `multipart`,
//! `wire` (XML bodies and S3's error shape), `settings` (configurations edgeward never
//! holds, read as S3 answers a bucket without them), `checksum`, `chunked`.

mod actions;
pub mod blob;
mod buckets;
pub mod checksum;
pub mod chunked;
mod listing;
pub mod model;
mod multipart;
mod objects;
mod payload;
pub mod request;
mod settings;
mod sse;
mod wire;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use hyper::body::Incoming;

use crate::authz::{Access, ContextKey};
use crate::call::{Call, TrailDraft};
use crate::error::AwsError;
use crate::http::Body;
use crate::sigv4::{self, VerifyOptions};
use crate::state::State;
use crate::store::Batch;
use crate::Cloud;

pub use model::S3State;
use payload::Payload;
use request::S3Request;

/// Largest body of a request that is not object data (XML configurations, DeleteObjects).
const MAX_XML_BODY: usize = 8 * 1024 * 1024;

/// What an operation answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ReplyBody,
}

pub enum ReplyBody {
    Empty,
    Xml(String),
    /// Decrypted from the object's (already open) blob files as the client reads:
    /// `[start, end)` of the object.
    Object { key: [u8; 32], object: blob::OpenObject, start: u64, end: u64 },
}

impl Reply {
    pub fn ok() -> Reply {
        Reply { status: 200, headers: Vec::new(), body: ReplyBody::Empty }
    }

    pub fn xml(body: String) -> Reply {
        Reply { status: 200, headers: Vec::new(), body: ReplyBody::Xml(body) }
    }

    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Serves one S3 request.
pub async fn handle(cloud: &Cloud, parts: http::request::Parts, body: Incoming, remote: SocketAddr, request_id: String, enforce: bool) -> Response<Body> {
    let head = parts.method == Method::HEAD;
    // A body announced with `Expect: 100-continue` is sent only once the server asks for it.
    // An answer given before reading it (a refusal) must close the connection, or the
    // client's next request would be read as the unsent body.
    let expects_body = parts.headers.get("expect").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut reply = match serve(cloud, &parts, body, remote, &request_id, enforce).await {
        Ok(r) => r,
        Err((err, resource)) => wire::error_reply(&err, resource.as_deref(), &request_id),
    };
    if expects_body && reply.status >= 300 {
        reply.headers.push(("connection".into(), "close".into()));
    }
    render(reply, head, &request_id)
}

type Failure = (AwsError, Option<String>);

async fn serve(
    cloud: &Cloud,
    parts: &http::request::Parts,
    body: Incoming,
    remote: SocketAddr,
    request_id: &str,
    enforce: bool,
) -> Result<Reply, Failure> {
    let host = parts.headers.get("host").and_then(|v| v.to_str().ok()).or(parts.uri.host());
    let (bucket, key) = request::address(host, parts.uri.path()).map_err(|e| (e, None))?;
    let query: Vec<(String, String)> = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    // `list-type=2` names ListObjectsV2; any other value is the original ListObjects.
    let has = |name: &str| query.iter().any(|(k, v)| k == name && (name != "list-type" || v == "2"));
    let copy_source = parts.headers.contains_key("x-amz-copy-source");
    let resource = match (&bucket, &key) {
        (Some(b), Some(k)) => Some(format!("/{b}/{k}")),
        (Some(b), None) => Some(format!("/{b}")),
        _ => None,
    };
    // An unknown operation is answered after authentication, as S3 does.
    let op = request::operation(&parts.method, bucket.is_some(), key.is_some(), has, copy_source);
    let req = S3Request { method: parts.method.clone(), bucket, key, query, headers: parts.headers.clone(), op: op.as_ref().map_or("Unknown", |o| *o) };

    // Authentication. S3 signs the declared `x-amz-content-sha256` (checked against the
    // body as it arrives), so the body is not needed to verify the signature.
    let lenient = !enforce && cloud.config.compat_moto;
    let now = crate::time::now_secs();
    let rp = sigv4::RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body_sha256: None,
    };
    let header_auth = parts.headers.contains_key("authorization");
    if header_auth && !parts.headers.contains_key("x-amz-content-sha256") && !lenient {
        return Err((AwsError::client("InvalidRequest", "Missing required header for this request: x-amz-content-sha256"), resource));
    }
    let sig_error = |e: sigv4::SigV4Error| {
        let mismatch = e.kind == sigv4::ErrorKind::SignatureMismatch;
        let err = wire::signature_error(e);
        // S3 names the key and the signature it was given.
        match sigv4::parse(&rp).ok().flatten().filter(|_| mismatch) {
            Some(auth) => err.with("AWSAccessKeyId", auth.credential.access_key_id).with("SignatureProvided", auth.signature),
            None => err,
        }
    };
    let auth_error = |f: crate::identity::AuthFailure| match f {
        crate::identity::AuthFailure::Expired => AwsError::client("ExpiredToken", "The provided token has expired."),
        crate::identity::AuthFailure::BadToken => AwsError::client("InvalidToken", "The provided token is malformed or otherwise invalid."),
        _ => AwsError::new(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
    };
    let signed = crate::http::authenticate(cloud, &rp, &VerifyOptions::s3(), lenient, now, sig_error, auth_error)
        .map_err(|e| (e, resource.clone()))?
        // An unsigned request is anonymous: only a policy granting everyone lets it in.
        .unwrap_or_else(|| crate::http::Signed {
            caller: crate::identity::Caller::anonymous(),
            region: cloud.config.region.clone(),
            auth: None,
            signing_key: None,
        });

    op.map_err(|e| (e, resource.clone()))?;
    let mut req = req;
    // (Signature: a SigV2 URL, which only compat mode lets through unverified.)
    let presigned = signed.auth.as_ref().is_some_and(|a| a.location == sigv4::Location::Query) || (lenient && req.has("Signature"));
    if presigned {
        presigned_headers(&mut req);
    }
    refuse_unsupported(&req).map_err(|e| (e, resource.clone()))?;
    let payload = Payload::new(body, &req, signed.auth.as_ref(), signed.signing_key).map_err(|e| (e, resource.clone()))?;
    let mut call = Call {
        cloud,
        request_id: request_id.to_string(),
        service: "s3",
        operation: req.op.to_string(),
        region: signed.region,
        source_ip: crate::http::source_ip(remote),
        user_agent: req.header("user-agent").unwrap_or("").to_string(),
        now,
        caller: signed.caller,
        batch: Batch::default(),
        trail: TrailDraft { request_parameters: Some(trail_parameters(&req)), ..TrailDraft::default() },
        enforce: !lenient,
        due: Vec::new(),
    };
    call.trail.read_only = matches!(req.method, Method::GET | Method::HEAD);
    // Object-level operations are CloudTrail data events.
    call.trail.data_event = req.key.is_some() || req.op == "DeleteObjects" || req.op == "ListObjects" || req.op == "ListObjectsV2" || req.op == "ListObjectVersions";
    run(&mut call, &req, payload).await.map_err(|e| (e, resource))
}

/// Headers asking for features a bucket here does not have are refused as S3 refuses them,
/// never silently ignored: buckets enforce bucket-owner ownership (ACLs disabled, S3's
/// default since April 2023) and have no Object Lock configuration.
fn refuse_unsupported(req: &S3Request) -> Result<(), AwsError> {
    let acl = req.header("x-amz-acl");
    let grants = req.headers.keys().any(|k| k.as_str().starts_with("x-amz-grant-"));
    match req.op {
        "CreateBucket" => {
            if req.header("x-amz-bucket-object-lock-enabled").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                return Err(AwsError::new(501, "NotImplemented", "edgeward does not implement Object Lock"));
            }
            if acl.is_some_and(|a| a != "private" && a != "bucket-owner-full-control") || grants {
                return Err(AwsError::client(
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                ));
            }
        }
        "PutObject" | "CopyObject" | "CreateMultipartUpload" => {
            if acl.is_some_and(|a| a != "private" && a != "bucket-owner-full-control") || grants {
                return Err(AwsError::client("AccessControlListNotSupported", "The bucket does not allow ACLs"));
            }
            let lock = ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];
            if lock.iter().any(|h| req.headers.contains_key(*h)) {
                return Err(AwsError::client("InvalidRequest", "Bucket is missing Object Lock Configuration"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A presigned URL carries the `x-amz-*` headers it was made with (`x-amz-meta-…`,
/// `x-amz-server-side-encryption`, …) as query parameters; S3 applies them as headers.
fn presigned_headers(req: &mut S3Request) {
    const AUTH: [&str; 7] =
        ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token"];
    for (name, value) in &req.query {
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("x-amz-") || AUTH.contains(&lower.as_str()) || req.headers.contains_key(lower.as_str()) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(lower.as_bytes()), HeaderValue::from_str(value)) {
            req.headers.insert(n, v);
        }
    }
}

/// The trail's `requestParameters` for an S3 call: bucket, key and the query.
fn trail_parameters(req: &S3Request) -> serde_json::Value {
    let mut params = serde_json::Map::new();
    if let Some(b) = &req.bucket {
        params.insert("bucketName".into(), b.clone().into());
        params.insert("Host".into(), req.header("host").unwrap_or("").into());
    }
    if let Some(k) = &req.key {
        params.insert("key".into(), k.clone().into());
    }
    for (k, v) in &req.query {
        // A presigned URL's signature and session token are credentials: never recorded.
        if k.eq_ignore_ascii_case("X-Amz-Signature") || k.eq_ignore_ascii_case("X-Amz-Security-Token") {
            continue;
        }
        params.insert(k.clone(), v.clone().into());
    }
    serde_json::Value::Object(params)
}

/// Runs the operation. Streaming operations own the payload; the rest read it first.
async fn run(call: &mut Call<'_>, req: &S3Request, mut payload: Payload) -> Result<Reply, AwsError> {
    match req.op {
        "PutObject" => return objects::put_object(call, req, payload).await,
        "UploadPart" => return multipart::upload_part(call, req, payload).await,
        "CopyObject" => return objects::copy_object(call, req).await,
        "UploadPartCopy" => return multipart::upload_part_copy(call, req).await,
        _ => {}
    }
    let body = payload.read_all(MAX_XML_BODY).await;
    let body = match body {
        Ok(b) => b,
        Err(e) => return step(call, true, |_, _| Err::<Reply, _>(e)).await,
    };
    step(call, true, |call, st| dispatch(call, st, req, &body)).await
}

/// Operations that run in one step.
fn dispatch(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    match req.op {
        "ListBuckets" => buckets::list_buckets(call, st, req),
        "CreateBucket" => buckets::create_bucket(call, st, req, body),
        "HeadBucket" => buckets::head_bucket(call, st, req),
        "DeleteBucket" => buckets::delete_bucket(call, st, req),
        "GetBucketLocation" => buckets::get_location(call, st, req),
        "GetBucketPolicy" | "PutBucketPolicy" | "DeleteBucketPolicy" | "GetBucketPolicyStatus" => buckets::policy(call, st, req, body),
        "GetPublicAccessBlock" | "PutPublicAccessBlock" | "DeletePublicAccessBlock" => buckets::public_access_block(call, st, req, body),
        "GetBucketTagging" | "PutBucketTagging" | "DeleteBucketTagging" => buckets::tagging(call, st, req, body),
        "GetBucketVersioning" | "PutBucketVersioning" => buckets::versioning(call, st, req, body),
        "GetBucketEncryption" | "PutBucketEncryption" | "DeleteBucketEncryption" => buckets::encryption(call, st, req, body),
        "ListObjects" | "ListObjectsV2" => listing::list_objects(call, st, req),
        "ListObjectVersions" => listing::list_object_versions(call, st, req),
        "GetObject" | "HeadObject" => objects::get_object(call, st, req),
        "DeleteObject" => objects::delete_object(call, st, req),
        "DeleteObjects" => objects::delete_objects(call, st, req, body),
        "GetObjectTagging" | "PutObjectTagging" | "DeleteObjectTagging" => objects::tagging(call, st, req, body),
        "GetObjectAttributes" => objects::get_object_attributes(call, st, req),
        "CreateMultipartUpload" => multipart::create(call, st, req),
        "CompleteMultipartUpload" => multipart::complete(call, st, req, body),
        "AbortMultipartUpload" => multipart::abort(call, st, req),
        "ListParts" => multipart::list_parts(call, st, req),
        "ListMultipartUploads" => multipart::list_uploads(call, st, req),
        "GetBucketAcl" | "PutBucketAcl" | "GetObjectAcl" | "PutObjectAcl" | "GetBucketCors" | "DeleteBucketCors"
        | "GetBucketLifecycleConfiguration" | "DeleteBucketLifecycle" | "GetBucketWebsite" | "DeleteBucketWebsite"
        | "GetBucketReplication" | "DeleteBucketReplication" | "GetObjectLockConfiguration" | "GetBucketAccelerateConfiguration"
        | "GetBucketRequestPayment" | "GetBucketLogging" | "GetBucketNotificationConfiguration" | "GetBucketOwnershipControls"
        | "ListBucketIntelligentTieringConfigurations" | "ListBucketInventoryConfigurations" => settings::never_set(call, st, req),
        other => Err(AwsError::new(501, "NotImplemented", format!("edgeward does not implement {other}"))),
    }
}

/// Runs `f` under the commit-order and state locks and waits until what it staged is
/// durable. The last step of a call (or any failing step) records the call's trail event
/// in the same batch. A call may take several steps (PutObject: authorize and choose the
/// data key, stream the bytes with no lock held, then publish the version).
pub async fn step<T>(call: &mut Call<'_>, last: bool, f: impl FnOnce(&mut Call<'_>, &mut State) -> Result<T, AwsError>) -> Result<T, AwsError> {
    let cloud = call.cloud;
    let (result, pending, doomed) = {
        let _order = cloud.commit_order.lock().unwrap_or_else(|e| e.into_inner());
        // GetAccessKeyLastUsed (idempotent within a minute, so every step may note it).
        crate::iam::note_key_use(call);
        let (result, doomed) = {
            let mut st = cloud.write_state();
            let result = f(call, &mut st);
            (result, std::mem::take(&mut st.s3.doomed))
        };
        if last || result.is_err() {
            let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
            crate::trail::record(call, &outcome);
        }
        let batch = std::mem::take(&mut call.batch);
        (result, (!batch.is_empty()).then(|| cloud.store.submit(batch)), doomed)
    };
    if let Some(pending) = pending {
        crate::http::durable(pending).await;
    }
    // Files of deleted or replaced versions go once their records' removal is durable.
    if !doomed.is_empty() {
        let blobs = cloud.s3_blobs.clone();
        tokio::task::spawn_blocking(move || blobs.remove(doomed));
    }
    result
}

/// The bucket a request names, or `NoSuchBucket`.
pub fn bucket<'s>(st: &'s State, name: &str) -> Result<&'s model::Bucket, AwsError> {
    st.s3.buckets.get(name).ok_or_else(|| no_such_bucket(name))
}

pub fn bucket_mut<'s>(st: &'s mut State, name: &str) -> Result<&'s mut model::Bucket, AwsError> {
    st.s3.buckets.get_mut(name).ok_or_else(|| no_such_bucket(name))
}

pub fn no_such_bucket(name: &str) -> AwsError {
    AwsError::new(404, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", name)
}

/// Asks the decision point for `action` on a bucket (`key` None) or an object in it: the
/// bucket's owner and policy, S3's condition keys.
pub fn authorize(
    call: &mut Call<'_>,
    st: &State,
    bucket: &model::Bucket,
    key: Option<&str>,
    action: &str,
    req: &S3Request,
    context: Vec<(ContextKey, edgeward_policy::ContextValue)>,
) -> Result<(), AwsError> {
    let access = bucket_access(call, bucket, key, action, req, context);
    // CloudTrail lists an object operation's object and its bucket.
    call.trail.resources.push((access.resource.clone(), if key.is_some() { "AWS::S3::Object" } else { "AWS::S3::Bucket" }.to_string()));
    if key.is_some() {
        call.trail.resources.push((bucket.arn(), "AWS::S3::Bucket".to_string()));
    }
    if bucket.rec.owner != call.caller.account {
        call.trail.resource_account = Some(bucket.rec.owner.clone());
    }
    call.authorize(st, &access).map_err(wire::access_denied)
}

/// What an S3 request asks of the decision point: the action on the bucket or object, the
/// bucket's owner and policy (ignored across accounts when RestrictPublicBuckets is set and
/// the policy is public), S3's condition keys.
pub fn bucket_access(
    call: &Call<'_>,
    bucket: &model::Bucket,
    key: Option<&str>,
    action: &str,
    req: &S3Request,
    mut context: Vec<(ContextKey, edgeward_policy::ContextValue)>,
) -> Access {
    let resource = match key {
        Some(k) => format!("arn:aws:s3:::{}/{k}", bucket.rec.name),
        None => bucket.arn(),
    };
    let mut access = Access::new(action, resource, &bucket.rec.owner);
    // RestrictPublicBuckets: a public policy grants nothing to other accounts.
    let restricted = bucket.rec.public_access_block.as_ref().is_some_and(|p| p.restrict_public_buckets)
        && bucket.rec.owner != call.caller.account
        && bucket.rec.policy.as_ref().is_some_and(|p| buckets::is_public_policy(&p.text));
    if !restricted {
        access.resource_policy = bucket.rec.policy.as_ref().and_then(|p| p.policy().cloned());
    }
    context.extend(buckets::request_context(req));
    context.push(("s3:ResourceAccount".into(), edgeward_policy::ContextValue::Single(bucket.rec.owner.clone())));
    context.push(("s3:signatureversion".into(), edgeward_policy::ContextValue::Single("AWS4-HMAC-SHA256".into())));
    access.context = context;
    access
}

/// Turns a reply into HTTP: S3's headers, no body on HEAD, object bytes streamed from a
/// blocking reader through a small channel.
fn render(reply: Reply, head: bool, request_id: &str) -> Response<Body> {
    let mut content_type = None;
    let body = match reply.body {
        _ if head => Body::empty(),
        ReplyBody::Empty => Body::empty(),
        ReplyBody::Xml(xml) => {
            content_type = Some("application/xml");
            Body::Full(Some(Bytes::from(xml)))
        }
        ReplyBody::Object { key, object, start, end } => {
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            tokio::task::spawn_blocking(move || {
                let result = object.read_range(&key, start, end, |chunk| {
                    tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::other("client went away"))
                });
                if let Err(e) = result {
                    tracing::warn!("reading an object failed: {e}");
                    let _ = tx.blocking_send(Err(e));
                }
            });
            Body::Stream(rx)
        }
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    if let Some(ct) = content_type {
        h.insert("content-type", HeaderValue::from_static(ct));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amz-request-id", v.clone());
        h.insert("x-amz-id-2", v);
    }
    h.insert("server", HeaderValue::from_static("AmazonS3"));
    for (k, v) in reply.headers {
        if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v)) {
            h.append(name, value);
        }
    }
    resp
}
