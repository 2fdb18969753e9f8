//! Wire protocols. The only code that knows XML, JSON and form encodings; services take
//! and return plain Rust values (or `Params`/`Value` at the edge) and `AwsError`s.

pub mod form;
pub mod base64;
pub mod json;
pub mod query;
pub mod xml;
pub mod xml_in;

/// How a request arrived, and so how its response and errors are shaped. (S3's restXml is
/// its own: `s3::wire`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Query,
    Json10,
    Json11,
}
