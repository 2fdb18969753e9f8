//! awsQuery (IAM, STS, SQS's older clients): form-encoded parameters in, XML out, errors as
//! `<ErrorResponse>`. `run` is one operation end to end: `form` decodes the parameters into
//! its input struct, `xml::to_xml` renders its output struct.

use crate::error::AwsError;
use crate::protocol::xml::Xml;

/// The decoded form parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(body: &[u8], query: &str) -> Params {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
        Params { pairs }
    }

    /// Every parameter as sent, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One awsQuery operation: its input decoded from `params` (see `form::from_params`), the
/// operation run, its output rendered as the members of `<OpResult>` (see `xml::to_xml`).
pub fn run<C, I: serde::de::DeserializeOwned, O: serde::Serialize>(
    ctx: C,
    params: &Params,
    renames: &[(&str, &'static str)],
    op: impl FnOnce(C, I) -> Result<O, AwsError>,
) -> Result<String, AwsError> {
    let input = crate::protocol::form::from_params(params, renames)?;
    Ok(crate::protocol::xml::to_xml(&op(ctx, input)?))
}

/// The answer to an action the service does not run: 501 NotImplemented naming it when the
/// real service has it (`not_implemented`), else AWS's InvalidAction.
pub fn unknown_action(service: &str, op: &str, not_implemented: &[&str]) -> AwsError {
    if not_implemented.contains(&op) {
        AwsError::new(501, "NotImplemented", format!("{service} {op} is not implemented in edgeward"))
    } else {
        AwsError::client("InvalidAction", format!("The action {op} is not valid for this web service."))
    }
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// AWS's message for a member that is not a number; `field` as AWS names it (`maxItems`).
pub fn not_a_number(field: &str, text: &str) -> AwsError {
    AwsError::client("ValidationError", format!("1 validation error detected: Value '{text}' at '{field}' failed to satisfy constraint: Member must be a number"))
}

/// An optional number within bounds, with AWS's message for one outside them.
pub fn in_range(field: &str, n: Option<i64>, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
    match n {
        Some(n) if n < min || n > max => Err(AwsError::client(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{n}' at '{field}' failed to satisfy constraint: Member must have value {}",
                if n < min { format!("greater than or equal to {min}") } else { format!("less than or equal to {max}") }
            ),
        )),
        n => Ok(n),
    }
}

/// AWS's message for a missing required member.
pub fn missing(name: &str) -> AwsError {
    AwsError::client(
        "ValidationError",
        format!("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", lower_first(name)),
    )
}

/// `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>`.
pub fn success(op: &str, xmlns: &str, result_xml: &str, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    x.open_ns(&format!("{op}Response"), xmlns);
    if result_xml.is_empty() {
        x.raw(&format!("<{op}Result/>"));
    } else {
        x.open(&format!("{op}Result")).raw(result_xml).close(&format!("{op}Result"));
    }
    x.open("ResponseMetadata").elem("RequestId", request_id).close("ResponseMetadata");
    x.close(&format!("{op}Response"));
    x.finish()
}

/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
pub fn error(err: &AwsError, xmlns: &str, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    x.open_ns("ErrorResponse", xmlns);
    x.open("Error")
        .elem("Type", if err.sender_fault { "Sender" } else { "Receiver" })
        .elem("Code", &err.code)
        .elem("Message", &err.message)
        .close("Error");
    x.elem("RequestId", request_id);
    x.close("ErrorResponse");
    x.finish()
}
