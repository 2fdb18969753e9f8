//! A small XML writer for awsQuery and restXml responses: elements, escaped text.

#[derive(Debug, Default, Clone)]
pub struct Xml {
    buf: String,
}

impl Xml {
    pub fn new() -> Xml {
        Xml { buf: String::with_capacity(256) }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    pub fn open_ns(&mut self, name: &str, xmlns: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        escape_into(&mut self.buf, xmlns);
        self.buf.push_str("\">");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.buf, text);
        self.close(name)
    }

    /// `<name>text</name>` when the value is present.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    /// Appends already-rendered XML.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.buf.push_str(xml);
        self
    }

    pub fn finish(self) -> String {
        self.buf
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            // Characters XML 1.0 cannot carry at all, not even as references (a NUL in an
            // S3 key, say): a parser would reject the whole document, so they are replaced.
            '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(&mut s, text);
    s
}

// ---- output structs → XML ----

/// A point in time (seconds since the epoch), written as awsQuery and restXml write
/// timestamps: ISO 8601, UTC, whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::iso8601(self.0))
    }
}

/// One element whose name is chosen at run time (`<User>`, `<Role>` from one generic
/// operation), or, with `Named::list`, a list under such a name.
pub struct Named<T>(pub &'static str, pub T);

impl<T: serde::Serialize> serde::Serialize for Named<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Named", 1)?;
        st.serialize_field(self.0, &self.1)?;
        st.end()
    }
}

/// Renders an operation's output struct as the members of its `<OpResult>`: each field is
/// an element named as the field is serialized (output structs use
/// `#[serde(rename_all = "PascalCase")]`), a `None` is left out, a list is
/// `<Name><member>…</member>…</Name>`, a map is `<Name><entry><key/><value/></entry>…</Name>`,
/// a unit is an empty element, booleans are `true`/`false`. Text is escaped here and only here.
pub fn to_xml<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut x = Xml::new();
    // Serializing into a String cannot fail; a type that refuses to serialize renders nothing.
    let _ = value.serialize(Elem { x: &mut x, name: None });
    x.finish()
}

/// Serializing a value as the element `name` (at the top, as bare content).
struct Elem<'a> {
    x: &'a mut Xml,
    name: Option<&'a str>,
}

#[derive(Debug)]
pub struct SerError(String);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl serde::ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

impl Elem<'_> {
    fn text(self, text: &str) -> Result<(), SerError> {
        match self.name {
            Some(name) => {
                self.x.elem(name, text);
            }
            None => escape_into(&mut self.x.buf, text),
        }
        Ok(())
    }

    fn open(&mut self) {
        if let Some(name) = self.name {
            self.x.open(name);
        }
    }

    fn close(self) -> Result<(), SerError> {
        if let Some(name) = self.name {
            self.x.close(name);
        }
        Ok(())
    }

    fn child<'b>(&'b mut self, name: &'b str) -> Elem<'b> {
        Elem { x: &mut *self.x, name: Some(name) }
    }
}

macro_rules! display_methods {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method(self, v: $ty) -> Result<(), SerError> {
            self.text(&v.to_string())
        }
    )*};
}

impl<'a> serde::Serializer for Elem<'a> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Elem<'a>;
    type SerializeTuple = Elem<'a>;
    type SerializeTupleStruct = Elem<'a>;
    type SerializeTupleVariant = serde::ser::Impossible<(), SerError>;
    type SerializeMap = Elem<'a>;
    type SerializeStruct = Elem<'a>;
    type SerializeStructVariant = serde::ser::Impossible<(), SerError>;

    display_methods!(serialize_i8: i8 serialize_i16: i16 serialize_i32: i32 serialize_i64: i64
        serialize_u8: u8 serialize_u16: u16 serialize_u32: u32 serialize_u64: u64
        serialize_f32: f32 serialize_f64: f64 serialize_char: char);

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.text(if v { "true" } else { "false" })
    }

    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        self.text(v)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), SerError> {
        Err(serde::ser::Error::custom("bytes have no awsQuery form"))
    }

    fn serialize_none(self) -> Result<(), SerError> {
        Ok(())
    }

    fn serialize_some<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerError> {
        if let Some(name) = self.name {
            self.x.raw("<").raw(name).raw("/>");
        }
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), SerError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), SerError> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(self, _name: &'static str, _index: u32, _variant: &'static str, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_seq(mut self, _len: Option<usize>) -> Result<Elem<'a>, SerError> {
        self.open();
        Ok(self)
    }

    fn serialize_tuple(self, len: usize) -> Result<Elem<'a>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Elem<'a>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(serde::ser::Error::custom("enum variants with data have no awsQuery form"))
    }

    fn serialize_map(mut self, _len: Option<usize>) -> Result<Elem<'a>, SerError> {
        self.open();
        Ok(self)
    }

    fn serialize_struct(mut self, _name: &'static str, _len: usize) -> Result<Elem<'a>, SerError> {
        self.open();
        Ok(self)
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant, SerError> {
        Err(serde::ser::Error::custom("enum variants with data have no awsQuery form"))
    }
}

impl serde::ser::SerializeSeq for Elem<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        value.serialize(self.child("member"))
    }

    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeTuple for Elem<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        serde::ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeTupleStruct for Elem<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        serde::ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeMap for Elem<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.x.open("entry");
        key.serialize(self.child("key"))
    }

    fn serialize_value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        value.serialize(self.child("value"))?;
        self.x.close("entry");
        Ok(())
    }

    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeStruct for Elem<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        value.serialize(self.child(key))
    }

    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: String,
        value: String,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        user_name: String,
        description: Option<String>,
        is_truncated: bool,
        max_items: u32,
        tags: Vec<Tag>,
        names: Vec<String>,
        role_last_used: (),
        summary_map: std::collections::BTreeMap<String, i64>,
    }

    #[test]
    fn members_lists_maps_and_escaping() {
        let out = Out {
            user_name: "a<b&'\"".into(),
            description: None,
            is_truncated: false,
            max_items: 7,
            tags: vec![Tag { key: "k".into(), value: "v".into() }],
            names: vec![],
            role_last_used: (),
            summary_map: [("Users".to_string(), 2)].into_iter().collect(),
        };
        assert_eq!(
            to_xml(&out),
            "<UserName>a&lt;b&amp;&apos;&quot;</UserName><IsTruncated>false</IsTruncated><MaxItems>7</MaxItems>\
             <Tags><member><Key>k</Key><Value>v</Value></member></Tags><Names></Names><RoleLastUsed/>\
             <SummaryMap><entry><key>Users</key><value>2</value></entry></SummaryMap>"
        );
        assert_eq!(to_xml(&()), "");
        assert_eq!(to_xml(&vec!["x"]), "<member>x</member>");
    }
}
