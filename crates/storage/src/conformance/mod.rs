//! The conformance suite: what every [`Store`](crate::Store) must do, written once and run
//! on every backend, so that the backends cannot drift apart in what they promise.
//!
//! The method docs of the store traits are the contract; each check here asserts one
//! method's part of it (normal results, `None` and not-found cases, conflicts, paging,
//! idempotence, one-time tokens, audit entries), and [`seat_races`] the seat invariant
//! under concurrency. A check is a `pub async fn name(store: &dyn Store)` that expects an
//! empty, migrated store of its own and panics when the store breaks the contract.
//!
//! A backend runs them all with [`conformance_suite!`](crate::conformance_suite), one
//! `#[tokio::test]` per check (its test target needs `tokio` with the `macros` and
//! `rt-multi-thread` features):
//!
//! ```ignore
//! async fn run(check: coditect_storage::conformance::Check) {
//!     let store = MyStore::connect(&fresh_database_url()).await.unwrap();
//!     check(&store).await;
//! }
//! coditect_storage::conformance_suite!(mybackend, run);
//! ```
//!
//! The tests are named `<backend>::<module>::<check>`, e.g.
//! `sqlite::seats::acquire_takes_a_new_seat`.

use std::future::Future;
use std::pin::Pin;

use crate::Store;

mod fixtures;

pub mod accounts;
pub mod audit;
pub mod basics;
pub mod billing;
pub mod denials;
pub mod event_ledger;
pub mod expiry;
pub mod identity;
pub mod invitation_lifecycle;
pub mod invitations;
pub mod license_keys;
pub mod license_lists;
pub mod licenses;
pub mod members;
pub mod meter;
pub mod outbox;
pub mod password_resets;
pub mod products;
pub mod seat_races;
pub mod seat_use;
pub mod seats;
pub mod sessions;
pub mod signing;
pub mod staff;
pub mod tenants;
pub mod upgrade;
pub mod usage;
pub mod webhooks;

/// The future of one check running on a store it borrows.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One check of the suite, as a backend's runner receives it: give it a fresh store and
/// await it.
pub type Check = for<'a> fn(&'a dyn Store) -> CheckFuture<'a>;

/// Expands to one `#[tokio::test]` per check of the suite, in a module named after the
/// backend: `conformance_suite!(sqlite, run)`, where `run` is the path of an
/// `async fn(Check)` that gives the check a fresh, empty store and awaits it (and skips,
/// returning early, when the backend is not available).
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ident, $run:path) => {
        $crate::__conformance_checks! { tests ($backend, $run) }
    };
}

