//! Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
//! ListMultipartUploads.
//!
//! An upload decides its encryption when it starts: one data key for the whole upload, kept
//! only wrapped (under the root key, or as a KMS ciphertext) in the upload's record. Every
//! part is its own blob under that key; each blob written takes a fresh nonce prefix from the
//! upload's persisted counter (`next_nonce`), so blobs sharing the key never share a nonce,
//! also when a part number is uploaded again. Completing stitches the chosen parts' blobs
//! into the object's pieces: no byte is copied.
//!
//! Each state change is staged as whole records (`s3/u/<bucket>/<id>`, the object version) in
//! the same step as the memory change; blobs of replaced, unused or aborted parts go once
//! their records' removal is durable (`st.s3.doomed`).

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::checksum::{self, ChecksumAlgorithm, ChecksumType};
use super::model::{Bucket, Checksum, Part, PartInfo, Upload, Version, Versioning};
use super::objects::{self, MAX_PUT};
use super::payload::Payload;
use super::request::S3Request;
use super::wire::{self, bool_text, document};
use super::{authorize, bucket, bucket_mut, sse, step, Reply};
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::xml::Xml;
use crate::state::State;

/// Every part but the last is at least this large (5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers are 1..=10000.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Largest object a multipart upload may produce (5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// Most entries one ListParts or ListMultipartUploads page holds.
const MAX_LIST: usize = 1000;

// --- Errors, as S3 words them -------------------------------------------------------------

fn no_such_upload(upload_id: &str) -> AwsError {
    AwsError::new(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with("UploadId", upload_id)
}

fn invalid_part(upload_id: &str, number: u32, etag: &str) -> AwsError {
    AwsError::client(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
    .with("UploadId", upload_id)
    .with("PartNumber", number.to_string())
    .with("ETag", etag)
}

fn invalid_part_order(upload_id: &str) -> AwsError {
    AwsError::client("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
        .with("UploadId", upload_id)
}

fn entity_too_small(part: &Part) -> AwsError {
    AwsError::client("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
        .with("ProposedSize", part.piece.size.to_string())
        .with("MinSizeAllowed", MIN_PART_SIZE.to_string())
        .with("PartNumber", part.number.to_string())
        .with("ETag", part.etag.clone())
}

/// A part's checksum algorithm that is not the upload's (`null`: none).
fn checksum_type_mismatch(expected: Option<ChecksumAlgorithm>, actual: Option<ChecksumAlgorithm>) -> AwsError {
    let name = |a: Option<ChecksumAlgorithm>| a.map_or_else(|| "null".to_string(), |a| a.name().to_ascii_lowercase());
    AwsError::client(
        "InvalidRequest",
        format!("Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}", name(expected), name(actual)),
    )
}

fn unsupported_algorithm() -> AwsError {
    AwsError::client(
        "InvalidRequest",
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
    )
}

// --- Shared pieces ------------------------------------------------------------------------

/// A new upload id: 96 URL-safe characters from the OS random source (576 bits).
fn new_upload_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    crate::ids::random_bytes::<96>().iter().map(|b| ALPHABET[(b & 63) as usize] as char).collect()
}

/// The upload `uploadId` names, for the request's key.
fn find_upload<'b>(b: &'b Bucket, req: &S3Request) -> Result<&'b Upload, AwsError> {
    let id = req.q("uploadId").unwrap_or("");
    b.uploads.get(id).filter(|u| u.key == req.key()).ok_or_else(|| no_such_upload(id))
}

/// `partNumber`, 1..=10000.
fn part_number(req: &S3Request) -> Result<u32, AwsError> {
    let raw = req.q("partNumber").unwrap_or("");
    raw.parse::<u32>().ok().filter(|n| (1..=MAX_PART_NUMBER).contains(n)).ok_or_else(|| {
        AwsError::client("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", raw)
    })
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload: the
/// algorithm and the whole-object checksum's type (CRC64NVME defaults to FULL_OBJECT, the
/// others to COMPOSITE; the SHAs have COMPOSITE only, CRC64NVME FULL_OBJECT only).
fn checksum_settings(algorithm: Option<&str>, kind: Option<&str>) -> Result<(Option<ChecksumAlgorithm>, Option<ChecksumType>), AwsError> {
    let algorithm = algorithm.map(|a| ChecksumAlgorithm::parse(a.trim()).ok_or_else(unsupported_algorithm)).transpose()?;
    let Some(kind) = kind else {
        return Ok((algorithm, algorithm.map(default_type)));
    };
    let kind = ChecksumType::parse(kind.trim()).ok_or_else(|| AwsError::client("InvalidRequest", "Value for x-amz-checksum-type header is invalid."))?;
    let Some(alg) = algorithm else {
        return Err(AwsError::client("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."));
    };
    let allowed = match kind {
        ChecksumType::FullObject => alg.is_crc(),
        ChecksumType::Composite => alg != ChecksumAlgorithm::Crc64Nvme,
    };
    if !allowed {
        return Err(AwsError::client(
            "InvalidRequest",
            format!("The {} checksum type cannot be used with the {} checksum algorithm.", kind.name(), alg.name().to_ascii_lowercase()),
        ));
    }
    Ok((Some(alg), Some(kind)))
}

fn default_type(alg: ChecksumAlgorithm) -> ChecksumType {
    if alg == ChecksumAlgorithm::Crc64Nvme {
        ChecksumType::FullObject
    } else {
        ChecksumType::Composite
    }
}

/// The whole-object checksum type of an upload with an algorithm.
fn upload_type(u: &Upload) -> Option<ChecksumType> {
    let alg = u.checksum_algorithm?;
    Some(u.checksum_type.as_deref().and_then(ChecksumType::parse).unwrap_or_else(|| default_type(alg)))
}

/// The algorithm a part is hashed with: the upload's (a part may not declare another, and a
/// COMPOSITE upload needs every part's checksum from the client), else whatever the part
/// declares, to verify it.
fn part_algorithm(u: &Upload, declared: Option<ChecksumAlgorithm>) -> Result<Option<ChecksumAlgorithm>, AwsError> {
    match (u.checksum_algorithm, declared) {
        (Some(expected), Some(actual)) if expected != actual => Err(checksum_type_mismatch(Some(expected), Some(actual))),
        (Some(expected), None) if upload_type(u) == Some(ChecksumType::Composite) => Err(checksum_type_mismatch(Some(expected), None)),
        (Some(expected), _) => Ok(Some(expected)),
        (None, declared) => Ok(declared),
    }
}

/// Takes the next nonce prefix of an upload and stages the upload's record.
fn take_nonce(call: &mut Call<'_>, st: &mut State, bucket_name: &str, upload_id: &str) -> Result<u32, AwsError> {
    let u = bucket_mut(st, bucket_name)?.uploads.get_mut(upload_id).ok_or_else(|| no_such_upload(upload_id))?;
    let nonce = next_nonce(u)?;
    call.batch.put(u.store_key(), serde_json::to_vec(&*u).unwrap_or_default());
    Ok(nonce)
}

/// Advances an upload's nonce counter (prefixes start at 1; 0 is a PUT's).
fn next_nonce(u: &mut Upload) -> Result<u32, AwsError> {
    let nonce = u.next_nonce.max(1);
    u.next_nonce = nonce
        .checked_add(1)
        .ok_or_else(|| AwsError::client("InvalidRequest", "This upload has taken as many part uploads as it can; start a new upload."))?;
    Ok(nonce)
}

/// Stores a part in its upload (the upload may have ended meanwhile: `NoSuchUpload`); the
/// blob of a part it replaces goes once this is durable.
fn store_part(call: &mut Call<'_>, st: &mut State, bucket_name: &str, upload_id: &str, part: Part) -> Result<(), AwsError> {
    let u = bucket_mut(st, bucket_name)?.uploads.get_mut(upload_id).ok_or_else(|| no_such_upload(upload_id))?;
    let replaced = u.parts.insert(part.number, part);
    call.batch.put(u.store_key(), serde_json::to_vec(&*u).unwrap_or_default());
    if let Some(old) = replaced {
        st.s3.doomed.push(old.piece.blob);
    }
    Ok(())
}

fn with_sse(mut reply: Reply, enc: &super::model::Encryption) -> Reply {
    for (k, v) in sse::headers(Some(enc)) {
        reply = reply.header(&k, v);
    }
    reply
}

// --- CreateMultipartUpload ----------------------------------------------------------------

pub fn create(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let tags = match req.header("x-amz-tagging") {
        Some(t) => wire::parse_tagging_header(t)?,
        None => Vec::new(),
    };
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), "s3:PutObject", req, objects::write_context(&tags))?;
    let (headers, metadata) = objects::stored_headers(req)?;
    let storage_class = objects::storage_class(req)?;
    let (algorithm, kind) = checksum_settings(req.header("x-amz-checksum-algorithm"), req.header("x-amz-checksum-type"))?;
    let rec = b.rec.clone();
    // The data key itself is dropped here: parts unwrap it again (as the caller, for SSE-KMS).
    let (encryption, _) = sse::new_key(call, st, req, &rec, req.key())?;
    let mut id = new_upload_id();
    while b_uploads_has(st, req.bucket(), &id) {
        id = new_upload_id();
    }
    let upload = Upload {
        bucket: req.bucket().to_string(),
        key: req.key().to_string(),
        id: id.clone(),
        initiated: crate::time::now_millis(),
        owner: call.caller.account.clone(),
        initiator_arn: call.caller.arn.clone(),
        headers,
        metadata,
        tags,
        storage_class,
        encryption: encryption.clone(),
        checksum_algorithm: algorithm,
        checksum_type: kind.map(|k| k.name().to_string()),
        parts: BTreeMap::new(),
        next_nonce: 1,
    };
    call.batch.put(upload.store_key(), serde_json::to_vec(&upload).unwrap_or_default());
    bucket_mut(st, req.bucket())?.uploads.insert(id.clone(), upload);
    let body = document("InitiateMultipartUploadResult", |x| {
        x.elem("Bucket", req.bucket()).elem("Key", req.key()).elem("UploadId", &id);
    });
    let mut reply = with_sse(Reply::xml(body), &encryption);
    if let (Some(alg), Some(kind)) = (algorithm, kind) {
        reply = reply.header("x-amz-checksum-algorithm", alg.name()).header("x-amz-checksum-type", kind.name());
    }
    Ok(reply)
}

