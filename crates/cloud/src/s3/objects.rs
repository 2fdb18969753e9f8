//! Object operations: PutObject (streamed into an encrypted blob), GetObject/HeadObject
//! (ranges, conditions, part numbers), DeleteObject(s) with versioning and delete markers,
//! CopyObject, object tags and attributes.

use std::collections::BTreeMap;

use bytes::Bytes;
use edgeward_policy::ContextValue;
use md5::{Digest, Md5};

use super::blob::{BlobStore, OpenObject};
use super::checksum::{self, ChecksumAlgorithm, Checksummer};
use super::model::{Bucket, Checksum, Piece, Version, Versioning, STORED_HEADERS};
use super::payload::Payload;
use super::request::{iam_action, S3Request};
use super::wire::{self, document};
use super::{authorize, bucket, bucket_mut, sse, step, Reply, ReplyBody};
use crate::authz::ContextKey;
use crate::call::Call;
use crate::error::AwsError;
use crate::state::{State, Tag};

/// Largest single PUT S3 accepts (5 GiB).
pub const MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// What streaming a body into a blob produced.
#[derive(Debug)]
pub struct Received {
    pub piece: Piece,
    pub md5: [u8; 16],
    /// The checksum computed with the algorithm asked for, raw.
    pub checksum: Option<(ChecksumAlgorithm, Vec<u8>)>,
}

/// The hashes taken of an object's bytes as they are written: MD5 for the ETag, and the
/// checksum asked for.
struct Digests {
    md5: Md5,
    sum: Option<Checksummer>,
}

impl Digests {
    fn new(algorithm: Option<ChecksumAlgorithm>) -> Digests {
        Digests { md5: Md5::new(), sum: algorithm.map(ChecksumAlgorithm::hasher) }
    }

    fn update(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        if let Some(s) = &mut self.sum {
            s.update(chunk);
        }
    }

    fn received(self, piece: Piece) -> Received {
        Received { piece, md5: self.md5.finalize().into(), checksum: self.sum.map(|s| (s.algorithm(), s.finish())) }
    }
}

