//! awsQuery (IAM, STS, SQS's older clients): form-encoded parameters in, XML out, errors as
//! `<ErrorResponse>`.

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

    /// A required parameter; AWS's wording for a missing one.
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).ok_or_else(|| missing(name))
    }

    /// An optional integer within bounds.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let n: i64 = v.trim().parse().map_err(|_| {
            AwsError::client("ValidationError", format!("1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be a number", lower_first(name)))
        })?;
        if n < min || n > max {
            return Err(AwsError::client(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{n}' at '{}' failed to satisfy constraint: Member must have value {}",
                    lower_first(name),
                    if n < min { format!("greater than or equal to {min}") } else { format!("less than or equal to {max}") }
                ),
            ));
        }
        Ok(Some(n))
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v.eq_ignore_ascii_case("true"))
    }

    /// `Name.member.1`, `Name.member.2`, … (or `Name.1`, … as SQS writes them).
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1.. {
            let a = format!("{name}.member.{i}");
            let b = format!("{name}.{i}");
            match self.get(&a).or_else(|| self.get(&b)) {
                Some(v) => out.push(v.to_string()),
                None => break,
            }
        }
        out
    }

    /// `Name.member.N.Field` structures, each as field → value.
    pub fn list_of(&self, name: &str, fields: &[&str]) -> Vec<Vec<(String, String)>> {
        let mut out = Vec::new();
        for i in 1.. {
            let mut item = Vec::new();
            for f in fields {
                let a = format!("{name}.member.{i}.{f}");
                let b = format!("{name}.{i}.{f}");
                if let Some(v) = self.get(&a).or_else(|| self.get(&b)) {
                    item.push((f.to_string(), v.to_string()));
                }
            }
            if item.is_empty() {
                break;
            }
            out.push(item);
        }
        out
    }
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
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
