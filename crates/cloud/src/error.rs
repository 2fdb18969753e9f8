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
}

impl AwsError {
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError { status, code: code.into(), message: message.into(), sender_fault: status < 500 }
    }

    /// A 400 with the given code.
    pub fn client(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError::new(400, code, message)
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
