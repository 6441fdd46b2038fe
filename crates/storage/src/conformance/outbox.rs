//! The mail outbox: mails queued by the writes that make them, claimed under a lease,
//! then sent, retried or given up.

use std::collections::HashSet;

use chrono::Duration;
use coditect_domain::MemberRole;
use futures::future::join_all;

use super::fixtures::{actor, invitation, mail, sleep_ms, tenant, unique};
use crate::{OutboxCounts, Store};
use coditect_domain::PageRequest;

/// Queues `n` invitation mails (invitations are one of the writes that queue mail).
async fn queue_mails(store: &dyn Store, n: usize) -> Vec<String> {
    let t = tenant(store).await;
    let mut recipients = Vec::new();
    for _ in 0..n {
        let who = format!("{}@example.com", unique("rcpt"));
        let inv = invitation(
            t.id,
            &who,
            MemberRole::Viewer,
            &unique("tok"),
            Duration::days(1),
        );
        store
            .create_invitation(inv, mail("invitation", &who), &actor())
            .await
            .unwrap();
        recipients.push(who);
    }
    recipients
}

fn counts(pending: i64, sent: i64, failed: i64, pending_attempts: i64) -> OutboxCounts {
    OutboxCounts {
        pending,
        sent,
        failed,
        pending_attempts,
    }
}

/// `claim_mails` hands out up to `limit` due mails with what to send, and hides them from
/// other claims for the lease; `outbox_counts` still counts them pending.
pub async fn claim_mails_leases_due_mails(store: &dyn Store) {
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts::default()
    );
    let recipients = queue_mails(store, 3).await;
    assert_eq!(store.outbox_counts().await.unwrap(), counts(3, 0, 0, 0));
    let first = store.claim_mails(2, Duration::minutes(5)).await.unwrap();
    assert_eq!(first.len(), 2);
    for m in &first {
        assert!(recipients.contains(&m.recipient), "{m:?}");
        assert_eq!((m.kind.as_str(), m.attempts), ("invitation", 0));
        assert_eq!(m.subject, format!("invitation for {}", m.recipient));
        assert_eq!(m.body_sealed, format!("sealed body for {}", m.recipient));
    }
    let rest = store.claim_mails(10, Duration::minutes(5)).await.unwrap();
    let mut all: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|m| m.recipient.clone())
        .collect();
    all.sort();
    let mut expected = recipients.clone();
    expected.sort();
    assert_eq!(all, expected, "each mail handed out once");
    assert!(store
        .claim_mails(10, Duration::minutes(5))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.outbox_counts().await.unwrap(), counts(3, 0, 0, 0));
}

/// A sender that dies mid-send loses nothing: once its lease runs out the mail is handed
/// out again.
pub async fn a_lease_that_runs_out_hands_the_mail_out_again(store: &dyn Store) {
    queue_mails(store, 1).await;
    let first = store.claim_mails(5, Duration::seconds(1)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(store
        .claim_mails(5, Duration::seconds(1))
        .await
        .unwrap()
        .is_empty());
    sleep_ms(1200).await;
    let again = store.claim_mails(5, Duration::minutes(5)).await.unwrap();
    assert_eq!(
        again.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![first[0].id]
    );
}

/// `mail_sent` takes a mail out of the queue for good: counted sent, never claimed again.
pub async fn mail_sent_takes_a_mail_out_of_the_queue(store: &dyn Store) {
    queue_mails(store, 2).await;
    let claimed = store.claim_mails(1, Duration::zero()).await.unwrap();
    store.mail_sent(claimed[0].id).await.unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), counts(1, 1, 0, 0));
    // With no lease the other mail is due at once; the sent one never is.
    for _ in 0..2 {
        let due = store.claim_mails(10, Duration::zero()).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_ne!(due[0].id, claimed[0].id);
    }
}

/// `mail_failed` counts an attempt: with `retry_in` the mail is due again after it (and
/// counts its attempts), without it the mail is given up and never claimed again.
pub async fn mail_failed_retries_later_or_gives_up(store: &dyn Store) {
    queue_mails(store, 1).await;
    let m = store
        .claim_mails(1, Duration::minutes(5))
        .await
        .unwrap()
        .remove(0);
    store
        .mail_failed(m.id, "421 try later", Some(Duration::zero()))
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), counts(1, 0, 0, 1));
    let retried = store.claim_mails(1, Duration::minutes(5)).await.unwrap();
    assert_eq!((retried[0].id, retried[0].attempts), (m.id, 1));
    store
        .mail_failed(m.id, "421 try later", Some(Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), counts(1, 0, 0, 2));
    assert!(
        store
            .claim_mails(1, Duration::zero())
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    store
        .mail_failed(m.id, "550 no such user", None)
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), counts(0, 0, 1, 0));
    assert!(store
        .claim_mails(1, Duration::zero())
        .await
        .unwrap()
        .is_empty());
}

