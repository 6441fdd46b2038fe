//! Exact seat-hours: how long sessions held their seats, clipped to UTC hours, days or
//! months, computed from the sessions' own start and end (not from samples). Written
//! once here so that the usage endpoint, the CSV export and the Stripe meter reports
//! can never disagree, whatever backend holds the sessions.

use chrono::{DateTime, Datelike, Duration, DurationRound, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

/// Microseconds in an hour: seat-hours are summed in microseconds and divided once.
const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

/// The width of a usage bucket: calendar-aligned in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// A UTC hour.
    Hour,
    /// A UTC day.
    Day,
    /// A UTC calendar month.
    Month,
}

impl Granularity {
    /// The query value (`hour`, `day`, `month`), or `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// The longest window a request may ask for at this width (the contract: 31 days
    /// by hour, 366 by day; ten years by month), so one answer stays bounded.
    pub fn max_span(self) -> Duration {
        match self {
            Self::Hour => Duration::days(31),
            Self::Day => Duration::days(366),
            Self::Month => Duration::days(3660),
        }
    }

    /// The start of the bucket holding `t`.
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Hour => t.duration_trunc(Duration::hours(1)).unwrap_or(t),
            Self::Day => t.duration_trunc(Duration::days(1)).unwrap_or(t),
            Self::Month => month_start(t.year(), t.month()),
        }
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Hour => start + Duration::hours(1),
            Self::Day => start + Duration::days(1),
            Self::Month if start.month() == 12 => month_start(start.year() + 1, 1),
            Self::Month => month_start(start.year(), start.month() + 1),
        }
    }
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Why a usage window was refused, for the field-level error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// `to` is not after `from`.
    Empty,
    /// Longer than the granularity allows ([`Granularity::max_span`]).
    TooLong,
}

/// A checked usage window: `[from, to)`, split into buckets of one granularity. The
/// first and last buckets are clipped to the window, so seat-hours outside it never
/// count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    granularity: Granularity,
}

impl UsageWindow {
    /// A window, if it is non-empty and no longer than the granularity allows.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: Granularity,
    ) -> Result<Self, WindowError> {
        if to <= from {
            return Err(WindowError::Empty);
        }
        if to - from > granularity.max_span() {
            return Err(WindowError::TooLong);
        }
        Ok(Self {
            from,
            to,
            granularity,
        })
    }

    /// Where the window starts.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// Where the window ends (exclusive).
    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    /// The buckets `[start, end)` of the part of `[start, end)` inside the window, in
    /// order, each clipped to the window.
    fn buckets_over(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let start = start.max(self.from);
        let end = end.min(self.to);
        let mut at = self.granularity.floor(start);
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let next = self.granularity.next(at);
            let bucket = (at.max(self.from), next.min(self.to));
            at = next;
            Some(bucket)
        })
    }
}

/// When a session stopped holding its seat, by the contract's rule: when it was
/// released or forced, else when its TTL ran out if that has passed, else `now` (it is
/// still live).
pub fn seat_end(
    ended_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    ended_at.unwrap_or(expires_at.min(now))
}

/// One session's hold on a seat, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatSpan {
    /// When the seat was acquired.
    pub start: DateTime<Utc>,
    /// When the seat was given back ([`seat_end`]).
    pub end: DateTime<Utc>,
}

/// One license's use in one bucket: a row of the usage endpoint and of its CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRow {
    /// The license.
    pub license_id: Uuid,
    /// Its product, when it has one.
    pub product_id: Option<Uuid>,
    /// The bucket's start (clipped to the window).
    pub start: DateTime<Utc>,
    /// The bucket's end (clipped to the window).
    pub end: DateTime<Utc>,
    /// Microseconds of seat use in the bucket, summed over sessions.
    pub seat_micros: i64,
    /// The most sessions holding a seat at one instant of the bucket.
    pub peak_seats: u32,
    /// Sessions that held a seat at some point of the bucket.
    pub sessions: u32,
    /// Acquires refused for lack of a seat in the bucket.
    pub denials: u32,
}

impl UsageRow {
    /// Seat-hours: the microseconds as hours.
    pub fn seat_hours(&self) -> f64 {
        self.seat_micros as f64 / MICROS_PER_HOUR
    }
}

/// A meter event's value: seat-hours rounded up to whole hundredths (the contract's
/// rule, so a minute of use is never reported as nothing).
pub fn hundredths_up(seat_micros: i64) -> i64 {
    const MICROS_PER_HUNDREDTH: i64 = 36_000_000;
    (seat_micros.max(0) + MICROS_PER_HUNDREDTH - 1) / MICROS_PER_HUNDREDTH
}

/// One license's rows: every bucket of the window in which it held a seat or refused
/// one, in order. Buckets with neither are left out, so a sparse month of a thousand
/// licenses stays small.
pub fn license_usage(
    window: &UsageWindow,
    license_id: Uuid,
    product_id: Option<Uuid>,
    spans: &[SeatSpan],
    denials: &[DateTime<Utc>],
) -> Vec<UsageRow> {
    use std::collections::BTreeMap;
    // Per bucket start: the spans' clipped pieces, then the denials.
    let mut pieces: BTreeMap<DateTime<Utc>, (DateTime<Utc>, Vec<SeatSpan>, u32)> = BTreeMap::new();
    for span in spans.iter().filter(|s| s.end > s.start) {
        for (b_start, b_end) in window.buckets_over(span.start, span.end) {
            let piece = SeatSpan {
                start: span.start.max(b_start),
                end: span.end.min(b_end),
            };
            if piece.end > piece.start {
                let e = pieces.entry(b_start).or_insert((b_end, Vec::new(), 0));
                e.1.push(piece);
            }
        }
    }
    for &t in denials
        .iter()
        .filter(|t| **t >= window.from && **t < window.to)
    {
        if let Some((b_start, b_end)) = window.buckets_over(t, t + Duration::microseconds(1)).next()
        {
            pieces.entry(b_start).or_insert((b_end, Vec::new(), 0)).2 += 1;
        }
    }
    pieces
        .into_iter()
        .map(|(start, (end, spans, denials))| UsageRow {
            license_id,
            product_id,
            start,
            end,
            seat_micros: spans
                .iter()
                .map(|s| (s.end - s.start).num_microseconds().unwrap_or(0))
                .sum(),
            peak_seats: peak(&spans),
            sessions: u32::try_from(spans.len()).unwrap_or(u32::MAX),
            denials,
        })
        .collect()
}

/// The most spans overlapping at one instant (a span ending at `t` and one starting at
/// `t` do not overlap: the seat was handed over).
fn peak(spans: &[SeatSpan]) -> u32 {
    let mut edges: Vec<(DateTime<Utc>, i32)> = spans
        .iter()
        .flat_map(|s| [(s.start, 1), (s.end, -1)])
        .collect();
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    u32::try_from(most).unwrap_or(0)
}

#[cfg(test)]
#[path = "metering_tests.rs"]
mod tests;