fn b_uploads_has(st: &State, bucket_name: &str, id: &str) -> bool {
    st.s3.buckets.get(bucket_name).is_some_and(|b| b.uploads.contains_key(id))
}

// --- UploadPart and UploadPartCopy ----------------------------------------------------------

/// What step 1 of a part upload settled.
struct PartTarget {
    number: u32,
    upload_id: String,
    encryption: super::model::Encryption,
    data_key: [u8; 32],
    nonce: u32,
    algorithm: Option<ChecksumAlgorithm>,
    /// Whether the part's checksum is kept (the upload has an algorithm).
    keep_checksum: bool,
}

/// Step 3 of a part upload: the part as received, stored in its upload.
fn finish_part(call: &mut Call<'_>, st: &mut State, req: &S3Request, t: &PartTarget, got: &objects::Received) -> Result<Part, AwsError> {
    let part = Part {
        number: t.number,
        piece: got.piece.clone(),
        etag: crate::ids::hex(&got.md5),
        last_modified: crate::time::now_millis(),
        checksum: got.checksum.as_ref().filter(|_| t.keep_checksum).map(|(_, raw)| checksum::to_base64(raw)),
    };
    store_part(call, st, req.bucket(), &t.upload_id, part.clone())?;
    Ok(part)
}

pub async fn upload_part(call: &mut Call<'_>, req: &S3Request, mut payload: Payload) -> Result<Reply, AwsError> {
    let (declared_alg, declared) = match objects::requested_checksum(req) {
        Ok(c) => c,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    let target = step(call, false, |call, st| {
        let b = bucket(st, req.bucket())?;
        authorize(call, st, b, Some(req.key()), "s3:PutObject", req, Vec::new())?;
        let number = part_number(req)?;
        if req.header("content-length").and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n > MAX_PUT) {
            return Err(objects::too_large(MAX_PUT));
        }
        let u = find_upload(b, req)?;
        let algorithm = part_algorithm(u, declared_alg)?;
        let (upload_id, encryption, keep_checksum) = (u.id.clone(), u.encryption.clone(), u.checksum_algorithm.is_some());
        let (ub, uk) = (u.bucket.clone(), u.key.clone());
        // SSE-KMS: kms:Decrypt as the caller, as S3 requires for UploadPart.
        let data_key = sse::open_key(call, st, &encryption, &ub, &uk)?;
        let nonce = take_nonce(call, st, req.bucket(), &upload_id)?;
        Ok(PartTarget { number, upload_id, encryption, data_key, nonce, algorithm, keep_checksum })
    })
    .await?;
    let blobs = call.cloud.s3_blobs.clone();
    let got = match objects::receive(&blobs, &mut payload, target.data_key, target.nonce, target.algorithm, MAX_PUT).await {
        Ok(r) => r,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    if let Err(e) = objects::verify_digests(req, &payload, &got, declared.as_deref()) {
        blobs.remove([got.piece.blob.clone()]);
        return step(call, true, |_, _| Err(e)).await;
    }
    let blob = got.piece.blob.clone();
    let result = step(call, true, |call, st| {
        let part = finish_part(call, st, req, &target, &got)?;
        let mut reply = Reply::ok().header("etag", format!("\"{}\"", part.etag));
        if let Some((alg, raw)) = &got.checksum {
            reply = reply.header(alg.header(), checksum::to_base64(raw));
        }
        Ok(with_sse(reply, &target.encryption))
    })
    .await;
    if result.is_err() {
        blobs.remove([blob]);
    }
    result
}

/// `x-amz-copy-source-range: bytes=first-last` as `[start, end)` of a source of `size`
/// bytes; the whole source when absent.
fn copy_range(header: Option<&str>, size: u64) -> Result<(u64, u64), AwsError> {
    let Some(value) = header else { return Ok((0, size)) };
    let malformed = || {
        AwsError::client(
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
        .with("ArgumentName", "x-amz-copy-source-range")
        .with("ArgumentValue", value)
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (first, last) = value.trim().strip_prefix("bytes=").and_then(|r| r.split_once('-')).ok_or_else(malformed)?;
    if !digits(first) || !digits(last) {
        return Err(malformed());
    }
    let (first, last) = (first.parse::<u64>().map_err(|_| malformed())?, last.parse::<u64>().map_err(|_| malformed())?);
    if first > last || last >= size {
        return Err(AwsError::new(416, "InvalidRange", "The requested range is not satisfiable")
            .with("RangeRequested", value)
            .with("ActualObjectSize", size.to_string()));
    }
    Ok((first, last + 1))
}

pub async fn upload_part_copy(call: &mut Call<'_>, req: &S3Request) -> Result<Reply, AwsError> {
    let prepared = step(call, false, |call, st| {
        let b = bucket(st, req.bucket())?;
        authorize(call, st, b, Some(req.key()), "s3:PutObject", req, Vec::new())?;
        let number = part_number(req)?;
        let u = find_upload(b, req)?;
        let (upload_id, encryption, algorithm) = (u.id.clone(), u.encryption.clone(), u.checksum_algorithm);
        let (ub, uk) = (u.bucket.clone(), u.key.clone());
        // s3:GetObject on the source, its conditions, its data key (KMS Decrypt as the caller).
        let (src, src_key, source) = objects::copy_source(call, st, req)?;
        let range = copy_range(req.header("x-amz-copy-source-range"), src.size)?;
        if range.1 - range.0 > MAX_PUT {
            return Err(AwsError::client(
                "InvalidRequest",
                format!("The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PUT}"),
            ));
        }
        let data_key = sse::open_key(call, st, &encryption, &ub, &uk)?;
        let nonce = take_nonce(call, st, req.bucket(), &upload_id)?;
        let target = PartTarget { number, upload_id, encryption, data_key, nonce, algorithm, keep_checksum: algorithm.is_some() };
        Ok((target, src, src_key, source, range))
    })
    .await?;
    let (target, src, src_key, source, range) = prepared;
    let blobs = call.cloud.s3_blobs.clone();
    let got = match objects::copy_bytes(&blobs, src_key, source, range, target.data_key, target.nonce, target.algorithm).await {
        Ok(g) => g,
        Err(e) => return step(call, true, |_, _| Err(e)).await,
    };
    let blob = got.piece.blob.clone();
    let result = step(call, true, |call, st| {
        let part = finish_part(call, st, req, &target, &got)?;
        let body = document("CopyPartResult", |x| {
            x.elem("ETag", &format!("\"{}\"", part.etag)).elem("LastModified", &crate::time::iso8601_millis(part.last_modified));
            if let Some((alg, raw)) = &got.checksum {
                x.elem(alg.xml_element(), &checksum::to_base64(raw));
            }
        });
        let mut reply = Reply::xml(body);
        if src.version_id != "null" {
            reply = reply.header("x-amz-copy-source-version-id", src.version_id.clone());
        }
        Ok(with_sse(reply, &target.encryption))
    })
    .await;
    if result.is_err() {
        blobs.remove([blob]);
    }
    result
}

// --- CompleteMultipartUpload --------------------------------------------------------------

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RequestedPart {
    number: u32,
    /// Without quotes.
    etag: String,
    /// `Checksum<ALG>` elements given for the part.
    checksums: Vec<(ChecksumAlgorithm, String)>,
}

/// `<CompleteMultipartUpload><Part><PartNumber/><ETag/><Checksum…/></Part>…`, or
/// `MalformedXML`.
fn parse_complete(body: &[u8]) -> Result<Vec<RequestedPart>, AwsError> {
    let root = wire::parse_xml(body)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(crate::protocol::xml_in::malformed());
    }
    let mut parts = Vec::new();
    for p in root.children_named("Part") {
        let number = p.child_text("PartNumber").and_then(|n| n.trim().parse::<u32>().ok()).ok_or_else(crate::protocol::xml_in::malformed)?;
        let etag = p.child_text("ETag").ok_or_else(crate::protocol::xml_in::malformed)?;
        let etag = etag.trim().trim_matches('"').to_string();
        let checksums = ChecksumAlgorithm::ALL
            .into_iter()
            .filter_map(|alg| p.child_text(alg.xml_element()).map(|v| (alg, v.trim().to_string())))
            .collect();
        parts.push(RequestedPart { number, etag, checksums });
    }
    if parts.is_empty() {
        return Err(crate::protocol::xml_in::malformed());
    }
    Ok(parts)
}

/// The upload's parts a Complete body names, checked as S3 checks them: ascending part
/// numbers (consecutive from 1 when the upload has a checksum algorithm), each part present
/// with its ETag and any checksum given, every COMPOSITE part's checksum given, every part
/// but the last at least 5 MiB.
fn choose_parts<'u>(u: &'u Upload, requested: &[RequestedPart]) -> Result<Vec<&'u Part>, AwsError> {
    let mut previous = 0u32;
    for r in requested {
        if r.number <= previous || (u.checksum_algorithm.is_some() && Some(r.number) != previous.checked_add(1)) {
            return Err(invalid_part_order(&u.id));
        }
        previous = r.number;
    }
    let composite = upload_type(u) == Some(ChecksumType::Composite);
    let mut chosen = Vec::with_capacity(requested.len());
    for r in requested {
        let part = u.parts.get(&r.number).filter(|p| p.etag.eq_ignore_ascii_case(&r.etag));
        let part = part.filter(|p| r.checksums.iter().all(|(alg, v)| Some(*alg) == u.checksum_algorithm && p.checksum.as_deref() == Some(v.as_str())));
        let part = part.ok_or_else(|| invalid_part(&u.id, r.number, &r.etag))?;
        if let (true, Some(alg)) = (composite, u.checksum_algorithm) {
            if !r.checksums.iter().any(|(a, _)| *a == alg) {
                return Err(AwsError::client(
                    "InvalidRequest",
                    format!(
                        "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                        alg.name().to_ascii_lowercase(),
                        r.number
                    ),
                ));
            }
        }
        chosen.push(part);
    }
    if let Some((_, init)) = chosen.split_last() {
        if let Some(small) = init.iter().find(|p| p.piece.size < MIN_PART_SIZE) {
            return Err(entity_too_small(small));
        }
    }
    Ok(chosen)
}

