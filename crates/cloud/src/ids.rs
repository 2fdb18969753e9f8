//! Identifiers with AWS's shapes: access key ids (AKIA…, ASIA…), unique ids (AIDA…, AROA…,
//! AGPA…, ANPA…), secrets, request and event ids. Keys, secrets and tokens come from the OS
//! random source; request and event ids from a per-thread generator seeded from it (`uuid`).

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source is available");
    b
}

/// `n` bytes from the OS random source (keys, secrets, tokens, nonces).
pub fn random(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    random(len).iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
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
///
/// These ids must be unique, not secret, so they come from a per-thread generator seeded
/// once from the OS random source rather than a `getrandom` system call per id (two or three
/// ids per request). Secrets and session tokens still come from the OS source.
pub fn uuid() -> String {
    let b = fast_random_16();
    let mut out = [0u8; 36];
    let mut o = 0;
    for (i, byte) in b.iter().enumerate() {
        let byte = match i {
            6 => (byte & 0x0f) | 0x40,
            8 => (byte & 0x3f) | 0x80,
            _ => *byte,
        };
        if matches!(i, 4 | 6 | 8 | 10) {
            out[o] = b'-';
            o += 1;
        }
        out[o] = HEX[(byte >> 4) as usize];
        out[o + 1] = HEX[(byte & 0xf) as usize];
        o += 2;
    }
    // Only ASCII hex digits and dashes were written.
    String::from_utf8(out.to_vec()).expect("ASCII")
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`, without `hex::encode`'s per-character iterator.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    String::from_utf8(out).expect("ASCII")
}

/// Appends the lowercase hex of `bytes` to `out`, 32 bytes at a time through a buffer on
/// the stack (one append each, not two pushes per byte).
pub fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for chunk in bytes.chunks(32) {
        let mut digits = [0u8; 64];
        for (pair, b) in digits.chunks_exact_mut(2).zip(chunk) {
            pair[0] = HEX[(b >> 4) as usize];
            pair[1] = HEX[(b & 0xf) as usize];
        }
        out.extend_from_slice(&digits[..chunk.len() * 2]);
    }
}

/// 16 bytes from this thread's generator: two wyrand generators (a Weyl-sequence counter
/// each, so the 128-bit state never repeats within a thread), seeded from the OS source the
/// first time a thread asks.
fn fast_random_16() -> [u8; 16] {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<[u64; 2]> = Cell::new({
            let seed = random_bytes::<16>();
            [u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")), u64::from_le_bytes(seed[8..].try_into().expect("8 bytes"))]
        });
    }
    STATE.with(|s| {
        let [a, b] = s.get();
        let (a, b) = (a.wrapping_add(0xa076_1d64_78bd_642f), b.wrapping_add(0xe703_7ed1_a0b4_28db));
        s.set([a, b]);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&wymix(a, a ^ 0xe703_7ed1_a0b4_28db).to_le_bytes());
        out[8..].copy_from_slice(&wymix(b, b ^ 0xa076_1d64_78bd_642f).to_le_bytes());
        out
    })
}

/// wyrand's output function: a 64×64→128 multiply folded to 64 bits.
fn wymix(a: u64, b: u64) -> u64 {
    let t = (a as u128).wrapping_mul(b as u128);
    (t >> 64) as u64 ^ t as u64
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
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert!(u.split('-').map(str::len).eq([8, 4, 4, 4, 12]));
        assert!(u.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(super::hex(&[0x00, 0x9f, 0xff]), hex::encode([0x00, 0x9f, 0xff]));
        // Every byte value, and lengths across the 32-byte chunks `hex_into` works in.
        let all: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 31, 32, 33, 64, 65, 256] {
            assert_eq!(super::hex(&all[..len]), hex::encode(&all[..len]), "{len} bytes");
        }
    }

    #[test]
    fn uuids_do_not_repeat() {
        let ids: std::collections::HashSet<String> = (0..100_000).map(|_| super::uuid()).collect();
        assert_eq!(ids.len(), 100_000);
        // Other threads get their own seeds.
        let other: Vec<String> = std::thread::spawn(|| (0..1000).map(|_| super::uuid()).collect()).join().unwrap();
        assert!(other.iter().all(|u| !ids.contains(u)));
    }
}
