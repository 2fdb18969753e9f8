//! A small, strict XML reader for S3 request bodies (CreateBucketConfiguration, Delete,
//! CompleteMultipartUpload, Tagging, VersioningConfiguration, …) into an [`Element`] tree.
//!
//! It accepts well-formed XML 1.0 with namespaces and nothing more: no DOCTYPE (so no entity
//! expansion and no external entities), only the five predefined entities and character
//! references. It never panics, reads iteratively, and bounds depth, element and attribute
//! counts, so a hostile body costs time linear in its length and cannot exhaust the stack.
//!
//! Element names lose their prefix (`s3:Key` is `Key`): S3 matches elements by local name.
//! Attribute names lose theirs too (`xsi:type` is `type`), except namespace declarations,
//! which are kept as written (`xmlns`, `xmlns:xsi`) so a caller can check the namespace.

use crate::error::AwsError;

/// Deepest element nesting accepted; the root is at depth 1. Bounds the parser's stack and
/// the recursion of `Element`'s drop and clone.
pub const MAX_DEPTH: usize = 64;
/// Most elements [`parse`] accepts in one document.
pub const MAX_ELEMENTS: usize = 100_000;
/// Most attributes on one element; keeps the duplicate check cheap.
pub const MAX_ATTRIBUTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Local name (any `prefix:` removed).
    pub name: String,
    /// In document order; names without prefix, except `xmlns`/`xmlns:p` kept as written.
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated character data directly inside this element (entities decoded, CDATA
    /// included), not trimmed.
    pub text: String,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with this local name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The value of the first attribute with this name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for XmlError {}

/// S3's answer to a body this module rejects (or that lacks a required element).
pub fn malformed() -> AwsError {
    AwsError::client(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// Parses one document: optional BOM, optional `<?xml …?>` declaration, comments, processing
/// instructions, whitespace and exactly one root element, with at most [`MAX_ELEMENTS`].
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    parse_with_limit(input, MAX_ELEMENTS)
}

/// [`parse`] with a caller-chosen element limit.
pub fn parse_with_limit(input: &[u8], max_elements: usize) -> Result<Element, XmlError> {
    let src = std::str::from_utf8(input)
        .map_err(|e| error_at(e.valid_up_to(), "invalid UTF-8"))?;
    if let Some((i, _)) = src.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(error_at(i, "character not allowed in XML"));
    }
    let mut reader = Reader { src, pos: 0, elements: 0, max_elements };
    reader.eat("\u{FEFF}");
    if reader.starts_with("<?xml")
        && reader.src[reader.pos + 5..].starts_with(|c| is_space(c) || c == '?')
    {
        reader.xml_declaration()?;
    }
    reader.skip_misc()?;
    if reader.starts_with("<!DOCTYPE") {
        return Err(reader.error("DOCTYPE declarations are not allowed"));
    }
    if reader.starts_with("<!") || !reader.starts_with("<") {
        let what = if reader.at_end() { "no root element" } else { "content before the root element" };
        return Err(reader.error(what));
    }
    let root = reader.root_element()?;
    reader.skip_misc()?;
    if !reader.at_end() {
        let what =
            if reader.starts_with("<") { "more than one root element" } else { "text after the root element" };
        return Err(reader.error(what));
    }
    Ok(root)
}

/// Attributes as written: qualified names, decoded values.
type RawAttributes<'a> = Vec<(&'a str, String)>;

/// An element whose end tag has not been read yet.
struct Open<'a> {
    qname: &'a str,
    /// Prefixes this element declares (`xmlns:p`), for resolving its descendants.
    prefixes: Vec<&'a str>,
    element: Element,
}

