// End-to-end tests of mail honesty (issue #15 point 1), run by run.mjs. The main server has
// SMTP, so these start servers of their own: one without CODITECT_SMTP_URL (queued-mail
// wording, the staff banner, the invitation list with resend and revoke, the acceptance page
// that knows a link is dead before the form is filled) and one whose mail server refuses every
// recipient (the outbox shows the failed mail, and Retry). Screenshots of every page changed,
// light and dark, desktop and phone.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { shootBoth } from './dayone.mjs';
import { check, eventually, startServer } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const PASSWORD = 'correct horse battery staple';
const STAFF = { name: 'Mo Mail', email: 'mo@vendor.test' };

/** A mail server that answers `550` to every recipient: each mail fails for good. */
async function startRefusingSmtp() {
  const server = net.createServer((sock) => {
    let buf = '';
    const reply = (s) => sock.write(`${s}\r\n`);
    reply('220 refuser ESMTP');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const cmd = buf.slice(0, 4).toUpperCase();
        buf = buf.slice(nl + 2);
        if (cmd === 'EHLO' || cmd === 'HELO') reply('250 refuser');
        else if (cmd === 'RCPT') reply('550 5.1.1 no such user here');
        else if (cmd === 'QUIT') { reply('221 bye'); sock.end(); return; }
        else reply('250 ok');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/** First-run setup in the browser; leaves `page` signed in as staff on the staff page. */
async function setUp(page, D, bootstrap) {
  await page.goto(`${D}/`);
  await page.getByRole('heading', { name: 'First-run setup' }).waitFor();
  await page.getByLabel('Bootstrap token').fill(bootstrap);
  await page.getByLabel('Your name').fill(STAFF.name);
  await page.getByLabel('E-mail').fill(STAFF.email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create staff account' }).click();
  await page.getByRole('heading', { name: 'All tenants' }).waitFor();
}

/** Creates a tenant from the staff page; returns its id. */
async function createTenant(page, D, name) {
  await page.goto(`${D}/staff`);
  await page.getByLabel('Tenant name').fill(name);
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(/\/dashboard\/t\/[^/]+\/licenses$/);
  return page.url().split('/t/')[1].split('/')[0];
}

/** Invites from the People page; resolves to the link the notice shows (once), unless `link` is false. */
async function inviteInPage(page, email, role, { link = true } = {}) {
  const form = page.getByRole('form', { name: 'Invite' });
  await form.getByLabel('E-mail to invite').fill(email);
  await form.getByLabel('Role of the invitee').selectOption(role);
  // The notice of an earlier invitation may still be on the page (the same address, when
  // inviting it again): the new link is the one that replaces what was shown before.
  const shown = page.getByTestId('accept-url');
  const before = (await shown.count()) > 0 ? (await shown.textContent()).trim() : null;
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/invitations'));
  await form.getByRole('button', { name: 'Invite' }).click();
  check((await posted).status() === 201, 'the invitation was refused');
  return link ? latestLink(page, email, before) : null;
}

/** The link in the issued-invitation notice, once it names `email` and is not `before`. */
async function latestLink(page, email, before = null) {
  const notice = page.getByTestId('issued-invitation');
  const url = page.getByTestId('accept-url');
  await eventually(
    async () => (await notice.textContent())?.includes(email) && (await url.textContent()).trim() !== before,
    8000,
    `a new notice for ${email}`,
  );
  return (await url.textContent()).trim();
}

/** Rows of the invitations table for `email`, as their states. */
async function invitationStates(page, email) {
  const rows = page.getByTestId('invitations-table').locator(`tr[data-email="${email}"]`);
  return rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.state));
}

/** The acceptance page's verdict on `link`, opened by someone signed out. */
async function verdict(p, link) {
  await p.page.goto(link);
  const dead = p.page.getByTestId('invitation-unusable');
  const forWhom = p.page.getByTestId('invitation-for');
  await eventually(async () => (await dead.count()) > 0 || (await p.page.getByRole('button', { name: 'Join' }).count()) > 0, 8000, 'the acceptance page to decide');
  return (await dead.count()) > 0
    ? { usable: false, state: await dead.getAttribute('data-state'), text: await dead.textContent(), forWhom: (await forWhom.count()) ? await forWhom.textContent() : '' }
    : { usable: true, text: await forWhom.textContent() };
}

/** The tests; `ctx`: `t` (runner), `person` (opens a browser), `bin` (the server binary). */
export async function mailTests({ t, person, bin }) {
  const bootstrap = randomBytes(24).toString('hex');
  let server;
  try {
    server = await startServer({ bin, env: { CODITECT_BOOTSTRAP_TOKEN: bootstrap } });
  } catch (e) {
    await t.test('mail: start a server without CODITECT_SMTP_URL', async () => { throw e; });
    return;
  }
  const D = `${server.base}/dashboard`;
  const state = {};
  try {
    const staff = await person('mail-staff');
    const page = staff.page;

    await t.test('mail: without SMTP, staff see a banner on every page and the invite says queued, not sent', async () => {
      await setUp(page, D, bootstrap);
      state.tenant = await createTenant(page, D, 'Quietmail');
      await page.goto(`${D}/staff`);
      const banner = page.getByTestId('mail-banner');
      await banner.waitFor();
      check(/Mail is not configured/.test(await banner.textContent()), `banner: ${await banner.textContent()}`);
      for (const section of ['licenses', 'people', 'audit']) {
        await page.goto(`${D}/t/${state.tenant}/${section}`);
        await banner.waitFor();
      }
      await page.goto(`${D}/t/${state.tenant}/people`);
      const link = await inviteInPage(page, 'cy@quiet.test', 'viewer');
      const notice = await page.getByTestId('issued-invitation').textContent();
      check(/queued but not sent/.test(notice) && !/\bsent to\b/i.test(notice), `the invite must say queued, not sent: ${notice}`);
      check(link.startsWith(`${D}/accept-invitation?token=`), `the link: ${link}`);
      await shootBoth(page, 'mail-people-queued-desktop');
      // Signed out: the password-reset page says the same.
      const anon = await person('mail-anon');
      await anon.page.goto(`${D}/forgot-password`);
      await anon.page.getByLabel('E-mail').fill(STAFF.email);
      await anon.page.getByRole('button', { name: 'Send reset link' }).click();
      const said = await anon.page.getByTestId('mail-not-sent').textContent();
      check(/queued but not sent/.test(said), `the reset page: ${said}`);
      check((await anon.page.getByText('is on its way').count()) === 0, 'the reset page must not say the link is on its way');
      await shootBoth(anon.page, 'mail-reset-queued-desktop');
      const phone = await person('mail-phone', { viewport: PHONE });
      await phone.page.goto(`${D}/forgot-password`);
      await phone.page.getByLabel('E-mail').fill(STAFF.email);
      await phone.page.getByRole('button', { name: 'Send reset link' }).click();
      await phone.page.getByTestId('mail-not-sent').waitFor();
      await shootBoth(phone.page, 'mail-reset-queued-phone');
    });

    await t.test('mail: inviting an address twice leaves one pending invitation; resend and revoke kill old links', async () => {
      if (!state.tenant) throw new Error('needs the staff sign-in and tenant of the test before, which failed');
      await page.goto(`${D}/t/${state.tenant}/people`);
      state.annLink = await inviteInPage(page, 'ann@quiet.test', 'viewer');
      const secondLink = await inviteInPage(page, 'ann@quiet.test', 'admin');
      check(secondLink !== state.annLink, 'a second invite makes a new link');
      await eventually(async () => {
        const s = await invitationStates(page, 'ann@quiet.test');
        return s.filter((x) => x === 'pending').length === 1 && s.includes('replaced');
      }, 8000, 'one pending and one replaced invitation for ann');
      // Resend: a new link; the one before stops working.
      await page.getByRole('button', { name: 'Resend the invitation of ann@quiet.test' }).click();
      await eventually(async () => (await page.getByTestId('accept-url').textContent()).trim() !== secondLink, 8000, 'a new link after resend');
      const resentLink = (await page.getByTestId('accept-url').textContent()).trim();
      // Revoke another invitation.
      const bobLink = await inviteInPage(page, 'bob@quiet.test', 'viewer');
      const bobRow = page.getByTestId('invitations-table').locator('tr[data-email="bob@quiet.test"][data-state="pending"]');
      await bobRow.getByRole('button', { name: 'Revoke' }).click();
      await bobRow.getByRole('button', { name: 'Revoke now' }).click();
      await page.getByText('The invitation of bob@quiet.test is revoked').waitFor();
      await eventually(async () => (await invitationStates(page, 'bob@quiet.test')).join() === 'revoked', 8000, 'bob revoked');
      await shootBoth(page, 'mail-people-invitations-desktop');
      const phoneStaff = await person('mail-staff-phone', { viewport: PHONE });
      await phoneStaff.page.goto(`${D}/login`);
      await phoneStaff.page.getByLabel('E-mail').fill(STAFF.email);
      await phoneStaff.page.getByLabel('Password').fill(PASSWORD);
      await phoneStaff.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await phoneStaff.page.waitForURL((u) => !u.pathname.endsWith('/login'));
      await phoneStaff.page.goto(`${D}/t/${state.tenant}/people`);
      await phoneStaff.page.getByTestId('invitations-table').waitFor();
      await shootBoth(phoneStaff.page, 'mail-people-invitations-phone');

      // The acceptance page knows, before the form, which links are dead and why.
      const guest = await person('mail-guest');
      for (const [link, st] of [[state.annLink, 'replaced'], [secondLink, 'replaced'], [bobLink, 'revoked']]) {
        const v = await verdict(guest, link);
        check(!v.usable && v.state === st, `${link} must show as ${st}: ${JSON.stringify(v)}`);
      }
      await verdict(guest, bobLink);
      await shootBoth(guest.page, 'mail-accept-revoked-desktop');
      const unknown = await verdict(guest, `${D}/accept-invitation?token=${'x'.repeat(43)}`);
      check(!unknown.usable && /unknown/.test(unknown.text), `an unknown token: ${JSON.stringify(unknown)}`);
      const live = await verdict(guest, resentLink);
      check(live.usable && /Quietmail/.test(live.text) && /admin/.test(live.text) && /ann@quiet\.test/.test(live.text), `the resent link says tenant, role and e-mail: ${JSON.stringify(live)}`);
      await shootBoth(guest.page, 'mail-accept-pending-desktop');
      const guestPhone = await person('mail-guest-phone', { viewport: PHONE });
      await verdict(guestPhone, resentLink);
      await shootBoth(guestPhone.page, 'mail-accept-pending-phone');
      await verdict(guestPhone, bobLink);
      await shootBoth(guestPhone.page, 'mail-accept-revoked-phone');
      // The resent link works.
      await guest.page.goto(resentLink);
      await guest.page.getByLabel('Your name').fill('Ann Admin');
      await guest.page.getByLabel('Choose a password').fill(PASSWORD);
      await guest.page.getByLabel('Repeat password').fill(PASSWORD);
      await guest.page.getByRole('button', { name: 'Join' }).click();
      await guest.page.getByRole('heading', { name: 'Licenses' }).waitFor();
      check((await guest.page.getByTestId('mail-banner').count()) === 0, 'the banner is for staff only');
      const used = await verdict(await person('mail-late'), resentLink);
      check(!used.usable && used.state === 'accepted', `a used link: ${JSON.stringify(used)}`);
    });
  } finally {
    await server.stop();
  }

  const refuser = await startRefusingSmtp();
  let bounce;
  try {
    bounce = await startServer({ bin, env: { CODITECT_BOOTSTRAP_TOKEN: bootstrap, CODITECT_SMTP_URL: `smtp://127.0.0.1:${refuser.port}` } });
    const BD = `${bounce.base}/dashboard`;
    await t.test('mail: the outbox shows a failed mail with its error, and Retry tries it again', async () => {
      const staff = await person('mail-outbox-staff');
      const page = staff.page;
      await setUp(page, BD, bootstrap);
      check((await page.getByTestId('mail-banner').count()) === 0, 'no banner when SMTP is configured');
      const tenant = await createTenant(page, BD, 'Bounceco');
      await page.goto(`${BD}/t/${tenant}/people`);
      await inviteInPage(page, 'gone@bounce.test', 'viewer', { link: false });
      await page.getByRole('link', { name: 'Mail outbox' }).click();
      await page.getByRole('heading', { name: 'Mail outbox' }).waitFor();
      const row = page.getByTestId('outbox-table').locator('tr[data-state]').filter({ hasText: 'gone@bounce.test' });
      await eventually(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return (await row.getAttribute('data-state')) === 'failed';
      }, 15_000, 'the mail to fail');
      check(/no such user/.test(await row.textContent()), `the last error: ${await row.textContent()}`);
      check(!/token=/.test(await page.locator('main').textContent()), 'the outbox must not show a link');
      await page.getByLabel('Mail state').selectOption('failed');
      await eventually(async () => (await page.getByTestId('outbox-table').locator('tr[data-state="failed"]').count()) === 1, 8000, 'the failed filter');
      await shootBoth(page, 'mail-outbox-failed-desktop');
      // When the mail failed, as the API says: a real retry fails it again later.
      const failedAt = () => page.evaluate(async () => {
        const list = await (await fetch('/api/v1/outbox?state=failed')).json();
        return list.items.find((m) => m.recipient === 'gone@bounce.test')?.failed_at ?? null;
      });
      const firstFailure = await failedAt();
      check(firstFailure, 'the failed mail must carry failed_at');
      await row.getByRole('button', { name: 'Retry' }).click();
      await page.getByText('The mail to gone@bounce.test is queued again').waitFor();
      await page.getByLabel('Mail state').selectOption('');
      await eventually(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        const cells = await row.locator('td[data-label="Attempts"]').textContent().catch(() => '');
        // A retry starts the attempts afresh: the one that failed again is the first.
        if (cells?.trim() !== '1' || (await row.getAttribute('data-state')) !== 'failed') return false;
        const again = await failedAt();
        return again !== null && Date.parse(again) > Date.parse(firstFailure);
      }, 15_000, 'the retried mail to be tried (and refused) again');
      const phone = await person('mail-outbox-phone', { viewport: PHONE });
      await phone.page.goto(`${BD}/login`);
      await phone.page.getByLabel('E-mail').fill(STAFF.email);
      await phone.page.getByLabel('Password').fill(PASSWORD);
      await phone.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await phone.page.waitForURL((u) => !u.pathname.endsWith('/login'));
      await phone.page.goto(`${BD}/outbox`);
      await phone.page.getByTestId('outbox-table').waitFor();
      await shootBoth(phone.page, 'mail-outbox-phone');
    });
  } catch (e) {
    await t.test('mail: start a server whose mail server refuses', async () => { throw e; });
  } finally {
    await bounce?.stop();
    await refuser.close();
  }
}
