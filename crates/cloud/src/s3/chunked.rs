//! `Content-Encoding: aws-chunked` request bodies, decoded as they stream in.
//!
//! `x-amz-content-sha256` names the framing ([`ChunkedMode::from_content_sha256`]):
//!
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`
//!   per chunk, ending with the empty chunk `0;chunk-signature=<sig>\r\n\r\n`. Each signature
//!   signs the chunk's SHA-256 and chains the previous one (the first chains the request's
//!   seed signature), so chunks cannot be altered, dropped or reordered.
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: the same chunks, then after
//!   `0;chunk-signature=<sig>\r\n` the trailing headers `name:value\r\n`, then
//!   `x-amz-trailer-signature:<sig>\r\n` (signing the trailers as `name:value\n` lines and
//!   chaining the final chunk's signature) and `\r\n`.
//! - `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: `<hex size>\r\n<data>\r\n` chunks (extensions after
//!   `;` are ignored), `0\r\n`, the trailing headers, `\r\n` — what boto3 and the Rust SDK send
//!   for PutObject with their default CRC32 checksum.
//!
//! [`ChunkedDecoder`] is a push parser: bytes in any split, decoded payload out. Memory stays
//! bounded (no chunk is buffered; header lines and the trailer are capped) and no input panics.
//! Decoded bytes are appended to the caller's buffer before their chunk's signature is checked
//! (the check needs the whole chunk), so a caller must discard everything unless
//! [`ChunkedDecoder::finish`] succeeds.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::AwsError;
use crate::sigv4;

/// Longest chunk header line (`<hex size>;<extensions>\r\n`): a signed header is ~90 bytes.
pub const MAX_CHUNK_HEADER: usize = 4 * 1024;
/// Largest trailer section (all trailing header lines together).
pub const MAX_TRAILER: usize = 16 * 1024;
/// S3's minimum size of every signed chunk but the last.
pub const MIN_SIGNED_CHUNK: u64 = 8192;

const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";
const CHUNK_SIGNATURE: &str = "chunk-signature=";

/// The framing of an aws-chunked body and what verifies it.
#[derive(Clone)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: every chunk's signature (and the
    /// trailer's) is verified.
    Signed {
        signing_key: [u8; 32],
        /// The request's `X-Amz-Date`.
        amz_date: String,
        /// `date/region/service/aws4_request`.
        scope: String,
        /// The request's (verified) signature, which the first chunk chains.
        seed_signature: String,
        /// Trailing headers and `x-amz-trailer-signature` follow the final chunk.
        trailer: bool,
    },
    /// Signed framing whose signatures are not checked: for compat mode, where no request
    /// signature is verified either.
    SignedUnverified { trailer: bool },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    Unsigned,
}

impl ChunkedMode {
    /// The framing an `x-amz-content-sha256` value announces; None when the body is not
    /// aws-chunked. `signer` is the verified request's authentication and signing key; without
    /// one (compat mode) signed chunks are decoded unverified.
    pub fn from_content_sha256(
        value: &str,
        signer: Option<(&sigv4::Auth, &[u8; 32])>,
    ) -> Option<ChunkedMode> {
        let trailer = match value {
            sigv4::STREAMING_UNSIGNED_PAYLOAD_TRAILER => return Some(ChunkedMode::Unsigned),
            sigv4::STREAMING_SIGNED_PAYLOAD => false,
            sigv4::STREAMING_SIGNED_PAYLOAD_TRAILER => true,
            _ => return None,
        };
        Some(match signer {
            Some((auth, signing_key)) => ChunkedMode::Signed {
                signing_key: *signing_key,
                amz_date: auth.amz_date.clone(),
                scope: auth.credential.scope(),
                seed_signature: auth.signature.clone(),
                trailer,
            },
            None => ChunkedMode::SignedUnverified { trailer },
        })
    }
}

// The signing key is a credential: keep it out of logs.
impl fmt::Debug for ChunkedMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkedMode::Signed {
                amz_date,
                scope,
                seed_signature,
                trailer,
                ..
            } => f
                .debug_struct("Signed")
                .field("signing_key", &"<redacted>")
                .field("amz_date", amz_date)
                .field("scope", scope)
                .field("seed_signature", seed_signature)
                .field("trailer", trailer)
                .finish(),
            ChunkedMode::SignedUnverified { trailer } => f
                .debug_struct("SignedUnverified")
                .field("trailer", trailer)
                .finish(),
            ChunkedMode::Unsigned => f.write_str("Unsigned"),
        }
    }
}

/// Why a body was refused. [`ChunkError::s3_error`] gives the error S3 answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// Chunk framing is broken (size, delimiters, signature extension, line too long).
    Malformed(String),
    /// The trailing headers are not `name:value` lines, too large, or unsigned in a signed
    /// body.
    MalformedTrailer(String),
    /// A chunk or trailer signature does not match.
    SignatureMismatch,
    /// A signed chunk other than the last is smaller than [`MIN_SIGNED_CHUNK`]: `size` bytes,
    /// detected at (1-based) chunk `chunk`, the one that followed it.
    InvalidChunkSize { chunk: u64, size: u64 },
    /// The body ended before the final chunk (and trailer) was complete.
    Incomplete,
    /// Bytes arrived after the body's end.
    DataAfterEnd,
}

