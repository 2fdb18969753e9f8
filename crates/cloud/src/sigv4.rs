//! Server-side AWS Signature Version 4 verification.
//!
//! Pure: no I/O, no clock (the current time comes in as unix seconds), no transport types beyond
//! `http::HeaderMap`. The flow for a service is:
//!
//! 1. [`parse`] the request: `Ok(None)` means unsigned (anonymous), `Ok(Some(auth))` carries the
//!    access key id, credential scope, signed headers, signature, date and session token, and all
//!    structural checks (algorithm, scope shape, `host` signed, date format, credential day,
//!    `X-Amz-Expires` range) have passed.
//! 2. Look the access key up (unknown key → the service's own `InvalidClientTokenId`-style
//!    error), check the scope's service/region with [`Credential::check_service`] /
//!    [`Credential::check_region`].
//! 3. [`verify`] (or [`verify_with_key`] with a cached [`signing_key`]): clock skew or presign
//!    expiry, canonical request, string to sign, constant-time signature comparison.
//!
//! Canonicalization follows the AWS SigV4 specification and the AWS SDKs (aws-sigv4, botocore):
//! all services except S3 normalize the URI path (dot segments, duplicate slashes) and encode the
//! path *as received* once more ("double encoding"); S3 neither normalizes nor double-encodes (its
//! canonical path is each received segment decoded and URI-encoded once). See [`VerifyOptions`].
//!
//! Errors carry an [`ErrorKind`] (each service maps kinds to its own wire code; default
//! mappings are offered by [`ErrorKind::query_code`], [`ErrorKind::json_code`] and
//! [`ErrorKind::s3_code`]), an AWS-style message, and — for signature mismatches — the canonical
//! request and string to sign the server computed.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only supported algorithm.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Algorithm line of an aws-chunked chunk's string to sign.
pub const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
/// Algorithm line of an aws-chunked trailer's string to sign.
pub const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";
/// Scope terminator.
pub const TERMINATOR: &str = "aws4_request";
/// `x-amz-content-sha256` value: the payload is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` value: aws-chunked body with a signature per chunk.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` value: aws-chunked body with signed chunks and a signed trailer.
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` value: aws-chunked body, unsigned chunks, trailer (checksums).
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Largest `X-Amz-Expires` AWS accepts (seven days).
pub const MAX_PRESIGN_EXPIRES_SECS: i64 = 604_800;
/// AWS's clock-skew allowance.
pub const DEFAULT_MAX_SKEW_SECS: i64 = 900;

/// Everything except the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// As [`URI_ENCODE`] but keeping `/` (paths).
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

// ---------------------------------------------------------------------------------------------
// Input and parsed authentication
// ---------------------------------------------------------------------------------------------

/// The parts of an HTTP request that SigV4 covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// Request method, e.g. `GET`.
    pub method: &'a str,
    /// The path exactly as received on the request line (percent-encoded), without the query.
    pub raw_path: &'a str,
    /// The query exactly as received, without the leading `?` (empty when there is none).
    pub raw_query: &'a str,
    /// Request headers. Must contain `host` (for HTTP/2 the transport inserts it from
    /// `:authority`).
    pub headers: &'a HeaderMap,
    /// Lowercase hex SHA-256 of the body, when the server computed it. Required for header
    /// authentication without `x-amz-content-sha256`.
    pub body_sha256: Option<&'a str>,
}

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// `Authorization` header.
    Header,
    /// Presigned URL (`X-Amz-*` query parameters).
    Query,
}

/// The credential: access key id and scope (`AKID/date/region/service/aws4_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    /// `YYYYMMDD`.
    pub date: String,
    pub region: String,
    pub service: String,
}

impl Credential {
    /// Parse `AKID/YYYYMMDD/region/service/aws4_request`.
    pub fn parse(s: &str) -> Result<Credential, SigV4Error> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() != 5 {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                format!(
                    "Credential should be scoped to a valid region, service and terminator: \
                     expected 'AccessKeyId/YYYYMMDD/region/service/aws4_request', got '{s}'."
                ),
            ));
        }
        let (akid, date, region, service, term) =
            (parts[0], parts[1], parts[2], parts[3], parts[4]);
        if akid.is_empty() {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                "Credential must have an access key id.".to_string(),
            ));
        }
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) || parse_ymd(date).is_none()
        {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                format!("Invalid credential date. Date is not the required format: yyyyMMdd. Got '{date}'."),
            ));
        }
        if region.is_empty() {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                "Credential should be scoped to a valid region. ".to_string(),
            ));
        }
        if service.is_empty() {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                "Credential should be scoped to correct service. ".to_string(),
            ));
        }
        if term != TERMINATOR {
            return Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'. "),
            ));
        }
        Ok(Credential {
            access_key_id: akid.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        })
    }

    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        let mut out = String::with_capacity(self.scope_len());
        self.push_scope(&mut out);
        out
    }

    fn scope_len(&self) -> usize {
        self.date.len() + self.region.len() + self.service.len() + TERMINATOR.len() + 3
    }

    /// Appends [`Credential::scope`] to `out`.
    fn push_scope(&self, out: &mut String) {
        for part in [&self.date, "/", &self.region, "/", &self.service, "/", TERMINATOR] {
            out.push_str(part);
        }
    }

    /// The scope must name `expected` (the endpoint's signing name, e.g. `sts`, `s3`).
    pub fn check_service(&self, expected: &str) -> Result<(), SigV4Error> {
        if self.service == expected {
            Ok(())
        } else {
            Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                format!("Credential should be scoped to correct service: '{expected}'. "),
            ))
        }
    }

    /// The scope must name `expected` (the endpoint's region).
    pub fn check_region(&self, expected: &str) -> Result<(), SigV4Error> {
        if self.region == expected {
            Ok(())
        } else {
            Err(SigV4Error::new(
                ErrorKind::MalformedCredential,
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    self.region
                ),
            ))
        }
    }
}