/// Streams a request body into a new blob encrypted under `key`, hashing it on the way
/// (MD5 for the ETag, and `algorithm` if a checksum is wanted). The writing and hashing run
/// on a blocking thread fed through a small channel, so memory stays bounded.
pub async fn receive(
    blobs: &BlobStore,
    payload: &mut Payload,
    key: [u8; 32],
    nonce_prefix: u32,
    algorithm: Option<ChecksumAlgorithm>,
    max: u64,
) -> Result<Received, AwsError> {
    let mut writer = blobs.create(&key, nonce_prefix).map_err(storage_error)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    let worker = tokio::task::spawn_blocking(move || -> std::io::Result<Received> {
        let mut digests = Digests::new(algorithm);
        while let Some(chunk) = rx.blocking_recv() {
            digests.update(&chunk);
            writer.write(&chunk)?;
        }
        Ok(digests.received(writer.finish()?))
    });
    let mut total = 0u64;
    let fed: Result<(), AwsError> = async {
        while let Some(chunk) = payload.next().await? {
            total += chunk.len() as u64;
            if total > max {
                return Err(too_large(max));
            }
            if tx.send(chunk).await.is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    let written = worker.await.map_err(|_| AwsError::internal("the blob writer stopped"))?;
    match (fed, written) {
        (Err(e), Ok(r)) => {
            // The body was refused: its blob must not stay.
            blobs.remove([r.piece.blob]);
            Err(e)
        }
        (Err(e), Err(_)) => Err(e),
        (Ok(()), Err(e)) => Err(storage_error(e)),
        (Ok(()), Ok(r)) => Ok(r),
    }
}

/// S3's refusal of a body larger than `max` bytes.
pub fn too_large(max: u64) -> AwsError {
    AwsError::client("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").with("MaxSizeAllowed", max.to_string())
}

fn storage_error(e: std::io::Error) -> AwsError {
    tracing::error!("object storage failed: {e}");
    AwsError::new(500, "InternalError", "We encountered an internal error. Please try again.")
}

/// The checksum a request carries or announces: the algorithm, and the value when given in
/// a header (a trailer brings it at the end of the body).
pub fn requested_checksum(req: &S3Request) -> Result<(Option<ChecksumAlgorithm>, Option<String>), AwsError> {
    let mut found = None;
    for alg in ChecksumAlgorithm::ALL {
        if let Some(v) = req.header(alg.header()) {
            if found.is_some() {
                return Err(AwsError::client("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."));
            }
            found = Some((alg, v.to_string()));
        }
    }
    if let Some((alg, v)) = found {
        return Ok((Some(alg), Some(v)));
    }
    if let Some(trailer) = req.header("x-amz-trailer") {
        return match ChecksumAlgorithm::from_header(trailer.trim()) {
            Some(a) => Ok((Some(a), None)),
            None => Err(AwsError::client("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")),
        };
    }
    match req.header("x-amz-sdk-checksum-algorithm").or_else(|| req.header("x-amz-checksum-algorithm")) {
        Some(name) => match ChecksumAlgorithm::parse(name) {
            Some(a) => Ok((Some(a), None)),
            None => Err(AwsError::client("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")),
        },
        None => Ok((None, None)),
    }
}

/// Checks what the client declared about the bytes (Content-MD5, a checksum header or
/// trailer) against what was received.
pub fn verify_digests(req: &S3Request, payload: &Payload, got: &Received, declared_checksum: Option<&str>) -> Result<(), AwsError> {
    if let Some(md5) = req.header("content-md5") {
        let want = crate::protocol::base64::decode(md5.trim()).filter(|d| d.len() == 16).ok_or_else(|| {
            AwsError::client("InvalidDigest", "The Content-MD5 you specified was invalid.").with("Content-MD5", md5)
        })?;
        if want != got.md5 {
            return Err(AwsError::client("BadDigest", "The Content-MD5 you specified did not match what we received.")
                .with("ExpectedDigest", crate::ids::hex(&want))
                .with("CalculatedDigest", crate::protocol::base64::encode(&got.md5)));
        }
    }
    if let Some((alg, raw)) = &got.checksum {
        let from_trailer = payload.trailers().iter().find(|(k, _)| k.eq_ignore_ascii_case(alg.header())).map(|(_, v)| v.as_str());
        if let Some(want) = declared_checksum.or(from_trailer) {
            if want.trim() != checksum::to_base64(raw) {
                return Err(AwsError::client("BadDigest", format!("The {} you specified did not match the calculated checksum.", alg.name())));
            }
        }
    }
    Ok(())
}

/// Names to values: stored headers, or `x-amz-meta-*` metadata.
pub type Fields = BTreeMap<String, String>;

/// Headers stored with an object (Content-Type, …) and its `x-amz-meta-*` metadata.
pub fn stored_headers(req: &S3Request) -> Result<(Fields, Fields), AwsError> {
    let mut headers = BTreeMap::new();
    for name in STORED_HEADERS {
        if let Some(v) = req.header(name) {
            headers.insert(name.to_string(), v.to_string());
        }
    }
    if let Some(v) = req.header("x-amz-website-redirect-location") {
        headers.insert("x-amz-website-redirect-location".into(), v.to_string());
    }
    let mut metadata = BTreeMap::new();
    let mut size = 0;
    for (name, value) in &req.headers {
        if let Some(m) = name.as_str().strip_prefix("x-amz-meta-") {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            size += m.len() + v.len();
            metadata.insert(m.to_string(), v);
        }
    }
    if size > 2048 {
        return Err(AwsError::client("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.").with("MaxSizeAllowed", "2048"));
    }
    Ok((headers, metadata))
}

const STORAGE_CLASSES: [&str; 12] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
];

/// `x-amz-storage-class` (None: STANDARD).
pub fn storage_class(req: &S3Request) -> Result<Option<String>, AwsError> {
    match req.header("x-amz-storage-class") {
        None => Ok(None),
        Some(s) if STORAGE_CLASSES.contains(&s) => Ok(Some(s.to_string()).filter(|s| s != "STANDARD")),
        Some(s) => Err(AwsError::client("InvalidStorageClass", "The storage class you specified is not valid").with("StorageClassRequested", s)),
    }
}

/// A new version id: 32 URL-safe characters.
pub fn new_version_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    crate::ids::random_bytes::<32>().iter().map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char).collect()
}

/// Makes `v` the current version of its key, as the bucket's versioning says: a new
/// version (Enabled), or replacing the `null` version (Unversioned, Suspended), whose blobs
/// are removed once this step is durable. Stages the records. Returns the version id.
pub fn publish(call: &mut Call<'_>, st: &mut State, mut v: Version) -> Result<String, AwsError> {
    v.seq = st.s3.take_seq();
    let b = bucket_mut(st, &v.bucket)?;
    let versions = b.objects.entry(v.key.clone()).or_default();
    let mut doomed = Vec::new();
    if b.rec.versioning == Versioning::Enabled {
        v.version_id = new_version_id();
    } else {
        v.version_id = "null".into();
        versions.retain(|old| {
            if old.version_id == "null" {
                doomed.push(old.clone());
                false
            } else {
                true
            }
        });
    }
    let id = v.version_id.clone();
    call.batch.put(v.store_key(), serde_json::to_vec(&v).unwrap_or_default());
    versions.push(v);
    for old in doomed {
        call.batch.delete(old.store_key());
        st.s3.doomed.extend(old.pieces.into_iter().map(|p| p.blob));
    }
    Ok(id)
}

/// S3 condition keys of a write: tags requested on the object.
pub fn write_context(tags: &[Tag]) -> Vec<(ContextKey, ContextValue)> {
    let mut ctx: Vec<(ContextKey, ContextValue)> =
        tags.iter().map(|t| (format!("s3:RequestObjectTag/{}", t.key).into(), ContextValue::Single(t.value.clone()))).collect();
    if !tags.is_empty() {
        ctx.push(("s3:RequestObjectTagKeys".into(), ContextValue::Multi(tags.iter().map(|t| t.key.clone()).collect())));
    }
    ctx
}

/// What a write stores besides the bytes.
pub struct Described {
    pub headers: Fields,
    pub metadata: Fields,
    pub tags: Vec<Tag>,
    pub storage_class: Option<String>,
}

