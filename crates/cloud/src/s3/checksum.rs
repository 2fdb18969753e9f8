//! The checksums S3 objects carry: `x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256}`
//! (base64 of the big-endian raw digest). (MD5, for the ETag and `Content-MD5`, is taken
//! beside them in `objects`.)
//!
//! Everything is incremental ([`Checksummer`]) so a body is hashed as it streams in. Multipart
//! uploads have two whole-object forms: COMPOSITE ([`composite`], the checksum of the parts'
//! raw checksums, shown as `<base64>-<parts>`) and, for the CRCs, FULL_OBJECT
//! ([`full_object_combine`], the CRC of the whole object computed from the parts' CRCs and
//! lengths without rereading any data).

use crc::{Crc, Table, CRC_32_ISCSI, CRC_32_ISO_HDLC, CRC_64_NVME};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::protocol::base64;

/// S3's `ChecksumAlgorithm`. Serialized as S3 writes it (`CRC32`, `CRC64NVME`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// `CRC32`, `crc32c`, `CRC64NVME`, … (case-insensitive, as in
    /// `x-amz-sdk-checksum-algorithm` and `x-amz-checksum-algorithm`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(name))
    }

    /// The name S3 writes (the `ChecksumAlgorithm` element, `x-amz-checksum-algorithm`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The header (and trailer) carrying the base64 value, lowercase.
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm a `x-amz-checksum-*` header or trailer name stands for (case-insensitive).
    pub fn from_header(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.header().eq_ignore_ascii_case(name))
    }

    /// The element name in S3's XML (`ChecksumCRC32`, `ChecksumCRC64NVME`, …).
    pub fn xml_element(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
            ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
            ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
            ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
            ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
        }
    }

    pub fn hasher(self) -> Checksummer {
        Checksummer(match self {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(CRC32C.digest()),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(CRC64NVME.digest()),
            ChecksumAlgorithm::Sha1 => State::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(Sha256::new()),
        })
    }

    /// Length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The CRCs; only they support FULL_OBJECT multipart checksums.
    pub fn is_crc(self) -> bool {
        matches!(
            self,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        )
    }

    /// The raw digest of one-shot `data`.
    pub fn checksum(self, data: &[u8]) -> Vec<u8> {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finish()
    }

    /// The raw digest a base64 header value carries; None when it is not base64 or not this
    /// algorithm's length (S3 then refuses the header as invalid).
    pub fn decode(self, value: &str) -> Option<Vec<u8>> {
        base64::decode(value).filter(|raw| raw.len() == self.digest_len())
    }
}

/// S3's `ChecksumType` of a multipart upload's whole-object checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChecksumType {
    /// The checksum of the parts' checksums, `<base64>-<parts>` ([`composite`]).
    Composite,
    /// The checksum of the whole object's bytes ([`full_object_combine`]; CRCs only).
    FullObject,
}

impl ChecksumType {
    /// `COMPOSITE` or `FULL_OBJECT` (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        [ChecksumType::Composite, ChecksumType::FullObject]
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }
}