impl ChunkError {
    /// The error S3 answers with.
    pub fn s3_error(&self) -> AwsError {
        match self {
            ChunkError::SignatureMismatch => AwsError::new(
                403,
                "SignatureDoesNotMatch",
                sigv4::SIGNATURE_MISMATCH_MESSAGE,
            ),
            ChunkError::InvalidChunkSize { chunk, size } => AwsError::client(
                "InvalidChunkSizeError",
                "Only the last chunk is allowed to have a size less than 8192 bytes",
            )
            .with("Chunk", chunk.to_string())
            .with("BadChunkSize", size.to_string()),
            ChunkError::MalformedTrailer(_) => AwsError::client(
                "MalformedTrailerError",
                "The request contained trailing data that was not well-formed or did not \
                 conform to our published schema.",
            ),
            // S3 reports any broken framing, not only a short body, as IncompleteBody.
            ChunkError::Malformed(_) | ChunkError::Incomplete | ChunkError::DataAfterEnd => {
                AwsError::client("IncompleteBody", "The request body terminated unexpectedly")
            }
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Malformed(why) => write!(f, "malformed aws-chunked body: {why}"),
            ChunkError::MalformedTrailer(why) => write!(f, "malformed aws-chunked trailer: {why}"),
            ChunkError::SignatureMismatch => f.write_str("aws-chunked signature mismatch"),
            ChunkError::InvalidChunkSize { chunk, size } => write!(
                f,
                "aws-chunked chunk of {size} bytes before chunk {chunk} (minimum {MIN_SIGNED_CHUNK})"
            ),
            ChunkError::Incomplete => f.write_str("aws-chunked body ended early"),
            ChunkError::DataAfterEnd => f.write_str("data after the end of the aws-chunked body"),
        }
    }
}

impl std::error::Error for ChunkError {}

/// What verifies a signed body: the key, the scope and the signature chain so far.
struct Signer {
    signing_key: [u8; 32],
    amz_date: String,
    scope: String,
    previous_signature: String,
}

impl Signer {
    /// Checks one chunk's signature and advances the chain.
    fn verify_chunk(&mut self, chunk_sha256: &[u8], given: &str) -> Result<(), ChunkError> {
        let string_to_sign = sigv4::chunk_string_to_sign(
            &self.amz_date,
            &self.scope,
            &self.previous_signature,
            &crate::ids::hex(chunk_sha256),
        );
        let expected = sigv4::sign_string(&self.signing_key, &string_to_sign);
        self.advance(expected, given)
    }

    /// Checks the trailer signature over the trailing headers as `name:value\n` lines.
    fn verify_trailer(
        &mut self,
        trailers: &[(String, String)],
        given: &str,
    ) -> Result<(), ChunkError> {
        // The SDKs sign the trailers canonically: sorted by name (as they also send them).
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut canonical = Vec::new();
        for (name, value) in sorted {
            canonical.extend_from_slice(name.as_bytes());
            canonical.push(b':');
            canonical.extend_from_slice(value.as_bytes());
            canonical.push(b'\n');
        }
        let expected = sigv4::trailer_signature(
            &self.signing_key,
            &self.amz_date,
            &self.scope,
            &self.previous_signature,
            &canonical,
        );
        self.advance(expected, given)
    }

    fn advance(&mut self, expected: String, given: &str) -> Result<(), ChunkError> {
        if !sigv4::signatures_equal(&expected, given) {
            return Err(ChunkError::SignatureMismatch);
        }
        self.previous_signature = expected;
        Ok(())
    }
}

/// Where the parser is in the body.
enum State {
    /// Reading `<hex size>[;extensions]\r\n` into `line`.
    ChunkHeader,
    /// Inside a chunk's data.
    ChunkData {
        remaining: u64,
    },
    /// Expecting the `\r\n` after a chunk's data (`seen`: how many of the two bytes arrived).
    ChunkDataEnd {
        seen: u8,
    },
    /// Signed bodies without trailer: the `\r\n` of the empty final chunk.
    FinalChunkEnd {
        seen: u8,
    },
    /// Reading trailing header lines into `line` until the empty line.
    Trailers,
    /// Signed trailers: the signature line arrived; the closing `\r\n` may follow.
    TrailerEnd {
        seen: u8,
    },
    Done,
}

/// The aws-chunked push parser; see the module documentation.
pub struct ChunkedDecoder {
    signed: bool,
    trailer_expected: bool,
    /// Present when signatures are verified.
    signer: Option<Signer>,
    state: State,
    /// The header or trailer line being read (bounded).
    line: Vec<u8>,
    /// The chunk being read: its running SHA-256 and the signature its header gave.
    chunk_hash: Option<(Sha256, String)>,
    chunks: u64,
    /// A signed chunk below the minimum size: legal only if no data chunk follows.
    short_chunk: Option<u64>,
    trailers: Vec<(String, String)>,
    trailer_bytes: usize,
    /// Signed trailers: whether a line has been read (the first may be an empty separator).
    trailer_started: bool,
    decoded: u64,
    /// The first error; the decoder refuses everything after it.
    error: Option<ChunkError>,
}

impl ChunkedDecoder {
    pub fn new(mode: ChunkedMode) -> Self {
        let (signed, trailer_expected, signer) = match mode {
            ChunkedMode::Signed {
                signing_key,
                amz_date,
                scope,
                seed_signature,
                trailer,
            } => (
                true,
                trailer,
                Some(Signer {
                    signing_key,
                    amz_date,
                    scope,
                    previous_signature: seed_signature,
                }),
            ),
            ChunkedMode::SignedUnverified { trailer } => (true, trailer, None),
            ChunkedMode::Unsigned => (false, true, None),
        };
        ChunkedDecoder {
            signed,
            trailer_expected,
            signer,
            state: State::ChunkHeader,
            line: Vec::new(),
            chunk_hash: None,
            chunks: 0,
            short_chunk: None,
            trailers: Vec::new(),
            trailer_bytes: 0,
            trailer_started: false,
            decoded: 0,
            error: None,
        }
    }