/// The version a single-blob write (PutObject, CopyObject) makes of the request's key.
fn written_version(req: &S3Request, owner: &str, got: &Received, enc: &super::model::Encryption, d: Described) -> Version {
    let checksum = got.checksum.as_ref().map(|(alg, raw)| Checksum { algorithm: *alg, value: checksum::to_base64(raw), kind: "FULL_OBJECT".into() });
    Version {
        etag: crate::ids::hex(&got.md5),
        size: got.piece.size,
        headers: d.headers,
        metadata: d.metadata,
        tags: d.tags,
        storage_class: d.storage_class,
        encryption: Some(enc.clone()),
        pieces: vec![got.piece.clone()],
        checksum,
        ..Version::new(req.bucket(), req.key(), owner, crate::time::now_millis())
    }
}

pub async fn put_object(call: &mut Call<'_>, req: &S3Request, mut payload: Payload) -> Result<Reply, AwsError> {
    let (algorithm, declared) = match requested_checksum(req) {
        Ok(c) => c,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    let prepared = step(call, false, |call, st| {
        let (headers, metadata) = stored_headers(req)?;
        let tags = match req.header("x-amz-tagging") {
            Some(t) => wire::parse_tagging_header(t)?,
            None => Vec::new(),
        };
        if req.header("content-length").and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n > MAX_PUT) {
            return Err(too_large(MAX_PUT));
        }
        let storage_class = storage_class(req)?;
        let b = bucket(st, req.bucket())?;
        authorize(call, st, b, Some(req.key()), "s3:PutObject", req, write_context(&tags))?;
        check_write_conditions(b, req)?;
        let rec = b.rec.clone();
        let (enc, key) = sse::new_key(call, st, req, &rec, req.key())?;
        Ok((enc, key, headers, metadata, tags, storage_class))
    })
    .await?;
    let (enc, data_key, headers, metadata, tags, storage_class) = prepared;
    let blobs = call.cloud.s3_blobs.clone();
    let got = match receive(&blobs, &mut payload, data_key, 0, algorithm, MAX_PUT).await {
        Ok(r) => r,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    if let Err(e) = verify_digests(req, &payload, &got, declared.as_deref()) {
        blobs.remove([got.piece.blob.clone()]);
        return step(call, true, |_, _| Err(e)).await;
    }
    let owner = call.caller.account.clone();
    let piece_blob = got.piece.blob.clone();
    let result = step(call, true, |call, st| {
        let v = written_version(req, &owner, &got, &enc, Described { headers, metadata, tags, storage_class });
        let checksum = v.checksum.clone();
        let etag = v.quoted_etag();
        let b = bucket(st, req.bucket())?;
        // Conditional writes are decided at publication: a racing writer may have won.
        check_write_conditions(b, req)?;
        let versioned = b.rec.versioning != Versioning::Unversioned;
        let id = publish(call, st, v)?;
        let mut reply = Reply::ok().header("etag", etag);
        if versioned {
            reply = reply.header("x-amz-version-id", id);
        }
        for (k, val) in sse::headers(Some(&enc)) {
            reply = reply.header(&k, val);
        }
        if let Some(c) = checksum {
            reply = reply.header(c.algorithm.header(), c.value).header("x-amz-checksum-type", "FULL_OBJECT");
        }
        Ok(reply)
    })
    .await;
    if result.is_err() {
        blobs.remove([piece_blob]);
    }
    result
}

/// Conditional writes (`If-None-Match: *`, `If-Match: <etag>`) against the current object.
pub fn check_write_conditions(b: &Bucket, req: &S3Request) -> Result<(), AwsError> {
    let current = b.current(req.key());
    let failed = || precondition_failed("If-Match");
    if let Some(v) = req.header("if-none-match") {
        if v.trim() != "*" {
            return Err(AwsError::new(501, "NotImplemented", "A header you provided implies functionality that is not implemented").with("Header", "If-None-Match"));
        }
        if current.is_some() {
            return Err(precondition_failed("If-None-Match"));
        }
    }
    if let Some(want) = req.header("if-match") {
        let Some(cur) = current else { return Err(no_such_key(req.key())) };
        if want.trim().trim_matches('"') != cur.etag && want.trim() != "*" {
            return Err(failed());
        }
    }
    Ok(())
}

/// The version a read names: `versionId`, else the current one. Errors as S3 gives them.
pub fn find_version<'b>(b: &'b Bucket, req: &S3Request) -> Result<&'b Version, AwsError> {
    let key = req.key();
    match req.q("versionId") {
        Some(id) => {
            let v = b.version(key, id).ok_or_else(|| {
                if id != "null" && !valid_version_id(id) {
                    AwsError::client("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", id)
                } else {
                    AwsError::new(404, "NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", id)
                }
            })?;
            if v.delete_marker {
                return Err(AwsError::new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
                    .with("Method", req.method.as_str())
                    .with("ResourceType", "DeleteMarker")
                    .header("allow", "DELETE"));
            }
            Ok(v)
        }
        None => match b.objects.get(key).and_then(|v| v.last()) {
            Some(v) if !v.delete_marker => Ok(v),
            _ => Err(no_such_key(key)),
        },
    }
}

