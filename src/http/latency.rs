//! Latency figures for the `listen` and `send` summaries.

use std::time::Duration;

/// Latencies collected over a run.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    pub fn add(&mut self, latency: Duration) {
        self.samples.push(latency);
    }

    /// The latency `percent`% of the samples are at or under (nearest rank), if any.
    pub fn percentile(&self, percent: f64) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }

    pub fn max(&self) -> Option<Duration> {
        self.samples.iter().max().copied()
    }
}

/// `12.3ms`, `1.20s`.
pub fn format(latency: Duration) -> String {
    let ms = latency.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{ms:.1}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut latencies = Latencies::default();
        assert_eq!(latencies.percentile(50.0), None);
        for ms in 1..=100 {
            latencies.add(Duration::from_millis(ms));
        }
        assert_eq!(latencies.percentile(50.0), Some(Duration::from_millis(50)));
        assert_eq!(latencies.percentile(99.0), Some(Duration::from_millis(99)));
        assert_eq!(latencies.max(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn formats_read_at_a_glance() {
        assert_eq!(format(Duration::from_micros(2_340)), "2.3ms");
        assert_eq!(format(Duration::from_millis(45)), "45ms");
        assert_eq!(format(Duration::from_millis(1_500)), "1.50s");
    }
}
