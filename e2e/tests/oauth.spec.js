// Microsoft 365 through OAuth, in the browser: the admin registers the app, adds an
// account, is sent to the (test) identity provider, signs in there, comes back, and
// the mailbox's mail arrives, read by XOAUTH2 that Dovecot checks with the provider.
const { test, expect } = require('@playwright/test');
const { deliverByLmtp, logIn } = require('./helpers');

const OAUTH_URL = process.env.E2E_OAUTH_URL;
const IMAP_PORT = process.env.E2E_IMAP_PORT;

test('an admin connects a Microsoft 365 mailbox by signing in and its mail arrives', async ({ page }) => {
  test.skip(!OAUTH_URL || !IMAP_PORT, 'scripts/test starts the test identity provider and Dovecot');
  await logIn(page);
  await page.goto('/settings/mail');

  // The app registration, pointed at the test provider (the "advanced" overrides).
  const client = page.locator('[data-testid=oauth-client-form][data-provider=microsoft]');
  await expect(client.getByTestId('oauth-redirect-uri')).toContainText('/oauth/callback');
  await client.locator('input[name=clientId]').fill('talentpost-test');
  await client.locator('input[name=clientSecret]').fill('test-client-secret');
  await client.locator('summary').click();
  await client.locator('input[name=authorizeUrl]').fill(`${OAUTH_URL}/authorize`);
  await client.locator('input[name=tokenUrl]').fill(`${OAUTH_URL}/token`);
  await client.getByTestId('oauth-client-save').click();
  await expect(client.locator('.notice')).toBeVisible();

  await page.getByTestId('account-new').click();
  const form = page.getByTestId('account-form');
  await form.locator('input[name=label]').fill('Microsoft 365 E2E');
  await form.locator('select[name=protocol]').selectOption('microsoft365');
  await expect(form.locator('select[name=authMethod]')).toHaveValue('oauth');
  await expect(form.locator('input[name=password]')).toHaveCount(0);
  await form.locator('input[name=host]').fill('127.0.0.1');
  await form.locator('select[name=security]').selectOption('starttls');
  await form.locator('input[name=port]').fill(IMAP_PORT);
  await form.locator('input[name=acceptInvalidCerts]').check();
  await form.getByTestId('account-save').click();

  const row = page.locator('[data-testid=account-row][data-label="Microsoft 365 E2E"]');
  await expect(row.getByTestId('account-status')).toHaveAttribute('data-status', 'error', { timeout: 20_000 });
  await row.getByTestId('oauth-connect').click();

  // At the provider: its own page, then back to Talentpost.
  await expect(page).toHaveURL(new RegExp(`^${OAUTH_URL}/authorize`));
  await page.locator('select[name=user]').selectOption('jobs@example.test');
  await page.getByRole('button', { name: 'Allow' }).click();
  // Back on Talentpost's callback page, which finishes in the admin's session and goes
  // on to where the connection was started.
  await expect(page).toHaveURL(/\/settings\/mail\?oauth=connected/);
  await expect(page.getByTestId('oauth-outcome')).toContainText('jobs@example.test');
  await expect(row.getByTestId('oauth-state')).toHaveAttribute('data-state', 'connected');
  await expect(row.getByTestId('account-status')).toHaveAttribute('data-status', 'idle', { timeout: 20_000 });

  const subject = `Bewerbung über Microsoft 365 ${Date.now()}`;
  await page.goto('/inbox?medium=email');
  await expect(page.locator('.live.on')).toBeVisible();
  await deliverByLmtp('jobs', `From: Jana Berg <jana@example.org>\nTo: jobs@example.test\nSubject: ${subject}\nMessage-ID: <${Date.now()}@example.org>\n\nGuten Tag,\nanbei meine Bewerbung.`);
  await expect(page.getByText(subject)).toBeVisible({ timeout: 20_000 });
});
