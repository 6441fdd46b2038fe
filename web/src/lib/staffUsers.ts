// What staff may do to an account from the users list, and how each action is confirmed:
// promote to staff or demote, deactivate or reactivate, clear the sign-in throttle. The
// server decides the rules (it refuses to leave no active staff account, with a message
// the page shows); this only picks the buttons and words.
import type { ConfirmRequest } from '../components/ConfirmDialog';
import type { StaffUser } from '../api/types';

/** One action on an account. */
export type StaffAction = 'promote' | 'demote' | 'deactivate' | 'reactivate' | 'unlock';

/** A button of a users-list row and the question it asks first. */
export interface StaffActionButton {
  action: StaffAction;
  /** The button's words. */
  label: string;
  /** What the confirmation dialog asks. */
  confirm: ConfirmRequest;
  /** What the page says once it is done. */
  done: string;
}

/** Whether the account is deactivated. */
export function isDeactivated(u: Pick<StaffUser, 'deactivated_at'>): boolean {
  return u.deactivated_at != null;
}

/** The account's state word in the list: `deactivated`, `staff` or `member`. */
export function accountState(u: Pick<StaffUser, 'is_staff' | 'deactivated_at'>): 'deactivated' | 'staff' | 'member' {
  if (isDeactivated(u)) return 'deactivated';
  return u.is_staff ? 'staff' : 'member';
}

/** The actions of one row, for the signed-in staff user `meId`. */
export function staffActions(u: StaffUser, meId: string | undefined): StaffActionButton[] {
  const self = u.id === meId;
  const who = u.email;
  const out: StaffActionButton[] = [];
  if (!isDeactivated(u)) {
    if (u.is_staff) {
      out.push({
        action: 'demote', label: 'Remove staff',
        confirm: {
          title: `Remove staff rights from ${who}?`,
          body: self
            ? 'You will no longer see the staff pages. The server keeps at least one active staff account and refuses if this is the last one.'
            : `${who} keeps their tenant memberships but no longer acts on every tenant. The server refuses if this is the last active staff account.`,
          confirmLabel: 'Remove staff', danger: true,
        },
        done: `${who} is no longer staff.`,
      });
    } else {
      out.push({
        action: 'promote', label: 'Make staff',
        confirm: {
          title: `Make ${who} staff?`,
          body: `Staff act as superadmin on every tenant of this server, and can promote, demote and deactivate accounts.`,
          confirmLabel: 'Make staff',
        },
        done: `${who} is now staff.`,
      });
    }
    out.push({
      action: 'deactivate', label: 'Deactivate',
      confirm: {
        title: `Deactivate ${who}?`,
        body: self
          ? 'You will be signed out at once and cannot sign in again until another staff member reactivates you. API tokens you created stop working.'
          : `${who} is signed out at once and cannot sign in (password, single sign-on or reset link). API tokens they created stop working. You can reactivate them later.`,
        confirmLabel: 'Deactivate', danger: true,
      },
      done: `${who} is deactivated and signed out.`,
    });
  } else {
    out.push({
      action: 'reactivate', label: 'Reactivate',
      confirm: {
        title: `Reactivate ${who}?`,
        body: `${who} may sign in again, and the API tokens they created work again.`,
        confirmLabel: 'Reactivate',
      },
      done: `${who} is active again.`,
    });
  }
  out.push({
    action: 'unlock', label: 'Unlock sign-in',
    confirm: {
      title: `Clear the sign-in throttle of ${who}?`,
      body: 'Failed sign-in attempts counted against this account, from every address, are forgotten, so the person can try again at once.',
      confirmLabel: 'Unlock sign-in',
    },
    done: `Sign-in for ${who} is unlocked.`,
  });
  return out;
}
