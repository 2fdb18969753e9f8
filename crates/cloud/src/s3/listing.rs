//! Listings: ListObjects (v1), ListObjectsV2, ListObjectVersions.
//!
//! One pure selection (`select`) serves all three: it walks a bucket's keys in order (UTF-8
//! binary order, the `BTreeMap`'s), keeps those under the prefix and after the marker, rolls
//! keys up to common prefixes at the delimiter, and stops at max-keys, where a common
//! prefix counts once, like an object or a version. The operations parse and check the
//! request as S3 does, authorize it, and write S3's XML.

use std::borrow::Cow;
use std::ops::Bound;

use edgeward_policy::ContextValue;

use super::model::Version;
use super::request::{iam_action, S3Request};
use super::wire::{self, document};
use super::{authorize, bucket, Reply};
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::xml::Xml;
use crate::state::State;

/// The most entries one page holds, whatever max-keys asks for (S3 echoes the request).
const PAGE_LIMIT: usize = 1000;

/// Where a listing resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After<'q> {
    /// From the first key.
    Start,
    /// Strictly after this key (a marker, start-after, a continuation token, a key-marker):
    /// keys that roll up to a common prefix not after it were listed before.
    Key(&'q str),
    /// After this version of this key (key-marker with version-id-marker): the key's older
    /// versions, then the following keys.
    Version(&'q str, &'q str),
}

impl<'q> After<'q> {
    fn key(self) -> Option<&'q str> {
        match self {
            After::Start => None,
            After::Key(k) | After::Version(k, _) => Some(k),
        }
    }
}

/// What a listing selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Each key's current version unless it is a delete marker (ListObjects, ListObjectsV2).
    Current,
    /// Every version and delete marker, newest first within a key (ListObjectVersions).
    Versions,
}

/// A listing request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct Query<'q> {
    pub prefix: &'q str,
    /// None (or empty): no rollup.
    pub delimiter: Option<&'q str>,
    pub after: After<'q>,
    /// At most `PAGE_LIMIT`; 0 selects nothing.
    pub max_keys: usize,
}

/// One entry of a page, in listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// An object (its current version), a version or a delete marker.
    Version(&'a Version),
    /// A common prefix: the keys under it up to and including the delimiter.
    Prefix(&'a str),
}

impl<'a> Entry<'a> {
    /// The key or common prefix a following page resumes after.
    pub fn key(&self) -> &'a str {
        match self {
            Entry::Version(v) => &v.key,
            Entry::Prefix(p) => p,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page<'a> {
    pub entries: Vec<Entry<'a>>,
    /// More entries follow the page.
    pub truncated: bool,
}

impl<'a> Page<'a> {
    pub fn versions(&self) -> impl Iterator<Item = &'a Version> + '_ {
        self.entries.iter().filter_map(|e| match e {
            Entry::Version(v) => Some(*v),
            Entry::Prefix(_) => None,
        })
    }

    pub fn prefixes(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.entries.iter().filter_map(|e| match e {
            Entry::Prefix(p) => Some(*p),
            Entry::Version(_) => None,
        })
    }

    /// Where the next page starts, when there is one: the last key or common prefix, and
    /// the last version's id (none after a common prefix).
    pub fn next(&self) -> Option<(&'a str, Option<&'a str>)> {
        let last = self.entries.last().filter(|_| self.truncated)?;
        let version = match last {
            Entry::Version(v) => Some(v.version_id.as_str()),
            Entry::Prefix(_) => None,
        };
        Some((last.key(), version))
    }
}

/// Selects one page from `objects` (key → versions oldest first, in key order; a
/// `BTreeMap` range starting at the prefix or the marker is enough).
pub fn select<'a, I>(objects: I, q: &Query<'_>, mode: Mode) -> Page<'a>
where
    I: IntoIterator<Item = (&'a str, &'a [Version])>,
{
    let mut page = Page::default();
    if q.max_keys == 0 {
        return page;
    }
    let marker = q.after.key();
    let delimiter = q.delimiter.filter(|d| !d.is_empty());
    let mut last_prefix: Option<&'a str> = None;
    'keys: for (key, versions) in objects {
        if !key.starts_with(q.prefix) {
            // Keys under the prefix are contiguous: past them, nothing more can match.
            if key > q.prefix {
                break;
            }
            continue;
        }
        if marker.is_some_and(|m| key < m) {
            continue;
        }
        // This key's entries, newest first.
        let chosen: &'a [Version] = match mode {
            Mode::Current => match versions.last() {
                Some(v) if !v.delete_marker && marker != Some(key) => std::slice::from_ref(v),
                _ => continue,
            },
            Mode::Versions => match q.after {
                After::Key(m) if m == key => continue,
                // The versions older than the marker's; all of them if it is gone (deleted
                // since the previous page): a repeat is better than a miss.
                After::Version(m, id) if m == key => match versions.iter().position(|v| v.version_id == id) {
                    Some(i) => &versions[..i],
                    None => versions,
                },
                _ => versions,
            },
        };
        if chosen.is_empty() {
            continue;
        }
        if let Some(d) = delimiter {
            if let Some(i) = key[q.prefix.len()..].find(d) {
                let prefix = &key[..q.prefix.len() + i + d.len()];
                // Already on this page, or listed on an earlier one (the marker is the
                // prefix itself, or a key under it).
                if last_prefix == Some(prefix) || marker.is_some_and(|m| prefix <= m) {
                    continue;
                }
                if page.entries.len() == q.max_keys {
                    page.truncated = true;
                    break;
                }
                page.entries.push(Entry::Prefix(prefix));
                last_prefix = Some(prefix);
                continue;
            }
        }
        for v in chosen.iter().rev() {
            if page.entries.len() == q.max_keys {
                page.truncated = true;
                break 'keys;
            }
            page.entries.push(Entry::Version(v));
        }
    }
    page
}

