//! S3's wire details shared by its operations: the bare `<Error>` shape, SigV4 failures in
//! S3's words, the XML namespace and the element names of request bodies.

use super::{Reply, ReplyBody};
use crate::error::AwsError;
use crate::protocol::xml::Xml;
use crate::protocol::xml_in::{self, Element};
use crate::sigv4::{Location, SigV4Error};

pub const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

/// A response document: the declaration and the root element in S3's namespace.
pub fn document(root: &str, body: impl FnOnce(&mut Xml)) -> String {
    let mut x = Xml::new();
    x.raw(XML_DECL).open_ns(root, XMLNS);
    body(&mut x);
    x.close(root);
    x.finish()
}

/// `<Error><Code/><Message/>…<Resource/><RequestId/><HostId/></Error>`; the HTTP layer
/// sends no body on HEAD.
pub fn error_reply(err: &AwsError, resource: Option<&str>, request_id: &str) -> Reply {
    let mut x = Xml::new();
    x.raw(XML_DECL).open("Error").elem("Code", &err.code).elem("Message", &err.message);
    for (name, value) in &err.details {
        x.elem(name, value);
    }
    if let Some(r) = resource {
        if !err.details.iter().any(|(n, _)| *n == "Resource") {
            x.elem("Resource", r);
        }
    }
    x.elem("RequestId", request_id).elem("HostId", request_id).close("Error");
    let headers = err.headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let mut reply = Reply { status: err.status, headers, body: ReplyBody::Xml(x.finish()) };
    if err.code == "MethodNotAllowed" && !err.headers.iter().any(|(k, _)| *k == "allow") {
        reply.headers.push(("allow".into(), "GET, PUT, HEAD, DELETE, POST".into()));
    }
    reply
}

/// A SigV4 failure in S3's codes, with the canonical request and string to sign S3 shows
/// for a mismatch.
pub fn signature_error(e: SigV4Error) -> AwsError {
    let location = if e.message.contains("X-Amz-") || e.kind == crate::sigv4::ErrorKind::PresignExpired {
        Location::Query
    } else {
        Location::Header
    };
    let (code, status) = e.kind.s3_code(location);
    let message = match code {
        "AccessDenied" if matches!(e.kind, crate::sigv4::ErrorKind::PresignExpired) => "Request has expired".to_string(),
        "RequestTimeTooSkewed" => "The difference between the request time and the current time is too large.".to_string(),
        _ => e.message.clone(),
    };
    let mut err = AwsError::new(status, code, message);
    if let Some(sts) = e.string_to_sign {
        err = err.with("StringToSign", sts.clone()).with("StringToSignBytes", hex_spaced(sts.as_bytes()));
    }
    if let Some(cr) = e.canonical_request {
        err = err.with("CanonicalRequest", cr.clone()).with("CanonicalRequestBytes", hex_spaced(cr.as_bytes()));
    }
    for (name, value) in e.details {
        err = err.with(name, value);
    }
    err
}

fn hex_spaced(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// The decision point's denial in S3's words: 403 `AccessDenied`, AWS's message.
pub fn access_denied(e: AwsError) -> AwsError {
    AwsError { code: "AccessDenied".into(), status: 403, ..e }
}

/// A request body parsed as XML, or S3's `MalformedXML`.
pub fn parse_xml(body: &[u8]) -> Result<Element, AwsError> {
    if body.is_empty() {
        return Err(xml_in::malformed());
    }
    xml_in::parse(body).map_err(|_| xml_in::malformed())
}

/// `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`, validated as S3 does.
pub fn parse_tagging(body: &[u8]) -> Result<Vec<crate::state::Tag>, AwsError> {
    let root = parse_xml(body)?;
    let set = root.child("TagSet").ok_or_else(xml_in::malformed)?;
    let mut tags: Vec<crate::state::Tag> = Vec::new();
    for t in set.children_named("Tag") {
        let key = t.child_text("Key").ok_or_else(xml_in::malformed)?;
        add_tag(&mut tags, key, t.child_text("Value").unwrap_or(""), "System tags cannot be added/updated by requester")?;
    }
    Ok(tags)
}

/// Adds one requested tag after S3's checks: no `aws:` keys (`system_message` is the
/// wording of the request's form), key 1–128 and value ≤ 256 characters, no repeated key.
fn add_tag(tags: &mut Vec<crate::state::Tag>, key: &str, value: &str, system_message: &'static str) -> Result<(), AwsError> {
    if key.starts_with("aws:") {
        return Err(AwsError::client("InvalidTag", system_message).with("TagKey", key));
    }
    if key.is_empty() || key.chars().count() > 128 {
        return Err(AwsError::client("InvalidTag", "The TagKey you have provided is invalid"));
    }
    if value.chars().count() > 256 {
        return Err(AwsError::client("InvalidTag", "The TagValue you have provided is invalid"));
    }
    if tags.iter().any(|t| t.key == key) {
        return Err(AwsError::client("InvalidTag", "Cannot provide multiple Tags with the same key").with("TagKey", key));
    }
    tags.push(crate::state::Tag { key: key.to_string(), value: value.to_string() });
    Ok(())
}

/// The `TagSet` of a Get…Tagging answer.
pub fn tagging_document(tags: &[crate::state::Tag], extra: impl FnOnce(&mut Xml)) -> String {
    document("Tagging", |x| {
        extra(x);
        x.open("TagSet");
        for t in tags {
            x.open("Tag").elem("Key", &t.key).elem("Value", &t.value).close("Tag");
        }
        x.close("TagSet");
    })
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL-encoded) as tags.
pub fn parse_tagging_header(value: &str) -> Result<Vec<crate::state::Tag>, AwsError> {
    let mut tags: Vec<crate::state::Tag> = Vec::new();
    for (k, v) in form_urlencoded::parse(value.as_bytes()) {
        add_tag(&mut tags, &k, &v, "Your TagKey cannot be prefixed with aws:")?;
    }
    if tags.len() > 10 {
        return Err(AwsError::client("BadRequest", "Object tags cannot be greater than 10"));
    }
    Ok(tags)
}

/// `true`/`false` as S3 writes booleans.
pub fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The owner element every listing carries.
pub fn owner(x: &mut Xml, account: &str) {
    x.open("Owner").elem("ID", &canonical_user_id(account)).elem("DisplayName", account).close("Owner");
}

/// A stable 64-hex canonical user id per account (S3 shows these instead of account ids).
pub fn canonical_user_id(account: &str) -> String {
    crate::sigv4::sha256_hex(format!("edgeward-canonical-user:{account}").as_bytes())
}
