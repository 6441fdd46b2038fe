//! Expiry reminders: which threshold, if any, a license is due a mail for.

use chrono::{DateTime, Duration, Utc};

/// Parses `CODITECT_EXPIRY_REMINDER_DAYS` (`7,1`): whole days 1–365, duplicates dropped,
/// largest first; an empty value turns reminders off.
pub fn parse_thresholds(s: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let d: i64 = part
            .parse()
            .map_err(|_| format!("{part:?} is not a whole number of days"))?;
        if !(1..=365).contains(&d) {
            return Err(format!("{d} is not within 1 to 365 days"));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    Ok(out)
}

/// The reminder due now for a license expiring at `expires_at`, given the thresholds
/// already sent for that expiry: the smallest threshold it is within, if not sent yet.
/// Returned with every larger unsent threshold it is also within, which are recorded as
/// sent too so one mail never becomes several when the server saw the license late.
pub fn due(
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    thresholds: &[i64],
    sent: &[i64],
) -> Option<(i64, Vec<i64>)> {
    if expires_at <= now {
        return None;
    }
    let within: Vec<i64> = thresholds
        .iter()
        .copied()
        .filter(|d| expires_at - now <= Duration::days(*d))
        .collect();
    let smallest = *within.iter().min()?;
    if sent.contains(&smallest) {
        return None;
    }
    let record = within.into_iter().filter(|d| !sent.contains(d)).collect();
    Some((smallest, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_sort() {
        assert_eq!(parse_thresholds("1, 7,7").unwrap(), vec![7, 1]);
        assert_eq!(parse_thresholds("").unwrap(), Vec::<i64>::new());
        assert!(parse_thresholds("0").is_err());
        assert!(parse_thresholds("x").is_err());
    }

    #[test]
    fn each_threshold_once_and_a_late_look_sends_one_mail() {
        let now = Utc::now();
        let t = [7, 1];
        assert_eq!(due(now + Duration::days(8), now, &t, &[]), None);
        assert_eq!(
            due(now + Duration::days(5), now, &t, &[]),
            Some((7, vec![7]))
        );
        assert_eq!(due(now + Duration::days(5), now, &t, &[7]), None);
        assert_eq!(
            due(now + Duration::hours(20), now, &t, &[7]),
            Some((1, vec![1]))
        );
        assert_eq!(
            due(now + Duration::hours(20), now, &t, &[]),
            Some((1, vec![7, 1]))
        );
        assert_eq!(due(now + Duration::hours(20), now, &t, &[1, 7]), None);
        assert_eq!(due(now - Duration::hours(1), now, &t, &[]), None);
    }
}