/// `encoding-type=url` as S3 applies it to keys and prefixes: UTF-8 bytes percent-encoded
/// (uppercase hex) except letters, digits, `-`, `_`, `.`, `*` and `/`; a space is `+`.
pub fn url_encode(s: &str) -> Cow<'_, str> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*' | b'/');
    if s.bytes().all(keep) {
        return Cow::Borrowed(s);
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if keep(b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    Cow::Owned(out)
}

/// A ListObjectsV2 continuation token: opaque to clients, the key or common prefix the next
/// page starts after.
pub fn continuation_token(after: &str) -> String {
    let mut raw = Vec::with_capacity(after.len() + 1);
    raw.push(TOKEN_TAG);
    raw.extend_from_slice(after.as_bytes());
    crate::protocol::base64::encode(&raw)
}

const TOKEN_TAG: u8 = 0x01;

/// The key a continuation token names, or S3's error for one it did not issue.
pub fn parse_continuation_token(token: &str) -> Result<String, AwsError> {
    let incorrect = || AwsError::client("InvalidArgument", "The continuation token provided is incorrect").with("ArgumentName", "continuation-token");
    let raw = crate::protocol::base64::decode(token).filter(|r| r.first() == Some(&TOKEN_TAG)).ok_or_else(incorrect)?;
    String::from_utf8(raw[1..].to_vec()).map_err(|_| incorrect())
}

/// max-keys: what the response echoes (the request's value, default 1000) and the page size.
fn max_keys(req: &S3Request) -> Result<(i32, usize), AwsError> {
    let raw = match req.q("max-keys") {
        None | Some("") => return Ok((PAGE_LIMIT as i32, PAGE_LIMIT)),
        Some(v) => v,
    };
    let n: i32 = raw.parse().map_err(|_| {
        AwsError::client("InvalidArgument", "Provided max-keys not an integer or within integer range")
            .with("ArgumentName", "max-keys")
            .with("ArgumentValue", raw)
    })?;
    if n < 0 {
        // The two listings word this differently (as measured against S3).
        return Err(if req.op == "ListObjectVersions" {
            AwsError::client("InvalidArgument", "max-keys cannot be negative").with("ArgumentName", "max-keys")
        } else {
            AwsError::client("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647")
                .with("ArgumentName", "maxKeys")
                .with("ArgumentValue", raw)
        });
    }
    Ok((n, (n as usize).min(PAGE_LIMIT)))
}

/// encoding-type: absent, or `url`.
fn url_encoding(req: &S3Request) -> Result<bool, AwsError> {
    match req.q("encoding-type") {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(AwsError::client("InvalidArgument", "Invalid Encoding Method specified in Request")
            .with("ArgumentName", "encoding-type")
            .with("ArgumentValue", other)),
    }
}

/// S3 refuses a NUL in the parameters that name keys.
fn no_nul(req: &S3Request, names: &[&'static str]) -> Result<(), AwsError> {
    for &name in names {
        if let Some(v) = req.q(name).filter(|v| v.contains('\0')) {
            return Err(AwsError::client("InvalidArgument", "Value must be a sequence of Unicode characters and cannot include Null.")
                .with("ArgumentName", name)
                .with("ArgumentValue", v));
        }
    }
    Ok(())
}

/// Authorizes the listing on its bucket, with the condition keys bucket policies use to
/// restrict listings.
fn allow(call: &mut Call<'_>, st: &State, req: &S3Request) -> Result<(), AwsError> {
    let b = bucket(st, req.bucket())?;
    let mut ctx = Vec::new();
    for (param, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
        if let Some(v) = req.q(param) {
            ctx.push((key.into(), ContextValue::Single(v.to_string())));
        }
    }
    authorize(call, st, b, None, iam_action(req.op, false), req, ctx)
}

/// The keys from where a listing can start: the prefix or the marker, whichever is later.
fn range<'a>(objects: &'a std::collections::BTreeMap<String, Vec<Version>>, prefix: &str, after: After<'_>) -> impl Iterator<Item = (&'a str, &'a [Version])> {
    let start = match after.key() {
        Some(m) if m > prefix => m,
        _ => prefix,
    };
    objects.range::<str, _>((Bound::Included(start), Bound::Unbounded)).map(|(k, v)| (k.as_str(), v.as_slice()))
}

/// The parts of an object entry after its key (Contents, Version).
fn object_fields(x: &mut Xml, v: &Version, owner: bool) {
    x.elem("LastModified", &crate::time::iso8601_millis(v.last_modified)).elem("ETag", &v.quoted_etag());
    if let Some(c) = &v.checksum {
        x.elem("ChecksumAlgorithm", c.algorithm.name()).elem("ChecksumType", &c.kind);
    }
    x.elem("Size", &v.size.to_string());
    if owner {
        wire::owner(x, &v.owner);
    }
    x.elem("StorageClass", v.storage_class.as_deref().unwrap_or("STANDARD"));
}

fn common_prefixes(x: &mut Xml, page: &Page<'_>, enc: &dyn Fn(&str) -> String) {
    for p in page.prefixes() {
        x.open("CommonPrefixes").elem("Prefix", &enc(p)).close("CommonPrefixes");
    }
}

/// ListObjects and ListObjectsV2.
pub fn list_objects(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    let v2 = req.op == "ListObjectsV2";
    let (max_echo, max) = max_keys(req)?;
    let url = url_encoding(req)?;
    let token = match req.q("continuation-token").filter(|_| v2) {
        Some(t) => Some(parse_continuation_token(t)?),
        None => None,
    };
    no_nul(req, if v2 { &["prefix", "start-after"] } else { &["prefix", "marker"] })?;
    let prefix = req.q("prefix").unwrap_or("");
    let delimiter = req.q("delimiter").filter(|d| !d.is_empty());
    let marker = if v2 { req.q("start-after") } else { req.q("marker") };
    // A continuation token resumes after its key; start-after stays a floor.
    let after = match (token.as_deref(), marker) {
        (Some(t), Some(m)) => Some(t.max(m)),
        (t, m) => t.or(m),
    };
    let after = after.filter(|a| !a.is_empty()).map_or(After::Start, After::Key);
    let b = bucket(st, req.bucket())?;
    let q = Query { prefix, delimiter, after, max_keys: max };
    let page = select(range(&b.objects, prefix, after), &q, Mode::Current);
    let enc = |s: &str| if url { url_encode(s).into_owned() } else { s.to_string() };
    let fetch_owner = !v2 || req.q("fetch-owner").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let body = document("ListBucketResult", |x| {
        x.elem("Name", &b.rec.name).elem("Prefix", &enc(prefix));
        if v2 {
            x.opt("ContinuationToken", req.q("continuation-token"));
            if let Some((next, _)) = page.next() {
                x.elem("NextContinuationToken", &continuation_token(next));
            }
            x.elem("KeyCount", &page.entries.len().to_string());
        } else {
            x.elem("Marker", &enc(marker.unwrap_or("")));
            // Only with a delimiter (otherwise the last key is the next marker).
            if let Some((next, _)) = page.next().filter(|_| delimiter.is_some()) {
                x.elem("NextMarker", &enc(next));
            }
        }
        x.elem("MaxKeys", &max_echo.to_string());
        x.opt("Delimiter", delimiter.map(&enc).as_deref());
        if url {
            x.elem("EncodingType", "url");
        }
        x.elem("IsTruncated", wire::bool_text(page.truncated));
        if v2 {
            x.opt("StartAfter", marker.map(&enc).as_deref());
        }
        for v in page.versions() {
            x.open("Contents").elem("Key", &enc(&v.key));
            object_fields(x, v, fetch_owner);
            x.close("Contents");
        }
        common_prefixes(x, &page, &enc);
    });
    Ok(Reply::xml(body))
}

/// ListObjectVersions.
pub fn list_object_versions(call: &mut Call<'_>, st: &mut State, req: &S3Request) -> Result<Reply, AwsError> {
    allow(call, st, req)?;
    // S3's order of checks: max-keys, the version-id marker, the encoding, the values.
    let (max_echo, max) = max_keys(req)?;
    let key_marker = req.q("key-marker");
    let version_marker = req.q("version-id-marker");
    if let Some(vid) = version_marker {
        let invalid = |message: &str| {
            AwsError::client("InvalidArgument", message.to_string()).with("ArgumentName", "version-id-marker").with("ArgumentValue", vid)
        };
        if key_marker.is_none() {
            return Err(invalid("A version-id marker cannot be specified without a key marker."));
        }
        if vid.is_empty() {
            return Err(invalid("A version-id marker cannot be empty."));
        }
        if vid != "null" && !super::objects::valid_version_id(vid) {
            return Err(invalid("Invalid version id specified"));
        }
    }
    let url = url_encoding(req)?;
    no_nul(req, &["prefix", "key-marker"])?;
    let prefix = req.q("prefix").unwrap_or("");
    let delimiter = req.q("delimiter");
    let after = match (key_marker.filter(|k| !k.is_empty()), version_marker) {
        (None, _) => After::Start,
        (Some(k), None) => After::Key(k),
        (Some(k), Some(id)) => After::Version(k, id),
    };
    let b = bucket(st, req.bucket())?;
    let q = Query { prefix, delimiter, after, max_keys: max };
    let page = select(range(&b.objects, prefix, after), &q, Mode::Versions);
    let enc = |s: &str| if url { url_encode(s).into_owned() } else { s.to_string() };
    let body = document("ListVersionsResult", |x| {
        x.elem("Name", &b.rec.name)
            .elem("Prefix", &enc(prefix))
            .elem("KeyMarker", &enc(key_marker.unwrap_or("")))
            .elem("VersionIdMarker", version_marker.unwrap_or(""));
        if let Some((key, version)) = page.next() {
            x.elem("NextKeyMarker", &enc(key));
            x.opt("NextVersionIdMarker", version);
        }
        x.elem("MaxKeys", &max_echo.to_string());
        x.opt("Delimiter", delimiter.map(&enc).as_deref());
        if url {
            x.elem("EncodingType", "url");
        }
        x.elem("IsTruncated", wire::bool_text(page.truncated));
        for v in page.versions() {
            // Versions are kept oldest first: the last one is current.
            let latest = b.objects.get(&v.key).and_then(|vs| vs.last()).is_some_and(|cur| cur.seq == v.seq);
            let element = if v.delete_marker { "DeleteMarker" } else { "Version" };
            x.open(element)
                .elem("Key", &enc(&v.key))
                .elem("VersionId", &v.version_id)
                .elem("IsLatest", wire::bool_text(latest));
            if v.delete_marker {
                x.elem("LastModified", &crate::time::iso8601_millis(v.last_modified));
                wire::owner(x, &v.owner);
            } else {
                object_fields(x, v, true);
            }
            x.close(element);
        }
        common_prefixes(x, &page, &enc);
    });
    Ok(Reply::xml(body))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn version(key: &str, id: &str, seq: u64, delete_marker: bool) -> Version {
        Version {
            version_id: id.into(),
            seq,
            delete_marker,
            etag: "d41d8cd98f00b204e9800998ecf8427e".into(),
            ..Version::new("b", key, "111111111111", 1_700_000_000_000 + seq as i64)
        }
    }

    /// A bucket of single-version objects.
    fn bucket_of(keys: &[&str]) -> BTreeMap<String, Vec<Version>> {
        keys.iter().enumerate().map(|(i, k)| (k.to_string(), vec![version(k, "null", i as u64, false)])).collect()
    }

    fn query<'q>(prefix: &'q str, delimiter: Option<&'q str>, after: After<'q>, max_keys: usize) -> Query<'q> {
        Query { prefix, delimiter, after, max_keys }
    }

    /// The page as strings: keys, `P:` common prefixes, `key@id` for versions.
    fn run(objects: &BTreeMap<String, Vec<Version>>, q: Query<'_>, mode: Mode) -> (Vec<String>, bool) {
        let page = select(range(objects, q.prefix, q.after), &q, mode);
        // The same page from the whole map (the range is only a shortcut).
        let whole = select(objects.iter().map(|(k, v)| (k.as_str(), v.as_slice())), &q, mode);
        assert_eq!(page, whole);
        let shown = page
            .entries
            .iter()
            .map(|e| match e {
                Entry::Prefix(p) => format!("P:{p}"),
                Entry::Version(v) if mode == Mode::Versions => format!("{}@{}", v.key, v.version_id),
                Entry::Version(v) => v.key.clone(),
            })
            .collect();
        (shown, page.truncated)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Lists every page, resuming after each page's last entry as clients do.
    fn all_pages(objects: &BTreeMap<String, Vec<Version>>, prefix: &str, delimiter: Option<&str>, max_keys: usize) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let after = marker.as_deref().map_or(After::Start, After::Key);
            let q = query(prefix, delimiter, after, max_keys);
            let page = select(range(objects, prefix, after), &q, Mode::Current);
            pages.push(page.entries.iter().map(|e| e.key().to_string()).collect());
            match page.next() {
                Some((next, _)) => marker = Some(next.to_string()),
                None => return pages,
            }
            assert!(pages.len() < 100, "pagination does not end");
        }
    }

    #[test]
    fn keys_in_binary_order_under_a_prefix() {
        let b = bucket_of(&["b", "a", "ab", "a/c", "é", "Z", "a\u{7f}"]);
        assert_eq!(run(&b, query("", None, After::Start, 1000), Mode::Current).0, strings(&["Z", "a", "a/c", "ab", "a\u{7f}", "b", "é"]));
        assert_eq!(run(&b, query("a", None, After::Start, 1000), Mode::Current).0, strings(&["a", "a/c", "ab", "a\u{7f}"]));
        assert_eq!(run(&b, query("zz", None, After::Start, 1000), Mode::Current), (vec![], false));
    }

    #[test]
    fn delimiter_rolls_up_keys_once() {
        let b = bucket_of(&["a/1", "a/2", "a/b/3", "b", "c/", "c/x", "d//e"]);
        let (page, truncated) = run(&b, query("", Some("/"), After::Start, 1000), Mode::Current);
        assert_eq!(page, strings(&["P:a/", "b", "P:c/", "P:d/"]));
        assert!(!truncated);
        // Under a prefix, the rollup starts after it.
        assert_eq!(run(&b, query("a/", Some("/"), After::Start, 1000), Mode::Current).0, strings(&["a/1", "a/2", "P:a/b/"]));
        // A prefix that ends mid-name.
        assert_eq!(run(&b, query("a", Some("/"), After::Start, 1000), Mode::Current).0, strings(&["P:a/"]));
        // A key equal to the prefix and the delimiter.
        assert_eq!(run(&b, query("c/", Some("/"), After::Start, 1000), Mode::Current).0, strings(&["c/", "c/x"]));
        // A multi-character delimiter; an empty one does not roll up.
        assert_eq!(run(&b, query("", Some("//"), After::Start, 1000), Mode::Current).0, strings(&["a/1", "a/2", "a/b/3", "b", "c/", "c/x", "P:d//"]));
        assert_eq!(run(&b, query("", Some(""), After::Start, 1000), Mode::Current).0.len(), 7);
    }

    #[test]
    fn markers_skip_what_was_listed() {
        let b = bucket_of(&["a/1", "a/2", "b", "c/1", "c/2", "d"]);
        let q = |after, max| query("", Some("/"), after, max);
        // After a plain key.
        assert_eq!(run(&b, q(After::Key("b"), 1000), Mode::Current).0, strings(&["P:c/", "d"]));
        // A marker that is a common prefix resumes after everything under it.
        assert_eq!(run(&b, q(After::Key("a/"), 1000), Mode::Current).0, strings(&["b", "P:c/", "d"]));
        // A marker inside a rolled-up prefix does not repeat the prefix.
        assert_eq!(run(&b, q(After::Key("c/1"), 1000), Mode::Current).0, strings(&["d"]));
        // A marker before the prefix's keys still lists the prefix.
        assert_eq!(run(&b, q(After::Key("c"), 1000), Mode::Current).0, strings(&["P:c/", "d"]));
        // A marker that names no key.
        assert_eq!(run(&b, query("", None, After::Key("bb"), 1000), Mode::Current).0, strings(&["c/1", "c/2", "d"]));
        // Past the end.
        assert_eq!(run(&b, q(After::Key("zzz"), 1000), Mode::Current), (vec![], false));
    }

    #[test]
    fn max_keys_counts_objects_and_prefixes() {
        let b = bucket_of(&["a/1", "a/2", "a/3", "b", "c/1"]);
        let q = |max| query("", Some("/"), After::Start, max);
        assert_eq!(run(&b, q(1), Mode::Current), (strings(&["P:a/"]), true));
        assert_eq!(run(&b, q(2), Mode::Current), (strings(&["P:a/", "b"]), true));
        // Exactly at the end: not truncated.
        assert_eq!(run(&b, q(3), Mode::Current), (strings(&["P:a/", "b", "P:c/"]), false));
        assert_eq!(run(&b, q(4), Mode::Current), (strings(&["P:a/", "b", "P:c/"]), false));
        // Zero selects nothing and is not truncated.
        assert_eq!(run(&b, q(0), Mode::Current), (vec![], false));
        // A page that ends at a common prefix: the next one skips the rest of it.
        let page = select(range(&b, "", After::Start), &q(1), Mode::Current);
        assert_eq!(page.next(), Some(("a/", None)));
        assert_eq!(all_pages(&b, "", Some("/"), 1), vec![strings(&["a/"]), strings(&["b"]), strings(&["c/"])]);
        // The last page of an exact multiple is not truncated and names no next marker.
        let page = select(range(&b, "", After::Key("b")), &query("", Some("/"), After::Key("b"), 1), Mode::Current);
        assert_eq!((page.truncated, page.next()), (false, None));
    }

    #[test]
    fn pagination_visits_every_key_once() {
        let keys: Vec<String> = (0..57).map(|i| format!("{}/{:02}", ["x", "y/z", "y", "w"][i % 4], i)).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let b = bucket_of(&refs);
        for max in [1, 2, 3, 7, 1000] {
            let flat: Vec<String> = all_pages(&b, "", None, max).concat();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(flat, sorted, "max-keys {max}");
            let rolled: Vec<String> = all_pages(&b, "", Some("/"), max).concat();
            assert_eq!(rolled, strings(&["w/", "x/", "y/"]), "max-keys {max}");
            let under_y: Vec<String> = all_pages(&b, "y/", Some("/"), max).concat();
            assert_eq!(under_y.first().map(String::as_str), Some("y/02"));
            assert_eq!(under_y.last().map(String::as_str), Some("y/z/"));
            assert_eq!(under_y.len(), 15, "max-keys {max}");
        }
    }

    #[test]
    fn current_listing_skips_delete_markers() {
        let mut b = bucket_of(&["a", "c", "d/1"]);
        b.insert("b".into(), vec![version("b", "v1", 10, false), version("b", "v2", 11, true)]);
        b.insert("d/2".into(), vec![version("d/2", "v3", 12, true)]);
        b.insert("e/1".into(), vec![version("e/1", "v4", 13, true)]);
        b.get_mut("a").unwrap().push(version("a", "v5", 14, false));
        assert_eq!(run(&b, query("", None, After::Start, 1000), Mode::Current).0, strings(&["a", "c", "d/1"]));
        // A prefix holding only deleted keys is not listed.
        assert_eq!(run(&b, query("", Some("/"), After::Start, 1000), Mode::Current).0, strings(&["a", "c", "P:d/"]));
        // Skipped keys do not count against max-keys.
        assert_eq!(run(&b, query("", None, After::Start, 2), Mode::Current), (strings(&["a", "c"]), true));
        let page = select(range(&b, "", After::Start), &query("", None, After::Start, 1), Mode::Current);
        assert_eq!(page.versions().next().map(|v| v.version_id.as_str()), Some("v5"));
    }

    fn versioned() -> BTreeMap<String, Vec<Version>> {
        let mut b = BTreeMap::new();
        b.insert("a".to_string(), vec![version("a", "a1", 1, false), version("a", "a2", 2, false), version("a", "a3", 3, true)]);
        b.insert("b".to_string(), vec![version("b", "null", 4, false)]);
        b.insert("c/1".to_string(), vec![version("c/1", "c1", 5, true)]);
        b.insert("c/2".to_string(), vec![version("c/2", "c2", 6, false), version("c/2", "c3", 7, false)]);
        b.insert("d".to_string(), vec![version("d", "d1", 8, false), version("d", "d2", 9, false)]);
        b
    }

    #[test]
    fn versions_newest_first_with_delete_markers() {
        let b = versioned();
        assert_eq!(
            run(&b, query("", None, After::Start, 1000), Mode::Versions),
            (strings(&["a@a3", "a@a2", "a@a1", "b@null", "c/1@c1", "c/2@c3", "c/2@c2", "d@d2", "d@d1"]), false)
        );
        // Delete markers and versions alike roll up.
        assert_eq!(run(&b, query("", Some("/"), After::Start, 1000), Mode::Versions).0, strings(&["a@a3", "a@a2", "a@a1", "b@null", "P:c/", "d@d2", "d@d1"]));
        assert_eq!(run(&b, query("c/", None, After::Start, 1000), Mode::Versions).0, strings(&["c/1@c1", "c/2@c3", "c/2@c2"]));
    }

    #[test]
    fn versions_paginate_inside_one_key() {
        let b = versioned();
        let page = |after, max| run(&b, query("", None, after, max), Mode::Versions);
        assert_eq!(page(After::Start, 2), (strings(&["a@a3", "a@a2"]), true));
        let first = select(range(&b, "", After::Start), &query("", None, After::Start, 2), Mode::Versions);
        assert_eq!(first.next(), Some(("a", Some("a2"))));
        // Resuming after a2: the older a1, then the next keys.
        assert_eq!(page(After::Version("a", "a2"), 2), (strings(&["a@a1", "b@null"]), true));
        // After the oldest version of a key: the next key.
        assert_eq!(page(After::Version("a", "a1"), 1), (strings(&["b@null"]), true));
        // A key-marker alone skips all of that key's versions.
        assert_eq!(page(After::Key("a"), 1), (strings(&["b@null"]), true));
        // A version marker that is gone (deleted since): the key's versions again.
        assert_eq!(page(After::Version("d", "dX"), 5), (strings(&["d@d2", "d@d1"]), false));
        // Every page, as the paginator walks them.
        let mut seen = Vec::new();
        let mut after_owned: Option<(String, Option<String>)> = None;
        loop {
            let after = match &after_owned {
                None => After::Start,
                Some((k, None)) => After::Key(k),
                Some((k, Some(v))) => After::Version(k, v),
            };
            let q = query("", Some("/"), after, 2);
            let p = select(range(&b, "", after), &q, Mode::Versions);
            seen.extend(p.entries.iter().map(|e| match e {
                Entry::Version(v) => format!("{}@{}", v.key, v.version_id),
                Entry::Prefix(p) => format!("P:{p}"),
            }));
            match p.next() {
                Some((k, v)) => after_owned = Some((k.to_string(), v.map(str::to_string))),
                None => break,
            }
        }
        assert_eq!(seen, strings(&["a@a3", "a@a2", "a@a1", "b@null", "P:c/", "d@d2", "d@d1"]));
    }

    #[test]
    fn versions_max_keys_at_a_common_prefix() {
        let b = versioned();
        let q = |after, max| query("", Some("/"), after, max);
        assert_eq!(run(&b, q(After::Version("b", "null"), 1), Mode::Versions), (strings(&["P:c/"]), true));
        let p = select(range(&b, "", After::Key("b")), &q(After::Key("b"), 1), Mode::Versions);
        assert_eq!(p.next(), Some(("c/", None)));
        assert_eq!(run(&b, q(After::Key("c/"), 1), Mode::Versions), (strings(&["d@d2"]), true));
        assert_eq!(run(&b, q(After::Key("c/1"), 5), Mode::Versions), (strings(&["d@d2", "d@d1"]), false));
        assert_eq!(run(&b, q(After::Start, 0), Mode::Versions), (vec![], false));
    }

    #[test]
    fn url_encoding_as_s3_writes_it() {
        assert_eq!(url_encode("photos/2024/a-b_c.d*e"), "photos/2024/a-b_c.d*e");
        assert_eq!(url_encode("a b+c"), "a+b%2Bc");
        assert_eq!(url_encode("100%.csv"), "100%25.csv");
        assert_eq!(url_encode("test_file(3).png"), "test_file%283%29.png");
        assert_eq!(url_encode("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
        assert_eq!(url_encode("a\u{1}b~=:&"), "a%01b%7E%3D%3A%26");
        assert!(matches!(url_encode("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn continuation_tokens_round_trip() {
        for key in ["a", "photos/2024/", "é & <x>", ""] {
            let t = continuation_token(key);
            assert_ne!(t, key);
            assert_eq!(parse_continuation_token(&t).unwrap(), key);
        }
        for bad in ["", "not a token", "YWJj", "%%%", &crate::protocol::base64::encode(&[1, 0xff, 0xfe])] {
            let e = parse_continuation_token(bad).unwrap_err();
            assert_eq!((e.code.as_ref(), e.message.as_str()), ("InvalidArgument", "The continuation token provided is incorrect"), "{bad}");
        }
    }

    fn request(op: &'static str, query: &[(&str, &str)]) -> S3Request {
        S3Request {
            method: http::Method::GET,
            bucket: Some("b".into()),
            key: None,
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            headers: http::HeaderMap::new(),
            op,
        }
    }

    #[test]
    fn max_keys_parsing() {
        let mk = |op, v| max_keys(&request(op, &[("max-keys", v)]));
        assert_eq!(max_keys(&request("ListObjectsV2", &[])).unwrap(), (1000, 1000));
        assert_eq!(mk("ListObjectsV2", "").unwrap(), (1000, 1000));
        assert_eq!(mk("ListObjectsV2", "0").unwrap(), (0, 0));
        assert_eq!(mk("ListObjects", "7").unwrap(), (7, 7));
        assert_eq!(mk("ListObjects", "2147483647").unwrap(), (i32::MAX, 1000));
        for bad in ["abc", "1.5", "2147483648", " 1"] {
            let e = mk("ListObjectsV2", bad).unwrap_err();
            assert_eq!(e.message, "Provided max-keys not an integer or within integer range", "{bad}");
            assert!(e.details.contains(&("ArgumentValue", bad.to_string())));
        }
        let e = mk("ListObjects", "-1").unwrap_err();
        assert_eq!((e.code.as_ref(), e.message.as_str()), ("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647"));
        let e = mk("ListObjectVersions", "-1").unwrap_err();
        assert_eq!(e.message, "max-keys cannot be negative");
    }

    #[test]
    fn encoding_type_parsing() {
        assert!(!url_encoding(&request("ListObjects", &[])).unwrap());
        assert!(url_encoding(&request("ListObjects", &[("encoding-type", "url")])).unwrap());
        for bad in ["", "URL", "base64"] {
            let e = url_encoding(&request("ListObjects", &[("encoding-type", bad)])).unwrap_err();
            assert_eq!(e.message, "Invalid Encoding Method specified in Request");
        }
    }
}