    /// Consumes received bytes (any split, even one byte at a time) and appends the decoded
    /// payload to `out`. After an error every later call returns the same error.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.consume(input, out);
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    /// The body ended: the trailing headers (names lowercased, values trimmed, in the order
    /// received; a signed body's `x-amz-trailer-signature` is consumed, not returned) if the
    /// final chunk — and the trailer, when one is expected — was complete.
    pub fn finish(self) -> Result<Vec<(String, String)>, ChunkError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.at_end() {
            Ok(self.trailers)
        } else {
            Err(ChunkError::Incomplete)
        }
    }

    /// Total decoded payload bytes so far (to compare with `x-amz-decoded-content-length`).
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the body may end here.
    fn at_end(&self) -> bool {
        match self.state {
            State::Done => true,
            // The trailer signature line arrived; the closing CRLF is optional (see
            // `trailer_line`).
            State::TrailerEnd { seen } => seen == 0,
            // A signed body with an empty trailer section, `0;chunk-signature=…\r\n\r\n`
            // (the Rust SDK writes this when it has no trailer to sign).
            State::Trailers => self.signed && self.trailer_bytes == 2,
            _ => false,
        }
    }

    fn consume(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkError> {
        while !input.is_empty() {
            match &mut self.state {
                State::ChunkHeader => {
                    let (used, complete) = take_line(&mut self.line, input, MAX_CHUNK_HEADER)
                        .map_err(|()| ChunkError::Malformed("chunk header too long".into()))?;
                    input = &input[used..];
                    if !plausible_chunk_header(&self.line) {
                        // Refuse garbage at once rather than at the end of a 4 KiB "line".
                        return Err(ChunkError::Malformed("invalid chunk size".into()));
                    }
                    if complete {
                        let line = std::mem::take(&mut self.line);
                        self.start_chunk(strip_crlf(&line).map_err(ChunkError::Malformed)?)?;
                    }
                }
                State::ChunkData { remaining } => {
                    let take =
                        usize::try_from(*remaining).map_or(input.len(), |r| r.min(input.len()));
                    let (data, rest) = input.split_at(take);
                    out.extend_from_slice(data);
                    if let Some((hasher, _)) = &mut self.chunk_hash {
                        hasher.update(data);
                    }
                    *remaining -= take as u64;
                    self.decoded = self.decoded.saturating_add(take as u64);
                    input = rest;
                    if *remaining == 0 {
                        self.end_chunk()?;
                        self.state = State::ChunkDataEnd { seen: 0 };
                    }
                }
                State::ChunkDataEnd { seen } | State::FinalChunkEnd { seen } => {
                    if input[0] != b"\r\n"[usize::from(*seen)] {
                        return Err(ChunkError::Malformed(
                            "chunk data not followed by CRLF".into(),
                        ));
                    }
                    input = &input[1..];
                    *seen += 1;
                    if *seen == 2 {
                        self.state = match self.state {
                            State::FinalChunkEnd { .. } => State::Done,
                            _ => State::ChunkHeader,
                        };
                    }
                }
                State::Trailers => {
                    // `trailer_bytes` already counts the partial line held in `line`.
                    let earlier_lines = self.trailer_bytes - self.line.len();
                    let room = MAX_TRAILER.saturating_sub(earlier_lines);
                    let (used, complete) = take_line(&mut self.line, input, room)
                        .map_err(|()| ChunkError::MalformedTrailer("trailer too large".into()))?;
                    self.trailer_bytes += used;
                    input = &input[used..];
                    if complete {
                        let line = std::mem::take(&mut self.line);
                        self.trailer_line(
                            strip_crlf(&line).map_err(ChunkError::MalformedTrailer)?,
                        )?;
                    }
                }
                State::TrailerEnd { seen } => {
                    if input[0] != b"\r\n"[usize::from(*seen)] {
                        return Err(ChunkError::MalformedTrailer(
                            "data after x-amz-trailer-signature".into(),
                        ));
                    }
                    input = &input[1..];
                    *seen += 1;
                    if *seen == 2 {
                        self.state = State::Done;
                    }
                }
                State::Done => return Err(ChunkError::DataAfterEnd),
            }
        }
        Ok(())
    }

    /// A complete chunk header line (without CRLF).
    fn start_chunk(&mut self, line: &[u8]) -> Result<(), ChunkError> {
        let (size_text, extensions) = match line.iter().position(|&b| b == b';') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        let size = parse_hex_size(size_text)
            .ok_or_else(|| ChunkError::Malformed("invalid chunk size".into()))?;
        self.chunks += 1;
        if self.signed {
            let signature = extensions
                .and_then(|ext| ext.strip_prefix(CHUNK_SIGNATURE.as_bytes()))
                .ok_or_else(|| ChunkError::Malformed("chunk without chunk-signature".into()))?;
            if self.signer.is_some() {
                if let Some(short) = self.short_chunk.filter(|_| size > 0) {
                    return Err(ChunkError::InvalidChunkSize {
                        chunk: self.chunks,
                        size: short,
                    });
                }
                if size < MIN_SIGNED_CHUNK {
                    self.short_chunk = Some(size);
                }
                let signature = String::from_utf8_lossy(signature).into_owned();
                self.chunk_hash = Some((Sha256::new(), signature));
            }
        }
        if size > 0 {
            self.state = State::ChunkData { remaining: size };
            return Ok(());
        }
        // The final, empty chunk: its signature is over the empty string.
        self.end_chunk()?;
        self.state = if self.trailer_expected {
            State::Trailers
        } else {
            State::FinalChunkEnd { seen: 0 }
        };
        Ok(())
    }

    /// All of a chunk's data has arrived: verify its signature.
    fn end_chunk(&mut self) -> Result<(), ChunkError> {
        if let (Some((hasher, given)), Some(signer)) = (self.chunk_hash.take(), &mut self.signer) {
            signer.verify_chunk(&hasher.finalize(), &given)?;
        }
        Ok(())
    }

    /// A complete trailer line (without CRLF).
    fn trailer_line(&mut self, line: &[u8]) -> Result<(), ChunkError> {
        let first = !self.trailer_started;
        self.trailer_started = true;
        if line.is_empty() {
            // AWS's worked example shows an empty line between the final chunk and signed
            // trailers; anywhere else an empty line ends the trailer section.
            if self.signed && first {
                return Ok(());
            }
            if self.signed {
                return Err(ChunkError::MalformedTrailer(
                    "missing x-amz-trailer-signature".into(),
                ));
            }
            self.state = State::Done;
            return Ok(());
        }
        let (name, value) = parse_header_line(line).map_err(ChunkError::MalformedTrailer)?;
        if self.signed && name == TRAILER_SIGNATURE {
            if let Some(signer) = &mut self.signer {
                signer.verify_trailer(&self.trailers, &value)?;
            }
            self.state = State::TrailerEnd { seen: 0 };
            return Ok(());
        }
        self.trailers.push((name, value));
        Ok(())
    }
}

