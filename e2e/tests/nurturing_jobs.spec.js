const { test, expect } = require('@playwright/test');
const { apiAsAdmin, gql, logIn } = require('./helpers');

/** Sets the server's schedule clock (the e2e server runs with TALENTPOST_TEST_CLOCK). */
async function setClock(api, date) {
  const response = await api.post('/api/test/clock', { data: { now: date.toISOString() } });
  expect(response.ok()).toBeTruthy();
}

function utcDay(offsetDays, hour, minute = 0) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offsetDays, hour, minute));
}

test('create a job with lead time, see the recipients, block one, let it dispatch and see the states', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const entities = await gql(api, '{ legalEntities { id isMain } }');
  const main = entities.data.legalEntities.find((e) => e.isMain).id;
  const opening = await gql(api, 'mutation($i: CreateJobOpeningInput!) { createJobOpening(input: $i) { id } }', {
    i: { legalEntityId: main, title: `Versand ${stamp}`, status: 'OPEN' },
  });
  expect(opening.errors).toBeUndefined();
  const openingId = opening.data.createJobOpening.id;
  for (const lastName of ['Erste', 'Zweite', 'Dritte']) {
    // No addresses: the letters are documented, not mailed, whatever sender is set up.
    const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
      i: { firstName: 'Job', lastName: `${lastName}${stamp}` },
    });
    expect(created.errors).toBeUndefined();
    const applied = await gql(api, 'mutation($c: ID!, $o: ID!) { createApplication(candidateId: $c, jobOpeningId: $o) { id } }', {
      c: created.data.createCandidate.id, o: openingId,
    });
    expect(applied.errors).toBeUndefined();
  }
  const query = await gql(api, 'mutation($n: String!, $f: CandidateQueryFilterInput!) { createCandidateQuery(name: $n, filter: $f) { id } }', {
    n: `Bewerber ${stamp}`, f: { jobOpeningId: openingId },
  });
  expect(query.errors).toBeUndefined();
  const letter = await gql(api, 'mutation($i: FormLetterInput!) { createFormLetter(input: $i) { id } }', {
    i: { name: `Zwischenstand ${stamp}`, subject: 'Ihr Stand', bodyText: 'Hallo {{ candidate.first_name }}, wir melden uns bald.' },
  });
  expect(letter.errors).toBeUndefined();
  // Tomorrow 14:00 UTC: a job at 09:00 UTC with 20 hours' lead plans the day after's
  // run now (and, once that is sent, the next one only from 13:00).
  await setClock(api, utcDay(1, 14));

  await logIn(page);
  await page.goto('/nurturing/jobs');
  await page.getByTestId('new-job').click();
  const form = page.getByTestId('job-form');
  await form.locator('input[name=name]').fill(`Zwischenstand ${stamp}`);
  await form.locator('select[name=query]').selectOption({ label: `Bewerber ${stamp}` });
  await form.locator('select[name=letter]').selectOption({ label: `Zwischenstand ${stamp}` });
  for (const day of ['sat', 'sun']) await form.getByTestId(`day-${day}`).check();
  await form.locator('input[name=dispatchTime]').fill('09:00');
  await form.locator('select[name=timeZone]').selectOption('UTC');
  await form.locator('input[name=leadTimeHours]').fill('20');
  await form.locator('input[name=enabled]').check();
  await form.getByRole('button', { name: 'Save' }).click();

  const row = page.getByTestId('job-row').filter({ hasText: `Zwischenstand ${stamp}` });
  await row.getByRole('link', { name: `Zwischenstand ${stamp}` }).click();
  const entries = page.getByTestId('entry-row');
  await expect(entries).toHaveCount(3);
  await expect(page.getByTestId('entry-list').locator('[data-state=planned]')).toHaveCount(3);
  await expect(page.getByTestId('entry-list')).toContainText(`Dritte${stamp}`);

  // The recipients wait in the work centre too.
  await page.getByTestId('tab-work').click();
  await expect(page.getByTestId('writing-list')).toContainText(`Zweite${stamp}`);
  await page.goBack();

  const blocked = page.getByTestId('entry-row').filter({ hasText: `Zweite${stamp}` });
  await blocked.locator('input[type=checkbox]').check();
  await page.getByTestId('block-selected').click();
  await expect(blocked.getByTestId('entry-state')).toHaveText('blocked');

  // The day after at 09:00 the run is dispatched; the open file follows.
  await setClock(api, utcDay(2, 9, 0));
  await expect(page.getByTestId('entry-list').locator('[data-state=documented_not_sent]')).toHaveCount(2, { timeout: 20_000 });
  await expect(blocked.getByTestId('entry-state')).toHaveText('blocked');
  await expect(page.getByTestId('entry-row').filter({ hasText: `Erste${stamp}` }).getByTestId('entry-state')).toHaveText('documented, not sent');

  // The preview: who the next dispatch would reach, and the letter one of them gets.
  await page.getByTestId('tab-preview').click();
  await expect(page.getByTestId('preview-count')).toHaveText('3');
  await page.getByTestId('job-preview').getByRole('button', { name: 'Show letter' }).first().click();
  await expect(page.getByTestId('job-letter-preview')).toContainText('wir melden uns bald');

  // The list shows the counts and exports a workbook.
  await page.goto('/nurturing/jobs');
  await expect(page.getByTestId('job-row').filter({ hasText: `Zwischenstand ${stamp}` }).getByTestId('job-counts')).toHaveText('0 / 1 / 0 / 2 / 0');
  const download = page.waitForEvent('download');
  await page.getByTestId('export-jobs').click();
  expect((await download).suggestedFilename()).toMatch(/\.xlsx$/);
  // Switched off again, so later runs of the suite stay quiet.
  await row.getByRole('button', { name: 'Edit' }).click();
  await page.getByTestId('job-form').locator('input[name=enabled]').uncheck();
  await page.getByTestId('job-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('job-form')).toHaveCount(0);
});