struct Reader<'a> {
    src: &'a str,
    /// Byte offset; always on a char boundary because it only moves past whole chars or ASCII.
    pos: usize,
    elements: usize,
    max_elements: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    fn eat(&mut self, s: &str) -> bool {
        let found = self.starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    fn expect(&mut self, s: &str) -> Result<(), XmlError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{s}`")))
        }
    }

    fn error(&self, message: &str) -> XmlError {
        error_at(self.pos, message)
    }

    /// Skips XML whitespace; says whether there was any.
    fn skip_space(&mut self) -> bool {
        let len = self.rest().len() - self.rest().trim_start_matches(is_space).len();
        self.pos += len;
        len > 0
    }

    /// Returns the text up to `delimiter` and moves past it.
    fn take_until(&mut self, delimiter: &str, construct: &str) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let Some(len) = rest.find(delimiter) else {
            return Err(self.error(&format!("unterminated {construct}")));
        };
        self.pos += len + delimiter.len();
        Ok(&rest[..len])
    }

    fn name(&mut self) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let mut len = 0;
        for (i, c) in rest.char_indices() {
            let allowed = if i == 0 { is_name_start(c) } else { is_name_char(c) };
            if !allowed {
                break;
            }
            len = i + c.len_utf8();
        }
        if len == 0 {
            return Err(self.error("expected a name"));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`, at the very start only.
    fn xml_declaration(&mut self) -> Result<(), XmlError> {
        self.pos += "<?xml".len();
        let (fields, _) = self.attributes_until(&["?>"])?;
        let mut fields = fields.iter().map(|(n, v)| (*n, v.as_str())).peekable();
        let is_version = |v: &str| {
            v.strip_prefix("1.").is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
        };
        let version_ok = matches!(fields.next(), Some(("version", v)) if is_version(v));
        // The body was already read as UTF-8; any other declared encoding would mean misreading it.
        let encoding_ok = fields.next_if(|(n, _)| *n == "encoding").is_none_or(|(_, v)| {
            v.eq_ignore_ascii_case("UTF-8") || v.eq_ignore_ascii_case("US-ASCII")
        });
        let standalone_ok = fields
            .next_if(|(n, _)| *n == "standalone")
            .is_none_or(|(_, v)| v == "yes" || v == "no");
        if version_ok && encoding_ok && standalone_ok && fields.next().is_none() {
            Ok(())
        } else {
            Err(self.error("unsupported XML declaration"))
        }
    }

    /// Whitespace, comments and processing instructions, as allowed around the root element.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_space();
            if self.starts_with("<!--") {
                self.comment()?;
            } else if self.starts_with("<?") {
                self.processing_instruction()?;
            } else {
                return Ok(());
            }
        }
    }

    fn comment(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        self.pos += "<!--".len();
        let body = self.take_until("-->", "comment")?;
        if body.contains("--") || body.ends_with('-') {
            return Err(error_at(start, "`--` inside a comment"));
        }
        Ok(())
    }

    fn processing_instruction(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        self.pos += "<?".len();
        let target = self.name()?;
        if target.eq_ignore_ascii_case("xml") {
            return Err(error_at(start, "XML declaration not at the start of the document"));
        }
        if self.eat("?>") {
            return Ok(());
        }
        if !self.skip_space() {
            return Err(self.error("expected whitespace after the processing instruction target"));
        }
        self.take_until("?>", "processing instruction").map(|_| ())
    }

    /// The root element and everything inside it, with an explicit stack instead of recursion.
    fn root_element(&mut self) -> Result<Element, XmlError> {
        let mut stack: Vec<Open<'a>> = Vec::new();
        let (root, empty) = self.start_tag(&stack)?;
        if empty {
            return Ok(root.element);
        }
        stack.push(root);
        loop {
            let Some(top) = stack.last_mut() else {
                return Err(self.error("internal error: no open element"));
            };
            self.text(&mut top.element.text)?;
            if self.at_end() {
                return Err(self.error(&format!("unclosed element `{}`", top.qname)));
            }
            if self.eat("</") {
                let name = self.name()?;
                self.skip_space();
                self.expect(">")?;
                let Some(done) = stack.pop() else {
                    return Err(self.error("internal error: no open element"));
                };
                if name != done.qname {
                    return Err(self.error(&format!("`</{name}>` closes `<{}>`", done.qname)));
                }
                match stack.last_mut() {
                    Some(parent) => parent.element.children.push(done.element),
                    None => return Ok(done.element),
                }
            } else if self.starts_with("<!--") {
                self.comment()?;
            } else if self.eat("<![CDATA[") {
                let data = self.take_until("]]>", "CDATA section")?;
                push_normalized(&mut top.element.text, data, false);
            } else if self.starts_with("<?") {
                self.processing_instruction()?;
            } else if self.starts_with("<!") {
                return Err(self.error("unexpected markup declaration inside an element"));
            } else {
                let (open, empty) = self.start_tag(&stack)?;
                match (empty, stack.last_mut()) {
                    (false, _) => stack.push(open),
                    (true, Some(parent)) => parent.element.children.push(open.element),
                    (true, None) => return Err(self.error("internal error: no open element")),
                }
            }
        }
    }

    /// Reads `<name attr="v" …>` or `<name …/>`; says whether it was empty (self-closing).
    fn start_tag(&mut self, ancestors: &[Open<'a>]) -> Result<(Open<'a>, bool), XmlError> {
        if ancestors.len() >= MAX_DEPTH {
            return Err(self.error(&format!("elements nested deeper than {MAX_DEPTH}")));
        }
        self.elements += 1;
        if self.elements > self.max_elements {
            return Err(self.error(&format!("more than {} elements", self.max_elements)));
        }
        self.expect("<")?;
        let qname = self.name()?;
        let (raw_attributes, end) = self.attributes_until(&[">", "/>"])?;
        self.resolve(qname, raw_attributes, ancestors).map(|open| (open, end == "/>"))
    }

    /// Applies namespaces: checks every prefix is declared, strips prefixes from names.
    fn resolve(
        &self,
        qname: &'a str,
        raw_attributes: RawAttributes<'a>,
        ancestors: &[Open<'a>],
    ) -> Result<Open<'a>, XmlError> {
        let mut prefixes = Vec::new();
        for (name, value) in &raw_attributes {
            if let Some(prefix) = name.strip_prefix("xmlns:") {
                // Namespaces 1.0: `xmlns` cannot be rebound and a prefix cannot be undeclared.
                if prefix == "xmlns" || prefix.contains(':') || value.is_empty() {
                    return Err(self.error(&format!("invalid namespace declaration `{name}`")));
                }
                prefixes.push(prefix);
            }
        }
        let is_bound = |prefix: &str| {
            prefix == "xml"
                || prefixes.contains(&prefix)
                || ancestors.iter().any(|open| open.prefixes.contains(&prefix))
        };
        let local_name = |name: &'a str| -> Result<&'a str, XmlError> {
            match split_qname(name) {
                Some((None, local)) => Ok(local),
                Some((Some(prefix), local)) if is_bound(prefix) => Ok(local),
                Some((Some(prefix), _)) => {
                    Err(self.error(&format!("undeclared namespace prefix `{prefix}`")))
                }
                None => Err(self.error(&format!("invalid qualified name `{name}`"))),
            }
        };
        let name = local_name(qname)?.to_owned();
        let mut attributes = Vec::with_capacity(raw_attributes.len());
        for (raw_name, value) in raw_attributes {
            let kept = if raw_name == "xmlns" || raw_name.starts_with("xmlns:") {
                raw_name
            } else {
                local_name(raw_name)?
            };
            attributes.push((kept.to_owned(), value));
        }
        Ok(Open { qname, prefixes, element: Element { name, attributes, ..Element::default() } })
    }

    /// `name="value"` pairs, each after whitespace, up to one of `ends`, which it returns.
    fn attributes_until(&mut self, ends: &[&'static str]) -> Result<(RawAttributes<'a>, &'static str), XmlError> {
        let start = self.pos;
        let mut pairs = RawAttributes::new();
        loop {
            let spaced = self.skip_space();
            if let Some(&end) = ends.iter().find(|end| self.eat(end)) {
                return Ok((pairs, end));
            }
            if self.at_end() {
                return Err(error_at(start, "unterminated tag"));
            }
            if !spaced {
                return Err(self.error(&format!("expected whitespace or one of {ends:?}")));
            }
            let name = self.name()?;
            self.skip_space();
            self.expect("=")?;
            self.skip_space();
            let value = self.quoted_value()?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(self.error(&format!("duplicate attribute `{name}`")));
            }
            if pairs.len() >= MAX_ATTRIBUTES {
                return Err(self.error(&format!("more than {MAX_ATTRIBUTES} attributes")));
            }
            pairs.push((name, value));
        }
    }

    /// A `"…"` or `'…'` attribute value, entity-decoded and whitespace-normalized.
    fn quoted_value(&mut self) -> Result<String, XmlError> {
        let quote = match self.rest().as_bytes().first() {
            Some(b'"') => "\"",
            Some(b'\'') => "'",
            _ => return Err(self.error("expected a quoted value")),
        };
        self.pos += 1;
        let start = self.pos;
        let raw = self.take_until(quote, "attribute value")?;
        if let Some(i) = raw.find('<') {
            return Err(error_at(start + i, "`<` in an attribute value"));
        }
        let mut value = String::with_capacity(raw.len());
        decode_into(&mut value, raw, start, true)?;
        Ok(value)
    }

    /// Character data up to the next `<` (or the end), appended to `out`.
    fn text(&mut self, out: &mut String) -> Result<(), XmlError> {
        let rest = self.rest();
        let raw = &rest[..rest.find('<').unwrap_or(rest.len())];
        if let Some(i) = raw.find("]]>") {
            return Err(error_at(self.pos + i, "`]]>` in text"));
        }
        decode_into(out, raw, self.pos, false)?;
        self.pos += raw.len();
        Ok(())
    }
}

