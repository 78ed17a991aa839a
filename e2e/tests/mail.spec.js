// Mail in, in the browser: setting up a mail account against the Dovecot that
// scripts/test starts, mail arriving live, and hostile HTML that must do nothing.
const http = require('http');
const { test, expect } = require('@playwright/test');
const { apiAsAdmin, deliverByLmtp, gql, logIn } = require('./helpers');

const IMAP_PORT = process.env.E2E_IMAP_PORT;
const IMAP_USER = process.env.E2E_IMAP_USER || 'jobs';
const IMAP_PASSWORD = process.env.E2E_IMAP_PASSWORD;

/** Delivers a mail into the user's folder, as the company's MTA would. */
function deliver(folder, raw) {
  return deliverByLmtp(`${IMAP_USER}+${folder}`, raw);
}

/** A local web server that records every request: a remote image or a script's fetch shows up here. */
async function tattletale() {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'content-type': 'image/gif' });
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { hits, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

test('an admin sets up a mail account from the server\'s folders and new mail appears live', async ({ page }) => {
  test.skip(!IMAP_PORT, 'scripts/test starts Dovecot and sets E2E_IMAP_PORT');
  await logIn(page);
  await page.goto('/settings/mail');
  await page.getByTestId('account-new').click();
  const form = page.getByTestId('account-form');
  await form.locator('input[name=label]').fill('Bewerbungen E2E');
  await form.locator('input[name=host]').fill('127.0.0.1');
  await form.locator('select[name=security]').selectOption('none');
  await form.locator('input[name=port]').fill(IMAP_PORT);
  await form.locator('input[name=username]').fill(IMAP_USER);
  await form.locator('input[name=password]').fill(IMAP_PASSWORD);

  // Without the explicit opt-in an unencrypted account is refused, naming the field.
  await form.getByTestId('account-save').click();
  await expect(form.getByRole('alert')).toHaveAttribute('data-field', 'security');
  await form.locator('input[name=allowPlaintext]').check();

  await form.getByTestId('fetch-folders').click();
  await expect(form.locator('select[name=folder] option[value=Bewerbungen]')).toHaveCount(1);
  await form.locator('select[name=folder]').selectOption('Bewerbungen');
  await form.getByTestId('account-save').click();

  const row = page.locator('[data-testid=account-row][data-label="Bewerbungen E2E"]');
  await expect(row.getByTestId('account-status')).toHaveAttribute('data-status', 'idle', { timeout: 20_000 });

  await page.goto('/inbox?medium=email');
  await expect(page.locator('.live.on')).toBeVisible();
  let reloaded = false;
  page.on('load', () => { reloaded = true; });
  const subject = `Bewerbung per Mail ${Date.now()}`;
  await deliver('Bewerbungen', `From: Mara Stein <mara@example.org>\nTo: jobs@firma.example\nSubject: ${subject}\nMessage-ID: <${Date.now()}@e2e>\n\nGuten Tag!`);
  await expect(page.getByTestId('inbox-list')).toContainText(subject);
  expect(reloaded).toBe(false);

  await page.getByText(subject).click();
  await expect(page.getByTestId('mail-from')).toContainText('Mara Stein <mara@example.org>');
  await expect(page.getByTestId('mail-text')).toContainText('Guten Tag!');

  // The same page in German.
  await page.goto('/settings/mail');
  await page.getByTestId('language').selectOption('de');
  await expect(page.getByTestId('settings-mail')).toHaveText('Mail-Konten');
  await expect(row.getByTestId('account-status')).toContainText('aktuell');
  // The mailbox names the server process syncing it, and an admin sees that process
  // among the server processes, running.
  await expect(row.getByTestId('account-synced-by')).toContainText('Synchronisiert von');
  const processes = page.getByTestId('server-processes');
  await expect(processes.getByRole('heading', { name: 'Serverprozesse' })).toBeVisible();
  await expect(processes.locator('[data-testid=process-row][data-alive=true]').first()).toContainText('läuft');
  await page.getByTestId('language').selectOption('en');
});

test('a failing account says why in words an admin can act on', async ({ page }) => {
  await logIn(page);
  await page.goto('/settings/mail');
  await page.getByTestId('account-new').click();
  const form = page.getByTestId('account-form');
  await form.locator('input[name=label]').fill('Falscher Server');
  await form.locator('input[name=host]').fill('mail.does-not-exist.invalid');
  await form.locator('input[name=username]').fill('jobs');
  await form.locator('input[name=password]').fill('whatever');
  await form.getByTestId('fetch-folders').click();
  await expect(form.getByRole('alert')).toContainText('could not be resolved');
  await form.locator('input[name=folder]').fill('INBOX');
  await form.getByTestId('account-save').click();
  const row = page.locator('[data-testid=account-row][data-label="Falscher Server"]');
  await expect(row.getByTestId('account-status')).toHaveAttribute('data-status', 'error', { timeout: 20_000 });
  await expect(row.getByTestId('account-status')).toContainText('Server name unknown');

  page.once('dialog', (dialog) => dialog.accept());
  await row.locator('input[type=checkbox]').check();
  await page.getByTestId('account-delete').click();
  await expect(row).toHaveCount(0);
});

test('hostile HTML in a mail runs nothing and loads nothing until images are allowed', async ({ page, baseURL }) => {
  const spy = await tattletale();
  try {
    const api = await apiAsAdmin(baseURL);
    const created = await gql(api, 'mutation { createApiToken(name: "e2e-intake") { token } }');
    const token = created.data.createApiToken.token;
    const subject = `Lebenslauf ${Date.now()}`;
    const html = [
      '<p>Sehr geehrte Damen und Herren,</p>',
      `<script>fetch("${spy.url}/script"); top.document.title = "pwned";</script>`,
      `<img src="x" onerror="fetch('${spy.url}/onerror'); alert(1)">`,
      `<a id="bad" href="javascript:fetch('${spy.url}/javascript')">Zeugnisse</a>`,
      `<img id="remote" src="${spy.url}/remote.gif" alt="remote">`,
    ].join('\n');
    const raw = `From: Mallory <mallory@example.org>\r\nTo: jobs@firma.example\r\nSubject: ${subject}\r\n`
      + `MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;
    const intake = await api.post('/api/mail/intake', {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'message/rfc822' },
      data: raw,
    });
    expect(intake.status()).toBe(201);
    const { inboxItemId } = await intake.json();

    let dialogs = 0;
    page.on('dialog', (dialog) => { dialogs += 1; dialog.dismiss(); });
    await logIn(page);
    const title = await page.title();
    await page.goto(`/inbox/${inboxItemId}`);
    const frame = page.frameLocator('[data-testid=mail-frame]');
    await expect(frame.locator('body')).toContainText('Sehr geehrte Damen und Herren');
    await frame.locator('a', { hasText: 'Zeugnisse' }).click({ noWaitAfter: true }).catch(() => {});
    // Give a scheduled fetch or image load every chance to happen before judging.
    await page.waitForLoadState('networkidle');
    expect(spy.hits).toEqual([]);
    expect(dialogs).toBe(0);
    expect(await page.title()).toBe(title);

    // Asking for images loads the remote image, and still nothing else.
    await page.getByTestId('show-images').click();
    await expect.poll(() => spy.hits).toContain('/remote.gif');
    expect(spy.hits.filter((hit) => hit !== '/remote.gif')).toEqual([]);

    // The raw source is there for the curious.
    await page.getByTestId('mail-tab-source').click();
    await expect(page.getByTestId('mail-source')).toContainText('<script>fetch');
  } finally {
    spy.close();
  }
});

test('an admin imports an .eml file and lands on the new item', async ({ page }) => {
  await logIn(page);
  await page.goto('/inbox?medium=email');
  const subject = `Archivierte Bewerbung ${Date.now()}`;
  const eml = `From: Olga Berg <olga@example.org>\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}@import>\r\n\r\nAus dem alten Postfach.\r\n`;
  await page.getByTestId('import-mail').locator('input[type=file]')
    .setInputFiles({ name: 'bewerbung.eml', mimeType: 'message/rfc822', buffer: Buffer.from(eml) });
  await expect(page.getByTestId('inbox-item')).toContainText(subject);
  await expect(page.getByTestId('mail-from')).toContainText('Olga Berg <olga@example.org>');
});