/// Appends `input` up to and including the next `\n` to `line`: (bytes used, line complete).
/// Err when the line would exceed `max` bytes.
fn take_line(line: &mut Vec<u8>, input: &[u8], max: usize) -> Result<(usize, bool), ()> {
    let (used, complete) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (i + 1, true),
        None => (input.len(), false),
    };
    if line.len() + used > max {
        return Err(());
    }
    line.extend_from_slice(&input[..used]);
    Ok((used, complete))
}

/// The line without its `\r\n` (a bare `\n` is not a line end on this wire).
fn strip_crlf(line: &[u8]) -> Result<&[u8], String> {
    line.strip_suffix(b"\r\n")
        .ok_or_else(|| "line not terminated by CRLF".to_string())
}

/// Whether a (possibly partial) chunk header line can still become valid: up to 16 hex
/// digits, then `;`, or the CRLF.
fn plausible_chunk_header(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    digits <= 16 && matches!(&line[digits..], [] | [b';', ..] | [b'\r'] | [b'\r', b'\n'])
}

/// 1 to 16 hex digits (either case).
fn parse_hex_size(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    text.iter().try_fold(0u64, |size, &b| {
        let digit = (b as char).to_digit(16)?;
        Some((size << 4) | u64::from(digit))
    })
}

/// `name:value` → (lowercased name, trimmed value).
fn parse_header_line(line: &[u8]) -> Result<(String, String), String> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| "trailer line without ':'".to_string())?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return Err("invalid trailer name".to_string());
    }
    let value = std::str::from_utf8(value)
        .map_err(|_| "trailer value not UTF-8".to_string())?
        .trim_matches([' ', '\t']);
    if value.chars().any(char::is_control) {
        return Err("control character in trailer value".to_string());
    }
    Ok((
        String::from_utf8_lossy(name).to_ascii_lowercase(),
        value.to_string(),
    ))
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::checksum::{to_base64, ChecksumAlgorithm};

    // The S3 documentation's examples: "Signature Calculations for the Authorization Header:
    // Transferring Payload in Multiple Chunks" and "… Including Trailing Headers".
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const AMZ_DATE: &str = "20130524T000000Z";
    const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const CHUNK_SIGNATURES: [&str; 3] = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    const TRAILER_CHUNK_SIGNATURES: [&str; 3] = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    const TRAILER_SIGNATURE_VALUE: &str =
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

    fn key() -> [u8; 32] {
        sigv4::signing_key(SECRET, "20130524", "us-east-1", "s3")
    }

    fn signed(seed: &str, trailer: bool) -> ChunkedMode {
        ChunkedMode::Signed {
            signing_key: key(),
            amz_date: AMZ_DATE.into(),
            scope: SCOPE.into(),
            seed_signature: seed.into(),
            trailer,
        }
    }

    /// The documentation's 66560-byte object of 'a's, as 64 KiB + 1 KiB + the empty chunk.
    fn example_chunks() -> [Vec<u8>; 2] {
        [vec![b'a'; 65536], vec![b'a'; 1024]]
    }

    /// A signed body as a client writes it, with `signatures` for the chunks (the final,
    /// empty one included) and optional trailers with their signature.
    fn signed_body(
        chunks: &[Vec<u8>],
        signatures: &[&str],
        trailer: Option<(&[(&str, &str)], &str)>,
    ) -> Vec<u8> {
        let mut body = Vec::new();
        for (chunk, signature) in chunks.iter().zip(signatures) {
            body.extend_from_slice(
                format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes(),
            );
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        let last = signatures[chunks.len()];
        body.extend_from_slice(format!("0;chunk-signature={last}\r\n").as_bytes());
        match trailer {
            None => body.extend_from_slice(b"\r\n"),
            Some((lines, signature)) => {
                for (name, value) in lines {
                    body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
                }
                body.extend_from_slice(
                    format!("x-amz-trailer-signature:{signature}\r\n\r\n").as_bytes(),
                );
            }
        }
        body
    }

    /// Signs `chunks` like a client would (seed `seed`), for bodies beyond the documented ones.
    fn sign_chain(seed: &str, chunks: &[Vec<u8>], trailer: Option<&[(&str, &str)]>) -> Vec<u8> {
        let key = key();
        let mut signatures = Vec::new();
        let mut previous = seed.to_string();
        for chunk in chunks.iter().map(Vec::as_slice).chain([&b""[..]]) {
            previous = sigv4::chunk_signature(&key, AMZ_DATE, SCOPE, &previous, chunk);
            signatures.push(previous.clone());
        }
        let refs: Vec<&str> = signatures.iter().map(String::as_str).collect();
        match trailer {
            None => signed_body(chunks, &refs, None),
            Some(lines) => {
                let canonical: String = lines.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
                let signature = sigv4::trailer_signature(
                    &key,
                    AMZ_DATE,
                    SCOPE,
                    &previous,
                    canonical.as_bytes(),
                );
                signed_body(chunks, &refs, Some((lines, &signature)))
            }
        }
    }

    /// The decoded payload and the trailers.
    type Decoded = (Vec<u8>, Vec<(String, String)>);

    fn decode_with(mode: ChunkedMode, body: &[u8], piece: usize) -> Result<Decoded, ChunkError> {
        let mut decoder = ChunkedDecoder::new(mode);
        let mut out = Vec::new();
        for part in body.chunks(piece.max(1)) {
            decoder.feed(part, &mut out)?;
        }
        assert_eq!(decoder.decoded_len(), out.len() as u64);
        let trailers = decoder.finish()?;
        Ok((out, trailers))
    }

    fn decode(mode: ChunkedMode, body: &[u8]) -> Result<Decoded, ChunkError> {
        decode_with(mode, body, body.len())
    }

    fn aws_example() -> Vec<u8> {
        signed_body(&example_chunks(), &CHUNK_SIGNATURES, None)
    }

    fn aws_trailer_example() -> Vec<u8> {
        signed_body(
            &example_chunks(),
            &TRAILER_CHUNK_SIGNATURES,
            Some((
                &[("x-amz-checksum-crc32c", "sOO8/Q==")],
                TRAILER_SIGNATURE_VALUE,
            )),
        )
    }

    #[test]
    fn aws_example_decodes() {
        let body = aws_example();
        assert_eq!(body.len(), 66824); // the example's Content-Length
        let (out, trailers) = decode(signed(SEED, false), &body).unwrap();
        assert_eq!(out, vec![b'a'; 66560]);
        assert!(trailers.is_empty());
        // The test helper signs exactly as the documentation does.
        assert_eq!(sign_chain(SEED, &example_chunks(), None), body);
    }

    #[test]
    fn aws_trailer_example_decodes() {
        let body = aws_trailer_example();
        assert_eq!(body.len(), 66946);
        let (out, trailers) = decode(signed(TRAILER_SEED, true), &body).unwrap();
        assert_eq!(out, vec![b'a'; 66560]);
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32c".to_string(), "sOO8/Q==".to_string())]
        );
        assert_eq!(
            to_base64(&ChecksumAlgorithm::Crc32c.checksum(&out)),
            "sOO8/Q=="
        );
        // The signed trailer is `name:value\n`, the signature chaining the final chunk's.
        let canonical = b"x-amz-checksum-crc32c:sOO8/Q==\n";
        assert_eq!(
            sigv4::trailer_signature(
                &key(),
                AMZ_DATE,
                SCOPE,
                TRAILER_CHUNK_SIGNATURES[2],
                canonical
            ),
            TRAILER_SIGNATURE_VALUE
        );
    }

    #[test]
    fn trailer_example_as_the_documentation_lays_it_out() {
        // The documentation prints an empty line after the final chunk and none after the
        // trailer signature; same bytes, same signatures.
        let mut body = signed_body(&example_chunks(), &TRAILER_CHUNK_SIGNATURES, None);
        body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
        body.extend_from_slice(
            format!("x-amz-trailer-signature:{TRAILER_SIGNATURE_VALUE}\r\n").as_bytes(),
        );
        assert_eq!(body.len(), 66946);
        let (out, trailers) = decode(signed(TRAILER_SEED, true), &body).unwrap();
        assert_eq!(out.len(), 66560);
        assert_eq!(trailers.len(), 1);
    }

    #[test]
    fn signed_trailer_section_may_be_empty() {
        let chunks = vec![b"abc".to_vec()];
        let body = sign_chain(SEED, &chunks, None); // ends `0;chunk-signature=…\r\n\r\n`
        let (out, trailers) = decode(signed(SEED, true), &body).unwrap();
        assert_eq!((out.as_slice(), trailers.len()), (&b"abc"[..], 0));
        // But a trailer that starts must be signed.
        let mut unsigned_trailer = body[..body.len() - 2].to_vec();
        unsigned_trailer.extend_from_slice(b"x-amz-checksum-crc32:NSRBwg==\r\n\r\n");
        assert!(matches!(
            decode(signed(SEED, true), &unsigned_trailer),
            Err(ChunkError::MalformedTrailer(_))
        ));
        let mut cut = unsigned_trailer.clone();
        cut.truncate(cut.len() - 2);
        assert_eq!(
            decode(signed(SEED, true), &cut),
            Err(ChunkError::Incomplete)
        );
    }

    #[test]
    fn byte_at_a_time_gives_the_same_result() {
        let cases = [
            (signed(SEED, false), aws_example()),
            (signed(TRAILER_SEED, true), aws_trailer_example()),
        ];
        for (mode, body) in cases {
            let whole = decode(mode.clone(), &body).unwrap();
            for piece in [1, 2, 7, 88, 89, 4096, 65_625] {
                assert_eq!(
                    decode_with(mode.clone(), &body, piece).unwrap(),
                    whole,
                    "pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn every_split_point_gives_the_same_result() {
        let chunks = vec![vec![7u8; 8192], b"tail".to_vec()];
        let trailer: &[(&str, &str)] = &[("x-amz-checksum-crc32", "AAAAAA==")];
        let bodies = [
            (signed(SEED, true), sign_chain(SEED, &chunks, Some(trailer))),
            (
                ChunkedMode::Unsigned,
                b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
                    .to_vec(),
            ),
        ];
        for (mode, body) in bodies {
            let whole = decode(mode.clone(), &body).unwrap();
            for split in 0..=body.len() {
                let mut decoder = ChunkedDecoder::new(mode.clone());
                let mut out = Vec::new();
                decoder.feed(&body[..split], &mut out).unwrap();
                decoder.feed(&body[split..], &mut out).unwrap();
                assert_eq!((out, decoder.finish().unwrap()), whole, "split at {split}");
            }
        }
    }

    #[test]
    fn tampered_chunk_is_refused() {
        let mut body = aws_example();
        body[200] = b'b';
        assert_eq!(
            decode(signed(SEED, false), &body),
            Err(ChunkError::SignatureMismatch)
        );
        // A wrong seed (another request's signature) fails at the first chunk.
        assert_eq!(
            decode(signed(TRAILER_SEED, false), &aws_example()),
            Err(ChunkError::SignatureMismatch)
        );
        // A dropped chunk breaks the chain.
        let chunks = example_chunks();
        let dropped = signed_body(&chunks[1..], &CHUNK_SIGNATURES[1..], None);
        assert_eq!(
            decode(signed(SEED, false), &dropped),
            Err(ChunkError::SignatureMismatch)
        );
        // The signature is checked when the chunk ends, before the next header.
        let mut decoder = ChunkedDecoder::new(signed(SEED, false));
        let mut out = Vec::new();
        assert_eq!(
            decoder.feed(&body[..65_700], &mut out),
            Err(ChunkError::SignatureMismatch)
        );
        assert_eq!(
            decoder.feed(b"", &mut out),
            Err(ChunkError::SignatureMismatch)
        );
        assert_eq!(decoder.finish(), Err(ChunkError::SignatureMismatch));
    }

    #[test]
    fn tampered_trailer_is_refused() {
        let body = aws_trailer_example();
        let text = String::from_utf8(body.clone()).unwrap();
        let changed = text.replace("sOO8/Q==", "AAAAAA==");
        assert_eq!(
            decode(signed(TRAILER_SEED, true), changed.as_bytes()),
            Err(ChunkError::SignatureMismatch)
        );
        // An unsigned extra trailer line is refused too (it changes the signed bytes).
        let extra = text.replace(
            "x-amz-trailer-signature",
            "x-amz-meta-evil:1\r\nx-amz-trailer-signature",
        );
        assert_eq!(
            decode(signed(TRAILER_SEED, true), extra.as_bytes()),
            Err(ChunkError::SignatureMismatch)
        );
        // No signature line at all.
        let missing = text.replace(
            &format!("x-amz-trailer-signature:{TRAILER_SIGNATURE_VALUE}\r\n"),
            "",
        );
        assert!(matches!(
            decode(signed(TRAILER_SEED, true), missing.as_bytes()),
            Err(ChunkError::MalformedTrailer(_))
        ));
        // Anything but the closing CRLF after the signature line.
        let junk = format!("{}x-amz-meta-late:1\r\n\r\n", &text[..text.len() - 2]);
        assert!(matches!(
            decode(signed(TRAILER_SEED, true), junk.as_bytes()),
            Err(ChunkError::MalformedTrailer(_))
        ));
        let after = format!("{text}x");
        assert_eq!(
            decode(signed(TRAILER_SEED, true), after.as_bytes()),
            Err(ChunkError::DataAfterEnd)
        );
    }

    #[test]
    fn multiple_trailers_are_signed_sorted() {
        let chunks = vec![b"abc".to_vec()];
        let lines: &[(&str, &str)] = &[("x-amz-checksum-crc32", "NSRBwg=="), ("x-amz-meta-a", "b")];
        let body = sign_chain(SEED, &chunks, Some(lines));
        let (out, trailers) = decode(signed(SEED, true), &body).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(trailers.len(), 2);
    }

    #[test]
    fn unsigned_trailer_as_botocore_writes_it() {
        // botocore 1.44.8 AwsChunkedWrapper(BytesIO(b"hello world"), Crc32Checksum,
        // "x-amz-checksum-crc32", chunk_size=4).read()
        let body =
            b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let (out, trailers) = decode(ChunkedMode::Unsigned, body).unwrap();
        assert_eq!(out, b"hello world");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
        assert_eq!(
            to_base64(&ChecksumAlgorithm::Crc32.checksum(&out)),
            "DUoRhQ=="
        );
        // An empty body: botocore writes the final chunk and the trailer only.
        let (out, trailers) = decode(
            ChunkedMode::Unsigned,
            b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        )
        .unwrap();
        assert!(out.is_empty());
        assert_eq!(trailers[0].1, "AAAAAA==");
    }

    #[test]
    fn unsigned_variants_tolerated() {
        // Uppercase hex (the Rust SDK), extensions, mixed-case names, padded values, no trailer.
        let body = b"A;ext=1\r\n0123456789\r\n0\r\nX-Amz-Checksum-CRC32:  v \r\n\r\n";
        let (out, trailers) = decode(ChunkedMode::Unsigned, body).unwrap();
        assert_eq!(out, b"0123456789");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_string(), "v".to_string())]
        );
        let (out, trailers) = decode(ChunkedMode::Unsigned, b"3\r\nabc\r\n0\r\n\r\n").unwrap();
        assert_eq!((out.as_slice(), trailers.len()), (&b"abc"[..], 0));
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        let cases = [
            (signed(SEED, false), aws_example()),
            (signed(TRAILER_SEED, true), aws_trailer_example()),
            (
                ChunkedMode::Unsigned,
                b"4\r\nhell\r\n0\r\nx-amz-checksum-crc32:x\r\n\r\n".to_vec(),
            ),
        ];
        for (mode, body) in cases {
            // The signed trailer may end right after its signature line (see above), so
            // only cuts before that line must be incomplete.
            let required = if matches!(mode, ChunkedMode::Signed { trailer: true, .. }) {
                body.len() - 2
            } else {
                body.len()
            };
            for cut in [0, 1, 5, 90, 65_626, 66_000, required - 1] {
                if cut >= required {
                    continue;
                }
                assert_eq!(
                    decode(mode.clone(), &body[..cut]),
                    Err(ChunkError::Incomplete),
                    "cut at {cut}"
                );
            }
        }
        // A lone CR after the trailer signature is not an end.
        let body = aws_trailer_example();
        assert_eq!(
            decode(signed(TRAILER_SEED, true), &body[..body.len() - 1]),
            Err(ChunkError::Incomplete)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let malformed = |mode: ChunkedMode, body: &[u8]| {
            let result = decode(mode, body);
            assert!(
                matches!(result, Err(ChunkError::Malformed(_))),
                "{:?}: {result:?}",
                String::from_utf8_lossy(body)
            );
        };
        for body in [
            &b"hello world"[..],      // not chunked at all: not hex
            b"\r\n",                  // empty size
            b"zz\r\nab\r\n",          // not hex
            b"-1\r\n",                // sign
            b" 1\r\nx\r\n",           // space
            b"11111111111111111\r\n", // 17 digits
            b"3\nabc\r\n",            // bare LF
            b"3\r\nabcX\r\n",         // data longer than the size
            b"3\r\nabc\rX",           // missing LF after data
            b"3\rx",                  // CR inside the size
        ] {
            malformed(ChunkedMode::Unsigned, body);
        }
        // Signed chunks need their signature extension.
        malformed(signed(SEED, false), b"3\r\nabc\r\n");
        malformed(signed(SEED, false), b"3;chunk-sig=00\r\nabc\r\n");
        malformed(
            ChunkedMode::SignedUnverified { trailer: false },
            b"3\r\nabc\r\n",
        );
        // Non-trailer signed bodies end with CRLF after the final chunk.
        let mut body = aws_example();
        let n = body.len();
        body[n - 2] = b'x';
        malformed(signed(SEED, false), &body);
        // An over-long header line is refused without buffering it.
        let mut decoder = ChunkedDecoder::new(ChunkedMode::Unsigned);
        let mut out = Vec::new();
        let long = vec![b'1'; MAX_CHUNK_HEADER + 1];
        assert!(matches!(
            decoder.feed(&long, &mut out),
            Err(ChunkError::Malformed(_))
        ));
        assert!(decoder.line.len() <= MAX_CHUNK_HEADER);
        // Likewise a trailer that never ends.
        let mut decoder = ChunkedDecoder::new(ChunkedMode::Unsigned);
        decoder.feed(b"0\r\n", &mut out).unwrap();
        let mut result = Ok(());
        for _ in 0..100 {
            result = decoder.feed(b"x-amz-meta-a:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n", &mut out);
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(ChunkError::MalformedTrailer(_))));
        assert!(decoder.trailer_bytes <= MAX_TRAILER);
    }

    #[test]
    fn malformed_trailers() {
        for trailer in [
            &b"no-colon\r\n\r\n"[..],
            b":value\r\n\r\n",
            b"bad name:v\r\n\r\n",
            b"x-amz-checksum-crc32 :v\r\n\r\n",
            b"x-amz-checksum-crc32:\x01\r\n\r\n",
            b"x-amz-checksum-crc32:\xff\r\n\r\n",
            b"x-amz-checksum-crc32:v\n\r\n",
        ] {
            let mut body = b"1\r\na\r\n0\r\n".to_vec();
            body.extend_from_slice(trailer);
            let result = decode(ChunkedMode::Unsigned, &body);
            assert!(
                matches!(result, Err(ChunkError::MalformedTrailer(_))),
                "{trailer:?}: {result:?}"
            );
        }
    }

    #[test]
    fn data_after_the_end() {
        let mut body = b"1\r\na\r\n0\r\n\r\n".to_vec();
        body.push(b'0');
        assert_eq!(
            decode(ChunkedMode::Unsigned, &body),
            Err(ChunkError::DataAfterEnd)
        );
        let mut body = aws_example();
        body.extend_from_slice(b"\r\n");
        assert_eq!(
            decode(signed(SEED, false), &body),
            Err(ChunkError::DataAfterEnd)
        );
    }

    #[test]
    fn short_signed_chunks_only_last() {
        // 3 + 2 bytes: the first is below 8 KiB and not the last.
        let chunks = vec![b"hel".to_vec(), b"lo".to_vec()];
        let body = sign_chain(SEED, &chunks, None);
        assert_eq!(
            decode(signed(SEED, false), &body),
            Err(ChunkError::InvalidChunkSize { chunk: 2, size: 3 })
        );
        // One short chunk, then the end: fine.
        let body = sign_chain(SEED, &[b"hello".to_vec()], None);
        assert_eq!(decode(signed(SEED, false), &body).unwrap().0, b"hello");
        // Unsigned bodies have no minimum.
        assert!(decode(ChunkedMode::Unsigned, b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n").is_ok());
    }

    #[test]
    fn unverified_signed_framing() {
        let mut body = aws_trailer_example();
        body[100] = b'b'; // would fail verification
        let (out, trailers) =
            decode(ChunkedMode::SignedUnverified { trailer: true }, &body).unwrap();
        assert_eq!(out.len(), 66560);
        assert_eq!(trailers.len(), 1);
        let (out, _) = decode(
            ChunkedMode::SignedUnverified { trailer: false },
            &aws_example(),
        )
        .unwrap();
        assert_eq!(out.len(), 66560);
    }

    #[test]
    fn mode_from_content_sha256() {
        let h = {
            let mut h = http::HeaderMap::new();
            h.insert("host", "s3.amazonaws.com".parse().unwrap());
            h.insert("x-amz-date", AMZ_DATE.parse().unwrap());
            h.insert(
                "x-amz-content-sha256",
                sigv4::STREAMING_SIGNED_PAYLOAD.parse().unwrap(),
            );
            h.insert("authorization", format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{SCOPE},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={SEED}").parse().unwrap());
            h
        };
        let parts = sigv4::RequestParts {
            method: "PUT",
            raw_path: "/b/k",
            raw_query: "",
            headers: &h,
            body_sha256: None,
        };
        let auth = sigv4::parse(&parts).unwrap().unwrap();
        let key = key();
        let mode =
            ChunkedMode::from_content_sha256(sigv4::STREAMING_SIGNED_PAYLOAD, Some((&auth, &key)))
                .unwrap();
        assert!(decode(mode.clone(), &aws_example()).is_ok());
        let shown = format!("{mode:?}");
        assert!(
            shown.contains("<redacted>") && shown.contains(SEED),
            "{shown}"
        );
        assert!(matches!(
            ChunkedMode::from_content_sha256(sigv4::STREAMING_SIGNED_PAYLOAD_TRAILER, None),
            Some(ChunkedMode::SignedUnverified { trailer: true })
        ));
        assert!(matches!(
            ChunkedMode::from_content_sha256(
                sigv4::STREAMING_UNSIGNED_PAYLOAD_TRAILER,
                Some((&auth, &key))
            ),
            Some(ChunkedMode::Unsigned)
        ));
        assert!(
            ChunkedMode::from_content_sha256(sigv4::UNSIGNED_PAYLOAD, Some((&auth, &key)))
                .is_none()
        );
        assert!(ChunkedMode::from_content_sha256(sigv4::EMPTY_SHA256, None).is_none());
    }

    #[test]
    fn s3_errors() {
        let e = ChunkError::SignatureMismatch.s3_error();
        assert_eq!((e.status, e.code.as_ref()), (403, "SignatureDoesNotMatch"));
        assert_eq!(e.message, sigv4::SIGNATURE_MISMATCH_MESSAGE);
        for error in [
            ChunkError::Incomplete,
            ChunkError::Malformed("x".into()),
            ChunkError::DataAfterEnd,
        ] {
            let e = error.s3_error();
            assert_eq!((e.status, e.code.as_ref()), (400, "IncompleteBody"));
            assert_eq!(e.message, "The request body terminated unexpectedly");
        }
        let e = ChunkError::MalformedTrailer("x".into()).s3_error();
        assert_eq!((e.status, e.code.as_ref()), (400, "MalformedTrailerError"));
        let e = ChunkError::InvalidChunkSize { chunk: 2, size: 3 }.s3_error();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidChunkSizeError"));
        assert_eq!(
            e.details,
            vec![
                ("Chunk", "2".to_string()),
                ("BadChunkSize", "3".to_string())
            ]
        );
    }

    /// xorshift64: deterministic pseudo-random numbers.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_noise_or_mutations() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let valid: Vec<(ChunkedMode, Vec<u8>)> = vec![
            (
                ChunkedMode::Unsigned,
                b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
                    .to_vec(),
            ),
            (
                signed(SEED, true),
                sign_chain(
                    SEED,
                    &[vec![1; 8192], vec![2; 10]],
                    Some(&[("x-amz-checksum-crc32", "AAAAAA==")]),
                ),
            ),
            (signed(SEED, false), sign_chain(SEED, &[vec![3; 20]], None)),
            (
                ChunkedMode::SignedUnverified { trailer: true },
                sign_chain(SEED, &[vec![4; 30]], Some(&[("a", "b")])),
            ),
        ];
        let alphabet = b"0123456789abcdefABCDEF;=:\r\n -xz\x00\xff";
        for round in 0..3000 {
            let (mode, base) = &valid[round % valid.len()];
            let mut body = if round % 3 == 0 {
                // Noise biased toward the wire's own characters.
                (0..rng.below(300))
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect()
            } else {
                base.clone()
            };
            for _ in 0..rng.below(4) {
                if body.is_empty() {
                    break;
                }
                let at = rng.below(body.len());
                match rng.below(3) {
                    0 => body[at] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        body.remove(at);
                    }
                    _ => body.insert(at, rng.next() as u8),
                }
            }
            let piece = 1 + rng.below(64);
            let mut decoder = ChunkedDecoder::new(mode.clone());
            let mut out = Vec::new();
            let fed = body
                .chunks(piece)
                .try_for_each(|p| decoder.feed(p, &mut out));
            assert!(decoder.line.len() <= MAX_TRAILER && out.len() <= body.len());
            let finished = decoder.finish();
            if fed.is_err() {
                assert_eq!(finished.err(), fed.err());
            }
        }
    }
}
