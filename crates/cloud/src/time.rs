//! Wall-clock time, read in one place, and the formats AWS writes it in.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn now_secs() -> i64 {
    now_millis() / 1000
}

/// `2026-11-27T14:44:12Z` (CloudTrail eventTime, IAM CreateDate uses the same with `.000Z`).
pub fn iso8601(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z");
    }
    // Written digit by digit: every call's trail event and authorization context carries
    // one, and `format!` cost more than the rest of the event's time fields.
    let mut out = *b"0000-00-00T00:00:00Z";
    put_digits(&mut out[0..4], y as u32);
    for (at, v) in [(5, m), (8, d), (11, hh), (14, mm), (17, ss)] {
        put_digits(&mut out[at..at + 2], v);
    }
    String::from_utf8(out.to_vec()).expect("ASCII digits")
}

/// Writes `v` in decimal into all of `out`, zero-padded (`v` fits).
fn put_digits(out: &mut [u8], mut v: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// `2026-11-27T14:44:12.123Z` from milliseconds (S3's XML timestamps).
pub fn iso8601_millis(ms: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(ms.div_euclid(1000));
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z", ms.rem_euclid(1000))
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Fri, 27 Nov 2026 14:44:12 GMT` (RFC 7231 HTTP-date: Last-Modified, Expires).
pub fn http_date(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    let weekday = WEEKDAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    format!("{weekday}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT", MONTHS[(m - 1) as usize])
}

/// Parses an HTTP-date (`Fri, 27 Nov 2026 14:44:12 GMT`) or an ISO 8601 time.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let t = text.trim();
    let rest = t.split_once(", ").map_or(t, |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    if let [d, mon, y, hms, "GMT" | "UTC"] = f.as_slice() {
        let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(mon))? as i64 + 1;
        let (d, y): (i64, i64) = (d.parse().ok()?, y.parse().ok()?);
        let hms: Vec<i64> = hms.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        let [h, mi, s] = hms.as_slice() else { return None };
        return Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s);
    }
    parse_iso8601(t)
}

/// `20261127T144412Z` (SigV4).
pub fn amz_date(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, (rem / 3600) as u32, (rem % 3600 / 60) as u32, (rem % 60) as u32)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `2026-11-27T14:44:12Z` (optionally with fractional seconds) or epoch seconds.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        return Some(n as i64);
    }
    if t.len() < 19 || !t.is_ascii() {
        return None;
    }
    let num = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (num(0, 4)?, num(5, 7)?, num(8, 10)?, num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let days = days_from_civil(y, m, d);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_440_938_160), "2015-08-30T12:36:00Z");
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(parse_iso8601("2015-08-30T12:36:00Z"), Some(1_440_938_160));
        assert_eq!(parse_iso8601("2015-08-30T12:36:00.123Z"), Some(1_440_938_160));
        assert_eq!(http_date(1_440_938_160), "Sun, 30 Aug 2015 12:36:00 GMT");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(1_440_938_160));
        assert_eq!(iso8601_millis(1_440_938_160_123), "2015-08-30T12:36:00.123Z");
    }

    #[test]
    fn iso8601_writes_what_format_writes() {
        for secs in (-86_400 * 365..4_102_444_800).step_by(7_919_999).chain([253_402_300_799, 253_402_300_800, -62_167_219_201]) {
            let (y, m, d, hh, mm, ss) = civil(secs);
            assert_eq!(iso8601(secs), format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"), "{secs}");
        }
    }
}
