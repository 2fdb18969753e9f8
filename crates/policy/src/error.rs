//! Validation findings and the error a rejected policy carries.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a policy document, located by a JSON path such as
/// `Statement[2].Condition.StringEquals`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The AWS error code the problem maps to (`MalformedPolicyDocument`, `LimitExceeded`).
    pub code: &'static str,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A policy that cannot be used, with every error found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub findings: Vec<Finding>,
}

impl PolicyError {
    pub(crate) fn new(findings: Vec<Finding>) -> PolicyError {
        PolicyError { findings }
    }

    /// The AWS error code for the whole document: `LimitExceeded` when only the size is
    /// wrong, otherwise `MalformedPolicyDocument`.
    pub fn code(&self) -> &'static str {
        if !self.findings.is_empty() && self.findings.iter().all(|f| f.code == "LimitExceeded") {
            "LimitExceeded"
        } else {
            "MalformedPolicyDocument"
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for finding in &self.findings {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{finding}")?;
            first = false;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}
