//! awsJson 1.0 / 1.1 (KMS, Secrets Manager, CloudTrail, SQS): JSON in and out. Errors carry
//! the code both in the body's `__type` (read by boto3) and in the `X-Amzn-ErrorType`
//! header (read by aws-sdk-rust); query-compatible services add `x-amzn-query-error`.

use serde_json::{json, Value};

use crate::error::AwsError;

/// The error body.
pub fn error_body(err: &AwsError) -> Vec<u8> {
    serde_json::to_vec(&json!({"__type": err.code, "message": err.message})).unwrap_or_default()
}

/// Parses a request body; an empty body is an empty object.
pub fn parse_body(body: &[u8], validation_code: &'static str) -> Result<Value, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| AwsError::client("SerializationException", format!("Could not parse the request body as JSON: {e}")))?;
    if !v.is_object() {
        return Err(AwsError::client(validation_code, "The request body must be a JSON object"));
    }
    Ok(v)
}

/// Appends `v` exactly as `serde_json::to_writer` writes it (compact, map keys in the map's
/// order), with a faster string escaper: response bodies and trail events are mostly
/// strings, and serde_json looks at each of their bytes in turn.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Numbers are rare here: serde_json's own formatting keeps them byte-identical.
        Value::Number(n) => serde_json::to_writer(&mut *out, n).expect("a number serializes"),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`, the
/// control characters (`\b \f \n \r \t` by name, the others as `\u00XX`), nothing else.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `w` is below 0x20, `"` or `\` (exact: each test is the classic
    // "has a zero byte" trick, which never reports a byte that is not there).
    fn needs_escape(w: u64) -> bool {
        let below_space = w.wrapping_sub(ONES * 0x20) & !w;
        let quote = (w ^ (ONES * b'"' as u64)).wrapping_sub(ONES) & !(w ^ (ONES * b'"' as u64));
        let backslash = (w ^ (ONES * b'\\' as u64)).wrapping_sub(ONES) & !(w ^ (ONES * b'\\' as u64));
        (below_space | quote | backslash) & HIGH != 0
    }
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (mut clean_from, mut i) = (0, 0);
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(word.try_into().expect("eight bytes"))) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let short = match b {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            0x08 => Some(b'b'),
            0x0c => Some(b'f'),
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            _ => None,
        };
        if short.is_some() || b < 0x20 {
            out.extend_from_slice(&bytes[clean_from..i]);
            match short {
                Some(c) => out.extend_from_slice(&[b'\\', c]),
                None => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
                }
            }
            clean_from = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn written(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_value(&mut out, v);
        out
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = (0u8..0x80).map(|b| (b as char).to_string()).collect();
        cases.extend(["", "plain ascii text longer than eight", "é文\u{1F600}", "\u{7f}\u{80}\u{ff}", "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{1}i\u{1f}"].map(String::from));
        // Every byte value at every offset of a word, among clean neighbours.
        for b in 0u8..0x80 {
            for at in 0..17 {
                let mut s = "x".repeat(17);
                s.replace_range(at..at + 1, &(b as char).to_string());
                cases.push(s);
            }
        }
        for s in &cases {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn values_are_written_exactly_as_serde_json_writes_them() {
        let v = json!({
            "z": [1, -2, 3.5, 1e300, u64::MAX, i64::MIN, 0.1],
            "a": {"nested": [true, false, null, "q\"uote"], "empty": {}, "none": []},
            "Key with \u{1} control": "value\twith\ttabs",
            "unicode": "é文\u{1F600}"
        });
        assert_eq!(written(&v), serde_json::to_vec(&v).unwrap());
        for scalar in [json!(null), json!(true), json!(0), json!(-0.0), json!("s")] {
            assert_eq!(written(&scalar), serde_json::to_vec(&scalar).unwrap());
        }
    }
}