/// A multipart object's ETag: hex MD5 of the parts' binary MD5s, `-<parts>`.
fn multipart_etag<'a>(part_etags: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut md5 = Md5::new();
    let mut n = 0usize;
    for etag in part_etags {
        md5.update(hex_decode(etag).filter(|d| d.len() == 16)?);
        n += 1;
    }
    Some(format!("{}-{n}", crate::ids::hex(&md5.finalize())))
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes.chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// The `x-amz-checksum-*` header of a Complete request: the client's whole-object checksum.
fn declared_object_checksum(req: &S3Request) -> Result<Option<(ChecksumAlgorithm, String)>, AwsError> {
    let mut found = None;
    for alg in ChecksumAlgorithm::ALL {
        if let Some(v) = req.header(alg.header()) {
            if found.is_some() {
                return Err(AwsError::client("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."));
            }
            found = Some((alg, v.trim().to_string()));
        }
    }
    Ok(found)
}

/// The completed object's checksum, from its parts' (COMPOSITE: the checksum of the part
/// checksums, `<base64>-<parts>`; FULL_OBJECT: the CRC of the whole object, combined from the
/// parts' CRCs), checked against what the client declared.
fn object_checksum(
    u: &Upload,
    chosen: &[&Part],
    declared: Option<(ChecksumAlgorithm, &str)>,
    declared_type: Option<&str>,
) -> Result<Option<Checksum>, AwsError> {
    let (Some(alg), Some(kind)) = (u.checksum_algorithm, upload_type(u)) else {
        return match declared {
            Some((a, _)) => Err(checksum_type_mismatch(None, Some(a))),
            None => Ok(None),
        };
    };
    if let Some(t) = declared_type {
        if ChecksumType::parse(t.trim()) != Some(kind) {
            return Err(AwsError::client(
                "BadDigest",
                format!("The upload was created using the {} checksum mode. The complete request must use the same checksum mode.", kind.name()),
            ));
        }
    }
    let raw: Vec<Vec<u8>> = chosen
        .iter()
        .map(|p| p.checksum.as_deref().and_then(|v| alg.decode(v)))
        .collect::<Option<_>>()
        .ok_or_else(|| AwsError::internal("a part of the upload lacks its checksum"))?;
    let value = match kind {
        ChecksumType::Composite => checksum::composite_base64(alg, &raw),
        ChecksumType::FullObject => {
            let pairs: Vec<(Vec<u8>, u64)> = raw.into_iter().zip(chosen.iter().map(|p| p.piece.size)).collect();
            let whole = checksum::full_object_combine(alg, &pairs).ok_or_else(|| AwsError::internal("cannot combine the parts' checksums"))?;
            checksum::to_base64(&whole)
        }
    };
    if let Some((a, v)) = declared {
        if a != alg {
            return Err(checksum_type_mismatch(Some(alg), Some(a)));
        }
        let bare = value.split_once('-').map_or(value.as_str(), |(b, _)| b);
        if v != value && v != bare {
            return Err(AwsError::client("BadDigest", format!("The {} you specified did not match the calculated checksum.", alg.name())));
        }
    }
    Ok(Some(Checksum { algorithm: alg, value, kind: kind.name().to_string() }))
}