/// A parsed SigV4 authentication (header or presigned URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub location: Location,
    pub credential: Credential,
    /// As listed by the client (lowercase, `;`-separated, normally sorted).
    pub signed_headers: Vec<String>,
    /// As provided (64 lowercase hex digits when well formed).
    pub signature: String,
    /// `YYYYMMDDTHHMMSSZ`, already validated.
    pub amz_date: String,
    /// `X-Amz-Expires` (presigned only), already range-checked (0..=604800).
    pub expires: Option<u64>,
    /// `X-Amz-Security-Token` header or query parameter.
    pub security_token: Option<String>,
    /// `x-amz-content-sha256` header (or `X-Amz-Content-Sha256` query parameter when presigned).
    pub content_sha256: Option<String>,
}

impl Auth {
    /// Unix seconds of `amz_date`.
    pub fn request_time(&self) -> i64 {
        parse_amz_date(&self.amz_date).expect("validated by parse")
    }

    /// The `SignedHeaders` value as the client sent it.
    pub fn signed_headers_line(&self) -> String {
        self.signed_headers.join(";")
    }
}

/// Service-dependent canonicalization and time policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Remove dot segments and collapse duplicate slashes in the path (every service but S3).
    pub normalize_path: bool,
    /// Encode the received (already encoded) path once more (every service but S3). When false,
    /// each received path segment is percent-decoded and URI-encoded once (S3).
    pub double_encode_path: bool,
    /// Presigned URLs sign `UNSIGNED-PAYLOAD` rather than the body hash (S3).
    pub presigned_unsigned_payload: bool,
    /// Accept the special `x-amz-content-sha256` values (`UNSIGNED-PAYLOAD`, `STREAMING-…`),
    /// i.e. requests whose body is not covered by the signature (S3). When false such a request
    /// is refused with [`ErrorKind::InvalidContentSha256`].
    pub allow_unsigned_payload: bool,
    /// The `X-Amz-Security-Token` query parameter of a presigned URL was appended after signing
    /// and is not part of the canonical query string (AWS IoT style). Normally false.
    pub query_token_unsigned: bool,
    /// Allowed clock skew for header authentication (and for presigned URLs dated in the
    /// future). AWS: 900 seconds.
    pub max_skew_secs: i64,
}

impl VerifyOptions {
    /// IAM, STS, KMS, Secrets Manager, SQS, CloudTrail, … : normalized, double-encoded path,
    /// body always signed.
    pub fn service() -> Self {
        VerifyOptions {
            normalize_path: true,
            double_encode_path: true,
            presigned_unsigned_payload: false,
            allow_unsigned_payload: false,
            query_token_unsigned: false,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
        }
    }

