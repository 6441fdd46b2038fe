//! Usage history: how seat use and denials are bucketed over time for analytics. The
//! stores aggregate samples per bucket; the arithmetic that turns those sums into
//! averages (counting time with no sample as zero use) lives here, once.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The most buckets one analytics answer may hold.
pub const MAX_BUCKETS: i64 = 5000;

/// The width of one point of an analytics series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day (UTC).
    Day,
}

impl Bucket {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }
    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "minute" => Some(Self::Minute),
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            _ => None,
        }
    }
    /// Width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Bucket::Minute => 60,
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        }
    }
    /// The start of the bucket holding `t` (buckets are aligned on the Unix epoch, UTC).
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let s = self.seconds();
        DateTime::from_timestamp(t.timestamp().div_euclid(s) * s, 0).unwrap_or(t)
    }
}

/// Seat use of one bucket as a store aggregates it: per sample slot the seats used are
/// summed over the licenses in scope; `sum` and `peak` are over those slot totals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketUsage {
    /// Bucket start.
    pub at: DateTime<Utc>,
    /// Sum of the slot totals.
    pub sum: i64,
    /// Largest slot total.
    pub peak: i64,
    /// Slots that had a sample.
    pub slots: i64,
}

/// One point of an analytics series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Bucket start.
    pub at: DateTime<Utc>,
    /// Average seats used over the bucket's elapsed time.
    pub seats_used_avg: f64,
    /// Most seats used at one sample.
    pub seats_used_peak: i64,
    /// Acquires refused for want of a seat.
    pub denials: i64,
    /// The bucket is still running (it ends after `min(to, now)`): its figures are "so far",
    /// and a chart must not read its lower numbers as a drop.
    pub partial: bool,
}

/// An analytics answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsageSeries {
    /// Bucket width.
    pub bucket: Bucket,
    /// Start of the range.
    pub from: DateTime<Utc>,
    /// End of the range (exclusive).
    pub to: DateTime<Utc>,
    /// One point per bucket, oldest first, empty buckets included.
    pub series: Vec<SeriesPoint>,
    /// Most seats used at one sample in the range.
    pub peak: i64,
    /// Average seats used over the range's elapsed time.
    pub average: f64,
    /// Denials in the range.
    pub denials_total: i64,
}

/// How many sample slots of `sample_secs` fit in `[start, end)` clipped to
/// `[from, min(to, now))`: the denominator of an average that counts unsampled time
/// (when nothing was in use, the sampler writes nothing) as zero seats.
pub fn expected_slots(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    sample_secs: i64,
) -> i64 {
    let lo = start.max(from);
    let hi = end.min(to).min(now);
    let secs = (hi - lo).num_seconds();
    if secs <= 0 {
        return 0;
    }
    (secs + sample_secs.max(1) - 1) / sample_secs.max(1)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Builds the series for `[from, to)` from per-bucket usage and denial counts.
pub fn build_series(
    bucket: Bucket,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    sample_secs: i64,
    usage: &[BucketUsage],
    denials: &[(DateTime<Utc>, i64)],
) -> UsageSeries {
    let width = chrono::Duration::seconds(bucket.seconds());
    let mut series = Vec::new();
    let (mut peak, mut sum, mut slots, mut denials_total) = (0i64, 0i64, 0i64, 0i64);
    let mut at = bucket.floor(from);
    while at < to {
        let end = at + width;
        let u = usage.iter().find(|u| u.at == at);
        let d = denials
            .iter()
            .filter(|(t, _)| *t == at)
            .map(|(_, n)| n)
            .sum::<i64>();
        let (b_sum, b_peak, b_slots) = u.map_or((0, 0, 0), |u| (u.sum, u.peak, u.slots));
        let expected = expected_slots(at, end, from, to, now, sample_secs).max(b_slots);
        let avg = if expected > 0 {
            b_sum as f64 / expected as f64
        } else {
            0.0
        };
        series.push(SeriesPoint {
            at,
            seats_used_avg: round2(avg),
            seats_used_peak: b_peak,
            denials: d,
            partial: end > to.min(now),
        });
        peak = peak.max(b_peak);
        sum += b_sum;
        slots += expected;
        denials_total += d;
        at = end;
    }
    let average = if slots > 0 {
        round2(sum as f64 / slots as f64)
    } else {
        0.0
    };
    UsageSeries {
        bucket,
        from,
        to,
        series,
        peak,
        average,
        denials_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn idle_time_counts_as_zero_in_the_average() {
        // One hour bucket, samples every 60 s; 10 seats used during 6 sampled minutes.
        let from = t("2026-01-01T10:00:00Z");
        let to = t("2026-01-01T11:00:00Z");
        let usage = [BucketUsage {
            at: from,
            sum: 60,
            peak: 10,
            slots: 6,
        }];
        let s = build_series(Bucket::Hour, from, to, to, 60, &usage, &[(from, 3)]);
        assert_eq!(s.series.len(), 1);
        assert_eq!(s.series[0].seats_used_peak, 10);
        assert_eq!(s.series[0].seats_used_avg, 1.0);
        assert_eq!(s.average, 1.0);
        assert_eq!(s.denials_total, 3);
    }

    #[test]
    fn empty_buckets_are_listed_and_the_future_is_not_averaged() {
        let from = t("2026-01-01T10:30:00Z");
        let to = t("2026-01-01T13:00:00Z");
        let now = t("2026-01-01T11:30:00Z");
        let s = build_series(Bucket::Hour, from, to, now, 60, &[], &[]);
        let starts: Vec<_> = s.series.iter().map(|p| p.at).collect();
        assert_eq!(
            starts,
            vec![
                t("2026-01-01T10:00:00Z"),
                t("2026-01-01T11:00:00Z"),
                t("2026-01-01T12:00:00Z")
            ]
        );
        assert_eq!(expected_slots(starts[0], starts[1], from, to, now, 60), 30);
        assert_eq!(expected_slots(starts[2], to, from, to, now, 60), 0);
        assert_eq!(s.peak, 0);
        let partial: Vec<_> = s.series.iter().map(|p| p.partial).collect();
        assert_eq!(partial, vec![false, true, true]);
    }

    #[test]
    fn only_the_running_bucket_is_partial_when_the_range_ends_now() {
        let from = t("2026-01-01T10:00:00Z");
        let now = t("2026-01-01T12:15:00Z");
        let s = build_series(Bucket::Hour, from, now, now, 60, &[], &[]);
        let partial: Vec<_> = s.series.iter().map(|p| p.partial).collect();
        assert_eq!(partial, vec![false, false, true]);
        let past = build_series(
            Bucket::Hour,
            from,
            t("2026-01-01T12:00:00Z"),
            now,
            60,
            &[],
            &[],
        );
        assert!(past.series.iter().all(|p| !p.partial));
    }

    #[test]
    fn buckets_align_on_utc_boundaries() {
        assert_eq!(
            Bucket::Day.floor(t("2026-03-04T23:59:59Z")),
            t("2026-03-04T00:00:00Z")
        );
        assert_eq!(
            Bucket::Minute.floor(t("2026-03-04T10:11:12.5Z")),
            t("2026-03-04T10:11:00Z")
        );
    }
}
