//! The date-time forms VCS writes, checked to the calendar.
//!
//! Two forms occur: RFC 3339 (`2022-01-24T15:44:47.216756+00:00`, fractional seconds optional,
//! `Z` or an offset) in the envelope and most records, and `2022-07-06 00:00:00+0000` (a space
//! instead of `T`, an offset without a colon) in transactions. A few fields the documentation
//! shows only as `null` (`az_date`, `effective_from`, `end_date`) also take a bare date.
//!
//! The schemas say all of this with a standard `pattern` and nothing else, so every validator
//! judges a date the same way: the pattern spells out the calendar, month lengths and leap years
//! included. [`parse`] is the same rule as code, for summaries and for messages that name the
//! part out of range; a test keeps the two in step.

use std::fmt;

/// A calendar date, `YYYY-MM-DD`, that exists: 31 days in the long months, 30 in the short ones,
/// 28 in February and 29 in a leap year's.
macro_rules! date {
    () => {
        concat!(
            "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
            "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
            "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
            "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
        )
    };
}

/// The time and offset after a date, in either form: `T15:44:47.216756+00:00` or
/// ` 00:00:00+0000`. Hours 00-23, minutes and seconds 00-59, offsets up to 23:59.
macro_rules! time {
    () => {
        concat!(
            "(?:[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?",
            "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])",
            "| (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9][+-](?:[01][0-9]|2[0-3])[0-5][0-9])"
        )
    };
}

/// Both date-time forms, to the calendar: the `pattern` of `defs/date-time.schema.json`.
pub const PATTERN: &str = concat!("^", date!(), time!(), "$");

/// A date alone or a date-time in either form: the `pattern` of
/// `defs/date-or-date-time.schema.json`.
pub const DATE_OR_DATE_TIME_PATTERN: &str = concat!("^", date!(), "(?:", time!(), ")?$");

/// A date-time read from a payload, reduced to what a summary needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
}

/// Why a string is not a date-time, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not one of the two forms at all.
    Shape,
    /// The form is right but a part is out of range: `month 13`, `day 45`, `hour 24`...
    OutOfRange(&'static str, u32),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Shape => f.write_str(
                "expected YYYY-MM-DDTHH:MM:SS with Z or an offset, or YYYY-MM-DD HH:MM:SS+HHMM",
            ),
            Invalid::OutOfRange(part, value) => write!(f, "{part} {value}"),
        }
    }
}

/// Parses either form and checks every part against the calendar.
pub fn parse(text: &str) -> Result<DateTime, Invalid> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return Err(Invalid::Shape);
    }
    let digits = |at: usize, len: usize| -> Result<u32, Invalid> {
        let part = b.get(at..at + len).ok_or(Invalid::Shape)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(Invalid::Shape);
        }
        Ok(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let expect = |at: usize, one_of: &[u8]| -> Result<(), Invalid> {
        match b.get(at) {
            Some(c) if one_of.contains(c) => Ok(()),
            _ => Err(Invalid::Shape),
        }
    };
    let year = digits(0, 4)?;
    expect(4, b"-")?;
    let month = digits(5, 2)?;
    expect(7, b"-")?;
    let day = digits(8, 2)?;
    let transaction_form = b[10] == b' ';
    expect(10, if transaction_form { b" " } else { b"Tt" })?;
    let hour = digits(11, 2)?;
    expect(13, b":")?;
    let minute = digits(14, 2)?;
    expect(16, b":")?;
    let second = digits(17, 2)?;
    let mut at = 19;
    if !transaction_form && b.get(at) == Some(&b'.') {
        let fraction = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if fraction == 0 {
            return Err(Invalid::Shape);
        }
        at += 1 + fraction;
    }
    let offset_minutes: i64 = match b.get(at) {
        Some(b'Z' | b'z') if !transaction_form && at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let (hours, minutes) = if transaction_form {
                if b.len() != at + 5 {
                    return Err(Invalid::Shape);
                }
                (digits(at + 1, 2)?, digits(at + 3, 2)?)
            } else {
                if b.len() != at + 6 {
                    return Err(Invalid::Shape);
                }
                expect(at + 3, b":")?;
                (digits(at + 1, 2)?, digits(at + 4, 2)?)
            };
            check(hours, 0, 23, "offset hour")?;
            check(minutes, 0, 59, "offset minute")?;
            let total = i64::from(hours * 60 + minutes);
            if sign == b'-' { -total } else { total }
        }
        _ => return Err(Invalid::Shape),
    };
    check(month, 1, 12, "month")?;
    check(day, 1, days_in_month(year, month), "day")?;
    check(hour, 0, 23, "hour")?;
    check(minute, 0, 59, "minute")?;
    // RFC 3339 allows a leap second, but no documented payload shows one and the six-digit
    // fractions VCS writes look like Python's `isoformat`, which cannot write one: 00-59, as
    // the schemas' pattern says for every validator.
    check(second, 0, 59, "second")?;
    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Ok(DateTime {
        unix: local - offset_minutes * 60,
    })
}