/// Conditional writes on Complete: `If-None-Match: *` (no current object) and `If-Match`.
fn check_write_conditions(b: &Bucket, req: &S3Request) -> Result<(), AwsError> {
    let failed = |c: &str| AwsError::new(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").with("Condition", c);
    let current = b.current(req.key());
    if let Some(v) = req.header("if-none-match") {
        if v.trim() == "*" && current.is_some() {
            return Err(failed("If-None-Match"));
        }
    }
    if let Some(m) = req.header("if-match") {
        let cur = current.ok_or_else(|| objects::no_such_key(req.key()))?;
        if !m.split(',').any(|t| t.trim().trim_matches('"') == cur.etag || t.trim() == "*") {
            return Err(failed("If-Match"));
        }
    }
    Ok(())
}

/// `Location` of a completed object: path-style, or virtual-host-style as the request came.
fn location(req: &S3Request) -> String {
    let host = req.header("host").unwrap_or("localhost");
    let key = url_encode(req.key());
    if host.starts_with(&format!("{}.", req.bucket())) {
        format!("http://{host}/{key}")
    } else {
        format!("http://{host}/{}/{key}", req.bucket())
    }
}

/// RFC 3986 unreserved characters stay; everything else, `/` included, is percent-encoded.
const URI_RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URI_RESERVED).to_string()
}

pub fn complete(call: &mut Call<'_>, st: &mut State, req: &S3Request, body: &[u8]) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), "s3:PutObject", req, Vec::new())?;
    // Completing an upload again answers as the first completion did.
    if let Some(done) = completed_by(b, req) {
        let body = document("CompleteMultipartUploadResult", |x| {
            x.elem("Location", &location(req)).elem("Bucket", req.bucket()).elem("Key", req.key()).elem("ETag", &done.quoted_etag());
            if let Some(c) = &done.checksum {
                x.elem(c.algorithm.xml_element(), &c.value).elem("ChecksumType", &c.kind);
            }
        });
        let mut reply = Reply::xml(body);
        if b.rec.versioning != Versioning::Unversioned {
            reply = reply.header("x-amz-version-id", done.version_id.clone());
        }
        return Ok(reply);
    }
    let u = find_upload(b, req)?;
    let requested = parse_complete(body)?;
    let chosen = choose_parts(u, &requested)?;
    let size: u64 = chosen.iter().map(|p| p.piece.size).sum();
    if size > MAX_OBJECT_SIZE {
        return Err(objects::too_large(MAX_OBJECT_SIZE));
    }
    let declared = declared_object_checksum(req)?;
    let checksum = object_checksum(u, &chosen, declared.as_ref().map(|(a, v)| (*a, v.as_str())), req.header("x-amz-checksum-type"))?;
    check_write_conditions(b, req)?;
    let etag = multipart_etag(chosen.iter().map(|p| p.etag.as_str())).ok_or_else(|| AwsError::internal("a part's ETag is not an MD5"))?;
    let used: std::collections::HashSet<u32> = chosen.iter().map(|p| p.number).collect();
    let v = Version {
        etag,
        size,
        headers: u.headers.clone(),
        metadata: u.metadata.clone(),
        tags: u.tags.clone(),
        storage_class: u.storage_class.clone(),
        encryption: Some(u.encryption.clone()),
        pieces: chosen.iter().map(|p| p.piece.clone()).collect(),
        checksum: checksum.clone(),
        parts: Some(chosen.iter().map(|p| PartInfo { number: p.number, size: p.piece.size, etag: p.etag.clone(), checksum: p.checksum.clone() }).collect()),
        upload_id: Some(u.id.clone()),
        // S3 dates an object made by a multipart upload from the upload's initiation.
        ..Version::new(&u.bucket, &u.key, &u.owner, u.initiated)
    };
    let (upload_id, encryption) = (u.id.clone(), u.encryption.clone());
    let versioned = b.rec.versioning != Versioning::Unversioned;
    let quoted = v.quoted_etag();
    let version_id = objects::publish(call, st, v)?;
    let upload = bucket_mut(st, req.bucket())?.uploads.remove(&upload_id).ok_or_else(|| no_such_upload(&upload_id))?;
    call.batch.delete(upload.store_key());
    st.s3.doomed.extend(upload.parts.into_values().filter(|p| !used.contains(&p.number)).map(|p| p.piece.blob));
    let body = document("CompleteMultipartUploadResult", |x| {
        x.elem("Location", &location(req)).elem("Bucket", req.bucket()).elem("Key", req.key()).elem("ETag", &quoted);
        if let Some(c) = &checksum {
            x.elem(c.algorithm.xml_element(), &c.value).elem("ChecksumType", &c.kind);
        }
    });
    let mut reply = Reply::xml(body);
    if versioned {
        reply = reply.header("x-amz-version-id", version_id);
    }
    Ok(with_sse(reply, &encryption))
}

