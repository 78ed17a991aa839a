const { test, expect } = require('@playwright/test');
const { logIn } = require('./helpers');

test('create a candidate, find it by search and open it', async ({ page }) => {
  const stamp = Date.now();
  await logIn(page);
  await page.goto('/candidates');
  await page.getByRole('button', { name: 'New candidate' }).click();
  const form = page.getByTestId('candidate-form');
  await form.locator('input[name=firstName]').fill('Ronja');
  await form.locator('input[name=lastName]').fill(`Räuber${stamp}`);
  await form.locator('input[name=emails]').fill('kein-at-zeichen');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toHaveAttribute('data-field', 'emails.0');
  await expect(form.getByRole('alert')).toContainText('Please check the field “E-mail address”');

  await form.locator('input[name=emails]').fill(`ronja${stamp}@example.test`);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();

  await page.getByTestId('candidate-search').fill(`ronja${stamp}@`);
  const list = page.getByTestId('candidate-list');
  await expect(list).toContainText(`Ronja Räuber${stamp}`);
  await list.getByRole('link', { name: `Ronja Räuber${stamp}` }).click();
  await expect(page.getByRole('heading', { name: `Ronja Räuber${stamp}` })).toBeVisible();
});

test('create a job opening and close it', async ({ page }) => {
  const title = `Pflegefachkraft ${Date.now()}`;
  await logIn(page);
  await page.goto('/job-openings');
  await page.getByRole('button', { name: 'New job opening' }).click();
  await page.locator('input[name=title]').fill(title);
  await page.locator('input[name=location]').fill('Kiel');
  await page.getByRole('button', { name: 'Create' }).click();
  const row = page.getByTestId('opening-list').locator(`tr[data-title="${title}"]`);
  await expect(row).toContainText('Open');
  await row.getByRole('button', { name: 'Close opening' }).click();
  await expect(row).toContainText('Closed');
});

test('an API token is shown once and can be revoked', async ({ page }) => {
  const name = `Karriereseite ${Date.now()}`;
  await logIn(page);
  await page.goto('/settings/tokens');
  await page.locator('input[name=tokenName]').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('new-token')).toHaveText(/^tpat_/);
  const row = page.locator('tr').filter({ hasText: name });
  // Revoking cannot be undone: the app asks first; declining changes nothing.
  page.once('dialog', (dialog) => dialog.dismiss());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).not.toContainText('revoked');
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('revoked');
  await expect(page.getByTestId('toast').last()).toContainText('Done');
});

test('an admin creates a company admin for one company', async ({ page }) => {
  const email = `firmenadmin${Date.now()}@example.test`;
  await logIn(page);
  await page.goto('/settings/users');
  const form = page.getByTestId('user-form');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=displayName]').fill('Firmen Admin');
  await form.locator('input[name=password]').fill('firmen-admin-123');
  await form.locator('select').selectOption('company_admin');
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(form.getByRole('alert')).toHaveAttribute('data-field', 'legalEntityIds');
  await form.getByRole('checkbox').first().check();
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('user-list')).toContainText(email);
});
