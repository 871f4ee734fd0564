//! Wall-clock timestamps in the A2A form (digest §0): RFC 3339, UTC, `Z`, millisecond precision.
//!
//! Formatting and parsing are written by hand on the proleptic Gregorian calendar (Howard
//! Hinnant's civil-from-days algorithms), so the server needs no date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; clamp rather than fail a request.
        Err(_) => 0,
    }
}

/// `2025-10-28T10:30:00.000Z` for `ms` since the epoch. With `offset` the zone is written as
/// `+00:00` instead of `Z` (the TimestampOffset fault).
pub(crate) fn format_ms(ms: i64, offset: bool) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(29);
    push_num(&mut out, y, 4);
    out.push('-');
    push_num(&mut out, m, 2);
    out.push('-');
    push_num(&mut out, d, 2);
    out.push('T');
    push_num(&mut out, sod / 3600, 2);
    out.push(':');
    push_num(&mut out, (sod / 60) % 60, 2);
    out.push(':');
    push_num(&mut out, sod % 60, 2);
    out.push('.');
    push_num(&mut out, milli, 3);
    out.push_str(if offset { "+00:00" } else { "Z" });
    out
}

/// Zero-padded decimal; years beyond 9999 keep all their digits.
fn push_num(out: &mut String, v: i64, width: u32) {
    if v < 0 || v >= 10i64.pow(width) {
        out.push_str(&v.to_string());
        return;
    }
    for i in (0..width).rev() {
        out.push(char::from(b'0' + ((v / 10i64.pow(i)) % 10) as u8));
    }
}

/// Parses an RFC 3339 UTC timestamp with 0, 3, 6 or 9 fractional digits and a `Z` zone into
/// nanoseconds since the epoch. Any other offset, precision or shape is refused.
pub(crate) fn parse_nanos(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, d| Some(acc * 10 + i64::from(d - b'0')))
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let rest = &b[19..];
    let (frac_digits, zone) = match rest.first() {
        Some(b'.') => {
            let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            (&rest[1..1 + digits], &rest[1 + digits..])
        }
        _ => (&rest[..0], rest),
    };
    if !matches!(frac_digits.len(), 0 | 3 | 6 | 9) || !matches!(zone, b"Z" | b"z") {
        return None;
    }
    let mut nanos: i128 = 0;
    for (i, c) in frac_digits.iter().enumerate() {
        nanos += i128::from(c - b'0') * 10i128.pow(8 - i as u32);
    }
    let days = days_from_civil(y, mo, d);
    // A leap second (:60) is folded into the next second, as most parsers do.
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants_with_millis_and_z() {
        assert_eq!(format_ms(0, false), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_ms(1_761_647_400_123, false),
            "2025-10-28T10:30:00.123Z"
        );
        assert_eq!(
            format_ms(951_782_400_000, false),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(format_ms(0, true), "1970-01-01T00:00:00.000+00:00");
    }

    #[test]
    fn parses_every_allowed_precision() {
        let base = 1_761_647_400i128 * 1_000_000_000;
        assert_eq!(parse_nanos("2025-10-28T10:30:00Z"), Some(base));
        assert_eq!(
            parse_nanos("2025-10-28T10:30:00.123Z"),
            Some(base + 123_000_000)
        );
        assert_eq!(
            parse_nanos("2025-10-28T10:30:00.123456Z"),
            Some(base + 123_456_000)
        );
        assert_eq!(
            parse_nanos("2025-10-28T10:30:00.123456789Z"),
            Some(base + 123_456_789)
        );
    }

    #[test]
    fn refuses_offsets_odd_precision_and_garbage() {
        for bad in [
            "2025-10-28T10:30:00+00:00",
            "2025-10-28T10:30:00.12Z",
            "2025-10-28T10:30:00.1234Z",
            "2025-10-28 10:30:00Z",
            "2025-13-28T10:30:00Z",
            "2025-02-30T10:30:00Z",
            "2025-10-28T24:30:00Z",
            "yesterday",
            "",
            "2025-10-28T10:30:00.Z",
        ] {
            assert_eq!(parse_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for ms in [
            0i64,
            1,
            999,
            86_399_999,
            1_700_000_000_000,
            4_102_444_800_000,
        ] {
            assert_eq!(
                parse_nanos(&format_ms(ms, false)),
                Some(i128::from(ms) * 1_000_000)
            );
        }
    }
}