pub fn valid_version_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
}

pub fn no_such_key(key: &str) -> AwsError {
    AwsError::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

/// Headers for a delete marker hit by a read (S3 sends them with the 404/405).
fn delete_marker_headers(b: &Bucket, req: &S3Request) -> Vec<(&'static str, String)> {
    let current = match req.q("versionId") {
        Some(id) => b.version(req.key(), id),
        None => b.objects.get(req.key()).and_then(|v| v.last()),
    };
    match current {
        Some(v) if v.delete_marker => vec![("x-amz-delete-marker", "true".into()), ("x-amz-version-id", v.version_id.clone())],
        _ => Vec::new(),
    }
}

/// A requested byte range: `bytes=a-b`, `bytes=a-`, `bytes=-n`. None: serve it all (S3
/// ignores malformed or multiple ranges); Err: not satisfiable.
fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, AwsError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let unsatisfiable = || {
        AwsError::new(416, "InvalidRange", "The requested range is not satisfiable").with("RangeRequested", header.to_string()).with("ActualObjectSize", size.to_string())
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => {
            if start >= size {
                return Err(unsatisfiable());
            }
            (start, end.min(size - 1))
        }
        (Ok(_), Ok(_)) => return Ok(None),
        (Ok(start), Err(_)) if b.is_empty() => {
            if start >= size {
                return Err(unsatisfiable());
            }
            (start, size - 1)
        }
        (Err(_), Ok(n)) if a.is_empty() => {
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            (size - n.min(size), size - 1)
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

/// Which conditional header failed: a precondition (412) or, for If-None-Match and
/// If-Modified-Since, "not modified".
enum Unmet {
    Precondition(&'static str),
    NotModified(&'static str),
}

/// The conditional headers `<prefix>If-Match`, `-If-Unmodified-Since`, `-If-None-Match`,
/// `-If-Modified-Since` against an object's ETag and time (RFC 7232 as S3 applies them:
/// If-Match takes precedence over If-Unmodified-Since, If-None-Match over
/// If-Modified-Since). Reads use no prefix, copies `x-amz-copy-source-`.
fn unmet_condition(req: &S3Request, prefix: &str, etag: &str, modified_secs: i64) -> Option<Unmet> {
    let header = |name: &str| req.header(&format!("{prefix}{name}").to_ascii_lowercase());
    let listed = |list: &str| list.split(',').map(str::trim).any(|t| t == "*" || t.trim_matches('"') == etag);
    let since = |name: &str| header(name).and_then(crate::time::parse_http_date);
    match header("If-Match") {
        Some(list) if !listed(list) => return Some(Unmet::Precondition("If-Match")),
        Some(_) => {}
        None if since("If-Unmodified-Since").is_some_and(|t| modified_secs > t) => return Some(Unmet::Precondition("If-Unmodified-Since")),
        None => {}
    }
    match header("If-None-Match") {
        Some(list) if listed(list) => Some(Unmet::NotModified("If-None-Match")),
        Some(_) => None,
        None if since("If-Modified-Since").is_some_and(|t| modified_secs <= t) => Some(Unmet::NotModified("If-Modified-Since")),
        None => None,
    }
}

/// A read's conditions. Err: 304 (with the object's ETag and Last-Modified) or 412
/// (naming the condition that failed).
fn check_conditions(req: &S3Request, etag: &str, modified_secs: i64) -> Result<(), AwsError> {
    match unmet_condition(req, "", etag, modified_secs) {
        None => Ok(()),
        Some(Unmet::Precondition(condition)) => Err(precondition_failed(condition)),
        Some(Unmet::NotModified(_)) => Err(AwsError::new(304, "NotModified", "Not Modified")
            .header("etag", format!("\"{etag}\""))
            .header("last-modified", crate::time::http_date(modified_secs))),
    }
}

pub fn precondition_failed(condition: &str) -> AwsError {
    AwsError::new(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").with("Condition", condition.to_string())
}

/// Headers describing a version (both GET and HEAD).
fn object_headers(v: &Version, versioned: bool, checksum_mode: bool) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = Vec::new();
    h.push(("etag".into(), v.quoted_etag()));
    h.push(("last-modified".into(), crate::time::http_date(v.last_modified / 1000)));
    h.push(("accept-ranges".into(), "bytes".into()));
    if !v.headers.contains_key("content-type") {
        h.push(("content-type".into(), "binary/octet-stream".into()));
    }
    for (k, val) in &v.headers {
        h.push((k.clone(), val.clone()));
    }
    for (k, val) in &v.metadata {
        h.push((format!("x-amz-meta-{k}"), val.clone()));
    }
    if versioned {
        h.push(("x-amz-version-id".into(), v.version_id.clone()));
    }
    if let Some(sc) = &v.storage_class {
        h.push(("x-amz-storage-class".into(), sc.clone()));
    }
    if !v.tags.is_empty() {
        h.push(("x-amz-tagging-count".into(), v.tags.len().to_string()));
    }
    if checksum_mode {
        if let Some(c) = &v.checksum {
            h.push((c.algorithm.header().to_string(), c.value.clone()));
            h.push(("x-amz-checksum-type".into(), c.kind.clone()));
        }
    }
    h.extend(sse::headers(v.encryption.as_ref()));
    h
}

/// Whether the caller could list the bucket (S3 then says 404 for a missing key, else 403):
/// asked of the decision point as a listing would be, without recording a denial.
fn may_list(call: &Call<'_>, st: &State, b: &Bucket, req: &S3Request) -> bool {
    if !call.enforce {
        return true;
    }
    let access = super::bucket_access(call, b, None, "s3:ListBucket", req, Vec::new());
    crate::authz::authorize(st, &call.caller, &call.facts(), &access).is_ok()
}

pub fn get_object(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    let versioned_read = req.q("versionId").is_some();
    authorize(call, st, b, Some(req.key()), iam_action(req.op, versioned_read), req, Vec::new())?;
    let v = match find_version(b, req) {
        Ok(v) => v.clone(),
        Err(e) if e.code == "NoSuchKey" && !may_list(call, st, b, req) => {
            return Err(AwsError::new(403, "AccessDenied", "Access Denied"));
        }
        Err(e) => {
            let headers = delete_marker_headers(b, req);
            if !headers.is_empty() {
                call.trail.response_elements = Some(serde_json::json!({"deleteMarker": true}));
            }
            return Err(with_headers(e, headers));
        }
    };
    let versioned = b.rec.versioning != Versioning::Unversioned;
    check_conditions(req, &v.etag, v.last_modified / 1000)?;
    let checksum_mode = req.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    let mut headers = object_headers(&v, versioned, checksum_mode);
    // response-* query parameters override the stored headers (signed requests only).
    for (param, header) in [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ] {
        if let Some(value) = req.q(param) {
            headers.retain(|(k, _)| k != header);
            headers.push((header.to_string(), value.to_string()));
        }
    }
    let (mut start, mut end) = (0u64, v.size);
    let mut status = 200;
    if let Some(n) = req.q("partNumber") {
        let n: u32 = n.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
            AwsError::client("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").with("ArgumentName", "partNumber")
        })?;
        match &v.parts {
            Some(parts) => {
                let idx = (n as usize).checked_sub(1).filter(|i| *i < parts.len()).ok_or_else(|| {
                    AwsError::new(416, "InvalidPartNumber", "The requested partnumber is not satisfiable").with("PartNumberRequested", n.to_string())
                })?;
                start = parts[..idx].iter().map(|p| p.size).sum();
                end = start + parts[idx].size;
                headers.push(("x-amz-mp-parts-count".into(), parts.len().to_string()));
                status = 206;
            }
            // A single-part object is its own part 1.
            None if n == 1 => status = 206,
            None => return Err(AwsError::new(416, "InvalidPartNumber", "The requested partnumber is not satisfiable").with("PartNumberRequested", n.to_string())),
        }
        if status == 206 {
            headers.push(("content-range".into(), format!("bytes {}-{}/{}", start, end.saturating_sub(1), v.size)));
        }
    } else if let Some(range) = req.header("range") {
        if let Some((a, b_end)) = parse_range(range, v.size)? {
            start = a;
            end = b_end + 1;
            status = 206;
            headers.push(("content-range".into(), format!("bytes {a}-{b_end}/{}", v.size)));
        }
    }
    if status == 206 {
        // A checksum describes the whole object: a range carries none.
        headers.retain(|(k, _)| !k.starts_with("x-amz-checksum-"));
    }
    headers.push(("content-length".into(), (end - start).to_string()));
    if req.op == "HeadObject" {
        return Ok(Reply { status, headers, body: ReplyBody::Empty });
    }
    let data_key = match &v.encryption {
        Some(enc) => sse::open_key(call, st, enc, &v.bucket, &v.key)?,
        None => return Err(AwsError::internal("an object without its encryption record")),
    };
    // Opened now, under the lock: a delete committed after this step cannot cut the read short.
    let object = call.cloud.s3_blobs.open_object(&v.pieces).map_err(storage_error)?;
    Ok(Reply { status, headers, body: ReplyBody::Object { key: data_key, object, start, end } })
}

/// An error that carries response headers (delete markers): S3 sends them with the error.
fn with_headers(e: AwsError, headers: Vec<(&'static str, String)>) -> AwsError {
    headers.into_iter().fold(e, |e, (k, v)| e.header(k, v))
}

/// Removes a key's version (with `version_id`) or writes a delete marker, as the bucket's
/// versioning says. Returns (version id touched, whether it is/was a delete marker).
pub fn delete_version(call: &mut Call<'_>, st: &mut State, bucket_name: &str, key: &str, version_id: Option<&str>) -> Result<(Option<String>, bool), AwsError> {
    let seq = st.s3.take_seq();
    let owner = call.caller.account.clone();
    let b = bucket_mut(st, bucket_name)?;
    let versioning = b.rec.versioning;
    let mut doomed: Vec<Version> = Vec::new();
    let result = match version_id {
        Some(id) => {
            if id != "null" && !valid_version_id(id) {
                return Err(AwsError::client("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", id));
            }
            let Some(versions) = b.objects.get_mut(key) else { return Ok((Some(id.to_string()), false)) };
            let Some(pos) = versions.iter().position(|v| v.version_id == id) else { return Ok((Some(id.to_string()), false)) };
            let v = versions.remove(pos);
            let marker = v.delete_marker;
            if versions.is_empty() {
                b.objects.remove(key);
            }
            doomed.push(v);
            (Some(id.to_string()), marker)
        }
        None if versioning == Versioning::Unversioned => {
            if let Some(versions) = b.objects.remove(key) {
                doomed.extend(versions);
            }
            (None, false)
        }
        None => {
            let versions = b.objects.entry(key.to_string()).or_default();
            let marker_id = if versioning == Versioning::Enabled { new_version_id() } else { "null".to_string() };
            if versioning == Versioning::Suspended {
                versions.retain(|v| {
                    if v.version_id == "null" {
                        doomed.push(v.clone());
                        false
                    } else {
                        true
                    }
                });
            }
            let marker = Version {
                version_id: marker_id.clone(),
                seq,
                delete_marker: true,
                ..Version::new(bucket_name, key, &owner, crate::time::now_millis())
            };
            call.batch.put(marker.store_key(), serde_json::to_vec(&marker).unwrap_or_default());
            versions.push(marker);
            (Some(marker_id), true)
        }
    };
    for v in doomed {
        call.batch.delete(v.store_key());
        st.s3.doomed.extend(v.pieces.into_iter().map(|p| p.blob));
    }
    Ok(result)
}

pub fn delete_object(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), iam_action(req.op, req.q("versionId").is_some()), req, Vec::new())?;
    if let Some(want) = req.header("if-match") {
        let current = b.current(req.key()).ok_or_else(|| no_such_key(req.key()))?;
        if want.trim() != "*" && want.trim().trim_matches('"') != current.etag {
            return Err(precondition_failed("If-Match"));
        }
    }
    let (id, marker) = delete_version(call, st, req.bucket(), req.key(), req.q("versionId"))?;
    let mut reply = Reply::ok().status(204);
    if marker {
        reply = reply.header("x-amz-delete-marker", "true");
    }
    if let Some(id) = id {
        reply = reply.header("x-amz-version-id", id);
    }
    Ok(reply)
}

pub fn delete_objects(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    let root = wire::parse_xml(body)?;
    let quiet = root.child_text("Quiet").is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let targets: Vec<(String, Option<String>)> = root
        .children_named("Object")
        .map(|o| (o.child_text("Key").unwrap_or("").to_string(), o.child_text("VersionId").map(str::to_string)))
        .collect();
    if targets.is_empty() || targets.len() > 1000 {
        return Err(crate::protocol::xml_in::malformed());
    }
    bucket(st, req.bucket())?;
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for (key, version) in targets {
        let b = bucket(st, req.bucket())?;
        let action = iam_action("DeleteObject", version.is_some());
        if let Err(e) = authorize(call, st, b, Some(&key), action, req, Vec::new()) {
            errors.push((key, version, e));
            continue;
        }
        match delete_version(call, st, req.bucket(), &key, version.as_deref()) {
            Ok((id, marker)) => deleted.push((key, version, id, marker)),
            Err(e) => errors.push((key, version, e)),
        }
    }
    Ok(Reply::xml(document("DeleteResult", |x| {
        if !quiet {
            for (key, version, id, marker) in &deleted {
                x.open("Deleted").elem("Key", key);
                x.opt("VersionId", version.as_deref());
                if *marker {
                    x.elem("DeleteMarker", "true");
                    if version.is_none() {
                        x.opt("DeleteMarkerVersionId", id.as_deref());
                    }
                }
                x.close("Deleted");
            }
        }
        for (key, version, e) in &errors {
            x.open("Error").elem("Key", key);
            x.opt("VersionId", version.as_deref());
            x.elem("Code", &e.code).elem("Message", &e.message).close("Error");
        }
    })))
}

pub fn tagging(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    let versioned_req = req.q("versionId").is_some();
    let existing_tags: Vec<(ContextKey, ContextValue)> = find_version(b, req)
        .map(|v| v.tags.iter().map(|t| (format!("s3:ExistingObjectTag/{}", t.key).into(), ContextValue::Single(t.value.clone()))).collect())
        .unwrap_or_default();
    let new_tags = if req.op == "PutObjectTagging" { Some(wire::parse_tagging(body)?) } else { None };
    let mut ctx = existing_tags;
    if let Some(t) = &new_tags {
        if t.len() > 10 {
            return Err(AwsError::client("BadRequest", "Object tags cannot be greater than 10"));
        }
        ctx.extend(write_context(t));
    }
    authorize(call, st, b, Some(req.key()), iam_action(req.op, versioned_req), req, ctx)?;
    let v = find_version(b, req)?.clone();
    let versioned = b.rec.versioning != Versioning::Unversioned;
    let version_header = |r: Reply| if versioned { r.header("x-amz-version-id", v.version_id.clone()) } else { r };
    if req.op == "GetObjectTagging" {
        return Ok(version_header(Reply::xml(wire::tagging_document(&v.tags, |_| {}))));
    }
    let tags = new_tags.unwrap_or_default();
    let b = bucket_mut(st, req.bucket())?;
    if let Some(stored) = b.objects.get_mut(req.key()).and_then(|vs| vs.iter_mut().find(|x| x.seq == v.seq)) {
        stored.tags = tags;
        call.batch.put(stored.store_key(), serde_json::to_vec(&*stored).unwrap_or_default());
    }
    let status = if req.op == "DeleteObjectTagging" { 204 } else { 200 };
    Ok(version_header(Reply::ok().status(status)))
}

pub fn get_object_attributes(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), iam_action(req.op, req.q("versionId").is_some()), req, Vec::new())?;
    let v = find_version(b, req)?.clone();
    let wanted: Vec<String> = req.header("x-amz-object-attributes").unwrap_or("").split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if wanted.is_empty() {
        return Err(AwsError::client("InvalidArgument", "Invalid attribute name specified.").with("ArgumentName", "x-amz-object-attributes"));
    }
    let want = |n: &str| wanted.iter().any(|w| w == n);
    let versioned = b.rec.versioning != Versioning::Unversioned;
    let body = document("GetObjectAttributesResponse", |x| {
        if want("ETag") {
            x.elem("ETag", &v.etag);
        }
        if want("Checksum") {
            if let Some(c) = &v.checksum {
                // Attributes give a composite checksum without its `-N` part count.
                let value = c.value.split_once('-').map_or(c.value.as_str(), |(v, _)| v);
                x.open("Checksum").elem(c.algorithm.xml_element(), value).elem("ChecksumType", &c.kind).close("Checksum");
            }
        }
        if want("ObjectParts") {
            if let Some(parts) = &v.parts {
                x.open("ObjectParts").elem("TotalPartsCount", &parts.len().to_string()).close("ObjectParts");
            }
        }
        if want("StorageClass") {
            x.elem("StorageClass", v.storage_class.as_deref().unwrap_or("STANDARD"));
        }
        if want("ObjectSize") {
            x.elem("ObjectSize", &v.size.to_string());
        }
    });
    let mut reply = Reply::xml(body).header("last-modified", crate::time::http_date(v.last_modified / 1000));
    if versioned {
        reply = reply.header("x-amz-version-id", v.version_id.clone());
    }
    Ok(reply)
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded.
pub fn parse_copy_source(value: &str) -> Result<(String, String, Option<String>), AwsError> {
    let invalid = || AwsError::client("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").with("ArgumentName", "x-amz-copy-source");
    let (path, version) = match value.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (value, None),
    };
    let path = percent_encoding::percent_decode_str(path).decode_utf8().map_err(|_| invalid())?;
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok((bucket.to_string(), key.to_string(), version))
}