// Table-driven with 16 lanes ("slice-by-16"): the fastest portable variant of the crate. The
// tables are built at compile time.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
static CRC64NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// An incremental checksum: [`update`](Checksummer::update) with the bytes in order, then
/// [`finish`](Checksummer::finish) for the raw big-endian digest.
#[derive(Clone)]
pub struct Checksummer(State);

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(crc::Digest<'static, u32, Table<16>>),
    Crc64Nvme(crc::Digest<'static, u64, Table<16>>),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Checksummer {
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.0 {
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            State::Crc32(h) => h.update(data),
            State::Crc32c(h) => h.update(data),
            State::Crc64Nvme(h) => h.update(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The raw digest, big-endian (the bytes S3 base64-encodes).
    pub fn finish(self) -> Vec<u8> {
        match self.0 {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc64Nvme(h) => h.finalize().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

impl std::fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.algorithm().name();
        f.debug_tuple("Checksummer").field(&name).finish()
    }
}

/// Standard base64 with padding, as in `x-amz-checksum-*` and `Content-MD5`.
pub fn to_base64(raw: &[u8]) -> String {
    base64::encode(raw)
}

/// The COMPOSITE multipart checksum: `alg` over the concatenated raw part checksums (in part
/// order). Raw; see [`composite_base64`] for how S3 shows it.
pub fn composite(alg: ChecksumAlgorithm, raw_part_checksums: &[Vec<u8>]) -> Vec<u8> {
    let mut hasher = alg.hasher();
    for part in raw_part_checksums {
        hasher.update(part);
    }
    hasher.finish()
}

/// The COMPOSITE multipart checksum as S3 returns it: `<base64>-<part count>`.
pub fn composite_base64(alg: ChecksumAlgorithm, raw_part_checksums: &[Vec<u8>]) -> String {
    format!(
        "{}-{}",
        to_base64(&composite(alg, raw_part_checksums)),
        raw_part_checksums.len()
    )
}

/// The FULL_OBJECT multipart checksum: the CRC of the whole object from each part's raw CRC
/// and length (in part order), without rereading the data. None for the SHA algorithms or
/// when a part's checksum is not `alg.digest_len()` bytes.
pub fn full_object_combine(alg: ChecksumAlgorithm, parts: &[(Vec<u8>, u64)]) -> Option<Vec<u8>> {
    let params = match alg {
        ChecksumAlgorithm::Crc32 => CrcParams::from_u32(&CRC_32_ISO_HDLC),
        ChecksumAlgorithm::Crc32c => CrcParams::from_u32(&CRC_32_ISCSI),
        ChecksumAlgorithm::Crc64Nvme => CrcParams::from_u64(&CRC_64_NVME),
        ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
    };
    // The CRC of no bytes is 0 for these algorithms (init == xorout), and combining onto 0
    // yields the part's own CRC, so 0 is the identity to fold from.
    let mut whole = 0u64;
    for (raw, len) in parts {
        let part = be_value(raw, alg.digest_len())?;
        whole = params.combine(whole, part, *len);
    }
    let bytes = whole.to_be_bytes();
    Some(bytes[8 - alg.digest_len()..].to_vec())
}

fn be_value(raw: &[u8], len: usize) -> Option<u64> {
    (raw.len() == len).then(|| raw.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

/// A reflected CRC whose init equals its xorout (CRC-32, CRC-32C, CRC-64/NVME), in the form
/// the combine arithmetic needs: polynomials over GF(2) modulo the generator, bit-reversed
/// (x^0 is the top bit of the `width`-bit value), as in zlib's `crc32_combine`.
struct CrcParams {
    width: u32,
    reflected_poly: u64,
}

impl CrcParams {
    fn from_u32(alg: &crc::Algorithm<u32>) -> CrcParams {
        debug_assert!(alg.refin && alg.refout && alg.init == alg.xorout);
        CrcParams {
            width: 32,
            reflected_poly: u64::from(alg.poly.reverse_bits()),
        }
    }

    fn from_u64(alg: &crc::Algorithm<u64>) -> CrcParams {
        debug_assert!(alg.refin && alg.refout && alg.init == alg.xorout);
        CrcParams {
            width: 64,
            reflected_poly: alg.poly.reverse_bits(),
        }
    }

    /// x^0 (the multiplicative identity).
    fn one(&self) -> u64 {
        1 << (self.width - 1)
    }

    /// a·b mod P.
    fn multiply(&self, a: u64, mut b: u64) -> u64 {
        let mut product = 0;
        let mut bit = self.one();
        while bit != 0 {
            if a & bit != 0 {
                product ^= b;
            }
            // b·x: a right shift in the reflected form, reduced by P when x^width appears.
            b = if b & 1 != 0 {
                (b >> 1) ^ self.reflected_poly
            } else {
                b >> 1
            };
            bit >>= 1;
        }
        product
    }

    /// x^(8·bytes) mod P, by squaring: the operator that appends `bytes` zero bytes.
    fn zeros_operator(&self, mut bytes: u64) -> u64 {
        let mut result = self.one();
        let mut square = self.one() >> 8; // x^8: one byte
        while bytes != 0 {
            if bytes & 1 != 0 {
                result = self.multiply(result, square);
            }
            square = self.multiply(square, square);
            bytes >>= 1;
        }
        result
    }

    /// CRC(A ‖ B) from CRC(A), CRC(B) and |B|. With init == xorout the init and xorout terms
    /// cancel, leaving CRC(A)·x^(8|B|) ⊕ CRC(B).
    fn combine(&self, crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
        self.multiply(self.zeros_operator(len_b), crc_a) ^ crc_b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &[u8] = b"123456789";

    fn be(raw: &[u8]) -> u64 {
        be_value(raw, raw.len()).unwrap()
    }

    /// A deterministic byte stream (xorshift), so tests need no randomness.
    fn pseudo_random(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    }

    #[test]
    fn catalog_check_values() {
        assert_eq!(be(&ChecksumAlgorithm::Crc32.checksum(CHECK)), 0xCBF4_3926);
        assert_eq!(be(&ChecksumAlgorithm::Crc32c.checksum(CHECK)), 0xE306_9283);
        assert_eq!(
            be(&ChecksumAlgorithm::Crc64Nvme.checksum(CHECK)),
            0xAE8B_1486_0A79_9888
        );
        assert_eq!(
            hex::encode(ChecksumAlgorithm::Sha1.checksum(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex::encode(ChecksumAlgorithm::Sha256.checksum(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn header_values_as_sdks_send_them() {
        // boto3 / Python: base64.b64encode(struct.pack(">I", zlib.crc32(b"hello"))).
        let b64 = |alg: ChecksumAlgorithm| to_base64(&alg.checksum(b"hello"));
        assert_eq!(b64(ChecksumAlgorithm::Crc32), "NhCmhg==");
        // hashlib.sha1 / sha256 of b"hello".
        assert_eq!(b64(ChecksumAlgorithm::Sha1), "qvTGHdzF6KLavt4PO0gs2a6pQ00=");
        assert_eq!(
            b64(ChecksumAlgorithm::Sha256),
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        );
        // Bitwise reference implementations (Python) of the catalog parameters.
        assert_eq!(b64(ChecksumAlgorithm::Crc32c), "mnG7TA==");
        assert_eq!(b64(ChecksumAlgorithm::Crc64Nvme), "M3eFcAZSQlc=");
        // The AWS SigV4 trailer example: CRC-32C of 66560 'a's.
        assert_eq!(
            to_base64(&ChecksumAlgorithm::Crc32c.checksum(&[b'a'; 66560])),
            "sOO8/Q=="
        );
    }

    #[test]
    fn names_parse_and_serialize() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::parse(alg.name()), Some(alg));
            assert_eq!(
                ChecksumAlgorithm::parse(&alg.name().to_lowercase()),
                Some(alg)
            );
            assert_eq!(ChecksumAlgorithm::from_header(alg.header()), Some(alg));
            assert_eq!(
                serde_json::to_string(&alg).unwrap(),
                format!("\"{}\"", alg.name())
            );
            assert_eq!(alg.checksum(b"").len(), alg.digest_len());
            assert_eq!(alg.hasher().algorithm(), alg);
            assert!(alg.header().ends_with(&alg.name().to_lowercase()));
            assert!(alg.xml_element().ends_with(alg.name()));
        }
        assert_eq!(
            ChecksumAlgorithm::parse("crc64nvme"),
            Some(ChecksumAlgorithm::Crc64Nvme)
        );
        assert_eq!(ChecksumAlgorithm::parse("MD5"), None);
        assert_eq!(ChecksumAlgorithm::parse("SHA-256"), None);
        let json: ChecksumAlgorithm = serde_json::from_str("\"CRC32C\"").unwrap();
        assert_eq!(json, ChecksumAlgorithm::Crc32c);
        assert_eq!(
            ChecksumType::parse("full_object"),
            Some(ChecksumType::FullObject)
        );
        assert_eq!(
            serde_json::to_string(&ChecksumType::FullObject).unwrap(),
            "\"FULL_OBJECT\""
        );
        assert_eq!(ChecksumType::Composite.name(), "COMPOSITE");
    }

    #[test]
    fn decode_checks_length() {
        let alg = ChecksumAlgorithm::Crc32;
        assert_eq!(alg.decode("NhCmhg=="), Some(alg.checksum(b"hello")));
        assert_eq!(alg.decode("M3eFcAZSQlc="), None); // a CRC-64
        assert_eq!(alg.decode("not base64"), None);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data = pseudo_random(10_000, 7);
        for alg in ChecksumAlgorithm::ALL {
            let whole = alg.checksum(&data);
            for piece in [1, 3, 64, 1000, 4099] {
                let mut hasher = alg.hasher();
                for chunk in data.chunks(piece) {
                    hasher.update(chunk);
                }
                assert_eq!(hasher.finish(), whole, "{alg:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn checksummer_is_send() {
        fn send<T: Send + 'static>(_: T) {}
        send(ChecksumAlgorithm::Crc64Nvme.hasher());
    }

    #[test]
    fn composite_is_checksum_of_checksums() {
        let parts: Vec<Vec<u8>> = [&b"part one"[..], b"part two", b"3"]
            .iter()
            .map(|p| ChecksumAlgorithm::Sha256.checksum(p))
            .collect();
        let concatenated: Vec<u8> = parts.concat();
        assert_eq!(
            composite(ChecksumAlgorithm::Sha256, &parts),
            ChecksumAlgorithm::Sha256.checksum(&concatenated)
        );
        let shown = composite_base64(ChecksumAlgorithm::Sha256, &parts);
        assert!(shown.ends_with("-3"), "{shown}");
        // Two CRC-32 parts of b"hello": crc32 over their 8 raw bytes.
        let hello = ChecksumAlgorithm::Crc32.checksum(b"hello");
        let parts = vec![hello.clone(), hello.clone()];
        let mut eight = hello.clone();
        eight.extend_from_slice(&hello);
        assert_eq!(
            composite_base64(ChecksumAlgorithm::Crc32, &parts),
            format!(
                "{}-2",
                to_base64(&ChecksumAlgorithm::Crc32.checksum(&eight))
            )
        );
    }

    #[test]
    fn full_object_combine_matches_whole_crc() {
        let data = pseudo_random(70_000, 42);
        let splits: &[&[usize]] = &[
            &[],
            &[0],
            &[1],
            &[35_000],
            &[8, 9, 10_000, 69_999],
            &[0, 0, 70_000],
            &[65_536],
        ];
        for alg in ChecksumAlgorithm::ALL.into_iter().filter(|a| a.is_crc()) {
            for cuts in splits {
                let mut bounds = vec![0];
                bounds.extend_from_slice(cuts);
                bounds.push(data.len());
                let parts: Vec<(Vec<u8>, u64)> = bounds
                    .windows(2)
                    .map(|w| (alg.checksum(&data[w[0]..w[1]]), (w[1] - w[0]) as u64))
                    .collect();
                assert_eq!(
                    full_object_combine(alg, &parts).unwrap(),
                    alg.checksum(&data),
                    "{alg:?} split at {cuts:?}"
                );
            }
            // No parts: the CRC of the empty object.
            assert_eq!(full_object_combine(alg, &[]).unwrap(), alg.checksum(b""));
            // A wrong-length part checksum is refused, not misread.
            assert_eq!(full_object_combine(alg, &[(vec![1, 2, 3], 3)]), None);
        }
        // Large lengths (parts of GiBs) exercise the squaring, not the data.
        let alg = ChecksumAlgorithm::Crc32;
        let a = alg.checksum(b"a");
        let zeros_crc =
            full_object_combine(alg, &[(a.clone(), 1), (alg.checksum(&[0; 1024]), 1024)]);
        let mut joined = b"a".to_vec();
        joined.extend_from_slice(&[0; 1024]);
        assert_eq!(zeros_crc.unwrap(), alg.checksum(&joined));
        assert!(full_object_combine(alg, &[(a.clone(), 1), (a, 5 << 30)]).is_some());
        assert_eq!(full_object_combine(ChecksumAlgorithm::Sha256, &[]), None);
    }
}
