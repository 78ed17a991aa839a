const { test, expect } = require('@playwright/test');
const { apiAsAdmin, submitApplication, logIn } = require('./helpers');

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto('/');
  await page.locator('input[name=email]').fill('admin@e2e.test');
  await page.locator('input[name=password]').fill('not-the-password');
  await page.locator('button[type=submit]').click();
  await expect(page.getByRole('alert')).toContainText('E-mail address or password is wrong');
});

test('log in and see the inbox', async ({ page }) => {
  await logIn(page);
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: /^Inbox/ }).click();
  await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
  await expect(page.getByTestId('tab-online_form')).toBeVisible();
});

test('an application submitted through the API appears in the open page without reload', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  await logIn(page);
  await page.goto('/inbox?medium=online_form');
  await expect(page.locator('.live.on')).toBeVisible();
  const before = Number(await page.getByTestId('count-online_form').innerText());
  let reloaded = false;
  page.on('load', () => { reloaded = true; });

  const name = `Livia${Date.now()}`;
  await submitApplication(api, name, { message: 'Ich bewerbe mich live.' });

  await expect(page.getByTestId('inbox-list')).toContainText(`${name} Browser`);
  await expect(page.getByTestId('count-online_form')).toHaveText(String(before + 1));
  expect(reloaded).toBe(false);

  await page.getByText(`${name} Browser`).click();
  await expect(page.getByTestId('inbox-item')).toContainText('Ich bewerbe mich live.');
});

test('switching the language translates the app', async ({ page }) => {
  await logIn(page);
  const nav = page.locator('#mainnav');
  await expect(nav.getByRole('link', { name: /^Inbox/ })).toBeVisible();
  await page.getByTestId('language').selectOption('de');
  await expect(nav.getByRole('link', { name: /^Posteingang/ })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Kandidaten' })).toBeVisible();
  await page.getByTestId('language').selectOption('en');
  await expect(nav.getByRole('link', { name: 'Candidates' })).toBeVisible();
});

test('delete two items with multi-select', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  for (const name of [`Erika${stamp}`, `Frieda${stamp}`, `Gisela${stamp}`]) {
    await submitApplication(api, name);
  }
  await logIn(page);
  await page.goto('/inbox?medium=online_form');
  const list = page.getByTestId('inbox-list');
  await expect(list).toContainText(`Gisela${stamp}`);

  for (const name of [`Erika${stamp}`, `Frieda${stamp}`]) {
    await page.getByTestId('inbox-row').filter({ hasText: name }).getByRole('checkbox').check();
  }
  await expect(page.getByTestId('bulk-action')).toHaveText('Delete selected (2)');
  await page.getByTestId('bulk-action').click();

  await expect(list).not.toContainText(`Erika${stamp}`);
  await expect(list).not.toContainText(`Frieda${stamp}`);
  await expect(list).toContainText(`Gisela${stamp}`);

  await page.getByTestId('tab-deleted').click();
  await expect(page.getByTestId('inbox-list')).toContainText(`Erika${stamp}`);
});