/// Whether `text` is a date-time in either form.
pub fn is_valid(text: &str) -> bool {
    parse(text).is_ok()
}

/// Checks a bare date (`2022-07-14`) or a date-time in either form.
pub fn check_date_or_date_time(text: &str) -> Result<(), Invalid> {
    if text.len() != 10 {
        return parse(text).map(drop);
    }
    // A date is a date-time's first ten characters: check it as midnight UTC.
    parse(&format!("{text}T00:00:00Z")).map(drop)
}

fn check(value: u32, min: u32, max: u32, part: &'static str) -> Result<(), Invalid> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Invalid::OutOfRange(part, value))
    }
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A civil date and time in UTC from seconds since the epoch: `(year, month, day, h, m, s)`.
pub fn civil_from_unix(unix: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

/// `2022-07-06 00:00:00 UTC`.
pub fn format_utc(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = civil_from_unix(unix);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// `2026-11-27T04:40:43.123Z`: a moment as RFC 3339 in UTC, with milliseconds.
pub fn format_rfc3339(since_epoch: std::time::Duration) -> String {
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let (y, mo, d, h, mi, s) = civil_from_unix(seconds);
    let millis = since_epoch.subsec_millis();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis:03}Z")
}

/// `04:40:43.123`: the time of day in UTC, for log lines.
pub fn format_clock(since_epoch: std::time::Duration) -> String {
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let (_, _, _, h, mi, s) = civil_from_unix(seconds);
    format!("{h:02}:{mi:02}:{s:02}.{:03}", since_epoch.subsec_millis())
}

/// How long ago (or ahead) `then` is from `now`, in the largest whole unit: `3 days ago`.
pub fn format_age(then: i64, now: i64) -> String {
    let delta = now - then;
    let (amount, future) = (delta.unsigned_abs(), delta < 0);
    let (count, unit) = match amount {
        0..60 => return "just now".to_string(),
        60..3_600 => (amount / 60, "minute"),
        3_600..86_400 => (amount / 3_600, "hour"),
        86_400..2_592_000 => (amount / 86_400, "day"),
        2_592_000..31_536_000 => (amount / 2_592_000, "month"),
        _ => (amount / 31_536_000, "year"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if future {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        for text in [
            "2000-01-01T00:00:00+00:00",
            "2022-01-24T15:44:47.216756+00:00",
            "2022-07-14T13:11:49+00:00",
            "2022-07-06 00:00:00+0000",
            "2022-07-06T00:00:00Z",
            "2024-02-29T23:59:59-05:30",
        ] {
            assert!(is_valid(text), "{text}");
        }
    }

    #[test]
    fn names_the_part_that_does_not_exist() {
        assert_eq!(
            parse("2025-13-45T00:00:00+00:00"),
            Err(Invalid::OutOfRange("month", 13))
        );
        assert_eq!(
            parse("2025-01-45T00:00:00+00:00"),
            Err(Invalid::OutOfRange("day", 45))
        );
        assert_eq!(
            parse("2023-02-29 00:00:00+0000"),
            Err(Invalid::OutOfRange("day", 29))
        );
        assert_eq!(
            parse("2023-02-01T24:00:00Z"),
            Err(Invalid::OutOfRange("hour", 24))
        );
    }

    #[test]
    fn rejects_mixed_and_partial_forms() {
        for text in [
            "2022-07-06",
            "2022-07-06T00:00:00",
            "2022-07-06 00:00:00+00:00",
            "2022-07-06T00:00:00+0000",
            "2022-07-06 00:00:00.5+0000",
            "2022-07-06T00:00:00.+00:00",
            "2022-07-06T00:00:00Z ",
            "22-07-06T00:00:00+00:00",
            "2022-07-06T00:00:00+00:00:00",
        ] {
            assert_eq!(parse(text), Err(Invalid::Shape), "{text}");
        }
    }

    /// A validator of `{"type": "string", "pattern": pattern}`, as other tools read the schemas.
    fn pattern(pattern: &str) -> jsonschema::Validator {
        jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": pattern }))
            .unwrap()
    }

    /// Dates around every edge of the calendar: months 00-13, days 00-32, leap and common
    /// years, centuries that are and are not leap years.
    fn edge_dates() -> Vec<String> {
        let mut dates = Vec::new();
        for year in [
            "0000", "1900", "2000", "2023", "2024", "2100", "2400", "9999",
        ] {
            for month in 0..=13 {
                for day in 0..=32 {
                    dates.push(format!("{year}-{month:02}-{day:02}"));
                }
            }
        }
        dates
    }

    /// Times around every edge: hours 23-24, minutes and seconds 59-60, offsets to 24:00.
    fn edge_times() -> Vec<String> {
        let mut times = Vec::new();
        for (h, m, s) in [
            (0, 0, 0),
            (23, 59, 59),
            (24, 0, 0),
            (12, 60, 0),
            (12, 0, 60),
            (9, 99, 99),
        ] {
            for offset in ["+00:00", "-23:59", "+24:00", "+23:60", "Z", "z"] {
                times.push(format!("T{h:02}:{m:02}:{s:02}{offset}"));
                times.push(format!("t{h:02}:{m:02}:{s:02}.216756{offset}"));
            }
            for offset in ["+0000", "-2359", "+2400", "+0060"] {
                times.push(format!(" {h:02}:{m:02}:{s:02}{offset}"));
            }
        }
        times.extend(
            [
                "T00:00:00",
                "T00:00:00.+00:00",
                " 00:00:00+00:00",
                "T00:00:00+0000",
            ]
            .map(String::from),
        );
        times
    }

    #[test]
    fn date_time_pattern_is_the_parser_to_the_calendar() {
        // Other validators see only the pattern: it must accept exactly what `parse` accepts.
        let date_time = pattern(PATTERN);
        let mut checked = 0;
        for date in edge_dates() {
            for time in edge_times() {
                let text = format!("{date}{time}");
                let json = serde_json::json!(text);
                assert_eq!(date_time.is_valid(&json), is_valid(&text), "{text}");
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn date_or_date_time_pattern_is_its_check() {
        let either = pattern(DATE_OR_DATE_TIME_PATTERN);
        for date in edge_dates() {
            for time in [
                "",
                "T13:11:49+00:00",
                " 00:00:00+0000",
                "T24:00:00Z",
                "T",
                " ",
            ] {
                let text = format!("{date}{time}");
                let json = serde_json::json!(text);
                assert_eq!(
                    either.is_valid(&json),
                    check_date_or_date_time(&text).is_ok(),
                    "{text}"
                );
            }
        }
        assert!(check_date_or_date_time("2022-07-14").is_ok());
        assert_eq!(
            check_date_or_date_time("2023-02-29"),
            Err(Invalid::OutOfRange("day", 29))
        );
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        for (year, leap) in [
            ("2024", true),
            ("2023", false),
            ("1900", false),
            ("2000", true),
            ("0000", true),
            ("2100", false),
        ] {
            let text = format!("{year}-02-29T00:00:00Z");
            assert_eq!(is_valid(&text), leap, "{text}");
            assert_eq!(
                pattern(PATTERN).is_valid(&serde_json::json!(text)),
                leap,
                "{text}"
            );
        }
    }

    #[test]
    fn converts_offsets_to_utc() {
        let a = parse("2022-07-06 02:00:00+0200").unwrap();
        let b = parse("2022-07-06T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(format_utc(a.unix), "2022-07-06 00:00:00 UTC");
        assert_eq!(
            format_utc(parse("1969-12-31T23:59:59Z").unwrap().unix),
            "1969-12-31 23:59:59 UTC"
        );
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_age(0, 30), "just now");
        assert_eq!(format_age(0, 3 * 86_400), "3 days ago");
        assert_eq!(format_age(0, 3_600), "1 hour ago");
        assert_eq!(format_age(120, 0), "in 2 minutes");
    }
}