/// Senders claiming at once (one per server process) get each mail once between them.
pub async fn concurrent_claims_hand_out_each_mail_once(store: &dyn Store) {
    queue_mails(store, 9).await;
    let claims = join_all((0..6).map(|_| store.claim_mails(2, Duration::minutes(5)))).await;
    let mut ids = Vec::new();
    for c in claims {
        ids.extend(c.expect("claim").into_iter().map(|m| m.id));
    }
    ids.extend(
        store
            .claim_mails(100, Duration::minutes(5))
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.id),
    );
    let distinct: HashSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (9, 9));
}

/// Staff's view: `list_mails` pages the outbox newest first, filtered by state, and shows
/// attempts and the last error of a mail refused for good (never its body); `retry_mail`
/// puts only a failed mail back in the queue, due at once, its attempts counted from 0
/// again (so a new failure waits the first backoff step, not the longest).
pub async fn list_mails_shows_states_and_retry_requeues_a_failed_mail(store: &dyn Store) {
    use crate::OutboxEntry;
    use coditect_domain::mail::MailState;
    let recipients = queue_mails(store, 3).await;
    let all = store
        .list_mails(None, PageRequest::default())
        .await
        .unwrap();
    let order: Vec<&str> = all.items.iter().map(|m| m.recipient.as_str()).collect();
    let newest_first: Vec<&str> = recipients.iter().rev().map(String::as_str).collect();
    assert_eq!((order, all.next_after), (newest_first, None));
    let first = PageRequest {
        limit: 2,
        after: None,
    };
    let p1 = store.list_mails(None, first).await.unwrap();
    let rest = PageRequest {
        limit: 2,
        after: p1.next_after,
    };
    let p2 = store.list_mails(None, rest).await.unwrap();
    assert_eq!((p1.items.len(), p2.items.len()), (2, 1));
    assert_eq!(
        (p2.items[0].recipient.as_str(), p2.next_after),
        (recipients[0].as_str(), None)
    );
    let m = store
        .claim_mails(1, Duration::minutes(5))
        .await
        .unwrap()
        .remove(0);
    store
        .mail_failed(m.id, "550 no such user", None)
        .await
        .unwrap();
    let failed = store
        .list_mails(Some(MailState::Failed), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(failed.items.len(), 1);
    let f: &OutboxEntry = &failed.items[0];
    assert_eq!(
        (f.id, f.state, f.attempts, f.last_error.as_deref()),
        (m.id, MailState::Failed, 1, Some("550 no such user"))
    );
    assert!(f.failed_at.is_some() && f.next_attempt_at.is_none() && f.sent_at.is_none());
    let queued = store
        .list_mails(Some(MailState::Queued), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(queued.items.len(), 2);
    assert!(queued
        .items
        .iter()
        .all(|q| q.state == MailState::Queued && q.next_attempt_at.is_some()));
    // Only a failed mail can be retried.
    assert_eq!(store.retry_mail(queued.items[0].id).await.unwrap(), None);
    assert_eq!(store.retry_mail(uuid::Uuid::now_v7()).await.unwrap(), None);
    let again = store.retry_mail(m.id).await.unwrap().expect("requeued");
    assert_eq!(
        (again.state, again.attempts, again.failed_at),
        (MailState::Queued, 0, None)
    );
    assert_eq!(store.get_mail(m.id).await.unwrap(), Some(again));
    assert_eq!(store.outbox_counts().await.unwrap(), counts(3, 0, 0, 0));
    let due = store.claim_mails(10, Duration::minutes(5)).await.unwrap();
    assert!(
        due.iter().any(|d| d.id == m.id),
        "a retried mail is due at once"
    );
    // Failing again counts from 0: one attempt, as for a new mail.
    store
        .mail_failed(m.id, "421 try later", Some(Duration::zero()))
        .await
        .unwrap();
    let once = store.get_mail(m.id).await.unwrap().expect("the mail");
    assert_eq!((once.state, once.attempts), (MailState::Queued, 1));
    let due = store.claim_mails(10, Duration::minutes(5)).await.unwrap();
    assert!(due.iter().any(|d| d.id == m.id), "due again");
    store.mail_sent(m.id).await.unwrap();
    let sent = store
        .list_mails(Some(MailState::Sent), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (sent.items.len(), sent.items[0].state),
        (1, MailState::Sent)
    );
    assert_eq!(
        store.retry_mail(m.id).await.unwrap(),
        None,
        "a sent mail is not retried"
    );
}
