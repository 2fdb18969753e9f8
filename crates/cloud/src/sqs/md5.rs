//! SQS's digests: `MD5OfMessageBody` and `MD5OfMessageAttributes`, which
//! clients check against what they sent. MD5 is used here only as SQS's checksum.

use std::collections::BTreeMap;

use super::model::MessageAttribute;

/// The 16-byte MD5 digest of `data`.
pub fn md5(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

pub fn md5_hex(data: &[u8]) -> String {
    crate::ids::hex(&md5(data))
}

/// `MD5OfMessageAttributes` as AWS computes it: for each attribute in name order, the
/// length-prefixed (4 bytes, big-endian) name and data type, a transport byte (1 for
/// String/Number, 2 for Binary) and the length-prefixed value.
pub fn attributes_md5(attrs: &BTreeMap<String, MessageAttribute>) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    let field = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    };
    for (name, a) in attrs {
        field(&mut buf, name.as_bytes());
        field(&mut buf, a.data_type.as_bytes());
        match &a.binary {
            Some(b) => {
                buf.push(2);
                field(&mut buf, b);
            }
            None => {
                buf.push(1);
                field(&mut buf, a.string.as_deref().unwrap_or("").as_bytes());
            }
        }
    }
    Some(md5_hex(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1321_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
    }

    #[test]
    fn message_attributes_digest_matches_aws() {
        // The value botocore's own tests expect for {"timestamp": String "1493147359900"}.
        let mut attrs = BTreeMap::new();
        attrs.insert("timestamp".to_string(), MessageAttribute { data_type: "Number".into(), string: Some("1493147359900".into()), binary: None });
        assert_eq!(attributes_md5(&attrs).unwrap(), "235c5c510d26fb653d073faed50ae77c");
    }
}
