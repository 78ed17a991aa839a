// What a recruiter must be able to trust at a glance (issue 15), in a German browser in
// Berlin and in an American one: times in the viewer's zone and language, mail that
// never left shown as not sent, every page usable at phone width and free of serious
// accessibility violations, errors in the viewer's language.
//
// This file runs first (files run in name order, one worker): its drop-folder check
// needs the organisation without a default outgoing account, which later files add.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { default: AxeBuilder } = require('@axe-core/playwright');
const { request } = require('@playwright/test');
const { apiAsAdmin, gql, logIn, submitApplication } = require('./helpers');

const SCREENSHOTS = path.join(__dirname, '..', 'screenshots');
const AXE_REPORT = path.join(__dirname, '..', 'test-results', 'axe-summary.txt');

/** Imports a raw mail into the inbox, as the inbox's "import .eml" does. */
async function importMail(api, raw) {
  const response = await api.post('/graphql', {
    multipart: {
      operations: JSON.stringify({ query: 'mutation($file: Upload!) { importMail(file: $file) { id } }', variables: { file: null } }),
      map: JSON.stringify({ 0: ['variables.file'] }),
      0: { name: 'mail.eml', mimeType: 'message/rfc822', buffer: Buffer.from(raw.replace(/\n/g, '\r\n')) },
    },
  });
  const body = await response.json();
  expect(body.errors).toBeUndefined();
  return body.data.importMail.id;
}

/** Records every page a suite visits, so one run yields ids for all of them. */
async function fixtures(baseURL) {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const candidate = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
    i: { firstName: 'Anna', lastName: `Schmidt${stamp}`, emails: [`anna${stamp}@e2e.test`], birthday: '1992-03-14' },
  });
  expect(candidate.errors).toBeUndefined();
  const item = await submitApplication(api, `Lena${stamp}`);
  return { api, stamp, candidateId: candidate.data.createCandidate.id, itemId: item };
}

function pages({ candidateId, itemId }) {
  return [
    ['dashboard', '/'], ['inbox', '/inbox'], ['inbox-item', `/inbox/${itemId}`], ['candidates', '/candidates'],
    ['candidate', `/candidates/${candidateId}`], ['duplicates', '/candidates/duplicates'], ['job-openings', '/job-openings'],
    ['outbox', '/outbox'], ['queries', '/nurturing'], ['letters', '/nurturing/letters'], ['jobs', '/nurturing/jobs'],
    ['work-centre', '/nurturing/work'], ['legal-entities', '/settings'], ['users', '/settings/users'], ['groups', '/settings/groups'],
    ['tokens', '/settings/tokens'], ['mail-accounts', '/settings/mail'], ['outgoing-mail', '/settings/outgoing'],
    ['channels', '/settings/channels'], ['privacy', '/settings/privacy'], ['audit', '/settings/audit'], ['not-found', '/does-not-exist'],
  ];
}

/** Waits until the page has settled: its heading is there and nothing is loading. */
async function settled(page) {
  await expect(page.locator('#content h1').first()).toBeVisible();
  await expect(page.locator('.state.loading')).toHaveCount(0);
}

/** axe-core on the page as it is: no violation of impact serious or critical. */
async function axe(page, name) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const line = `${name}: ${serious.length} serious/critical, ${results.violations.length - serious.length} minor/moderate, ${results.passes.length} rules passed`;
  fs.mkdirSync(path.dirname(AXE_REPORT), { recursive: true });
  fs.appendFileSync(AXE_REPORT, `${line}\n`);
  const described = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n  ')}`);
  expect.soft(described, `${name}\n${described.join("\n")}`).toEqual([]);
}

