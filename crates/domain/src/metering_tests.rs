use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn span(a: &str, b: &str) -> SeatSpan {
    SeatSpan {
        start: t(a),
        end: t(b),
    }
}

fn window(a: &str, b: &str, g: Granularity) -> UsageWindow {
    UsageWindow::new(t(a), t(b), g).unwrap()
}

#[test]
fn a_session_spanning_hours_is_split_at_each_hour_and_clipped_to_the_window() {
    let w = window(
        "2026-01-01T10:30:00Z",
        "2026-01-01T13:00:00Z",
        Granularity::Hour,
    );
    let id = Uuid::nil();
    let rows = license_usage(
        &w,
        id,
        None,
        &[span("2026-01-01T09:00:00Z", "2026-01-01T12:15:00.000001Z")],
        &[],
    );
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.start, r.end, r.seat_micros))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                t("2026-01-01T10:30:00Z"),
                t("2026-01-01T11:00:00Z"),
                1_800_000_000
            ),
            (
                t("2026-01-01T11:00:00Z"),
                t("2026-01-01T12:00:00Z"),
                3_600_000_000
            ),
            (
                t("2026-01-01T12:00:00Z"),
                t("2026-01-01T13:00:00Z"),
                900_000_001
            ),
        ]
    );
    assert_eq!(rows[1].seat_hours(), 1.0);
}

#[test]
fn peak_counts_overlap_and_a_handover_is_not_an_overlap() {
    let w = window(
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
        Granularity::Day,
    );
    let spans = [
        span("2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"),
        span("2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"),
        span("2026-01-01T02:30:00Z", "2026-01-01T04:00:00Z"),
        span("2026-01-01T02:45:00Z", "2026-01-01T02:50:00Z"),
    ];
    let rows = license_usage(&w, Uuid::nil(), None, &spans, &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].peak_seats, rows[0].sessions), (3, 4));
    let hours = 1.0 + 1.0 + 1.5 + 5.0 / 60.0;
    assert!((rows[0].seat_hours() - hours).abs() < 1e-12);
}

#[test]
fn denials_count_in_their_bucket_and_make_a_row_of_their_own() {
    let w = window(
        "2026-01-01T00:00:00Z",
        "2026-01-01T03:00:00Z",
        Granularity::Hour,
    );
    let rows = license_usage(
        &w,
        Uuid::nil(),
        None,
        &[span("2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z")],
        &[
            t("2026-01-01T00:15:00Z"),
            t("2026-01-01T02:59:59Z"),
            t("2026-01-01T03:00:00Z"),
        ],
    );
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.start, r.sessions, r.denials))
        .collect();
    assert_eq!(
        got,
        vec![
            (t("2026-01-01T00:00:00Z"), 1, 1),
            (t("2026-01-01T02:00:00Z"), 0, 1)
        ]
    );
}

#[test]
fn months_follow_the_calendar_across_the_year_end() {
    let g = Granularity::Month;
    assert_eq!(
        g.floor(t("2026-02-17T05:00:00Z")),
        t("2026-02-01T00:00:00Z")
    );
    assert_eq!(g.next(t("2026-12-01T00:00:00Z")), t("2027-01-01T00:00:00Z"));
    let w = window("2026-11-15T00:00:00Z", "2027-01-10T00:00:00Z", g);
    let rows = license_usage(
        &w,
        Uuid::nil(),
        None,
        &[span("2026-11-30T00:00:00Z", "2027-01-02T00:00:00Z")],
        &[],
    );
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.start, r.seat_micros / 3_600_000_000))
        .collect();
    assert_eq!(
        got,
        vec![
            (t("2026-11-15T00:00:00Z"), 24),
            (t("2026-12-01T00:00:00Z"), 31 * 24),
            (t("2027-01-01T00:00:00Z"), 24),
        ]
    );
}

#[test]
fn a_seat_ends_when_released_else_at_its_ttl_else_now() {
    let now = t("2026-01-01T12:00:00Z");
    let released = Some(t("2026-01-01T10:00:00Z"));
    assert_eq!(
        seat_end(released, t("2026-01-01T11:00:00Z"), now),
        t("2026-01-01T10:00:00Z")
    );
    assert_eq!(
        seat_end(None, t("2026-01-01T11:00:00Z"), now),
        t("2026-01-01T11:00:00Z")
    );
    assert_eq!(seat_end(None, t("2026-01-01T13:00:00Z"), now), now);
}

#[test]
fn windows_are_bounded_by_their_granularity() {
    let from = t("2026-01-01T00:00:00Z");
    assert_eq!(
        UsageWindow::new(from, from, Granularity::Day),
        Err(WindowError::Empty)
    );
    assert_eq!(
        UsageWindow::new(from, from + Duration::days(32), Granularity::Hour),
        Err(WindowError::TooLong)
    );
    assert!(UsageWindow::new(from, from + Duration::days(366), Granularity::Day).is_ok());
    assert_eq!(Granularity::parse("week"), None);
}

#[test]
fn meter_values_round_up_to_hundredths() {
    use super::hundredths_up;
    assert_eq!(hundredths_up(0), 0);
    assert_eq!(hundredths_up(1), 1);
    assert_eq!(hundredths_up(36_000_000), 1);
    assert_eq!(hundredths_up(36_000_001), 2);
    assert_eq!(hundredths_up(3_600_000_000), 100);
}