/// The current version of the key, when the upload the request names made it.
fn completed_by<'b>(b: &'b crate::s3::model::Bucket, req: &S3Request) -> Option<&'b Version> {
    let id = req.q("uploadId")?;
    if b.uploads.contains_key(id) {
        return None;
    }
    b.current(req.key()).filter(|v| v.upload_id.as_deref() == Some(id))
}

// --- AbortMultipartUpload -----------------------------------------------------------------

pub fn abort(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), "s3:AbortMultipartUpload", req, Vec::new())?;
    let id = find_upload(b, req)?.id.clone();
    let upload = bucket_mut(st, req.bucket())?.uploads.remove(&id).ok_or_else(|| no_such_upload(&id))?;
    call.batch.delete(upload.store_key());
    st.s3.doomed.extend(upload.parts.into_values().map(|p| p.piece.blob));
    Ok(Reply::ok().status(204))
}

// --- ListParts ----------------------------------------------------------------------------

/// A non-negative integer query parameter, or S3's `InvalidArgument`.
fn int_param(req: &S3Request, name: &'static str) -> Result<Option<u64>, AwsError> {
    match req.q(name) {
        None => Ok(None),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (0..=i32::MAX as i64).contains(&n) => Ok(Some(n as u64)),
            Ok(n) if n < 0 => Err(AwsError::client("InvalidArgument", format!("Argument {name} must be an integer between 0 and 2147483647"))
                .with("ArgumentName", name)
                .with("ArgumentValue", v)),
            _ => Err(AwsError::client("InvalidArgument", format!("Provided {name} not an integer or within integer range"))
                .with("ArgumentName", name)
                .with("ArgumentValue", v)),
        },
    }
}

/// One page of an upload's parts after `marker`: the parts and whether more follow.
fn page_parts(parts: &BTreeMap<u32, Part>, marker: u32, max: usize) -> (Vec<&Part>, bool) {
    let mut after = parts.range(marker.saturating_add(1)..).map(|(_, p)| p);
    let page: Vec<&Part> = after.by_ref().take(max).collect();
    let more = after.next().is_some();
    (page, more)
}

/// The Initiator element: the caller that started the upload (an account's root shows as
/// the owner does).
fn initiator(x: &mut Xml, u: &Upload) {
    if u.initiator_arn.ends_with(":root") || u.initiator_arn.is_empty() {
        let account = edgeward_policy::Arn::parse(&u.initiator_arn).map(|a| a.account).filter(|a| !a.is_empty()).unwrap_or(&u.owner);
        x.open("Initiator").elem("ID", &wire::canonical_user_id(account)).elem("DisplayName", account).close("Initiator");
    } else {
        let name = u.initiator_arn.rsplit('/').next().unwrap_or(&u.initiator_arn);
        x.open("Initiator").elem("ID", &u.initiator_arn).elem("DisplayName", name).close("Initiator");
    }
}

pub fn list_parts(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, Some(req.key()), "s3:ListMultipartUploadParts", req, Vec::new())?;
    let u = find_upload(b, req)?;
    let max = int_param(req, "max-parts")?.map_or(MAX_LIST, |n| (n as usize).min(MAX_LIST));
    let marker = int_param(req, "part-number-marker")?.unwrap_or(0).min(u32::MAX as u64) as u32;
    let (page, more) = page_parts(&u.parts, marker, max);
    let next = page.last().map_or(marker, |p| p.number);
    let body = document("ListPartsResult", |x| {
        x.elem("Bucket", req.bucket()).elem("Key", req.key()).elem("UploadId", &u.id);
        x.elem("PartNumberMarker", &marker.to_string()).elem("NextPartNumberMarker", &next.to_string());
        x.elem("MaxParts", &max.to_string()).elem("IsTruncated", bool_text(more));
        for p in &page {
            x.open("Part")
                .elem("PartNumber", &p.number.to_string())
                .elem("LastModified", &crate::time::iso8601_millis(p.last_modified))
                .elem("ETag", &format!("\"{}\"", p.etag))
                .elem("Size", &p.piece.size.to_string());
            if let (Some(alg), Some(c)) = (u.checksum_algorithm, &p.checksum) {
                x.elem(alg.xml_element(), c);
            }
            x.close("Part");
        }
        initiator(x, u);
        wire::owner(x, &u.owner);
        x.elem("StorageClass", u.storage_class.as_deref().unwrap_or("STANDARD"));
        if let (Some(alg), Some(kind)) = (u.checksum_algorithm, upload_type(u)) {
            x.elem("ChecksumAlgorithm", alg.name()).elem("ChecksumType", kind.name());
        }
    });
    Ok(Reply::xml(body))
}

// --- ListMultipartUploads -----------------------------------------------------------------

/// What ListMultipartUploads asks for.
#[derive(Debug, Clone, Default)]
struct UploadQuery<'q> {
    prefix: &'q str,
    delimiter: Option<&'q str>,
    key_marker: &'q str,
    upload_id_marker: &'q str,
    max: usize,
}

/// One page of in-progress uploads.
#[derive(Debug)]
struct UploadPage<'a> {
    uploads: Vec<&'a Upload>,
    prefixes: Vec<String>,
    truncated: bool,
    next_key_marker: String,
    next_upload_id_marker: String,
}

/// Uploads under `prefix`, ordered by key and then initiation, after the markers; keys with
/// the delimiter past the prefix roll up into common prefixes (each counts as one entry).
fn page_uploads<'a>(all: impl IntoIterator<Item = &'a Upload>, q: &UploadQuery<'_>) -> UploadPage<'a> {
    let mut uploads: Vec<&Upload> = all.into_iter().filter(|u| u.key.starts_with(q.prefix)).collect();
    uploads.sort_by(|a, b| (a.key.as_str(), a.initiated, a.id.as_str()).cmp(&(b.key.as_str(), b.initiated, b.id.as_str())));
    // The upload-id-marker counts only with a key-marker, and within that key.
    let id_marker = (!q.key_marker.is_empty() && !q.upload_id_marker.is_empty()).then_some(q.upload_id_marker);
    let marker_upload = id_marker.and_then(|id| uploads.iter().find(|u| u.key == q.key_marker && u.id == id).map(|u| (u.initiated, u.id.as_str())));
    let after_marker = |u: &Upload| -> bool {
        if q.key_marker.is_empty() {
            return true;
        }
        match u.key.as_str().cmp(q.key_marker) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => match (marker_upload, id_marker) {
                (Some(m), _) => (u.initiated, u.id.as_str()) > m,
                (None, Some(id)) => u.id.as_str() > id,
                (None, None) => false,
            },
        }
    };
    let mut page = UploadPage { uploads: Vec::new(), prefixes: Vec::new(), truncated: false, next_key_marker: String::new(), next_upload_id_marker: String::new() };
    for u in uploads {
        if !after_marker(u) {
            continue;
        }
        let common = q.delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            u.key[q.prefix.len()..].find(d).map(|i| u.key[..q.prefix.len() + i + d.len()].to_string())
        });
        if let Some(cp) = &common {
            if page.prefixes.last() == Some(cp) || (!q.key_marker.is_empty() && cp.as_str() <= q.key_marker) {
                continue;
            }
        }
        if page.uploads.len() + page.prefixes.len() >= q.max {
            page.truncated = q.max > 0;
            break;
        }
        match common {
            Some(cp) => {
                page.next_key_marker = cp.clone();
                page.next_upload_id_marker.clear();
                page.prefixes.push(cp);
            }
            None => {
                page.next_key_marker = u.key.clone();
                page.next_upload_id_marker = u.id.clone();
                page.uploads.push(u);
            }
        }
    }
    page
}

