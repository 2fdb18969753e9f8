//! Typed readings of condition values: numbers, dates, IP addresses and CIDR blocks,
//! base64. Each returns None for text it cannot read; callers turn that into a
//! validation finding (policy side) or a non-match (request side).

use std::net::IpAddr;

/// A number as IAM's Numeric operators read it: an integer or a decimal.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') || body.matches('.').count() > 1 {
        return None;
    }
    if body == "." {
        return None;
    }
    t.parse::<f64>().ok()
}

/// An instant in nanoseconds since the Unix epoch, from the forms IAM accepts:
/// ISO 8601 (`2020-01-01`, `2020-01-01T12:00:00Z`, fractional seconds, `+hh:mm` offsets,
/// basic `20200101T120000Z`) or epoch seconds (`1577836800`, possibly fractional).
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let t = text.trim();
    // Every accepted form is ASCII; checking first keeps the slicing below on char boundaries.
    if t.is_empty() || !t.is_ascii() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') && !t[1..].contains('-') {
        let secs = parse_number(t)?;
        return Some((secs * 1e9) as i128);
    }
    let (date, time) = match t.find(['T', 't', ' ']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (y, m, d) = parse_ymd(date)?;
    let days = days_from_civil(y, m, d)?;
    let mut nanos = days as i128 * 86_400_000_000_000;
    if let Some(time) = time {
        let (clock, offset_secs) = split_offset(time)?;
        let (h, mi, s, frac) = parse_hms(clock)?;
        nanos += ((h * 3600 + mi * 60 + s) as i128 - offset_secs as i128) * 1_000_000_000 + frac as i128;
    }
    Some(nanos)
}

fn parse_ymd(date: &str) -> Option<(i64, u32, u32)> {
    let digits = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    // ISO 8601 years have four digits; anything longer is not a date (and would overflow).
    let valid = |(y, m, d): (i64, u32, u32)| ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d));
    if date.len() == 8 && !date.contains('-') {
        return valid((digits(&date[..4])?, digits(&date[4..6])? as u32, digits(&date[6..])? as u32));
    }
    let mut it = date.split('-');
    let year = it.next()?;
    if year.len() != 4 {
        return None;
    }
    let y = digits(year)?;
    // Range-check before narrowing: `as u32` would wrap 4294967297 to 1.
    let m = it.next().map(digits).unwrap_or(Some(1))?;
    let d = it.next().map(digits).unwrap_or(Some(1))?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (m, d) = (m as u32, d as u32);
    if it.next().is_some() {
        return None;
    }
    valid((y, m, d))
}

/// Splits `12:00:00+02:00` into the clock and the offset in seconds east of UTC.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    if let Some(i) = time.rfind(['+', '-']) {
        let (clock, off) = (&time[..i], &time[i..]);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let off = off[1..].replace(':', "");
        if off.len() != 4 || !off.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let h: i64 = off[..2].parse().ok()?;
        let m: i64 = off[2..].parse().ok()?;
        return Some((clock, sign * (h * 3600 + m * 60)));
    }
    Some((time, 0))
}

fn parse_hms(clock: &str) -> Option<(i64, i64, i64, i64)> {
    let (main, frac) = match clock.split_once(['.', ',']) {
        Some((m, f)) => (m, f),
        None => (clock, ""),
    };
    let num = |s: &str| -> Option<i64> {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let parts: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else {
        (0..main.len()).step_by(2).map(|i| main.get(i..i + 2).unwrap_or("")).collect()
    };
    let h = num(parts.first()?)?;
    let m = parts.get(1).map(|p| num(p)).unwrap_or(Some(0))?;
    let s = parts.get(2).map(|p| num(p)).unwrap_or(Some(0))?;
    if parts.len() > 3 || h > 24 || m > 59 || s > 60 {
        return None;
    }
    let mut nanos = 0i64;
    if !frac.is_empty() {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    Some((h, m, s, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if d > month_days[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// An IPv4 or IPv6 network; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub(crate) fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                u32::from(net) & mask == u32::from(*ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                u128::from(net) & mask == u128::from(*ip) & mask
            }
            _ => false,
        }
    }
}

/// Standard base64 (with or without padding).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(t.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in t.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let day = 86_400_000_000_000i128;
        assert_eq!(parse_date("1970-01-02"), Some(day));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_date("1970-01-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date("86400"), Some(day));
        assert_eq!(parse_date("2020-02-29T10:00:00.5Z").unwrap() % 1_000_000_000, 500_000_000);
        assert_eq!(parse_date("2019-02-29"), None);
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("2020-4294967297-01"), None);
        assert_eq!(parse_date("2020-01-4294967297"), None);
        assert_eq!(parse_date("20200001T000000Z"), None);
        assert_eq!(parse_date("20200101T000000Z"), parse_date("2020-01-01T00:00:00Z"));
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(&"10.1.2.3".parse().unwrap()));
        assert!(!c.contains(&"11.1.2.3".parse().unwrap()));
        assert!(!c.contains(&"::1".parse().unwrap()));
        let c6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c6.contains(&"2001:db8:1::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(&"1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn base64_and_numbers() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert!(decode_base64("a$").is_none());
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e5"), None);
        assert_eq!(parse_number("abc"), None);
    }
}
