//! Identifiers with AWS's shapes: access key ids (AKIA…, ASIA…), unique ids (AIDA…, AROA…,
//! AGPA…, ANPA…), secrets, request and event ids. All from the OS random source.

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source is available");
    b
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

/// A 20-character id with a four-letter prefix, e.g. `AKIA…`, `AIDA…`.
pub fn aws_id(prefix: &str) -> String {
    let mut s = String::from(prefix);
    s.push_str(&random_from(ID_ALPHABET, 20 - prefix.len()));
    s
}

/// A 40-character secret access key.
pub fn secret_key() -> String {
    random_from(SECRET_ALPHABET, 40)
}

/// A UUID v4 in its usual text form (request ids, event ids).
pub fn uuid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// An opaque session token.
pub fn session_token() -> String {
    let mut s = String::from("IQoJb3JpZ2luX2VjE");
    s.push_str(&random_from(SECRET_ALPHABET, 300));
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let k = super::aws_id("AKIA");
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert_eq!(super::secret_key().len(), 40);
        let u = super::uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
