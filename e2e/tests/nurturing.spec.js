const { test, expect } = require('@playwright/test');
const { apiAsAdmin, gql, logIn } = require('./helpers');

test('save a candidate query and see its hits change as it is edited', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  for (const [firstName, status] of [['Aktiv', 'ACTIVE'], ['Abgelehnt', 'REJECTED']]) {
    const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
      i: { firstName, lastName: `Query${stamp}`, status, inTalentPool: true },
    });
    expect(created.errors).toBeUndefined();
  }

  await logIn(page);
  await page.getByTestId('nav-nurturing').click();
  await page.getByTestId('new-query').click();
  const form = page.getByTestId('query-form');
  await form.getByTestId('query-name').fill(`Pool ohne Absagen ${stamp}`);
  await form.getByTestId('in-pool').selectOption('yes');
  await expect(form).toContainText(`Abgelehnt Query${stamp}`);
  await form.getByTestId('status-not-in-rejected').check();
  await expect(form).not.toContainText(`Abgelehnt Query${stamp}`);
  await expect(form).toContainText(`Aktiv Query${stamp}`);
  await form.getByRole('button', { name: 'Save' }).click();

  const expected = await gql(api, 'query($f: CandidateQueryFilterInput) { runCandidateQuery(filter: $f) { totalCount } }', {
    f: { inTalentPool: true, statusNotIn: ['REJECTED'] },
  });
  const row = page.getByTestId('query-list').locator('tr').filter({ hasText: `Pool ohne Absagen ${stamp}` });
  await expect(row.getByTestId('query-hits')).toHaveText(String(expected.data.runCandidateQuery.totalCount));
});

test('write a form letter, see a typo named, and preview it for a candidate', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
    i: { firstName: 'Vera', lastName: `Vorschau${stamp}`, emails: [`vera${stamp}@e2e.test`] },
  });
  expect(created.errors).toBeUndefined();

  await logIn(page);
  await page.goto('/nurturing/letters');
  await page.getByTestId('new-letter').click();
  const form = page.getByTestId('letter-form');
  await form.locator('input[name=name]').fill(`Hallo ${stamp}`);
  await form.locator('input[name=subject]').fill('Grüße an {{ candidate.first_name }}');
  await form.locator('textarea[name=bodyText]').fill('Liebe {{ candidate.frist_name }}');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('candidate.frist_name');
  await form.locator('textarea[name=bodyText]').fill('Liebe {{ candidate.first_name }}, wir denken an Sie.');
  await form.getByRole('button', { name: 'Save' }).click();

  const row = page.getByTestId('letter-list').locator('tr').filter({ hasText: `Hallo ${stamp}` });
  await row.getByRole('button', { name: 'Edit' }).click();
  const preview = page.getByTestId('letter-preview');
  await preview.getByTestId('preview-search').fill(`Vorschau${stamp}`);
  await preview.getByTestId('preview-candidate').click();
  await expect(preview.getByTestId('preview-result')).toContainText('Grüße an Vera');
  await expect(preview.getByTestId('preview-result')).toContainText('Liebe Vera, wir denken an Sie.');
  await expect(preview.getByTestId('preview-result')).toContainText(`vera${stamp}@e2e.test`);
});

test('reject a candidate with a form letter from the candidate file', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const letter = await gql(api, 'mutation($i: FormLetterInput!) { createFormLetter(input: $i) { id } }', {
    i: { name: `Absage ${stamp}`, subject: 'Ihre Bewerbung', bodyText: 'Hallo {{ candidate.first_name }}, leider nein.', setsCandidateStatus: 'REJECTED' },
  });
  expect(letter.errors).toBeUndefined();
  const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
    i: { firstName: 'Rosa', lastName: `Absage${stamp}`, emails: [`rosa${stamp}@e2e.test`] },
  });
  const candidateId = created.data.createCandidate.id;
  await gql(api, 'mutation($c: ID!) { createApplication(candidateId: $c) { id } }', { c: candidateId });

  await logIn(page);
  await page.goto(`/candidates/${candidateId}`);
  const section = page.getByTestId('form-letter-section');
  await section.getByTestId('letter-choice').selectOption({ label: `Absage ${stamp}` });
  await expect(section.getByTestId('letter-section-preview')).toContainText('Hallo Rosa, leider nein.');
  await section.getByTestId('letter-send').click();
  await expect(section.getByTestId('letter-done')).toContainText('on its way');
  await expect(page.locator('dl.facts')).toContainText('Rejected');
  await expect(page.getByTestId('history-entry').first()).toHaveAttribute('data-medium', 'form_letter_mail');
});

test('an admin chooses what a final rejection leaves of a candidate', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const retention = async () => (await gql(api, '{ organisationSettings { dataRetention } }')).data.organisationSettings.dataRetention;
  await logIn(page);
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByTestId('settings-privacy').click();
  await expect(page.getByTestId('data-retention')).toHaveValue('minimise');
  await page.getByTestId('data-retention').selectOption('keep');
  await expect.poll(retention).toBe('KEEP');
  await page.getByTestId('data-retention').selectOption('minimise');
  await expect.poll(retention).toBe('MINIMISE');
});
