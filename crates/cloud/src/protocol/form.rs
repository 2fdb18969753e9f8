//! awsQuery form parameters → an operation's input struct, through serde. Input structs name
//! their members as the wire does (`#[serde(rename_all = "PascalCase")]`); lists arrive as
//! `X.member.N` (or `X.N`), structures in lists as `X.member.N.Field`, maps as
//! `X.entry.N.key`/`X.entry.N.value`; numbers and booleans are parsed from their text. A
//! required member that is absent is AWS's `ValidationError` ("Value null at 'userName' …").
//! Parameters no member names (`Action`, `Version`, signature parameters) are ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::error::AwsError;
use crate::protocol::query::{lower_first, missing, not_a_number, Params};

/// Decodes `params` into `T`. `renames` maps a wire member name to the field name `T` uses for
/// it (shared input structs, such as one for `UserName`/`GroupName`/`RoleName`, name it once);
/// a missing renamed member is reported under its wire name.
pub fn from_params<T: DeserializeOwned>(params: &Params, renames: &[(&str, &'static str)]) -> Result<T, AwsError> {
    let root = tree(params, renames);
    T::deserialize(De { node: &root, path: String::new() }).map_err(|e| match e {
        Error::Missing(field) => {
            let wire = renames.iter().find(|(_, f)| *f == field).map_or(field, |(w, _)| *w);
            missing(wire)
        }
        Error::Aws(e) => e,
    })
}

/// Convenience for inputs that need no renames.
pub fn input<T: DeserializeOwned>(params: &Params) -> Result<T, AwsError> {
    from_params(params, &[])
}

enum Node {
    Text(String),
    Tree(BTreeMap<String, Node>),
}

fn tree(params: &Params, renames: &[(&str, &'static str)]) -> Node {
    let mut root = Node::Tree(BTreeMap::new());
    for (name, value) in params.pairs() {
        let mut segs: Vec<&str> = name.split('.').collect();
        if let Some((_, field)) = renames.iter().find(|(w, _)| *w == segs[0]) {
            segs[0] = field;
        }
        insert(&mut root, &segs, value);
    }
    root
}

/// The first value of a name wins (as `Params::get`); a structure wins over a bare value.
fn insert(node: &mut Node, segs: &[&str], value: &str) {
    let Some((first, rest)) = segs.split_first() else { return };
    if let Node::Text(_) = node {
        *node = Node::Tree(BTreeMap::new());
    }
    let Node::Tree(map) = node else { return };
    if rest.is_empty() {
        map.entry(first.to_string()).or_insert_with(|| Node::Text(value.to_string()));
        return;
    }
    let child = map.entry(first.to_string()).or_insert_with(|| Node::Tree(BTreeMap::new()));
    insert(child, rest, value);
}

/// A decoding failure: a missing required member, or AWS's error for a bad value.
#[derive(Debug)]
enum Error {
    Missing(&'static str),
    Aws(AwsError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(field) => write!(f, "missing {field}"),
            Error::Aws(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Aws(AwsError::client("ValidationError", msg.to_string()))
    }

    fn missing_field(field: &'static str) -> Self {
        Error::Missing(field)
    }
}

struct De<'a> {
    node: &'a Node,
    /// Where the value is, as AWS's messages name it (`maxItems`, `tags.member.key`).
    path: String,
}

impl<'a> De<'a> {
    fn text(&self) -> Option<&'a str> {
        match self.node {
            Node::Text(t) => Some(t),
            Node::Tree(_) => None,
        }
    }

    fn int(&self) -> Result<i64, Error> {
        let text = self.text().unwrap_or("");
        text.trim().parse().map_err(|_| Error::Aws(not_a_number(&self.path, text)))
    }

    fn child(&self, key: &str, node: &'a Node) -> De<'a> {
        let name = lower_first(key);
        let path = if self.path.is_empty() { name } else { format!("{}.{name}", self.path) };
        De { node, path }
    }

    /// The items of `X.member.N` or `X.N`, from 1 up to the first gap.
    fn items(&self) -> Vec<&'a Node> {
        let Node::Tree(map) = self.node else { return Vec::new() };
        let map = match map.get("member").or_else(|| map.get("entry")) {
            Some(Node::Tree(inner)) => inner,
            _ => map,
        };
        (1..).map_while(|i| map.get(&i.to_string())).collect()
    }
}

macro_rules! int_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n = self.int()?;
            visitor.visit_i64(n)
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for De<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(t) => visitor.visit_str(t),
            Node::Tree(map) => visitor.visit_map(Fields { de: &self, entries: map.iter().collect(), at: 0 }),
        }
    }

    int_methods!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.text().unwrap_or("");
        visitor.visit_f64(text.trim().parse().map_err(|_| Error::Aws(not_a_number(&self.path, text)))?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    /// `true` in any case is true; any other text is false.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.text().is_some_and(|t| t.eq_ignore_ascii_case("true")))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let path = format!("{}.member", self.path);
        visitor.visit_seq(Items { items: self.items().into_iter(), path })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    /// `X.entry.N.key` / `X.entry.N.value`.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut entries = Vec::new();
        for item in self.items() {
            if let Node::Tree(fields) = item {
                if let (Some(Node::Text(k)), Some(v)) = (fields.get("key"), fields.get("value")) {
                    entries.push((k.as_str(), v));
                }
            }
        }
        visitor.visit_map(Entries { path: self.path.clone(), entries: entries.into_iter(), value: None })
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Tree(map) => visitor.visit_map(Fields { de: &self, entries: map.iter().collect(), at: 0 }),
            Node::Text(_) => visitor.visit_map(Fields { de: &self, entries: Vec::new(), at: 0 }),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        visitor.visit_enum(self.text().unwrap_or("").into_deserializer())
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit_struct identifier tuple_struct
    }
}

/// A structure's members.
struct Fields<'a, 'b> {
    de: &'b De<'a>,
    entries: Vec<(&'a String, &'a Node)>,
    at: usize,
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.entries.get(self.at) {
            Some((k, _)) => seed.deserialize(k.as_str().into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, node) = self.entries[self.at];
        self.at += 1;
        seed.deserialize(self.de.child(k, node))
    }
}

/// A map's entries.
struct Entries<'a, I: Iterator<Item = (&'a str, &'a Node)>> {
    path: String,
    entries: I,
    value: Option<&'a Node>,
}

