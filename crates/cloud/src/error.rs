//! The error every operation returns: an AWS error code, a message a person can act on,
//! and the HTTP status. Each protocol module renders it in its own wire shape.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
    /// `Sender` (the caller's fault) or `Receiver` (ours), as query errors report it.
    pub sender_fault: bool,
    /// Extra elements of the error body some services add (S3: `Resource`, `BucketName`,
    /// `StringToSign`, `Key`, …), in order.
    pub details: Vec<(&'static str, String)>,
    /// Response headers that go with the error (S3: `x-amz-delete-marker` on a 404).
    pub headers: Vec<(&'static str, String)>,
}

impl AwsError {
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError { status, code: code.into(), message: message.into(), sender_fault: status < 500, details: Vec::new(), headers: Vec::new() }
    }

    /// A 400 with the given code.
    pub fn client(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError::new(400, code, message)
    }

    /// The same error with one more body element.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> AwsError {
        self.details.push((name, value.into()));
        self
    }

    /// The same error with a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> AwsError {
        self.headers.push((name, value.into()));
        self
    }

    pub fn internal(message: impl Into<String>) -> AwsError {
        AwsError::new(500, "InternalFailure", message)
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}