fn error_at(offset: usize, message: &str) -> XmlError {
    XmlError { message: format!("{message} at byte {offset}") }
}

/// Appends `raw` (text found at byte `offset`) with its references decoded.
fn decode_into(out: &mut String, raw: &str, offset: usize, in_attribute: bool) -> Result<(), XmlError> {
    let mut rest = raw;
    let mut at = offset;
    while let Some(amp) = rest.find('&') {
        push_normalized(out, &rest[..amp], in_attribute);
        let reference = &rest[amp + 1..];
        let resolved =
            reference.find(';').and_then(|semi| Some((semi, resolve_reference(&reference[..semi])?)));
        let Some((semi, c)) = resolved else {
            return Err(error_at(at + amp, "invalid entity or character reference"));
        };
        out.push(c);
        let consumed = amp + 1 + semi + 1;
        rest = &rest[consumed..];
        at += consumed;
    }
    push_normalized(out, rest, in_attribute);
    Ok(())
}

/// The five predefined entities and `&#N;`/`&#xH;`; no others exist without a DOCTYPE.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            // from_str_radix alone would also take a leading `+`.
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
            is_xml_char(c).then_some(c)
        }
    }
}

/// Appends literal text with XML's end-of-line handling (`\r\n` and `\r` become `\n`) and, in
/// attribute values, whitespace normalization (each `\t`, `\n`, `\r` becomes a space).
/// Characters from references bypass this, as the spec requires (`&#13;` stays `\r`).
fn push_normalized(out: &mut String, raw: &str, in_attribute: bool) {
    if !raw.contains(|c| c == '\r' || (in_attribute && (c == '\n' || c == '\t'))) {
        out.push_str(raw);
        return;
    }
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push(if in_attribute { ' ' } else { '\n' });
            }
            '\n' | '\t' if in_attribute => out.push(' '),
            c => out.push(c),
        }
    }
}