impl<'de, 'a, I: Iterator<Item = (&'a str, &'a Node)>> MapAccess<'de> for Entries<'a, I> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self.value.take().ok_or_else(|| de::Error::custom("a map value without its key"))?;
        seed.deserialize(De { node, path: format!("{}.entry.value", self.path) })
    }
}

/// A list's items.
struct Items<'a, I: Iterator<Item = &'a Node>> {
    items: I,
    path: String,
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> SeqAccess<'de> for Items<'a, I> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed.deserialize(De { node, path: self.path.clone() }).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        Params::parse(body.as_bytes(), "")
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: Option<String>,
        value: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        user_name: String,
        max_items: Option<i64>,
        set_as_default: Option<bool>,
        #[serde(default)]
        tags: Vec<Tag>,
        #[serde(default)]
        filter: Vec<String>,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
    }

    #[test]
    fn members_lists_structures_maps_numbers_and_booleans() {
        let p = params(&[
            ("Action", "X"),
            ("UserName", "ana"),
            ("MaxItems", " 5"),
            ("SetAsDefault", "TRUE"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
            ("Tags.member.2.Key", "cost"),
            ("Tags.member.4.Key", "after a gap"),
            ("Filter.1", "User"),
            ("Filter.2", "Role"),
            ("Attributes.entry.1.key", "a"),
            ("Attributes.entry.1.value", "1"),
        ]);
        let v: Input = input(&p).unwrap();
        assert_eq!(v.user_name, "ana");
        assert_eq!((v.max_items, v.set_as_default), (Some(5), Some(true)));
        assert_eq!(
            v.tags,
            [Tag { key: Some("team".into()), value: Some("red".into()) }, Tag { key: Some("cost".into()), value: None }]
        );
        assert_eq!(v.filter, ["User", "Role"]);
        assert_eq!(v.attributes.get("a").map(String::as_str), Some("1"));
    }

    #[test]
    fn missing_members_and_bad_numbers_have_aws_wording() {
        let e = input::<Input>(&params(&[("MaxItems", "5")])).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.message, "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
        let e = input::<Input>(&params(&[("UserName", "a"), ("MaxItems", "five")])).unwrap_err();
        assert_eq!(e.message, "1 validation error detected: Value 'five' at 'maxItems' failed to satisfy constraint: Member must be a number");
        #[derive(Debug, Deserialize)]
        struct Named {
            #[serde(rename = "Name")]
            _name: String,
        }
        let e = from_params::<Named>(&params(&[]), &[("RoleName", "Name")]).unwrap_err();
        assert!(e.message.contains("'roleName'"), "{}", e.message);
        assert!(from_params::<Named>(&params(&[("RoleName", "r")]), &[("RoleName", "Name")]).is_ok());
    }
}