/// The source of a copy, authorized (`s3:GetObject[Version]`), its `x-amz-copy-source-if-*`
/// conditions checked, and its data key opened (through KMS as the caller when SSE-KMS).
pub fn copy_source(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<(Version, [u8; 32], OpenObject), AwsError> {
    let (src_bucket, src_key, src_version) = parse_copy_source(req.header("x-amz-copy-source").unwrap_or(""))?;
    let b = bucket(st, &src_bucket)?;
    let src_req = S3Request {
        key: Some(src_key.clone()),
        bucket: Some(src_bucket.clone()),
        query: src_version.iter().map(|v| ("versionId".to_string(), v.clone())).collect(),
        ..req.clone()
    };
    authorize(call, st, b, Some(&src_key), iam_action("GetObject", src_version.is_some()), req, Vec::new())?;
    let v = find_version(b, &src_req)?.clone();
    // A copy's source conditions all fail with 412, naming the x-amz-copy-source header.
    if let Some(Unmet::Precondition(c) | Unmet::NotModified(c)) = unmet_condition(req, "x-amz-copy-source-", &v.etag, v.last_modified / 1000) {
        return Err(precondition_failed(&format!("x-amz-copy-source-{c}")));
    }
    let enc = v.encryption.clone().ok_or_else(|| AwsError::internal("an object without its encryption record"))?;
    let key = sse::open_key(call, st, &enc, &v.bucket, &v.key)?;
    let object = call.cloud.s3_blobs.open_object(&v.pieces).map_err(storage_error)?;
    Ok((v, key, object))
}

/// Re-encrypts `[start, end)` of a source object into a new blob (blocking thread),
/// computing MD5 and, if asked, a checksum.
pub async fn copy_bytes(
    blobs: &BlobStore,
    src_key: [u8; 32],
    source: OpenObject,
    range: (u64, u64),
    dst_key: [u8; 32],
    nonce_prefix: u32,
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<Received, AwsError> {
    let blobs = blobs.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<Received> {
        let mut writer = blobs.create(&dst_key, nonce_prefix)?;
        let mut digests = Digests::new(algorithm);
        source.read_range(&src_key, range.0, range.1, |chunk| {
            digests.update(&chunk);
            writer.write(&chunk)
        })?;
        Ok(digests.received(writer.finish()?))
    })
    .await
    .map_err(|_| AwsError::internal("the copy stopped"))?
    .map_err(storage_error)
}

pub async fn copy_object(call: &mut Call<'_>, req: &S3Request) -> Result<Reply, AwsError> {
    let prepared = step(call, false, |call, st| {
        let (src, src_key, source) = copy_source(call, st, req)?;
        let replace_meta = match req.header("x-amz-metadata-directive") {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => return Err(AwsError::client("InvalidArgument", "Unknown metadata directive.").with("ArgumentName", "x-amz-metadata-directive")),
        };
        let replace_tags = match req.header("x-amz-tagging-directive") {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => return Err(AwsError::client("InvalidArgument", "Unknown tagging directive.").with("ArgumentName", "x-amz-tagging-directive")),
        };
        let (_, _, src_version) = parse_copy_source(req.header("x-amz-copy-source").unwrap_or(""))?;
        let same = src.bucket == req.bucket() && src.key == req.key() && src_version.is_none();
        let dst_bucket = bucket(st, req.bucket())?;
        // A copy onto itself must change something: metadata, storage class, redirect, or
        // encryption (asked for, or a bucket default that differs from the object's).
        let (algorithm, key_id, _, _) = sse::requested(req, &dst_bucket.rec)?;
        let src_enc = src.encryption.as_ref();
        let changes_encryption = req.header("x-amz-server-side-encryption").is_some()
            || dst_bucket.rec.encryption.is_some()
            || src_enc.is_none_or(|e| e.algorithm != algorithm || (key_id.is_some() && e.kms_key_arn.as_deref() != key_id.as_deref()));
        if same && !replace_meta && !changes_encryption && req.header("x-amz-storage-class").is_none() && req.header("x-amz-website-redirect-location").is_none() {
            return Err(AwsError::client(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let (mut headers, metadata) = if replace_meta { stored_headers(req)? } else { (src.headers.clone(), src.metadata.clone()) };
        if let Some(redirect) = req.header("x-amz-website-redirect-location") {
            headers.insert("x-amz-website-redirect-location".into(), redirect.to_string());
        }
        let tags = if replace_tags { req.header("x-amz-tagging").map(wire::parse_tagging_header).transpose()?.unwrap_or_default() } else { src.tags.clone() };
        let b = bucket(st, req.bucket())?;
        authorize(call, st, b, Some(req.key()), "s3:PutObject", req, write_context(&tags))?;
        let rec = b.rec.clone();
        let (enc, dst_key) = sse::new_key(call, st, req, &rec, req.key())?;
        Ok((src, src_key, source, enc, dst_key, headers, metadata, tags))
    })
    .await?;
    let (src, src_key, source, enc, dst_key, headers, metadata, tags) = prepared;
    let algorithm = match req.header("x-amz-checksum-algorithm").map(ChecksumAlgorithm::parse) {
        Some(Some(a)) => Some(a),
        Some(None) => return step(call, true, |_, _| Err(AwsError::client("InvalidRequest", "Checksum algorithm provided is unsupported."))).await,
        None => src.checksum.as_ref().map(|c| c.algorithm),
    };
    let blobs = call.cloud.s3_blobs.clone();
    let got = match copy_bytes(&blobs, src_key, source, (0, src.size), dst_key, 0, algorithm).await {
        Ok(g) => g,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    let blob = got.piece.blob.clone();
    let owner = call.caller.account.clone();
    let result = step(call, true, |call, st| {
        // A copy is STANDARD unless it asks for another class.
        let storage_class = storage_class(req)?;
        let v = written_version(req, &owner, &got, &enc, Described { headers, metadata, tags, storage_class });
        let checksum = v.checksum.clone();
        let (etag, modified) = (v.quoted_etag(), v.last_modified);
        let versioned = bucket(st, req.bucket())?.rec.versioning != Versioning::Unversioned;
        let id = publish(call, st, v)?;
        let body = document("CopyObjectResult", |x| {
            x.elem("ETag", &etag).elem("LastModified", &crate::time::iso8601_millis(modified));
            if let Some(c) = &checksum {
                x.elem(c.algorithm.xml_element(), &c.value);
            }
        });
        let mut reply = Reply::xml(body);
        if versioned {
            reply = reply.header("x-amz-version-id", id);
        }
        if src.version_id != "null" {
            reply = reply.header("x-amz-copy-source-version-id", src.version_id.clone());
        }
        for (k, val) in sse::headers(Some(&enc)) {
            reply = reply.header(&k, val);
        }
        Ok(reply)
    })
    .await;
    if result.is_err() {
        blobs.remove([blob]);
    }
    result
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_s3_reads_them() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-200", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=95-", 100).unwrap(), Some((95, 99)));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=-200", 100).unwrap(), Some((0, 99)));
        assert_eq!(parse_range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 100).unwrap(), None);
        assert_eq!(parse_range("bytes=100-", 100).unwrap_err().status, 416);
        assert_eq!(parse_range("bytes=0-0", 0).unwrap_err().status, 416);
    }

    #[test]
    fn copy_sources() {
        assert_eq!(parse_copy_source("/b/k%20x").unwrap(), ("b".into(), "k x".into(), None));
        assert_eq!(parse_copy_source("b/a/b?versionId=v1").unwrap(), ("b".into(), "a/b".into(), Some("v1".into())));
        assert!(parse_copy_source("b").is_err());
    }
}
