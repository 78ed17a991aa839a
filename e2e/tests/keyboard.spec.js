// The inbox by keyboard alone: sign in, move with j/k, open with Enter, take over with
// e and undo, delete with # and undo; every action is answered by a toast.
const { test, expect } = require('@playwright/test');
const { apiAsAdmin, submitApplication, ADMIN_EMAIL } = require('./helpers');

test('keyboard only: open the second item with j and Enter, take it over with e, undo; delete with # and undo', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const older = await submitApplication(api, `Karl${stamp}`);
  const newer = await submitApplication(api, `Klara${stamp}`);

  await page.goto('/');
  // The sign-in page starts in the e-mail field.
  await expect(page.locator('input[name=email]')).toBeFocused();
  await page.keyboard.type(ADMIN_EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(process.env.E2E_ADMIN_PASSWORD || 'e2e-admin-password');
  await page.keyboard.press('Enter');
  await expect(page.locator('.topbar')).toBeVisible();

  await page.goto('/inbox?medium=online_form');
  const rows = page.getByTestId('inbox-row');
  await expect(rows.first()).toContainText(`Klara${stamp}`);
  // The first Tab reaches the skip link, which jumps to the page's heading.
  await page.keyboard.press('Tab');
  await expect(page.locator('.skip-link')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#content h1')).toBeFocused();

  await page.keyboard.press('j');
  await expect(rows.nth(0).locator('a.row-link')).toBeFocused();
  await page.keyboard.press('j');
  await expect(rows.nth(1).locator('a.row-link')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/inbox/${older}$`));
  // In the item view, k and j move to the neighbours in the inbox's order.
  await expect(page.getByTestId('inbox-item')).toContainText(`Karl${stamp}`);
  await page.keyboard.press('k');
  await expect(page).toHaveURL(new RegExp(`/inbox/${newer}$`));
  await expect(page.getByTestId('inbox-item')).toContainText(`Klara${stamp}`);
  await page.keyboard.press('j');
  await expect(page).toHaveURL(new RegExp(`/inbox/${older}$`));
  await expect(page.getByTestId('inbox-item')).toContainText(`Karl${stamp}`);

  // e takes the open item over; the app moves on, and the toast offers "Undo".
  await expect(page.getByTestId('take-over-button')).toBeVisible();
  await page.keyboard.press('e');
  await expect(page.getByTestId('toast').last()).toContainText(`Karl${stamp} Browser taken over`);
  await expect(page).not.toHaveURL(new RegExp(`/inbox/${older}$`));
  // z undoes the newest action, wherever the focus is.
  await page.keyboard.press('z');
  await expect(page.getByTestId('toast').last()).toContainText('Take-over undone');
  await page.goto(`/inbox/${older}`);
  await expect(page.getByTestId('take-over')).toBeVisible();

  // In the list, # deletes the focused item; the toast's "Undo" brings it back.
  await page.goto('/inbox?medium=online_form');
  await expect(rows.first()).toContainText(`Klara${stamp}`);
  await page.locator('#content h1').focus();
  await page.keyboard.press('j');
  await expect(rows.nth(0).locator('a.row-link')).toBeFocused();
  await page.keyboard.press('#');
  await expect(page.getByTestId('toast').last()).toContainText('1 deleted');
  await expect(page.getByTestId('inbox-list')).not.toContainText(`Klara${stamp}`);
  await page.getByTestId('toast-undo').last().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toast').last()).toContainText('1 restored');
  await expect(rows.first()).toContainText(`Klara${stamp}`);

  // e in the list takes the focused item over; the toast leads to the candidate.
  await page.locator('#content h1').focus();
  await page.keyboard.press('j');
  await page.keyboard.press('e');
  await expect(page.getByTestId('toast').last()).toContainText(`Klara${stamp} Browser taken over`);
  await expect(page.getByTestId('inbox-list')).not.toContainText(`Klara${stamp}`);
  await page.getByTestId('toast-link').last().click();
  await expect(page).toHaveURL(/\/candidates\/\d+$/);
  await expect(page.getByRole('heading', { name: `Klara${stamp} Browser` })).toBeVisible();
  expect(newer).not.toBe(older);

  // ? lists the shortcuts in a dialog that Escape closes.
  await page.goto('/inbox?medium=online_form');
  await expect(rows.first()).toBeVisible();
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcuts')).toBeHidden();
});