/// Every check of the suite, by module: the one list the test macro and [`CHECKS`] are
/// made from. Hands the list to `__conformance_expand!` in the given mode.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ($mode:ident ($($args:tt)*)) => {
        $crate::__conformance_expand! { $mode ($($args)*)
            basics {
                names_its_backend_and_answers_pings,
                now_is_the_clock_records_are_stamped_with,
            }
            tenants {
                create_tenant_returns_the_stored_tenant,
                create_tenant_refuses_a_taken_slug,
                get_tenant_of_an_unknown_id_is_none,
                list_tenants_pages_oldest_first,
                create_token_stores_it_by_its_secret_hash,
                create_token_refuses_a_taken_secret_hash,
                list_tokens_pages_a_tenants_tokens_revoked_included,
                revoke_token_revokes_once,
                revoke_token_of_another_tenant_is_none,
                has_superadmin_token_counts_unrevoked_superadmin_tokens,
            }
            licenses {
                create_license_returns_it_with_no_seat_used,
                create_license_refuses_a_taken_key,
                get_license_is_scoped_to_its_tenant,
                find_license_by_key_finds_it_with_its_seats,
                update_license_applies_every_field_of_a_patch,
                update_license_without_a_change_writes_nothing,
                update_license_of_another_tenant_is_none,
            }
            license_lists {
                set_licenses_active_changes_only_the_tenants_licenses,
                list_licenses_pages_oldest_first,
                list_licenses_filters_by_text_state_and_expiry,
                list_licenses_finds_by_key_hash_metadata_and_session,
                archived_licenses_leave_the_listing_and_stay_suspended,
            }
            denials {
                list_denials_names_who_was_refused_newest_first,
            }
            license_keys {
                reissue_license_key_retires_the_old_key_and_keeps_seats,
                reissue_license_key_of_another_tenant_or_to_a_taken_key_changes_nothing,
            }
            seats {
                acquire_takes_a_new_seat,
                acquire_resumes_the_same_hardwares_session,
                acquire_refuses_a_full_license_and_records_a_denial,
                acquire_with_an_unknown_key_is_license_not_found,
                acquire_refuses_suspended_and_expired_licenses_without_a_denial,
                acquire_never_outlives_the_license,
                acquire_borrows_within_the_licenses_maximum,
                queued_acquires_are_served_first_come_first_served,
                leave_queue_gives_up_the_place_and_records_a_denial_once,
                acquire_reclaims_expired_seats,
            }
            sessions {
                heartbeat_extends_a_live_session,
                heartbeat_refuses_sessions_that_hold_no_seat,
                heartbeat_and_release_need_the_sessions_own_key,
                release_ends_a_session_once,
                release_of_an_expired_session_reports_it_expired,
                force_release_ends_a_session_and_audits_it_once,
                list_sessions_pages_oldest_first_by_status,
                list_sessions_during_keeps_sessions_that_overlap_the_range,
            }
            expiry {
                list_sessions_reports_unreaped_expired_sessions_as_expired,
                reap_expired_marks_each_session_once_and_audits_it,
                count_live_sessions_counts_every_license,
            }
            seat_races {
                concurrent_acquires_never_exceed_seats,
                concurrent_acquires_on_several_licenses_grant_each_its_seats,
                concurrent_acquires_of_one_hardware_share_one_session,
                concurrent_releases_end_a_session_once,
                concurrent_reapers_expire_each_session_once,
                mixed_workload_never_exceeds_seats,
            }
            accounts {
                create_first_user_only_while_no_user_exists,
                concurrent_first_users_make_exactly_one,
                user_credentials_by_email,
                user_profile_lists_memberships_in_tenant_order,
                list_users_pages_oldest_first,
                web_session_lives_until_idle_or_absolute_expiry,
                delete_web_session_signs_out_and_tolerates_unknown,
            }
            staff {
                staff_are_promoted_and_demoted_keeping_one,
                concurrent_demotions_of_the_last_two_staff_leave_one,
                deactivation_ends_sessions_and_refuses_new_ones,
            }
            identity {
                sso_flows_are_spent_once_by_their_browser,
                sso_required_is_set_per_tenant_and_audited_on_change,
                sso_accepts_every_usable_invitation_of_an_email,
                totp_steps_and_recovery_codes_are_accepted_once,
                sign_in_challenges_are_spent_once,
                signups_make_an_owner_and_a_tenant_once,
                trusted_issuers_are_unique_by_issuer_and_audience,
            }
            password_resets {
                create_password_reset_only_for_known_emails,
                password_reset_looks_without_using,
                reset_password_is_one_time_and_ends_sessions,
                expired_password_reset_is_spent,
            }
            invitations {
                create_invitation_audits_and_queues_its_mail,
                accept_invitation_creates_a_new_account_once,
                accept_invitation_attaches_an_existing_account,
                accept_invitation_conflicts_when_the_account_changed,
                accept_invitation_changes_an_existing_membership,
                expired_invitation_is_spent,
            }
            invitation_lifecycle {
                inviting_again_replaces_the_live_invitation,
                revoke_invitation_stops_the_link_and_is_audited,
                expired_invitation_lists_as_expired,
                concurrent_invitations_of_one_address_leave_one_pending,
            }
            members {
                list_members_pages_by_user_id,
                get_member_is_scoped_to_its_tenant,
                update_member_changes_the_role_and_audits_changes_only,
                update_member_keeps_an_owner,
                remove_member_keeps_an_owner_and_audits,
            }
            outbox {
                claim_mails_leases_due_mails,
                a_lease_that_runs_out_hands_the_mail_out_again,
                mail_sent_takes_a_mail_out_of_the_queue,
                mail_failed_retries_later_or_gives_up,
                concurrent_claims_hand_out_each_mail_once,
                list_mails_shows_states_and_retry_requeues_a_failed_mail,
            }
            usage {
                sample_usage_samples_active_licenses_once_per_slot,
                concurrent_samplers_write_one_sample_per_license,
                usage_buckets_sum_seats_per_slot_and_count_denials,
                tenant_usage_reports_every_tenant,
                prune_history_deletes_what_can_no_longer_matter,
            }
            seat_use {
                seat_use_lists_a_page_of_licenses_with_sessions_and_denials,
                seat_use_leaves_out_what_lies_outside_the_window,
            }
            signing {
                first_key_is_stored_only_without_a_current_one,
                rotation_retires_the_old_key_until_its_retention,
                concurrent_first_starts_store_one_key,
                a_stored_kid_is_a_conflict,
                sealed_secrets_are_all_resealed,
            }
            products {
                create_product_stores_it_with_its_prices_in_order,
                product_slugs_and_prices_are_unique,
                update_product_applies_a_patch_and_moves_prices,
                list_products_pages_oldest_first,
            }
            billing {
                store_billing_event_is_idempotent_by_id,
                billing_events_list_newest_first_and_filter,
                an_event_is_claimed_once_even_by_racing_transactions,
                a_billing_transaction_keeps_marks_invoices_and_trials,
                tenant_billing_links_one_customer_to_one_tenant,
                licenses_sold_under_a_subscription_are_found_and_filtered,
                an_expiry_reminder_is_recorded_once_with_its_mails,
            }
            webhooks {
                webhooks_are_kept_to_their_scope,
                license_and_session_changes_are_events,
                denials_make_one_seat_denied_a_minute,
                deliveries_are_claimed_once_and_recorded,
            }
            event_ledger {
                an_expiry_is_recorded_once,
                prune_history_keeps_what_is_still_to_send,
            }
            meter {
                meter_reports_are_queued_once_behind_the_cursor,
                meter_reports_are_claimed_under_a_lease,
            }
            audit {
                list_audit_pages_newest_first_per_tenant,
                list_audit_filters_before_paging,
                every_audited_write_leaves_one_entry,
                seat_traffic_and_no_op_writes_leave_no_entry,
            }
        }
    };
}

