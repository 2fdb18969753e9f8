//! An S3 request body as it arrives: plain, or aws-chunked (signed chunks, unsigned chunks
//! with a checksum trailer). Yields the decoded payload piece by piece and, at the end,
//! checks what the request declared: the SHA-256 it signed (`x-amz-content-sha256`), the
//! chunk signatures, the decoded length.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sha2::{Digest, Sha256};

use super::chunked::{ChunkedDecoder, ChunkedMode};
use super::request::S3Request;
use crate::error::AwsError;
use crate::sigv4::Auth;

pub struct Payload {
    body: Incoming,
    decoder: Option<ChunkedDecoder>,
    /// The body's SHA-256 as signed (hex), when the request signs the whole body.
    declared_sha256: Option<String>,
    sha256: Option<Sha256>,
    /// `x-amz-decoded-content-length` of an aws-chunked body.
    decoded_length: Option<u64>,
    received: u64,
    trailers: Vec<(String, String)>,
    done: bool,
}

impl Payload {
    pub fn new(body: Incoming, req: &S3Request, auth: Option<&Auth>, signing_key: Option<[u8; 32]>) -> Result<Payload, AwsError> {
        let declared = auth.and_then(|a| a.content_sha256.clone()).or_else(|| req.header("x-amz-content-sha256").map(str::to_string));
        let mut payload = Payload {
            body,
            decoder: None,
            declared_sha256: None,
            sha256: None,
            decoded_length: req.header("x-amz-decoded-content-length").and_then(|v| v.parse().ok()),
            received: 0,
            trailers: Vec::new(),
            done: false,
        };
        match declared.as_deref() {
            Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                payload.declared_sha256 = Some(v.to_ascii_lowercase());
                payload.sha256 = Some(Sha256::new());
            }
            // aws-chunked: chunk signatures are checked with the request's signing key
            // (compat mode without verification decodes them unchecked).
            Some(v) => payload.decoder = ChunkedMode::from_content_sha256(v, auth.zip(signing_key.as_ref())).map(ChunkedDecoder::new),
            None => {}
        }
        if payload.decoder.is_some() && payload.decoded_length.is_none() {
            return Err(AwsError::new(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
                .with("Details", "x-amz-decoded-content-length"));
        }
        Ok(payload)
    }

    /// The next piece of the payload; None once it ended and everything declared checked out.
    pub async fn next(&mut self) -> Result<Option<Bytes>, AwsError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let frame = match self.body.frame().await {
                None => {
                    self.done = true;
                    self.finish()?;
                    return Ok(None);
                }
                Some(Err(_)) => return Err(incomplete()),
                Some(Ok(frame)) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let out = match &mut self.decoder {
                None => data,
                Some(decoder) => {
                    let mut out = Vec::new();
                    decoder.feed(&data, &mut out).map_err(|e| e.s3_error())?;
                    Bytes::from(out)
                }
            };
            if out.is_empty() {
                continue;
            }
            if let Some(h) = &mut self.sha256 {
                h.update(&out);
            }
            self.received += out.len() as u64;
            return Ok(Some(out));
        }
    }

    fn finish(&mut self) -> Result<(), AwsError> {
        if let Some(decoder) = self.decoder.take() {
            self.trailers = decoder.finish().map_err(|e| e.s3_error())?;
            if self.decoded_length.is_some_and(|n| n != self.received) {
                return Err(incomplete());
            }
        }
        if let (Some(h), Some(declared)) = (self.sha256.take(), &self.declared_sha256) {
            let actual = crate::ids::hex(&h.finalize());
            if &actual != declared {
                return Err(AwsError::client("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
                    .with("ClientComputedContentSHA256", declared.clone())
                    .with("S3ComputedContentSHA256", actual));
            }
        }
        Ok(())
    }

    /// The whole payload, refused past `limit` bytes.
    pub async fn read_all(&mut self, limit: usize) -> Result<Vec<u8>, AwsError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next().await? {
            if out.len() + chunk.len() > limit {
                return Err(AwsError::client("MaxMessageLengthExceeded", "Your request was too big."));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Trailing headers of an aws-chunked body (checksums), once it ended.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }
}

fn incomplete() -> AwsError {
    AwsError::client("IncompleteBody", "The request body terminated unexpectedly")
}
