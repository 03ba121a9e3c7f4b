//! When a request arrived, in local time (the `TZ` environment variable, else the system's
//! zone): the time of day on text lines, the full date-time with its offset in JSON lines.

/// One moment, in the two forms lines show.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    /// `14:05:09.118`
    pub clock: String,
    /// `2026-11-27T14:05:09.118+01:00`
    pub rfc3339: String,
}

/// Now, in local time.
pub(crate) fn now() -> Stamp {
    stamp(&jiff::ZonedDateTime::now())
}

fn stamp(time: &jiff::ZonedDateTime) -> Stamp {
    Stamp {
        clock: time.strftime("%H:%M:%S%.3f").to_string(),
        rfc3339: time.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_with_its_offset() {
        let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(-3));
        let time = jiff::Timestamp::from_millisecond(1_764_252_309_118)
            .unwrap()
            .to_zoned_datetime(zone);
        let stamp = stamp(&time);
        assert_eq!(stamp.clock, "11:05:09.118");
        assert_eq!(stamp.rfc3339, "2025-11-27T11:05:09.118-03:00");
    }
}