/// Turns the list of checks into tests (`tests`) or into [`CHECKS`] (`names`).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_expand {
    (tests ($backend:ident, $run:path) $($module:ident { $($check:ident),* $(,)? })*) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            $(
                mod $module {
                    #[allow(unused_imports)]
                    use super::*;
                    $(
                        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $check() {
                            fn __check(
                                store: &dyn $crate::Store,
                            ) -> $crate::conformance::CheckFuture<'_> {
                                ::std::boxed::Box::pin($crate::conformance::$module::$check(store))
                            }
                            $run(__check).await;
                        }
                    )*
                }
            )*
        }
    };
    (names () $($module:ident { $($check:ident),* $(,)? })*) => {
        /// Every check of the suite as `(module, name, check)`, in the order the test macro
        /// lists them: for runners other than the macro, and for the test that no check is
        /// left out of it.
        pub const CHECKS: &[(&str, &str, Check)] = &[$($(
            (stringify!($module), stringify!($check), {
                fn __check(store: &dyn Store) -> CheckFuture<'_> {
                    Box::pin($module::$check(store))
                }
                __check
            }),
        )*)*];
    };
}

crate::__conformance_checks! { names () }

#[cfg(test)]
mod tests {
    use super::CHECKS;

    const SOURCES: &[(&str, &str)] = &[
        ("accounts", include_str!("accounts.rs")),
        ("audit", include_str!("audit.rs")),
        ("basics", include_str!("basics.rs")),
        ("billing", include_str!("billing.rs")),
        ("denials", include_str!("denials.rs")),
        ("event_ledger", include_str!("event_ledger.rs")),
        ("expiry", include_str!("expiry.rs")),
        ("identity", include_str!("identity.rs")),
        (
            "invitation_lifecycle",
            include_str!("invitation_lifecycle.rs"),
        ),
        ("invitations", include_str!("invitations.rs")),
        ("license_keys", include_str!("license_keys.rs")),
        ("license_lists", include_str!("license_lists.rs")),
        ("licenses", include_str!("licenses.rs")),
        ("members", include_str!("members.rs")),
        ("meter", include_str!("meter.rs")),
        ("outbox", include_str!("outbox.rs")),
        ("password_resets", include_str!("password_resets.rs")),
        ("products", include_str!("products.rs")),
        ("seat_races", include_str!("seat_races.rs")),
        ("seat_use", include_str!("seat_use.rs")),
        ("seats", include_str!("seats.rs")),
        ("sessions", include_str!("sessions.rs")),
        ("signing", include_str!("signing.rs")),
        ("staff", include_str!("staff.rs")),
        ("tenants", include_str!("tenants.rs")),
        ("usage", include_str!("usage.rs")),
        ("webhooks", include_str!("webhooks.rs")),
    ];

    #[test]
    fn every_public_check_is_in_the_suite_and_every_file_is_short() {
        let mut public = Vec::new();
        for (module, src) in SOURCES {
            assert!(
                src.lines().count() < 400,
                "{module}.rs is {} lines",
                src.lines().count()
            );
            for line in src.lines() {
                if let Some(rest) = line.strip_prefix("pub async fn ") {
                    let name = rest.split(['(', '<']).next().unwrap_or_default();
                    public.push((*module, name));
                }
            }
        }
        let listed: Vec<_> = CHECKS.iter().map(|(m, n, _)| (*m, *n)).collect();
        for check in &public {
            assert!(
                listed.contains(check),
                "{check:?} is not in conformance_suite!"
            );
        }
        assert_eq!(
            listed.len(),
            public.len(),
            "a listed check that is not a pub async fn"
        );
        let modules: Vec<_> = SOURCES.iter().map(|(m, _)| *m).collect();
        assert!(
            listed.iter().all(|(m, _)| modules.contains(m)),
            "a module missing from SOURCES"
        );
    }
}
