//! Validation findings and the error a rejected policy carries.
//!
//! Every error finding has two texts: edgeward's `message`, which says exactly what is wrong
//! and where (`path`), and `aws_message`, the text IAM returns for that class of problem
//! ("Syntax errors in policy.", "Policy statement must contain actions.", …). IAM reports
//! one problem per document, the first in the order it checks them; [`IamCheck`] is that
//! order and [`PolicyError::aws_message`] picks the message IAM would return.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The check a problem fails, in the order IAM runs its checks (as observed against AWS and
/// encoded in moto's IAM tests): a document that fails several gets the message of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IamCheck {
    /// The size quota (`LimitExceeded`).
    Size,
    /// JSON and grammar: "Syntax errors in policy."
    Syntax,
    /// "Policy document must be version 2012-10-17 or greater." (managed policies).
    Version,
    /// "The policy failed legacy parsing": Effect's case, date values, ARNs with `::` but
    /// fewer than six segments or an empty service.
    LegacyParsing,
    /// "Statement IDs (SID) in a single policy must be unique."
    SidUnique,
    /// "Policy statement must contain actions."
    ActionsPresent,
    /// The Resource format messages (ARN format, partition, vendor, region, IAM path).
    ResourceFormat,
    /// Action values: vendor prefix, one colon, vendor characters.
    ActionFormat,
    /// The same for NotAction values (IAM checks every Action before any NotAction).
    NotActionFormat,
    /// "Policy statement must contain resources."
    ResourcesPresent,
    /// Trust policies: only sts actions.
    TrustActions,
    /// Trust policies: "Has prohibited field Resource."
    TrustResource,
    /// Principal rules: present where required, absent where forbidden, valid values.
    Principal,
    /// Rules edgeward checks that IAM's documented checks do not place.
    Other,
}

/// One problem in a policy document, located by a JSON path such as
/// `Statement[2].Condition.StringEquals`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The AWS error code the problem maps to (`MalformedPolicyDocument`, `LimitExceeded`).
    pub code: &'static str,
    pub path: String,
    /// edgeward's explanation, with the offending value.
    pub message: String,
    /// The message IAM returns for this class of problem (AWS's exact text); empty for
    /// warnings, which IAM does not report.
    pub aws_message: String,
    /// Where the problem falls in IAM's order of checks.
    pub check: IamCheck,
}

impl Finding {
    /// The message IAM returns for this class of problem (empty for warnings).
    pub fn aws_message(&self) -> &str {
        &self.aws_message
    }
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

    /// The finding IAM would report: among the errors with the document's [`code`](Self::code),
    /// the first by IAM's order of checks (document order among equals).
    pub fn reported(&self) -> Option<&Finding> {
        let code = self.code();
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.code == code)
            .min_by_key(|f| f.check)
    }

    /// The message IAM would return for the whole document, e.g. "Syntax errors in policy.".
    pub fn aws_message(&self) -> String {
        match self.reported() {
            Some(f) if !f.aws_message.is_empty() => f.aws_message.clone(),
            Some(f) => f.message.clone(),
            None => "Syntax errors in policy.".to_string(),
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