/// `prefix:local` or `local`; `None` for a name that is not a namespace-valid QName.
fn split_qname(name: &str) -> Option<(Option<&str>, &str)> {
    match name.split_once(':') {
        None => Some((None, name)),
        Some((prefix, local))
            if !prefix.is_empty() && !local.contains(':') && local.starts_with(is_name_start) =>
        {
            Some((Some(prefix), local))
        }
        Some(_) => None,
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XML 1.0 `Char`: no C0 controls other than tab and line ends, no U+FFFE/U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// XML 1.0 `NameStartChar`.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z' | '_' | ':'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

    fn ok(xml: &str) -> Element {
        match parse(xml.as_bytes()) {
            Ok(e) => e,
            Err(e) => panic!("{xml:?} should parse: {e}"),
        }
    }

    fn err(xml: &[u8]) -> XmlError {
        match parse(xml) {
            Ok(e) => panic!("{:?} should be rejected, got {e:?}", String::from_utf8_lossy(xml)),
            Err(e) => e,
        }
    }

    /// Parses a request body written with `{ns}` after the root's name, both with and without
    /// the S3 namespace, and checks the two trees differ only in that attribute.
    fn both_ways(template: &str) -> Element {
        let plain = ok(&template.replacen("{ns}", "", 1));
        let mut namespaced = ok(&template.replacen("{ns}", &format!(" xmlns=\"{S3_NS}\""), 1));
        assert_eq!(namespaced.attributes, vec![("xmlns".to_owned(), S3_NS.to_owned())]);
        namespaced.attributes.clear();
        assert_eq!(plain, namespaced);
        plain
    }

    // The request bodies below follow the examples in the Amazon S3 API Reference.

    #[test]
    fn create_bucket_configuration() {
        // AWS's example writes the end tag with a space before `>`.
        let root = both_ways(
            "<CreateBucketConfiguration{ns}> \n  <LocationConstraint>eu-west-1</LocationConstraint> \n</CreateBucketConfiguration >",
        );
        assert_eq!(root.name, "CreateBucketConfiguration");
        assert_eq!(root.child_text("LocationConstraint"), Some("eu-west-1"));
        assert_eq!(root.child_text("Bucket"), None);
    }

    #[test]
    fn delete_objects() {
        let root = both_ways(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Delete{ns}>
  <Quiet>true</Quiet>
  <Object>
    <Key>sample1.txt</Key>
  </Object>
  <Object>
    <Key>sample2.txt</Key>
    <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>
  </Object>
</Delete>"#,
        );
        assert_eq!(root.child_text("Quiet"), Some("true"));
        let objects: Vec<_> = root.children_named("Object").collect();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].child_text("Key"), Some("sample1.txt"));
        assert_eq!(objects[0].child("VersionId"), None);
        assert_eq!(objects[1].child_text("VersionId"), Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7"));
        // Whitespace between children is kept, untrimmed, as the container's text.
        assert!(!root.text.is_empty() && root.text.trim().is_empty());
    }

    #[test]
    fn complete_multipart_upload() {
        let root = both_ways(
            r#"<CompleteMultipartUpload{ns}>
  <Part>
    <PartNumber>1</PartNumber>
    <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
  </Part>
  <Part>
    <PartNumber>2</PartNumber>
    <ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>
    <ChecksumCRC32>AAAAAA==</ChecksumCRC32>
  </Part>
</CompleteMultipartUpload>"#,
        );
        let parts: Vec<_> = root.children_named("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].child_text("PartNumber"), Some("1"));
        assert_eq!(parts[0].child_text("ETag"), Some("\"a54357aff0632cce46d942af68356b38\""));
        assert_eq!(parts[1].child_text("ETag"), Some("\"0c78aef83f66abc1fa1e8477f296d394\""));
        assert_eq!(parts[1].child_text("ChecksumCRC32"), Some("AAAAAA=="));
    }

    #[test]
    fn tagging() {
        let root = both_ways(
            "<Tagging{ns}><TagSet><Tag><Key>Project</Key><Value>Project One</Value></Tag>\
             <Tag><Key>User</Key><Value>jsmith</Value></Tag></TagSet></Tagging>",
        );
        let tags: Vec<_> = root
            .child("TagSet")
            .into_iter()
            .flat_map(|set| set.children_named("Tag"))
            .map(|t| (t.child_text("Key").unwrap_or(""), t.child_text("Value").unwrap_or("")))
            .collect();
        assert_eq!(tags, [("Project", "Project One"), ("User", "jsmith")]);
    }

    #[test]
    fn versioning_configuration() {
        let root = both_ways(
            "<VersioningConfiguration{ns}>\n  <Status>Enabled</Status>\n  <MfaDelete>Disabled</MfaDelete>\n</VersioningConfiguration>",
        );
        assert_eq!(root.child_text("Status"), Some("Enabled"));
        assert_eq!(root.child_text("MfaDelete"), Some("Disabled"));
    }

    #[test]
    fn public_access_block_configuration() {
        let root = both_ways(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<PublicAccessBlockConfiguration{ns}>
  <BlockPublicAcls>true</BlockPublicAcls>
  <IgnorePublicAcls>true</IgnorePublicAcls>
  <BlockPublicPolicy>false</BlockPublicPolicy>
  <RestrictPublicBuckets>false</RestrictPublicBuckets>
</PublicAccessBlockConfiguration>"#,
        );
        assert_eq!(root.children.len(), 4);
        assert_eq!(root.child_text("IgnorePublicAcls"), Some("true"));
        assert_eq!(root.child_text("RestrictPublicBuckets"), Some("false"));
    }

    #[test]
    fn server_side_encryption_configuration() {
        let root = both_ways(
            r#"<ServerSideEncryptionConfiguration{ns}>
<Rule>
<ApplyServerSideEncryptionByDefault>
<SSEAlgorithm>aws:kms</SSEAlgorithm>
<KMSMasterKeyID>arn:aws:kms:us-east-1:1234/5678example</KMSMasterKeyID>
</ApplyServerSideEncryptionByDefault>
<BucketKeyEnabled>true</BucketKeyEnabled>
</Rule>
</ServerSideEncryptionConfiguration>"#,
        );
        let rule = root.child("Rule").and_then(|r| Some((r, r.child("ApplyServerSideEncryptionByDefault")?)));
        let Some((rule, default)) = rule else { panic!("no rule in {root:?}") };
        assert_eq!(default.child_text("SSEAlgorithm"), Some("aws:kms"));
        assert_eq!(default.child_text("KMSMasterKeyID"), Some("arn:aws:kms:us-east-1:1234/5678example"));
        assert_eq!(rule.child_text("BucketKeyEnabled"), Some("true"));
    }

    #[test]
    fn prefixed_names_and_attributes() {
        let root = ok(r#"<s3:AccessControlPolicy xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">
  <s3:AccessControlList><s3:Grant>
    <s3:Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
      <s3:ID>abc</s3:ID>
    </s3:Grantee>
    <s3:Permission>READ</s3:Permission>
  </s3:Grant></s3:AccessControlList>
</s3:AccessControlPolicy>"#);
        assert_eq!(root.name, "AccessControlPolicy");
        assert_eq!(root.attribute("xmlns:s3"), Some(S3_NS));
        let grant = root.child("AccessControlList").and_then(|l| l.child("Grant"));
        let grantee = grant.and_then(|g| g.child("Grantee"));
        assert_eq!(grantee.and_then(|g| g.attribute("type")), Some("CanonicalUser"));
        assert_eq!(grantee.and_then(|g| g.child_text("ID")), Some("abc"));
        assert_eq!(grant.and_then(|g| g.child_text("Permission")), Some("READ"));
        // The `xml` prefix is always bound.
        assert_eq!(ok(r#"<a xml:lang="en"/>"#).attributes, [("lang".to_owned(), "en".to_owned())]);
    }

    #[test]
    fn entities_references_and_cdata() {
        let root = ok("<k>&lt;&gt;&amp;&quot;&apos; &#10;&#x41;&#65;&#x1F600;<![CDATA[<raw> & ]]]]><![CDATA[>]]></k>");
        assert_eq!(root.text, "<>&\"' \nAA\u{1F600}<raw> & ]]>");
        let root = ok("<Object><Key>r&#233;sum&#xE9; &amp; caf\u{e9}/\u{1F600}/\u{65e5}\u{672c}.txt</Key></Object>");
        assert_eq!(root.child_text("Key"), Some("résumé & café/\u{1F600}/日本.txt"));
        // Keys with significant whitespace survive untrimmed; `&#13;` is the way to send `\r`.
        assert_eq!(ok("<Key>  a\r\nb\rc&#13;\t</Key>").text, "  a\nb\nc\r\t");
        assert_eq!(ok("<K></K>").text, "");
        assert_eq!(ok("<K/>"), Element { name: "K".into(), ..Element::default() });
    }

    #[test]
    fn attributes() {
        let root = ok("<a x = 'it&apos;s \"q\"' y=\"&lt;&#x9;\tz\r\n\" />");
        assert_eq!(root.attribute("x"), Some("it's \"q\""));
        assert_eq!(root.attribute("y"), Some("<\t z "));
        assert_eq!(root.attribute("z"), None);
    }

    #[test]
    fn prolog_and_epilog() {
        let root = ok("\u{FEFF}<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<!-- c -->\n<?pi data?>\n<a><!-- inside --><?pi?>x</a>\n<!-- after --><?tail?>\n ");
        assert_eq!((root.name.as_str(), root.text.as_str()), ("a", "x"));
        ok("<?xml version=\"1.0\"?><a/>");
    }

    #[test]
    fn malformed_documents_are_rejected() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"<!-- only a comment -->",
            b"text",
            b"x<a/>",
            b"<a/>x",
            b"<a/><b/>",
            b"<a></b>",
            b"<a><b></a></b>",
            b"<a>",
            b"<a><b>",
            b"<a",
            b"<a x='1'",
            b"</a>",
            b"<a/></a>",
            b"<a x='1' x='2'/>",
            b"<a x=1/>",
            b"<a x/>",
            b"<a x='1'y='2'/>",
            b"<a x='<'/>",
            b"<a x='1/>",
            b"<1a/>",
            b"<a>&unknown;</a>",
            b"<a>&amp</a>",
            b"<a>& amp;</a>",
            b"<a>&#;</a>",
            b"<a>&#x;</a>",
            b"<a>&#0;</a>",
            b"<a>&#x1;</a>",
            b"<a>&#xD800;</a>",
            b"<a>&#x110000;</a>",
            b"<a>&#xFFFE;</a>",
            b"<a>&#99999999999999999999;</a>",
            b"<a>&#+65;</a>",
            b"<a>&#X41;</a>",
            b"<a x='&bad;'/>",
            b"<a>]]></a>",
            b"<a><![CDATA[x</a>",
            b"<![CDATA[x]]><a/>",
            b"<a><!-- x -- y --></a>",
            b"<a><!-- x ---></a>",
            b"<a><!-- x</a>",
            b"<a><?pi</a>",
            b"<a><?xml version='1.0'?></a>",
            b" <?xml version='1.0'?><a/>",
            b"<?xml version='1.0'?><?xml version='1.0'?><a/>",
            b"<?xml encoding='UTF-8'?><a/>",
            b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
            b"<?xml version='1.0' standalone='maybe'?><a/>",
            b"<?xml version='1.0' foo='bar'?><a/>",
            b"<!DOCTYPE a><a/>",
            b"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            b"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a>&xxe;</a>",
            b"<a><!DOCTYPE a></a>",
            b"<a><!ENTITY x 'y'></a>",
            b"<p:a/>",
            b"<a xmlns:p='urn:x'/><p:b/>",
            b"<a><b xmlns:p='urn:x'/><p:c/></a>",
            b"<a p:x='1'/>",
            b"<a xmlns:p=''/>",
            b"<a xmlns:xmlns='urn:x'/>",
            b"<a:b:c xmlns:a='urn:x'/>",
            b"<:a/>",
            b"<a:/>",
            b"<a>\x00</a>",
            b"<a>\x0b</a>",
            b"<a>\xef\xbf\xbe</a>",
            b"<a>\xff</a>",
            b"<a>\xc3</a>",
            b"\xfe\xff<a/>",
            b"<a>\xed\xa0\x80</a>",
        ];
        for case in cases {
            err(case);
        }
        assert!(err(b"<!DOCTYPE a><a/>").message.contains("DOCTYPE"));
        assert!(err(b"<a>\xff</a>").message.contains("UTF-8"));
    }

    #[test]
    fn depth_limit() {
        let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(ok(&nested(MAX_DEPTH)).children.len(), 1);
        err(nested(MAX_DEPTH + 1).as_bytes());
        err(format!("{}<b/>{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH)).as_bytes());
        // Far deeper than any stack could recurse: rejected, not overflowed.
        err(nested(100_000).as_bytes());
        err("<a>".repeat(100_000).as_bytes());
    }

    #[test]
    fn element_limit() {
        let many = |n: usize| format!("<r>{}</r>", "<k/>".repeat(n - 1));
        assert_eq!(ok(&many(MAX_ELEMENTS)).children.len(), MAX_ELEMENTS - 1);
        assert!(err(many(MAX_ELEMENTS + 1).as_bytes()).message.contains("elements"));
        assert!(parse_with_limit(b"<a><b/><c/></a>", 3).is_ok());
        assert!(parse_with_limit(b"<a><b/><c/></a>", 2).is_err());
        let attributes: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}='v'")).collect();
        err(format!("<a{attributes}/>").as_bytes());
    }

    #[test]
    fn malformed_error_is_s3s() {
        let e = malformed();
        assert_eq!((e.status, e.code.as_ref()), (400, "MalformedXML"));
        assert_eq!(
            e.message,
            "The XML you provided was not well-formed or did not validate against our published schema"
        );
    }

    /// Mutates valid bodies at random (seeded, so reproducible) and checks the reader never
    /// panics and that whatever it accepts respects its limits.
    #[test]
    fn fuzzed_inputs_never_panic() {
        let seeds: Vec<Vec<u8>> = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet><Object><Key>a&amp;b</Key><VersionId>v1</VersionId></Object></Delete>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e&quot;</ETag></Part></CompleteMultipartUpload>",
            "<s3:Tagging xmlns:s3='urn:s3'><!-- c --><s3:TagSet><s3:Tag><s3:Key>k\u{e9}</s3:Key><s3:Value><![CDATA[<v>]]></s3:Value></s3:Tag></s3:TagSet></s3:Tagging>",
            "<a x='&#x41;' y=\"&lt;\"><?pi d?><b/>t&#10;</a>",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let interesting: &[u8] = b"<>/&;#x\"'=:![]-?CDATA \n\r\t\0\xff\xc3\xa9\xe2";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: usize| {
            // xorshift64*: small, deterministic, good enough to spread mutations.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound.max(1)
        };
        let mut accepted = 0;
        for round in 0..20_000 {
            let mut input = seeds[round % seeds.len()].clone();
            for _ in 0..1 + next(4) {
                let at = next(input.len() + 1);
                match next(6) {
                    0 if at < input.len() => input[at] = interesting[next(interesting.len())],
                    1 => input.insert(at, interesting[next(interesting.len())]),
                    2 if at < input.len() => {
                        let end = (at + 1 + next(8)).min(input.len());
                        input.drain(at..end);
                    }
                    3 => {
                        let end = (at + next(16)).min(input.len());
                        let copy = input[at..end].to_vec();
                        input.splice(at..at, copy);
                    }
                    4 => input.truncate(at),
                    _ if at < input.len() => input[at] ^= 1 << next(8),
                    _ => {}
                }
            }
            if let Ok(root) = parse_with_limit(&input, 50) {
                accepted += 1;
                let mut pending = vec![(&root, 1)];
                while let Some((element, depth)) = pending.pop() {
                    assert!(depth <= MAX_DEPTH && !element.name.contains(':'));
                    pending.extend(element.children.iter().map(|c| (c, depth + 1)));
                }
            }
        }
        // Some mutations (e.g. in text) keep a document valid; the loop must have seen both kinds.
        assert!(accepted > 0 && accepted < 20_000, "accepted {accepted}");
    }
}
