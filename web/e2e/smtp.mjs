// A minimal SMTP listener for the end-to-end tests: accepts every mail the server sends,
// decodes it (multipart, quoted-printable, base64) and lets tests wait for a mail to an
// address. No TLS, no AUTH: it only listens on 127.0.0.1.
import net from 'node:net';

/** Decodes a quoted-printable body. */
export function decodeQuotedPrintable(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function splitHeaders(raw) {
  const idx = raw.search(/\r?\n\r?\n/);
  const head = idx === -1 ? raw : raw.slice(0, idx);
  const body = idx === -1 ? '' : raw.slice(idx).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = line.match(/^([^:]+):\s*(.*)$/);
    if (m) headers[m[1].toLowerCase()] = m[2];
  }
  return { headers, body };
}

/** The decoded text of every leaf part of a MIME message, joined. */
export function mailText(raw) {
  const { headers, body } = splitHeaders(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = type.match(/boundary="?([^";]+)"?/i)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    return body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => mailText(p.replace(/^\r?\n/, ''))).join('\n');
  }
  const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** Starts the listener on a free port; resolves to { port, mails, waitFor, close }. */
export async function startSmtp() {
  const mails = [];
  const waiters = [];
  const server = net.createServer((sock) => {
    let buf = '';
    let inData = false;
    let env = { from: '', to: [] };
    const reply = (s) => sock.write(`${s}\r\n`);
    reply('220 coditect-e2e ESMTP ready');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end === -1) return;
          const raw = buf.slice(0, end).replace(/^\.\./gm, '.');
          buf = buf.slice(end + 5);
          inData = false;
          const mail = { ...env, raw, text: mailText(raw), headers: splitHeaders(raw).headers };
          mails.push(mail);
          env = { from: '', to: [] };
          reply('250 2.0.0 queued');
          for (const w of [...waiters]) if (w.match(mail)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(mail); }
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl === -1) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') { reply('250-coditect-e2e'); reply('250-8BITMIME'); reply('250 SMTPUTF8'); }
        else if (cmd === 'HELO') reply('250 coditect-e2e');
        else if (cmd === 'MAIL') { env.from = line.match(/<([^>]*)>/)?.[1] ?? ''; reply('250 2.1.0 ok'); }
        else if (cmd === 'RCPT') { env.to.push((line.match(/<([^>]*)>/)?.[1] ?? '').toLowerCase()); reply('250 2.1.5 ok'); }
        else if (cmd === 'DATA') { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
        else if (cmd === 'RSET') { env = { from: '', to: [] }; reply('250 ok'); }
        else if (cmd === 'NOOP') reply('250 ok');
        else if (cmd === 'QUIT') { reply('221 bye'); sock.end(); return; }
        else reply('502 5.5.2 not implemented');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    mails,
    /** Resolves with the first mail (already received or coming) to `address` whose text contains `needle`. */
    waitFor(address, { timeoutMs = 20000, needle = '' } = {}) {
      const match = (m) => m.to.includes(address.toLowerCase()) && m.text.includes(needle);
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.push(w);
        setTimeout(() => { const i = waiters.indexOf(w); if (i !== -1) { waiters.splice(i, 1); reject(new Error(`no mail to ${address} within ${timeoutMs} ms (got ${mails.length} mails)`)); } }, timeoutMs);
      });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The first dashboard link (`…/dashboard/<page>?token=…`) in a mail. */
export function linkIn(mail, page) {
  const re = new RegExp(`https?://[^\\s"'<>]+/dashboard/${page}\\?token=[^\\s"'<>]+`);
  const m = mail.text.match(re);
  if (!m) throw new Error(`no ${page} link in the mail:\n${mail.text.slice(0, 800)}`);
  return m[0].replace(/&amp;/g, '&');
}