pub fn list_uploads(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    let b = bucket(st, req.bucket())?;
    authorize(call, st, b, None, "s3:ListBucketMultipartUploads", req, Vec::new())?;
    let url = match req.q("encoding-type") {
        None => false,
        Some("url") => true,
        Some(other) => {
            return Err(AwsError::client("InvalidArgument", "Invalid Encoding Method specified in Request")
                .with("ArgumentName", "encoding-type")
                .with("ArgumentValue", other))
        }
    };
    let max = int_param(req, "max-uploads")?.map_or(MAX_LIST, |n| (n as usize).min(MAX_LIST));
    let q = UploadQuery {
        prefix: req.q("prefix").unwrap_or(""),
        delimiter: req.q("delimiter").filter(|d| !d.is_empty()),
        key_marker: req.q("key-marker").unwrap_or(""),
        upload_id_marker: req.q("upload-id-marker").unwrap_or(""),
        max,
    };
    let page = page_uploads(b.uploads.values(), &q);
    // encoding-type=url as the object listings apply it.
    let enc = |s: &str| if url { super::listing::url_encode(s).into_owned() } else { s.to_string() };
    let body = document("ListMultipartUploadsResult", |x| {
        x.elem("Bucket", req.bucket());
        x.elem("KeyMarker", &enc(q.key_marker)).elem("UploadIdMarker", if q.key_marker.is_empty() { "" } else { q.upload_id_marker });
        x.elem("NextKeyMarker", &enc(&page.next_key_marker));
        x.elem("Prefix", &enc(q.prefix));
        if let Some(d) = q.delimiter {
            x.elem("Delimiter", &enc(d));
        }
        x.elem("NextUploadIdMarker", &page.next_upload_id_marker);
        x.elem("MaxUploads", &max.to_string()).elem("IsTruncated", bool_text(page.truncated));
        for u in &page.uploads {
            x.open("Upload").elem("Key", &enc(&u.key)).elem("UploadId", &u.id);
            initiator(x, u);
            wire::owner(x, &u.owner);
            x.elem("StorageClass", u.storage_class.as_deref().unwrap_or("STANDARD"));
            x.elem("Initiated", &crate::time::iso8601_millis(u.initiated));
            if let (Some(alg), Some(kind)) = (u.checksum_algorithm, upload_type(u)) {
                x.elem("ChecksumAlgorithm", alg.name()).elem("ChecksumType", kind.name());
            }
            x.close("Upload");
        }
        for p in &page.prefixes {
            x.open("CommonPrefixes").elem("Prefix", &enc(p)).close("CommonPrefixes");
        }
        if url {
            x.elem("EncodingType", "url");
        }
    });
    Ok(Reply::xml(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::model::{Encryption, Piece};

    fn upload(alg: Option<ChecksumAlgorithm>, kind: Option<ChecksumType>) -> Upload {
        Upload {
            bucket: "b".into(),
            key: "k".into(),
            id: "U".into(),
            initiated: 1_000,
            owner: "111111111111".into(),
            initiator_arn: "arn:aws:iam::111111111111:root".into(),
            headers: BTreeMap::new(),
            metadata: BTreeMap::new(),
            tags: Vec::new(),
            storage_class: None,
            encryption: Encryption { algorithm: "AES256".into(), kms_key_arn: None, context: None, bucket_key_enabled: false, wrapped_key: vec![1] },
            checksum_algorithm: alg,
            checksum_type: kind.map(|k| k.name().to_string()),
            parts: BTreeMap::new(),
            next_nonce: 1,
        }
    }

    fn add_part(u: &mut Upload, number: u32, data: &[u8], size: u64) {
        let etag = crate::ids::hex(&Md5::digest(data));
        let checksum = u.checksum_algorithm.map(|a| checksum::to_base64(&a.checksum(data)));
        let piece = Piece { blob: format!("blob{number}"), size, nonce_prefix: number };
        u.parts.insert(number, Part { number, piece, etag, last_modified: 0, checksum });
    }

    fn requested(u: &Upload, numbers: &[u32], with_checksums: bool) -> Vec<RequestedPart> {
        numbers
            .iter()
            .map(|n| {
                let p = &u.parts[n];
                let checksums = match (with_checksums, u.checksum_algorithm, &p.checksum) {
                    (true, Some(a), Some(c)) => vec![(a, c.clone())],
                    _ => Vec::new(),
                };
                RequestedPart { number: *n, etag: p.etag.clone(), checksums }
            })
            .collect()
    }

    const MIB5: u64 = MIN_PART_SIZE;

    #[test]
    fn complete_bodies_parse_and_malformed_ones_are_refused() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
  <Part><ETag>"bb"</ETag><PartNumber> 3 </PartNumber></Part>
</CompleteMultipartUpload>"#;
        let parts = parse_complete(body).unwrap();
        assert_eq!(
            parts,
            vec![
                RequestedPart { number: 1, etag: "aa".into(), checksums: vec![(ChecksumAlgorithm::Crc32, "AAAAAA==".into())] },
                RequestedPart { number: 3, etag: "bb".into(), checksums: vec![] },
            ]
        );
        for bad in [
            &b""[..],
            b"<CompleteMultipartUpload/>",
            b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
            b"<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>",
            b"<CompleteMultipartUpload><Part>",
        ] {
            assert_eq!(parse_complete(bad).unwrap_err().code, "MalformedXML", "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parts_are_validated_as_s3_does() {
        let mut u = upload(None, None);
        add_part(&mut u, 1, b"one", MIB5);
        add_part(&mut u, 3, b"three", MIB5 + 1);
        add_part(&mut u, 4, b"four", 10);
        add_part(&mut u, 5, b"five", 1);
        // Gaps are fine without a checksum algorithm; the last part may be small.
        let chosen = choose_parts(&u, &requested(&u, &[1, 3, 4], false)).unwrap();
        assert_eq!(chosen.iter().map(|p| p.number).collect::<Vec<_>>(), vec![1, 3, 4]);
        // Order.
        for order in [&[3, 1][..], &[1, 1]] {
            let e = choose_parts(&u, &requested(&u, order, false)).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, "InvalidPartOrder"));
        }
        // A part not uploaded, or a wrong ETag.
        let mut r = requested(&u, &[1, 3], false);
        r.push(RequestedPart { number: 7, etag: "00".into(), checksums: vec![] });
        let e = choose_parts(&u, &r).unwrap_err();
        assert_eq!(e.code, "InvalidPart");
        assert!(e.details.contains(&("PartNumber", "7".to_string())));
        let mut r = requested(&u, &[1, 3], false);
        r[1].etag = "0123".into();
        assert_eq!(choose_parts(&u, &r).unwrap_err().code, "InvalidPart");
        // ETags compare without quotes and case.
        let mut r = requested(&u, &[1, 3], false);
        r[0].etag = r[0].etag.to_ascii_uppercase();
        assert!(choose_parts(&u, &r).is_ok());
        // Too small a part that is not the last.
        let e = choose_parts(&u, &requested(&u, &[1, 4, 5], false)).unwrap_err();
        assert_eq!(e.code, "EntityTooSmall");
        assert!(e.details.contains(&("PartNumber", "4".to_string())));
        assert!(e.details.contains(&("MinSizeAllowed", "5242880".to_string())));
        // A checksum given for an upload without one does not match.
        let mut r = requested(&u, &[1], false);
        r[0].checksums.push((ChecksumAlgorithm::Crc32, "AAAAAA==".into()));
        assert_eq!(choose_parts(&u, &r).unwrap_err().code, "InvalidPart");
    }

    #[test]
    fn checksum_uploads_need_consecutive_parts_and_composite_ones_their_checksums() {
        let mut u = upload(Some(ChecksumAlgorithm::Sha256), Some(ChecksumType::Composite));
        add_part(&mut u, 1, b"one", MIB5);
        add_part(&mut u, 2, b"two", MIB5);
        add_part(&mut u, 3, b"three", 3);
        assert!(choose_parts(&u, &requested(&u, &[1, 2, 3], true)).is_ok());
        assert_eq!(choose_parts(&u, &requested(&u, &[1, 3], true)).unwrap_err().code, "InvalidPartOrder");
        assert_eq!(choose_parts(&u, &requested(&u, &[2, 3], true)).unwrap_err().code, "InvalidPartOrder");
        let e = choose_parts(&u, &requested(&u, &[1, 2, 3], false)).unwrap_err();
        assert_eq!(e.code, "InvalidRequest");
        assert_eq!(
            e.message,
            "The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."
        );
        let mut r = requested(&u, &[1, 2], true);
        r[1].checksums[0].1 = checksum::to_base64(&[0u8; 32]);
        assert_eq!(choose_parts(&u, &r).unwrap_err().code, "InvalidPart");
        // FULL_OBJECT uploads do not need the part checksums in the request.
        let mut f = upload(Some(ChecksumAlgorithm::Crc32), Some(ChecksumType::FullObject));
        add_part(&mut f, 1, b"one", MIB5);
        add_part(&mut f, 2, b"two", 3);
        assert!(choose_parts(&f, &requested(&f, &[1, 2], false)).is_ok());
    }

    #[test]
    fn multipart_etag_is_the_md5_of_the_part_md5s() {
        let etag = multipart_etag(["5d41402abc4b2a76b9719d911017c592", "7d793037a0760186574b0282f2f435e7"]).unwrap();
        assert_eq!(etag, "065947336a2f2a95ba8899f3675c3be6-2");
        assert!(multipart_etag(["nothex"]).is_none());
        assert_eq!(hex_decode("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_decode("0"), None);
    }

    #[test]
    fn whole_object_checksums_composite_and_full_object() {
        let (a, b) = (vec![7u8; 1000], b"tail".to_vec());
        let whole: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
        for alg in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
            let mut u = upload(Some(alg), Some(ChecksumType::FullObject));
            add_part(&mut u, 1, &a, a.len() as u64);
            add_part(&mut u, 2, &b, b.len() as u64);
            let parts: Vec<&Part> = u.parts.values().collect();
            let c = object_checksum(&u, &parts, None, None).unwrap().unwrap();
            assert_eq!((c.value.as_str(), c.kind.as_str()), (checksum::to_base64(&alg.checksum(&whole)).as_str(), "FULL_OBJECT"));
            // What the client declares must match.
            assert!(object_checksum(&u, &parts, Some((alg, c.value.as_str())), Some("FULL_OBJECT")).is_ok());
            assert_eq!(object_checksum(&u, &parts, Some((alg, "AAAAAA==")), None).unwrap_err().code, "BadDigest");
            assert_eq!(object_checksum(&u, &parts, None, Some("COMPOSITE")).unwrap_err().code, "BadDigest");
        }
        let mut u = upload(Some(ChecksumAlgorithm::Sha1), Some(ChecksumType::Composite));
        add_part(&mut u, 1, &a, a.len() as u64);
        add_part(&mut u, 2, &b, b.len() as u64);
        let parts: Vec<&Part> = u.parts.values().collect();
        let c = object_checksum(&u, &parts, None, None).unwrap().unwrap();
        let mut cat = ChecksumAlgorithm::Sha1.checksum(&a);
        cat.extend(ChecksumAlgorithm::Sha1.checksum(&b));
        assert_eq!(c.value, format!("{}-2", checksum::to_base64(&ChecksumAlgorithm::Sha1.checksum(&cat))));
        assert_eq!(c.kind, "COMPOSITE");
        let bare = c.value.trim_end_matches("-2").to_string();
        assert!(object_checksum(&u, &parts, Some((ChecksumAlgorithm::Sha1, bare.as_str())), None).is_ok());
        let e = object_checksum(&u, &parts, Some((ChecksumAlgorithm::Crc32, "AAAAAA==")), None).unwrap_err();
        assert_eq!(e.message, "Checksum Type mismatch occurred, expected checksum Type: sha1, actual checksum Type: crc32");
        // No algorithm: no checksum, and a declared one cannot be checked.
        let plain = upload(None, None);
        assert_eq!(object_checksum(&plain, &[], None, None).unwrap(), None);
        assert_eq!(object_checksum(&plain, &[], Some((ChecksumAlgorithm::Crc32, "x")), None).unwrap_err().code, "InvalidRequest");
    }

    #[test]
    fn create_checksum_settings() {
        use ChecksumAlgorithm::*;
        assert_eq!(checksum_settings(None, None).unwrap(), (None, None));
        assert_eq!(checksum_settings(Some("crc64nvme"), None).unwrap(), (Some(Crc64Nvme), Some(ChecksumType::FullObject)));
        assert_eq!(checksum_settings(Some("CRC32"), None).unwrap(), (Some(Crc32), Some(ChecksumType::Composite)));
        assert_eq!(checksum_settings(Some("CRC32C"), Some("FULL_OBJECT")).unwrap(), (Some(Crc32c), Some(ChecksumType::FullObject)));
        let msg = |a, t| checksum_settings(a, t).unwrap_err().message;
        assert_eq!(msg(Some("SHA256"), Some("FULL_OBJECT")), "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.");
        assert_eq!(msg(Some("CRC64NVME"), Some("COMPOSITE")), "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
        assert_eq!(msg(None, Some("COMPOSITE")), "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
        assert_eq!(msg(Some("CRC32"), Some("PARTIAL")), "Value for x-amz-checksum-type header is invalid.");
        assert_eq!(checksum_settings(Some("MD4"), None).unwrap_err().code, "InvalidRequest");
    }

    #[test]
    fn part_algorithms_follow_the_upload() {
        use ChecksumAlgorithm::*;
        let composite = upload(Some(Crc32), Some(ChecksumType::Composite));
        assert_eq!(part_algorithm(&composite, Some(Crc32)).unwrap(), Some(Crc32));
        assert_eq!(
            part_algorithm(&composite, Some(Sha256)).unwrap_err().message,
            "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha256"
        );
        assert_eq!(
            part_algorithm(&composite, None).unwrap_err().message,
            "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: null"
        );
        let full = upload(Some(Crc64Nvme), Some(ChecksumType::FullObject));
        assert_eq!(part_algorithm(&full, None).unwrap(), Some(Crc64Nvme));
        let plain = upload(None, None);
        assert_eq!(part_algorithm(&plain, None).unwrap(), None);
        assert_eq!(part_algorithm(&plain, Some(Crc32c)).unwrap(), Some(Crc32c));
    }

    #[test]
    fn copy_source_ranges() {
        assert_eq!(copy_range(None, 10).unwrap(), (0, 10));
        assert_eq!(copy_range(Some("bytes=0-9"), 10).unwrap(), (0, 10));
        assert_eq!(copy_range(Some("bytes=3-3"), 10).unwrap(), (3, 4));
        for bad in ["0-9", "bytes=0", "bytes=-5", "bytes=5-", "bytes=a-b", "bytes=0-1,3-4"] {
            let e = copy_range(Some(bad), 10).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, "InvalidArgument"), "{bad}");
        }
        for out in ["bytes=0-10", "bytes=5-4", "bytes=10-12"] {
            let e = copy_range(Some(out), 10).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (416, "InvalidRange"), "{out}");
        }
    }

    #[test]
    fn part_pages() {
        let mut u = upload(None, None);
        for n in [1, 2, 5, 9] {
            add_part(&mut u, n, b"x", 1);
        }
        let numbers = |(page, more): (Vec<&Part>, bool)| (page.iter().map(|p| p.number).collect::<Vec<_>>(), more);
        assert_eq!(numbers(page_parts(&u.parts, 0, 1000)), (vec![1, 2, 5, 9], false));
        assert_eq!(numbers(page_parts(&u.parts, 0, 2)), (vec![1, 2], true));
        assert_eq!(numbers(page_parts(&u.parts, 2, 2)), (vec![5, 9], false));
        assert_eq!(numbers(page_parts(&u.parts, 5, 1)), (vec![9], false));
        assert_eq!(numbers(page_parts(&u.parts, 9, 10)), (vec![], false));
        assert_eq!(numbers(page_parts(&u.parts, 0, 0)), (vec![], true));
    }

    fn up(key: &str, id: &str, initiated: i64) -> Upload {
        Upload { key: key.into(), id: id.into(), initiated, ..upload(None, None) }
    }

    #[test]
    fn upload_pages_order_by_key_then_initiation_and_follow_markers() {
        let all = vec![up("b", "Z1", 1), up("a", "Y", 5), up("b", "A2", 2), up("c/x", "C1", 1), up("c/y", "C2", 1), up("d", "D", 1)];
        fn ids<'a>(p: &UploadPage<'a>) -> Vec<&'a str> {
            p.uploads.iter().map(|u| u.id.as_str()).collect()
        }
        let q = UploadQuery { max: 1000, ..Default::default() };
        let p = page_uploads(&all, &q);
        assert_eq!(ids(&p), vec!["Y", "Z1", "A2", "C1", "C2", "D"]);
        assert!(!p.truncated);
        assert_eq!((p.next_key_marker.as_str(), p.next_upload_id_marker.as_str()), ("d", "D"));

        // Paging two at a time walks the same order.
        let mut seen = Vec::new();
        let (mut km, mut im) = (String::new(), String::new());
        loop {
            let q = UploadQuery { max: 2, key_marker: &km, upload_id_marker: &im, ..Default::default() };
            let p = page_uploads(&all, &q);
            seen.extend(ids(&p).into_iter().map(str::to_string));
            if !p.truncated {
                break;
            }
            (km, im) = (p.next_key_marker.clone(), p.next_upload_id_marker.clone());
        }
        assert_eq!(seen, vec!["Y", "Z1", "A2", "C1", "C2", "D"]);

        // A key-marker alone skips that key; an upload-id-marker alone is ignored.
        let q = UploadQuery { max: 1000, key_marker: "b", ..Default::default() };
        assert_eq!(ids(&page_uploads(&all, &q)), vec!["C1", "C2", "D"]);
        let q = UploadQuery { max: 1000, upload_id_marker: "Z1", ..Default::default() };
        assert_eq!(ids(&page_uploads(&all, &q)).len(), 6);

        // Prefix and delimiter: common prefixes count as one entry each.
        let q = UploadQuery { max: 1000, delimiter: Some("/"), ..Default::default() };
        let p = page_uploads(&all, &q);
        assert_eq!(ids(&p), vec!["Y", "Z1", "A2", "D"]);
        assert_eq!(p.prefixes, vec!["c/"]);
        let q = UploadQuery { max: 4, delimiter: Some("/"), ..Default::default() };
        let p = page_uploads(&all, &q);
        assert_eq!((ids(&p), p.prefixes.clone(), p.truncated), (vec!["Y", "Z1", "A2"], vec!["c/".to_string()], true));
        assert_eq!((p.next_key_marker.as_str(), p.next_upload_id_marker.as_str()), ("c/", ""));
        let q = UploadQuery { max: 4, delimiter: Some("/"), key_marker: "c/", ..Default::default() };
        let p = page_uploads(&all, &q);
        assert_eq!((ids(&p), p.prefixes.is_empty(), p.truncated), (vec!["D"], true, false));
        let q = UploadQuery { max: 1000, prefix: "c/", delimiter: Some("/"), ..Default::default() };
        assert_eq!(ids(&page_uploads(&all, &q)), vec!["C1", "C2"]);
        let q = UploadQuery { max: 0, ..Default::default() };
        let p = page_uploads(&all, &q);
        assert!(p.uploads.is_empty() && !p.truncated);
    }

    #[test]
    fn every_blob_of_an_upload_gets_its_own_nonce_prefix_across_reloads() {
        let mut u = upload(None, None);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            assert!(seen.insert(next_nonce(&mut u).unwrap()));
        }
        // The counter is part of the record: a reloaded upload continues after it.
        let mut reloaded: Upload = serde_json::from_slice(&serde_json::to_vec(&u).unwrap()).unwrap();
        assert!(seen.insert(next_nonce(&mut reloaded).unwrap()));
        assert!(!seen.contains(&0));
        reloaded.next_nonce = u32::MAX;
        assert_eq!(next_nonce(&mut reloaded).unwrap_err().code, "InvalidRequest");
    }

    #[test]
    fn upload_ids_are_long_and_url_safe() {
        let a = new_upload_id();
        assert_eq!(a.len(), 96);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_'));
        assert_ne!(a, new_upload_id());
        assert_eq!(url_encode("a b/c+d~"), "a%20b%2Fc%2Bd~");
    }
}
