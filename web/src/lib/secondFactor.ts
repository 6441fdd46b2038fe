// What people type as a second factor, and what the server's refusals of it mean.
import { ApiError } from '../api/client';

/** A TOTP code as the server wants it: digits only (people paste "123 456"). */
export function normalizeTotp(code: string): string {
  return code.replace(/[\s-]+/g, '');
}

/** Why a typed TOTP code cannot be right, or null. */
export function totpCodeProblem(code: string): string | null {
  return /^\d{6}$/.test(normalizeTotp(code)) ? null : 'Enter the 6 digits your authenticator app shows.';
}

/** Whether the server refused the code itself (`401 invalid_second_factor`). */
export function isWrongCode(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'invalid_second_factor';
}

/** Whether the sign-in challenge (5 min) or the session ran out (`401 unauthorized`). */
export function isExpired(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401 && err.code !== 'invalid_second_factor';
}

/** The message for a refused code; `recovery` when it was a recovery code. */
export function wrongCodeMessage(recovery = false): string {
  return recovery
    ? 'That recovery code is not right, or it was used already.'
    : 'That code is not right. Codes change every 30 seconds and each works only once: wait for the next one, check that your phone\'s clock is right, or use a recovery code.';
}