    /// S3: path as received (single encoding, no normalization), unsigned and streaming
    /// payloads allowed, presigned URLs sign `UNSIGNED-PAYLOAD`.
    pub fn s3() -> Self {
        VerifyOptions {
            normalize_path: false,
            double_encode_path: false,
            presigned_unsigned_payload: true,
            allow_unsigned_payload: true,
            query_token_unsigned: false,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions::service()
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What went wrong; each service maps kinds to its own wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Authorization header or presign query parameters missing parts, duplicated or garbled.
    IncompleteSignature,
    /// Both an `Authorization` header and `X-Amz-Algorithm` query parameter.
    MultipleAuthMechanisms,
    /// Not `AWS4-HMAC-SHA256` (SigV2, SigV4a, bearer tokens, …).
    UnsupportedAlgorithm,
    /// Credential scope is not `AKID/YYYYMMDD/region/service/aws4_request`, or names the wrong
    /// service/region.
    MalformedCredential,
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// No `X-Amz-Date`.
    MissingDate,
    /// `X-Amz-Date` not in ISO 8601 basic format.
    MalformedDate,
    /// The credential scope's day is not the `X-Amz-Date` day.
    CredentialDateMismatch,
    /// Header auth: request time more than the allowed skew before now.
    SignatureExpired,
    /// Header auth: request time more than the allowed skew after now.
    SignatureNotYetCurrent,
    /// Presigned URL past `X-Amz-Date + X-Amz-Expires`.
    PresignExpired,
    /// Presigned URL dated more than the allowed skew in the future.
    PresignNotYetValid,
    /// `X-Amz-Expires` not a number, negative, or above 604800.
    InvalidExpires,
    /// `x-amz-content-sha256` neither a SHA-256 hex digest nor an accepted special value.
    InvalidContentSha256,
    /// `x-amz-content-sha256` is a digest that differs from the body's.
    ContentSha256Mismatch,
    /// Header auth without `x-amz-content-sha256` and the caller passed no body hash
    /// (a server bug, not a client error).
    PayloadHashUnavailable,
    /// The computed signature differs from the provided one.
    SignatureMismatch,
}

impl ErrorKind {
    /// Default code and HTTP status for awsQuery services (IAM, STS).
    pub fn query_code(self) -> (&'static str, u16) {
        use ErrorKind::*;
        match self {
            IncompleteSignature
            | MultipleAuthMechanisms
            | UnsupportedAlgorithm
            | HostNotSigned
            | MissingDate
            | MalformedDate
            | InvalidExpires
            | InvalidContentSha256 => ("IncompleteSignature", 400),
            MalformedCredential
            | CredentialDateMismatch
            | SignatureExpired
            | SignatureNotYetCurrent
            | ContentSha256Mismatch
            | SignatureMismatch => ("SignatureDoesNotMatch", 403),
            PresignExpired | PresignNotYetValid => ("RequestExpired", 400),
            PayloadHashUnavailable => ("InternalFailure", 500),
        }
    }

    /// Default code and HTTP status for awsJson services (KMS, Secrets Manager, SQS, CloudTrail).
    pub fn json_code(self) -> (&'static str, u16) {
        use ErrorKind::*;
        match self {
            IncompleteSignature
            | MultipleAuthMechanisms
            | UnsupportedAlgorithm
            | HostNotSigned
            | MissingDate
            | MalformedDate
            | InvalidExpires
            | InvalidContentSha256 => ("IncompleteSignatureException", 400),
            MalformedCredential
            | CredentialDateMismatch
            | SignatureExpired
            | SignatureNotYetCurrent
            | ContentSha256Mismatch
            | SignatureMismatch => ("InvalidSignatureException", 400),
            PresignExpired | PresignNotYetValid => ("RequestExpired", 400),
            PayloadHashUnavailable => ("InternalFailure", 500),
        }
    }

    /// Default code and HTTP status for S3.
    pub fn s3_code(self, location: Location) -> (&'static str, u16) {
        use ErrorKind::*;
        match self {
            IncompleteSignature | HostNotSigned | MalformedCredential | CredentialDateMismatch => {
                match location {
                    Location::Header => ("AuthorizationHeaderMalformed", 400),
                    Location::Query => ("AuthorizationQueryParametersError", 400),
                }
            }
            InvalidExpires => ("AuthorizationQueryParametersError", 400),
            MultipleAuthMechanisms | InvalidContentSha256 => ("InvalidArgument", 400),
            UnsupportedAlgorithm => ("InvalidRequest", 400),
            MissingDate | MalformedDate | PresignExpired | PresignNotYetValid => {
                ("AccessDenied", 403)
            }
            SignatureExpired | SignatureNotYetCurrent => ("RequestTimeTooSkewed", 403),
            ContentSha256Mismatch => ("XAmzContentSHA256Mismatch", 400),
            SignatureMismatch => ("SignatureDoesNotMatch", 403),
            PayloadHashUnavailable => ("InternalError", 500),
        }
    }
}

/// A verification failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Error {
    pub kind: ErrorKind,
    /// AWS-style message.
    pub message: String,
    /// The canonical request the server computed (signature mismatches).
    pub canonical_request: Option<String>,
    /// The string to sign the server computed (signature mismatches).
    pub string_to_sign: Option<String>,
    /// Extra elements services put in error bodies (S3: `RequestTime`, `ServerTime`,
    /// `MaxAllowedSkewMilliseconds`, `X-Amz-Expires`, `Expires`).
    pub details: Vec<(&'static str, String)>,
}

impl SigV4Error {
    pub fn new(kind: ErrorKind, message: String) -> Self {
        SigV4Error {
            kind,
            message,
            canonical_request: None,
            string_to_sign: None,
            details: Vec::new(),
        }
    }

    fn detail(mut self, name: &'static str, value: String) -> Self {
        self.details.push((name, value));
        self
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for SigV4Error {}

/// The AWS message for a signature mismatch.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Find the SigV4 authentication of a request. `Ok(None)`: the request is unsigned.
pub fn parse(req: &RequestParts) -> Result<Option<Auth>, SigV4Error> {
    let mut authz = req.headers.get_all(http::header::AUTHORIZATION).iter();
    let header = authz.next();
    if header.is_some() && authz.next().is_some() {
        return Err(SigV4Error::new(
            ErrorKind::IncompleteSignature,
            "Only one Authorization header may be specified.".to_string(),
        ));
    }
    let query = decode_query(req.raw_query);
    let q_alg = query_param(&query, "X-Amz-Algorithm")?;
    match (header, q_alg) {
        (Some(_), Some(_)) => Err(SigV4Error::new(
            ErrorKind::MultipleAuthMechanisms,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature \
             query string parameter or the Authorization header should be specified"
                .to_string(),
        )),
        (Some(h), None) => parse_header_auth(req, h).map(Some),
        (None, Some(alg)) => parse_query_auth(&query, &alg).map(Some),
        (None, None) => {
            if query_has(&query, "X-Amz-Signature") || query_has(&query, "X-Amz-Credential") {
                Err(SigV4Error::new(
                    ErrorKind::IncompleteSignature,
                    query_params_message(),
                ))
            } else if query_has(&query, "AWSAccessKeyId") && query_has(&query, "Signature") {
                Err(unsupported_algorithm())
            } else {
                Ok(None)
            }
        }
    }
}

fn unsupported_algorithm() -> SigV4Error {
    SigV4Error::new(
        ErrorKind::UnsupportedAlgorithm,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            .to_string(),
    )
}

fn query_params_message() -> String {
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
     X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        .to_string()
}

fn parse_header_auth(req: &RequestParts, value: &http::HeaderValue) -> Result<Auth, SigV4Error> {
    let raw = utf8_text(value.as_bytes());
    let text = raw.trim_matches(|c| c == ' ' || c == '\t');
    let (alg, rest) = match text.find([' ', '\t']) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    if alg != ALGORITHM {
        return Err(unsupported_algorithm());
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    let garbled = || {
        SigV4Error::new(
            ErrorKind::IncompleteSignature,
            format!("Authorization header is malformed. Authorization={text}"),
        )
    };
    for part in rest.split(',') {
        let part = part.trim_matches(|c| c == ' ' || c == '\t');
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').ok_or_else(garbled)?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(garbled()),
        };
        if slot.is_some() {
            return Err(garbled());
        }
        *slot = Some(v.to_string());
    }
    let amz_date = header_str(req.headers, "x-amz-date");
    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !missing.is_empty() {
        if amz_date.is_none() {
            missing.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        return Err(SigV4Error::new(
            ErrorKind::IncompleteSignature,
            format!("{missing}Authorization={text}"),
        ));
    }
    let Some(amz_date) = amz_date else {
        return Err(SigV4Error::new(
            ErrorKind::MissingDate,
            format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={text}"
            ),
        ));
    };
    finish_auth(
        Location::Header,
        &credential.unwrap(),
        &signed_headers.unwrap(),
        signature.unwrap(),
        amz_date,
        None,
        header_str(req.headers, "x-amz-security-token"),
        header_str(req.headers, "x-amz-content-sha256"),
    )
}

fn parse_query_auth(query: &[(Vec<u8>, Vec<u8>)], alg: &str) -> Result<Auth, SigV4Error> {
    if alg != ALGORITHM {
        return Err(unsupported_algorithm());
    }
    let credential = query_param(query, "X-Amz-Credential")?;
    let amz_date = query_param(query, "X-Amz-Date")?;
    let signed_headers = query_param(query, "X-Amz-SignedHeaders")?;
    let signature = query_param(query, "X-Amz-Signature")?;
    let expires = query_param(query, "X-Amz-Expires")?;
    let (Some(credential), Some(amz_date), Some(signed_headers), Some(signature), Some(expires)) =
        (credential, amz_date, signed_headers, signature, expires)
    else {
        return Err(SigV4Error::new(
            ErrorKind::IncompleteSignature,
            query_params_message(),
        ));
    };
    let expires_n: i64 = expires.trim().parse().map_err(|_| {
        SigV4Error::new(
            ErrorKind::InvalidExpires,
            "X-Amz-Expires should be a number".to_string(),
        )
    })?;
    if expires_n < 0 {
        return Err(SigV4Error::new(
            ErrorKind::InvalidExpires,
            "X-Amz-Expires must be non-negative".to_string(),
        ));
    }
    if expires_n > MAX_PRESIGN_EXPIRES_SECS {
        return Err(SigV4Error::new(
            ErrorKind::InvalidExpires,
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".to_string(),
        ));
    }
    let content_sha256 = query_param(query, "X-Amz-Content-Sha256")?;
    finish_auth(
        Location::Query,
        &credential,
        &signed_headers,
        signature,
        amz_date,
        Some(expires_n as u64),
        query_param(query, "X-Amz-Security-Token")?,
        content_sha256,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish_auth(
    location: Location,
    credential: &str,
    signed_headers: &str,
    signature: String,
    amz_date: String,
    expires: Option<u64>,
    security_token: Option<String>,
    content_sha256: Option<String>,
) -> Result<Auth, SigV4Error> {
    let credential = Credential::parse(credential)?;
    let signed: Vec<String> = signed_headers.split(';').map(str::to_string).collect();
    if signed
        .iter()
        .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase() || b <= b' '))
    {
        return Err(SigV4Error::new(
            ErrorKind::IncompleteSignature,
            format!("SignedHeaders must be a ';'-separated list of lowercase header names, got '{signed_headers}'."),
        ));
    }
    if !signed.iter().any(|h| h == "host") {
        return Err(SigV4Error::new(
            ErrorKind::HostNotSigned,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ));
    }
    let amz_date = amz_date.trim().to_string();
    if parse_amz_date(&amz_date).is_none() {
        return Err(SigV4Error::new(
            ErrorKind::MalformedDate,
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
        ));
    }
    if amz_date[..8] != credential.date {
        return Err(SigV4Error::new(
            ErrorKind::CredentialDateMismatch,
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                credential.date,
                &amz_date[..8],
                amz_date
            ),
        ));
    }
    Ok(Auth {
        location,
        credential,
        signed_headers: signed,
        signature,
        amz_date,
        expires,
        security_token,
        content_sha256: content_sha256.map(|v| v.trim().to_string()),
    })
}

/// `bytes` as text, invalid UTF-8 replaced (as `String::from_utf8_lossy`); the common,
/// valid case is checked by the standard library's fast validator and borrowed.
fn utf8_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| utf8_text(v.as_bytes()).trim().to_string())
}

/// `application/x-www-form-urlencoded` decoding of a raw query (`+` is a space), keeping bytes.
fn decode_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> Vec<u8> {
    let replaced = s.replace('+', " ");
    percent_decode(replaced.as_bytes()).collect()
}

fn query_has(query: &[(Vec<u8>, Vec<u8>)], name: &str) -> bool {
    query.iter().any(|(k, _)| k == name.as_bytes())
}

/// A single-valued authentication query parameter (duplicates are an error).
fn query_param(query: &[(Vec<u8>, Vec<u8>)], name: &str) -> Result<Option<String>, SigV4Error> {
    let mut found = query.iter().filter(|(k, _)| k == name.as_bytes());
    let first = found.next();
    if found.next().is_some() {
        return Err(SigV4Error::new(
            ErrorKind::IncompleteSignature,
            format!("Query parameter '{name}' may only be specified once."),
        ));
    }
    Ok(first.map(|(_, v)| utf8_text(v).into_owned()))
}

// ---------------------------------------------------------------------------------------------
// Canonicalization
// ---------------------------------------------------------------------------------------------

/// The canonical URI of a received path.
pub fn canonical_path(raw_path: &str, opts: &VerifyOptions) -> String {
    let path = if opts.normalize_path {
        normalize_path(raw_path)
    } else if raw_path.is_empty() {
        "/".to_string()
    } else {
        raw_path.to_string()
    };
    if opts.double_encode_path {
        percent_encode(path.as_bytes(), URI_ENCODE_PATH).to_string()
    } else {
        path.split('/')
            .map(|seg| {
                let bytes: Vec<u8> = percent_decode(seg.as_bytes()).collect();
                percent_encode(&bytes, URI_ENCODE).to_string()
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// RFC 3986 5.2.4 dot-segment removal plus collapsing of empty segments (duplicate slashes),
/// keeping a trailing slash; always absolute.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut result = String::with_capacity(path.len() + 1);
    for seg in &out {
        result.push('/');
        result.push_str(seg);
    }
    let trailing = ["/", "/.", "/..", "/./", "/../"]
        .iter()
        .any(|s| path.ends_with(s))
        || path == "."
        || path == "..";
    if result.is_empty() || trailing {
        result.push('/');
    }
    result
}

/// The canonical query string: every parameter (but `X-Amz-Signature` when presigned)
/// form-decoded, URI-encoded, sorted by encoded name then value.
pub fn canonical_query(raw_query: &str, location: Location, opts: &VerifyOptions) -> String {
    let mut params: Vec<(String, String)> = decode_query(raw_query)
        .into_iter()
        .filter(|(k, _)| {
            location == Location::Header
                || (k != b"X-Amz-Signature"
                    && !(opts.query_token_unsigned && k == b"X-Amz-Security-Token"))
        })
        .map(|(k, v)| {
            (
                percent_encode(&k, URI_ENCODE).to_string(),
                percent_encode(&v, URI_ENCODE).to_string(),
            )
        })
        .collect();
    params.sort();
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trim spaces (and tabs) at both ends and collapse runs of spaces into one.
/// Appends `value` trimmed of surrounding spaces and tabs, with runs of spaces collapsed to one.
fn push_trimmed(out: &mut String, value: &str) {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if !value.contains("  ") {
        out.push_str(value);
        return;
    }
    let mut prev_space = false;
    for c in value.chars() {
        if c != ' ' || !prev_space {
            out.push(c);
        }
        prev_space = c == ' ';
    }
}

/// Appends the canonical value of one signed header: every occurrence trimmed, joined with
/// `,`. An absent header yields the empty string (and so a mismatch). Written straight into
/// the canonical request: every verified call canonicalizes half a dozen headers.
fn push_canonical_header_value(out: &mut String, headers: &HeaderMap, name: &str) {
    for (i, v) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_trimmed(out, &utf8_text(v.as_bytes()));
    }
}

#[cfg(test)]
fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    let mut out = String::new();
    push_canonical_header_value(&mut out, headers, name);
    out
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The last line of the canonical request.
pub fn payload_hash(
    req: &RequestParts,
    auth: &Auth,
    opts: &VerifyOptions,
) -> Result<String, SigV4Error> {
    if let Some(declared) = auth.content_sha256.as_deref() {
        if is_sha256_hex(declared) {
            if let Some(actual) = req.body_sha256 {
                if !declared.eq_ignore_ascii_case(actual) {
                    return Err(SigV4Error::new(
                        ErrorKind::ContentSha256Mismatch,
                        "The provided 'x-amz-content-sha256' header does not match what was computed."
                            .to_string(),
                    )
                    .detail("ClientComputedContentSHA256", declared.to_string())
                    .detail("S3ComputedContentSHA256", actual.to_string()));
                }
            }
            return Ok(declared.to_string());
        }
        let special = matches!(
            declared,
            UNSIGNED_PAYLOAD
                | STREAMING_SIGNED_PAYLOAD
                | STREAMING_SIGNED_PAYLOAD_TRAILER
                | STREAMING_UNSIGNED_PAYLOAD_TRAILER
        );
        if special && opts.allow_unsigned_payload {
            return Ok(declared.to_string());
        }
        return Err(SigV4Error::new(
            ErrorKind::InvalidContentSha256,
            if special {
                format!("x-amz-content-sha256 '{declared}' is not supported by this service; the payload must be signed.")
            } else {
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
                 STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, \
                 or a valid sha256 value."
                    .to_string()
            },
        ));
    }
    match auth.location {
        Location::Query if opts.presigned_unsigned_payload => Ok(UNSIGNED_PAYLOAD.to_string()),
        Location::Query => Ok(req.body_sha256.unwrap_or(UNSIGNED_PAYLOAD).to_string()),
        Location::Header => req.body_sha256.map(str::to_string).ok_or_else(|| {
            SigV4Error::new(
                ErrorKind::PayloadHashUnavailable,
                "The server did not compute the payload hash.".to_string(),
            )
        }),
    }
}

/// The canonical request for `auth` over `req`.
pub fn canonical_request(
    req: &RequestParts,
    auth: &Auth,
    opts: &VerifyOptions,
) -> Result<String, SigV4Error> {
    // Room for a typical signed request's headers without growing.
    let mut out = String::with_capacity(640);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_path(req.raw_path, opts));
    out.push('\n');
    out.push_str(&canonical_query(req.raw_query, auth.location, opts));
    out.push('\n');
    for name in &auth.signed_headers {
        out.push_str(name);
        out.push(':');
        push_canonical_header_value(&mut out, req.headers, name);
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(&payload_hash(req, auth, opts)?);
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(auth: &Auth, canonical_request: &str) -> String {
    // Sized once: `format!` would grow it several times over.
    let mut out = String::with_capacity(ALGORITHM.len() + auth.amz_date.len() + auth.credential.scope_len() + 64 + 3);
    for part in [ALGORITHM, "\n", &auth.amz_date, "\n"] {
        out.push_str(part);
    }
    auth.credential.push_scope(&mut out);
    out.push('\n');
    out.push_str(&sha256_hex(canonical_request.as_bytes()));
    out
}

// ---------------------------------------------------------------------------------------------
// Crypto
// ---------------------------------------------------------------------------------------------

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    crate::ids::hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The derived signing key `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
/// "aws4_request")`; cache it per (access key, date, region, service).
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret_access_key}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// Hex HMAC-SHA256 of a string to sign.
pub fn sign_string(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    sign_keyed(&keyed(signing_key), string_to_sign)
}

/// HMAC-SHA256 keyed with a signing key: the key's two padded blocks already hashed, so
/// a cached one signs with two compressions fewer.
pub type Keyed = Hmac<Sha256>;

pub fn keyed(signing_key: &[u8; 32]) -> Keyed {
    <Keyed as KeyInit>::new_from_slice(signing_key).expect("HMAC accepts any key length")
}

fn sign_keyed(keyed: &Keyed, string_to_sign: &str) -> String {
    let mut mac = keyed.clone();
    mac.update(string_to_sign.as_bytes());
    crate::ids::hex(&mac.finalize().into_bytes())
}

/// Constant-time comparison of two signatures (or any two strings).
pub fn signatures_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The signature a correct client would have sent (ignores `auth.signature`). Useful to sign
/// in tests and to build error details.
pub fn compute_signature(
    req: &RequestParts,
    auth: &Auth,
    signing_key: &[u8; 32],
    opts: &VerifyOptions,
) -> Result<String, SigV4Error> {
    let creq = canonical_request(req, auth, opts)?;
    Ok(sign_string(signing_key, &string_to_sign(auth, &creq)))
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// Verify `auth` (from [`parse`]) with the secret access key of `auth.credential.access_key_id`.
pub fn verify(
    req: &RequestParts,
    auth: &Auth,
    secret_access_key: &str,
    now_unix: i64,
    opts: &VerifyOptions,
) -> Result<(), SigV4Error> {
    check_time(auth, now_unix, opts)?;
    let c = &auth.credential;
    let key = signing_key(secret_access_key, &c.date, &c.region, &c.service);
    verify_signature(req, auth, &keyed(&key), opts)
}

/// As [`verify`], with a (cached) [`signing_key`] for the credential's date, region, service.
pub fn verify_with_key(
    req: &RequestParts,
    auth: &Auth,
    signing_key: &[u8; 32],
    now_unix: i64,
    opts: &VerifyOptions,
) -> Result<(), SigV4Error> {
    check_time(auth, now_unix, opts)?;
    verify_signature(req, auth, &keyed(signing_key), opts)
}

/// The signature check alone, with the signing key already keyed into its HMAC (`keyed`);
/// the caller has checked the clock (`check_time`).
pub fn verify_signature(
    req: &RequestParts,
    auth: &Auth,
    keyed: &Keyed,
    opts: &VerifyOptions,
) -> Result<(), SigV4Error> {
    let creq = canonical_request(req, auth, opts)?;
    let sts = string_to_sign(auth, &creq);
    let expected = sign_keyed(keyed, &sts);
    if signatures_equal(&expected, &auth.signature) {
        Ok(())
    } else {
        let mut e = SigV4Error::new(
            ErrorKind::SignatureMismatch,
            SIGNATURE_MISMATCH_MESSAGE.to_string(),
        );
        e.canonical_request = Some(creq);
        e.string_to_sign = Some(sts);
        Err(e)
    }
}

/// Clock checks: skew for header auth, validity window for presigned URLs.
pub fn check_time(auth: &Auth, now_unix: i64, opts: &VerifyOptions) -> Result<(), SigV4Error> {
    let t = auth.request_time();
    let skew = opts.max_skew_secs;
    let minutes = skew / 60;
    match auth.location {
        Location::Header => {
            if now_unix - t > skew {
                return Err(SigV4Error::new(
                    ErrorKind::SignatureExpired,
                    format!(
                        "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                        auth.amz_date,
                        crate::time::amz_date(now_unix - skew),
                        crate::time::amz_date(now_unix)
                    ),
                )
                .detail("RequestTime", auth.amz_date.clone())
                .detail("ServerTime", crate::time::iso8601(now_unix))
                .detail("MaxAllowedSkewMilliseconds", (skew * 1000).to_string()));
            }
            if t - now_unix > skew {
                return Err(SigV4Error::new(
                    ErrorKind::SignatureNotYetCurrent,
                    format!(
                        "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                        auth.amz_date,
                        crate::time::amz_date(now_unix + skew),
                        crate::time::amz_date(now_unix)
                    ),
                )
                .detail("RequestTime", auth.amz_date.clone())
                .detail("ServerTime", crate::time::iso8601(now_unix))
                .detail("MaxAllowedSkewMilliseconds", (skew * 1000).to_string()));
            }
        }
        Location::Query => {
            if t - now_unix > skew {
                return Err(SigV4Error::new(
                    ErrorKind::PresignNotYetValid,
                    "Request is not valid yet".to_string(),
                )
                .detail("X-Amz-Date", auth.amz_date.clone())
                .detail("ServerTime", crate::time::iso8601(now_unix)));
            }
            let expires = auth.expires.unwrap_or(0) as i64;
            if now_unix > t + expires {
                return Err(SigV4Error::new(
                    ErrorKind::PresignExpired,
                    "Request has expired".to_string(),
                )
                .detail("X-Amz-Expires", expires.to_string())
                .detail("Expires", crate::time::iso8601(t + expires))
                .detail("ServerTime", crate::time::iso8601(now_unix)));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// aws-chunked (S3 streaming uploads)
// ---------------------------------------------------------------------------------------------

/// String to sign of one aws-chunked chunk (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): the previous
/// signature is the seed (request) signature for the first chunk.
pub fn chunk_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    chunk_sha256_hex: &str,
) -> String {
    format!("{CHUNK_ALGORITHM}\n{amz_date}\n{scope}\n{previous_signature}\n{EMPTY_SHA256}\n{chunk_sha256_hex}")
}

/// Signature of one aws-chunked chunk (the final chunk is the empty one).
pub fn chunk_signature(
    signing_key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    chunk: &[u8],
) -> String {
    sign_string(
        signing_key,
        &chunk_string_to_sign(amz_date, scope, previous_signature, &sha256_hex(chunk)),
    )
}

/// Signature of the trailer of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` body:
/// `trailer` is the trailing header block as the client hashed it (`name:value\n` lines).
pub fn trailer_signature(
    signing_key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    trailer: &[u8],
) -> String {
    sign_string(
        signing_key,
        &format!(
            "{TRAILER_ALGORITHM}\n{amz_date}\n{scope}\n{previous_signature}\n{}",
            sha256_hex(trailer)
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYYMMDD` → days since the epoch.
fn parse_ymd(s: &str) -> Option<i64> {
    if s.len() != 8 {
        return None;
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[4..6])?, digits(&s[6..8])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > mdays[(m - 1) as usize] {
        return None;
    }
    Some(crate::time::days_from_civil(y, m, d))
}

/// `YYYYMMDDTHHMMSSZ` → unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let days = parse_ymd(&s[0..8])?;
    let (h, mi, se) = (digits(&s[9..11])?, digits(&s[11..13])?, digits(&s[13..15])?);
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderName, HeaderValue};

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    // 2015-08-30T12:36:00Z
    const T0: i64 = 1_440_938_160;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn parts<'a>(h: &'a HeaderMap, path: &'a str, query: &'a str) -> RequestParts<'a> {
        RequestParts {
            method: "GET",
            raw_path: path,
            raw_query: query,
            headers: h,
            body_sha256: Some(EMPTY_SHA256),
        }
    }

    /// Sign a header-auth GET at `amz_date` and return the headers.
    fn signed_headers(amz_date: &str, scope_date: &str, opts: &VerifyOptions) -> HeaderMap {
        let mut h = headers(&[("host", "example.amazonaws.com"), ("x-amz-date", amz_date)]);
        let auth = Auth {
            location: Location::Header,
            credential: Credential {
                access_key_id: AKID.into(),
                date: scope_date.into(),
                region: "us-east-1".into(),
                service: "service".into(),
            },
            signed_headers: vec!["host".into(), "x-amz-date".into()],
            signature: String::new(),
            amz_date: amz_date.into(),
            expires: None,
            security_token: None,
            content_sha256: None,
        };
        let key = signing_key(SECRET, scope_date, "us-east-1", "service");
        let sig = compute_signature(&parts(&h, "/", ""), &auth, &key, opts).unwrap();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential={AKID}/{scope_date}/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={sig}"
            ))
            .unwrap(),
        );
        h
    }

    fn check(h: &HeaderMap, query: &str, now: i64) -> Result<(), SigV4Error> {
        let opts = VerifyOptions::service();
        let req = parts(h, "/", query);
        let auth = parse(&req)?.expect("signed");
        verify(&req, &auth, SECRET, now, &opts)
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(T0));
        assert_eq!(crate::time::amz_date(T0), "20150830T123600Z");
        assert_eq!(parse_amz_date("20150230T123600Z"), None);
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert_eq!(parse_amz_date("20240229T000000Z"), Some(1_709_164_800));
    }

    #[test]
    fn header_auth_within_skew_passes() {
        let h = signed_headers("20150830T123600Z", "20150830", &VerifyOptions::service());
        check(&h, "", T0).unwrap();
        check(&h, "", T0 + 900).unwrap();
        check(&h, "", T0 - 900).unwrap();
    }

    #[test]
    fn clock_skew_past() {
        let h = signed_headers("20150830T123600Z", "20150830", &VerifyOptions::service());
        let e = check(&h, "", T0 + 1200).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignatureExpired);
        assert_eq!(
            e.message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)"
        );
        assert_eq!(e.kind.query_code().0, "SignatureDoesNotMatch");
        assert_eq!(e.kind.s3_code(Location::Header).0, "RequestTimeTooSkewed");
    }

    #[test]
    fn clock_skew_future() {
        let h = signed_headers("20150830T123600Z", "20150830", &VerifyOptions::service());
        let e = check(&h, "", T0 - 1200).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignatureNotYetCurrent);
        assert_eq!(
            e.message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z (20150830T121600Z + 15 min.)"
        );
    }

    #[test]
    fn credential_date_must_match_request_day() {
        let h = signed_headers("20150830T123600Z", "20150831", &VerifyOptions::service());
        let e = check(&h, "", T0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::CredentialDateMismatch);
        assert!(
            e.message.contains("'20150831' != '20150830'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn wrong_secret_is_a_mismatch_with_canonical_request() {
        let h = signed_headers("20150830T123600Z", "20150830", &VerifyOptions::service());
        let req = parts(&h, "/", "");
        let auth = parse(&req).unwrap().unwrap();
        let e = verify(&req, &auth, "not-the-secret", T0, &VerifyOptions::service()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignatureMismatch);
        assert_eq!(e.message, SIGNATURE_MISMATCH_MESSAGE);
        assert!(e
            .canonical_request
            .unwrap()
            .starts_with("GET\n/\n\nhost:example.amazonaws.com\n"));
        assert!(e
            .string_to_sign
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n"));
    }

    #[test]
    fn unsigned_request_is_anonymous() {
        let h = headers(&[("host", "example.amazonaws.com")]);
        assert_eq!(parse(&parts(&h, "/", "Action=ListUsers")).unwrap(), None);
    }

    fn auth_header(value: &str) -> HeaderMap {
        headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", value),
        ])
    }

    fn parse_err(h: &HeaderMap, query: &str) -> SigV4Error {
        parse(&parts(h, "/", query)).unwrap_err()
    }

    #[test]
    fn bad_scope() {
        let sig = "0".repeat(64);
        for cred in [
            "AKIDEXAMPLE/20150830/us-east-1/service",
            "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/x",
            "AKIDEXAMPLE/2015083/us-east-1/service/aws4_request",
            "AKIDEXAMPLE/20150830//service/aws4_request",
            "AKIDEXAMPLE/20150830/us-east-1//aws4_request",
            "/20150830/us-east-1/service/aws4_request",
        ] {
            let h = auth_header(&format!(
                "AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, Signature={sig}"
            ));
            assert_eq!(
                parse_err(&h, "").kind,
                ErrorKind::MalformedCredential,
                "{cred}"
            );
        }
        let h = auth_header(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, SignedHeaders=host;x-amz-date, Signature={sig}"
        ));
        let e = parse_err(&h, "");
        assert_eq!(
            e.message,
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        );
        let c = Credential::parse("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request").unwrap();
        assert!(c.check_service("service").is_ok());
        assert_eq!(
            c.check_service("sts").unwrap_err().kind,
            ErrorKind::MalformedCredential
        );
        assert_eq!(
            c.check_region("eu-west-1").unwrap_err().kind,
            ErrorKind::MalformedCredential
        );
    }

    #[test]
    fn missing_host() {
        let h = auth_header(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature={}",
            "0".repeat(64)
        ));
        let e = parse_err(&h, "");
        assert_eq!(e.kind, ErrorKind::HostNotSigned);
        assert_eq!(
            e.message,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        );
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=x-amz-date&X-Amz-Signature=00";
        assert_eq!(
            parse_err(&headers(&[("host", "h")]), q).kind,
            ErrorKind::HostNotSigned
        );
    }

    #[test]
    fn garbled_authorization() {
        let e = parse_err(
            &auth_header(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
            ),
            "",
        );
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
        assert!(e.message.starts_with("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization="), "{}", e.message);
        assert_eq!(
            parse_err(&auth_header("AWS4-HMAC-SHA256 garbage"), "").kind,
            ErrorKind::IncompleteSignature
        );
        assert_eq!(
            parse_err(&auth_header("AWS AKIDEXAMPLE:c2lnbmF0dXJl"), "").kind,
            ErrorKind::UnsupportedAlgorithm
        );
        assert_eq!(
            parse_err(&auth_header("AWS4-ECDSA-P256-SHA256 Credential=x"), "").kind,
            ErrorKind::UnsupportedAlgorithm
        );
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00"),
        ]);
        assert_eq!(parse_err(&h, "").kind, ErrorKind::MissingDate);
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "2015-08-30T12:36:00Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00"),
        ]);
        assert_eq!(parse_err(&h, "").kind, ErrorKind::MalformedDate);
        let h = auth_header("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00");
        assert_eq!(
            parse_err(&h, "X-Amz-Algorithm=AWS4-HMAC-SHA256").kind,
            ErrorKind::MultipleAuthMechanisms
        );
        let h = headers(&[("host", "example.amazonaws.com")]);
        assert_eq!(
            parse_err(&h, "X-Amz-Signature=00").kind,
            ErrorKind::IncompleteSignature
        );
        assert_eq!(
            parse_err(&h, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00").kind,
            ErrorKind::IncompleteSignature
        );
        assert_eq!(
            parse_err(&h, "AWSAccessKeyId=AKID&Signature=x&Expires=1").kind,
            ErrorKind::UnsupportedAlgorithm
        );
    }

    // --- presigned URLs, using the S3 documentation's example ---------------------------------

    const S3_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
    const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    // 2013-05-24T00:00:00Z
    const S3_T: i64 = 1_369_353_600;

    fn presigned_query(expires: &str, sig: &str) -> String {
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={S3_AKID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}"
        )
    }

    fn presign_check(query: &str, now: i64) -> Result<(), SigV4Error> {
        let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        let req = RequestParts {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: query,
            headers: &h,
            body_sha256: None,
        };
        let auth = parse(&req)?.expect("signed");
        assert_eq!(auth.location, Location::Query);
        verify(&req, &auth, S3_SECRET, now, &VerifyOptions::s3())
    }

    const S3_PRESIGN_SIG: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    #[test]
    fn presigned_s3_example_verifies() {
        presign_check(&presigned_query("86400", S3_PRESIGN_SIG), S3_T + 3600).unwrap();
        presign_check(&presigned_query("86400", S3_PRESIGN_SIG), S3_T + 86400).unwrap();
    }

    #[test]
    fn presign_expiry() {
        let e = presign_check(&presigned_query("86400", S3_PRESIGN_SIG), S3_T + 86401).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PresignExpired);
        assert_eq!(e.message, "Request has expired");
        assert!(e
            .details
            .contains(&("Expires", "2013-05-25T00:00:00Z".to_string())));
        assert_eq!(e.kind.s3_code(Location::Query), ("AccessDenied", 403));
        let e = presign_check(&presigned_query("86400", S3_PRESIGN_SIG), S3_T - 901).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PresignNotYetValid);
        // Within the skew allowance a presigned URL dated slightly in the future is accepted.
        presign_check(&presigned_query("86400", S3_PRESIGN_SIG), S3_T - 900).unwrap();
    }

    #[test]
    fn presign_expires_bounds() {
        let e = presign_check(&presigned_query("604801", S3_PRESIGN_SIG), S3_T).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidExpires);
        assert_eq!(
            e.message,
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        );
        let e = presign_check(&presigned_query("-1", S3_PRESIGN_SIG), S3_T).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidExpires);
        assert_eq!(e.message, "X-Amz-Expires must be non-negative");
        let e = presign_check(&presigned_query("soon", S3_PRESIGN_SIG), S3_T).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidExpires);
        // 604800 itself is allowed (the signature no longer matches, which is the next check).
        let e = presign_check(&presigned_query("604800", S3_PRESIGN_SIG), S3_T).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SignatureMismatch);
    }

    #[test]
    fn s3_get_object_example_verifies() {
        let h = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ]);
        let req = RequestParts {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: "",
            headers: &h,
            body_sha256: None,
        };
        let auth = parse(&req).unwrap().unwrap();
        verify(&req, &auth, S3_SECRET, S3_T, &VerifyOptions::s3()).unwrap();
    }

    #[test]
    fn s3_streaming_example_chunk_signatures() {
        // The S3 documentation's aws-chunked example (PUT /examplebucket/chunkObject.txt).
        let h = headers(&[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", STREAMING_SIGNED_PAYLOAD),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
        ]);
        let req = RequestParts {
            method: "PUT",
            raw_path: "/examplebucket/chunkObject.txt",
            raw_query: "",
            headers: &h,
            body_sha256: None,
        };
        let auth = parse(&req).unwrap().unwrap();
        verify(&req, &auth, S3_SECRET, S3_T, &VerifyOptions::s3()).unwrap();
        // Streaming payloads are refused where the body must be signed.
        let e = verify(&req, &auth, S3_SECRET, S3_T, &VerifyOptions::service()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidContentSha256);

        let key = signing_key(S3_SECRET, "20130524", "us-east-1", "s3");
        let scope = auth.credential.scope();
        let s1 = chunk_signature(
            &key,
            &auth.amz_date,
            &scope,
            &auth.signature,
            &[b'a'; 65536],
        );
        assert_eq!(
            s1,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let s2 = chunk_signature(&key, &auth.amz_date, &scope, &s1, &[b'a'; 1024]);
        assert_eq!(
            s2,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let s3 = chunk_signature(&key, &auth.amz_date, &scope, &s2, b"");
        assert_eq!(
            s3,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }

    #[test]
    fn content_sha256_must_match_body() {
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("x-amz-content-sha256", &"a".repeat(64)),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00"),
        ]);
        let req = parts(&h, "/", "");
        let auth = parse(&req).unwrap().unwrap();
        let e = verify(&req, &auth, SECRET, T0, &VerifyOptions::service()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ContentSha256Mismatch);
    }

    #[test]
    fn paths() {
        let svc = VerifyOptions::service();
        let s3 = VerifyOptions::s3();
        assert_eq!(canonical_path("", &svc), "/");
        assert_eq!(canonical_path("/a/./b/../c//d/", &svc), "/a/c/d/");
        assert_eq!(canonical_path("/a/b/..", &svc), "/a/");
        assert_eq!(canonical_path("/x%3Dy/@", &svc), "/x%253Dy/%40");
        assert_eq!(
            canonical_path("/bucket/a%2Fb/c d/%7E~", &s3),
            "/bucket/a%2Fb/c%20d/~~"
        );
        assert_eq!(canonical_path("/bucket//a/../b", &s3), "/bucket//a/../b");
        assert_eq!(canonical_path("/bucket/a+b=c", &s3), "/bucket/a%2Bb%3Dc");
    }

    #[test]
    fn queries() {
        let svc = VerifyOptions::service();
        assert_eq!(
            canonical_query("b=2&a=1&acl&a=0", Location::Header, &svc),
            "a=0&a=1&acl=&b=2"
        );
        assert_eq!(
            canonical_query("Param-3=x&Param=y", Location::Header, &svc),
            "Param=y&Param-3=x"
        );
        assert_eq!(
            canonical_query("k=a+b%2Fc&&", Location::Header, &svc),
            "k=a%20b%2Fc"
        );
        assert_eq!(
            canonical_query("X-Amz-Signature=1&a=1", Location::Query, &svc),
            "a=1"
        );
        assert_eq!(
            canonical_query("X-Amz-Signature=1&a=1", Location::Header, &svc),
            "X-Amz-Signature=1&a=1"
        );
    }

    #[test]
    fn header_values_trimmed_and_joined() {
        let h = headers(&[("x-a", "  a   b  c "), ("x-a", "d"), ("x-b", "\"x  y\"")]);
        assert_eq!(canonical_header_value(&h, "x-a"), "a b c,d");
        assert_eq!(canonical_header_value(&h, "x-b"), "\"x y\"");
        assert_eq!(canonical_header_value(&h, "x-c"), "");
    }
}