for (const [language, locale] of [['de', 'de-DE'], ['en', 'en-US']]) {
  test.describe(`${language}: every page`, () => {
    test.use({ locale, timezoneId: 'Europe/Berlin' });

    test(`passes axe-core and fits a 390 px phone (${language})`, async ({ page, baseURL }) => {
      test.setTimeout(240_000);
      const ids = await fixtures(baseURL);
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await logIn(page);
      for (const [name, url] of pages(ids)) {
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.goto(url);
        await settled(page);
        await axe(page, `${language} ${name} 1440`);
        if (language === 'de' && ['inbox', 'inbox-item', 'candidate', 'outbox'].includes(name)) {
          await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-1440.png`), fullPage: true });
        }
        await page.setViewportSize({ width: 390, height: 844 });
        await settled(page);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect.soft(width, `${url} is ${width} px wide at 390 px`).toBeLessThanOrEqual(390);
        if (language === 'de' && ['inbox', 'inbox-item', 'candidate', 'outbox'].includes(name)) {
          await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
        }
      }
      // The inbox's shortcut dialog and a toast.
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto('/inbox?medium=online_form');
      await settled(page);
      await page.keyboard.press('?');
      await expect(page.getByTestId('shortcuts')).toBeVisible();
      await axe(page, `${language} shortcuts-dialog 1440`);
      await page.keyboard.press('Escape');
      await page.setViewportSize({ width: 390, height: 844 });
      // The menu of the phone layout, open.
      await page.goto('/');
      await settled(page);
      await page.getByTestId('menu-button').click();
      await expect(page.locator('#mainnav')).toBeVisible();
      await axe(page, `${language} menu 390`);
      // The login page, signed out.
      await page.context().clearCookies();
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto('/');
      await expect(page.locator('input[name=email]')).toBeVisible();
      await axe(page, `${language} login 1440`);
    });
  });
}

test.describe('in a German browser in Berlin', () => {
  test.use({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });

  test('times show in Berlin time and German format, and in English for an English browser', async ({ page, browser, baseURL }) => {
    const api = await apiAsAdmin(baseURL);
    const stamp = Date.now();
    const itemId = await importMail(api, [
      `From: Jana Berg <jana${stamp}@example.org>`, 'To: jobs@example.test', `Subject: Zeitzone ${stamp}`,
      `Message-ID: <zeit${stamp}@example.org>`, 'Date: Mon, 07 Dec 2026 08:40:00 +0100', '', 'Guten Tag!',
    ].join('\n'));
    await logIn(page);
    await page.goto(`/inbox/${itemId}`);
    // 08:40 +0100 is 07:40 UTC; a Berliner reads 08:40.
    await expect(page.locator('.mail-headers')).toContainText('07.12.2026, 08:40');
    const row = page.locator('tr', { hasText: `Zeitzone ${stamp}` });
    await page.goto('/inbox');
    await expect(row.locator('time')).toHaveText(/vor|jetzt|gerade/);
    const full = await row.locator('time').getAttribute('title');
    expect(full).toMatch(/^\d\d\.\d\d\.\d{4}, \d\d:\d\d$/);

    const english = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin' });
    const other = await english.newPage();
    await logIn(other);
    await other.goto(`/inbox/${itemId}`);
    await expect(other.locator('.mail-headers')).toContainText('Dec 7, 2026, 8:40 AM');
    await english.close();
  });

  test('a mail that only reached the drop folder is not sent, and is no contact', async ({ page, baseURL }) => {
    const api = await apiAsAdmin(baseURL);
    const stamp = Date.now();
    const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
      i: { firstName: 'Dora', lastName: `Drop${stamp}`, emails: [`dora${stamp}@e2e.test`] },
    });
    const candidate = created.data.createCandidate.id;
    const sent = await gql(api, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id channel } }', {
      i: { candidateId: candidate, subject: `Einladung ${stamp}`, body: 'Hallo' },
    });
    expect(sent.errors).toBeUndefined();
    expect(sent.data.sendMessage.channel, 'scripts/test runs the server without a relay').toBe('DROP_FOLDER');

    await logIn(page);
    await page.goto(`/candidates/${candidate}`);
    const entry = page.locator('[data-testid=history-entry][data-medium=mail_out]');
    await expect(entry.getByTestId('outbox-status')).toHaveAttribute('data-status', 'not_sent', { timeout: 20_000 });
    await expect(entry.getByTestId('outbox-status')).toContainText('Nicht versendet');
    await expect(page.getByTestId('last-contact')).toContainText('nie');

    await page.goto('/outbox');
    const row = page.locator(`[data-testid=outbox-row][data-subject="Einladung ${stamp}"]`);
    await expect(row).toHaveAttribute('data-status', 'not_sent');
    await expect(row.getByTestId('outbox-status')).toContainText('Nicht versendet');
    await expect(page.getByTestId('drop-notice')).toBeVisible();
  });

  test('a form letter field error is in German and names the field', async ({ page }) => {
    await logIn(page);
    await page.goto('/nurturing/letters');
    await page.getByTestId('new-letter').click();
    const form = page.getByTestId('letter-form');
    await form.locator('input[name=subject]').fill('Betreff');
    await form.locator('textarea[name=bodyText]').fill('Text');
    await form.locator('button[type=submit]').click();
    const alert = form.getByRole('alert');
    await expect(alert).toHaveAttribute('data-field', 'name');
    await expect(alert).toContainText('Bitte einen Namen eingeben.');
  });

  test('the audit log shows who took over a mail', async ({ page, baseURL }) => {
    const api = await apiAsAdmin(baseURL);
    const stamp = Date.now();
    const email = `rita${stamp}@e2e.test`;
    const user = await gql(api, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', {
      i: { email, displayName: `Rita Recruiter ${stamp}`, role: 'RECRUITER', password: 'rita-password-123' },
    });
    expect(user.errors).toBeUndefined();
    const rita = await request.newContext({ baseURL });
    const login = await gql(rita, 'mutation($i: LoginInput!) { login(input: $i) { id } }', { i: { email, password: 'rita-password-123' } });
    expect(login.errors).toBeUndefined();
    const item = await submitApplication(api, `Tom${stamp}`);
    const taken = await gql(rita, 'mutation($id: ID!) { takeOverInboxItem(id: $id) { candidate { id } } }', { id: item });
    expect(taken.errors).toBeUndefined();

    await logIn(page);
    await page.goto('/settings/audit');
    await page.getByTestId('audit-user').selectOption(user.data.createUser.id);
    const row = page.locator('[data-testid=audit-row][data-action="inbox_item.take_over"]').first();
    await expect(row.getByTestId('audit-who')).toHaveText(`Rita Recruiter ${stamp}`);
    await expect(row).toContainText('Eingang als Kandidat übernommen');
    await expect(row.getByRole('link')).toHaveAttribute('href', `/inbox/${item}`);
  });

  test('the page shows a splash until the app has loaded, then the app alone', async ({ page, browser }) => {
    const blocked = await browser.newContext({ locale: 'de-DE' });
    const waiting = await blocked.newPage();
    await waiting.route('**/*.wasm', (route) => route.abort());
    await waiting.goto('/');
    await expect(waiting.locator('#splash')).toBeVisible();
    await expect(waiting.locator('#splash')).toContainText('Talentpost');
    await blocked.close();
    await page.goto('/');
    await expect(page.locator('input[name=email]')).toBeVisible();
    await expect(page.locator('#splash')).toHaveCount(0);
    await expect(page.locator('link[rel=icon]')).toHaveAttribute('href', /\.svg$/);
  });

  test('an unknown address shows a page with the navigation', async ({ page }) => {
    await logIn(page);
    await page.goto('/does-not-exist');
    await expect(page.getByTestId('not-found')).toContainText('Seite nicht gefunden');
    await expect(page.locator('#mainnav')).toHaveCount(1);
    await page.getByTestId('not-found').getByRole('link').click();
    await expect(page).toHaveURL(/\/$/);
  });
});
