const { test, expect } = require('@playwright/test');
const { apiAsAdmin, gql, logIn } = require('./helpers');

/** An online application with a CV, as a career page would post it through the API. */
async function applyWithCv(api, firstName, email) {
  const operations = JSON.stringify({
    query: 'mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }',
    variables: { input: { firstName, lastName: 'Kandidatin', email, message: `Bewerbung von ${firstName}`, attachments: [null] } },
  });
  const response = await api.post('/graphql', {
    multipart: {
      operations,
      map: JSON.stringify({ 0: ['variables.input.attachments.0'] }),
      0: { name: `Lebenslauf-${firstName}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 e2e') },
    },
  });
  const body = await response.json();
  expect(body.errors).toBeUndefined();
  return body.data.submitApplication.id;
}

test('take over an application in the browser and open the candidate file', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const name = `Tara${Date.now()}`;
  const email = `${name.toLowerCase()}@e2e.test`;
  const itemId = await applyWithCv(api, name, email);

  await logIn(page);
  await page.goto(`/inbox/${itemId}`);
  await expect(page.getByTestId('take-over')).toBeVisible();
  await page.getByTestId('take-over-button').click();
  // The app moves on to the next item; the toast leads to the new candidate.
  await expect(page.getByTestId('toast')).toContainText(`${name} Kandidatin`);
  await page.getByTestId('toast-link').click();

  await expect(page).toHaveURL(/\/candidates\/\d+$/);
  await expect(page.getByRole('heading', { name: `${name} Kandidatin` })).toBeVisible();
  await expect(page.getByTestId('candidate-documents')).toContainText(`Lebenslauf-${name}.pdf`);
  await expect(page.getByTestId('applications')).toContainText('Online form');
  await expect(page.getByTestId('contact-section')).toContainText('Online application');
  const candidateUrl = page.url();

  // The next application from the same address is suggested to her and assigned in one click.
  const second = await applyWithCv(api, name, email);
  await page.goto(`/inbox/${second}`);
  const suggestion = page.getByTestId('suggestion').filter({ hasText: `${name} Kandidatin` });
  await expect(suggestion).toContainText('same e-mail');
  // The same address makes "assign" the primary action and a new candidate the second choice.
  await expect(page.getByTestId('primary-action')).toHaveText(`Assign to ${name} Kandidatin`);
  await expect(page.getByTestId('take-over-button')).toHaveText('Take over as a new candidate');
  await suggestion.getByTestId('assign').click();
  await page.getByTestId('toast-link').last().click();
  await expect(page).toHaveURL(candidateUrl);
  await expect(page.getByTestId('history-entry')).toHaveCount(2);
  await expect(page.getByTestId('candidate-documents').locator('li')).toHaveCount(2);

  // Both left the unassigned inbox.
  await page.goto(`/inbox/${itemId}`);
  await expect(page.getByTestId('assigned-to')).toContainText(`${name} Kandidatin`);
  await expect(page.getByTestId('take-over')).toHaveCount(0);
});

test('merge a duplicate from the candidate file', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const stamp = Date.now();
  const create = async (firstName) => {
    const result = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
      i: { firstName, lastName: `Doppelt${stamp}`, emails: [`doppelt${stamp}@e2e.test`] },
    });
    expect(result.errors).toBeUndefined();
    const id = result.data.createCandidate.id;
    const application = await gql(api, 'mutation($c: ID!) { createApplication(candidateId: $c) { id } }', { c: id });
    expect(application.errors).toBeUndefined();
    return id;
  };
  const kept = await create('Erste');
  await create('Zweite');

  await logIn(page);
  await page.goto(`/candidates/${kept}`);
  const sets = page.getByTestId('duplicate-sets');
  await expect(sets).toContainText('Same e-mail address');
  await expect(sets).toContainText(`Zweite Doppelt${stamp}`);
  await page.getByTestId('merge-here').click();
  await expect(page.getByTestId('duplicate-sets')).toHaveCount(0);
  await expect(page.getByTestId('application-row')).toHaveCount(2);
});

test('the dashboard draws applications by source and the hire rate', async ({ page, baseURL }) => {
  const api = await apiAsAdmin(baseURL);
  const created = await gql(api, 'mutation { createCandidate(input: {firstName: "Dana", lastName: "Dashboard"}) { id } }');
  const application = await gql(api, 'mutation($c: ID!) { createApplication(candidateId: $c, sourceMedium: JOB_AGENCY) { id } }', {
    c: created.data.createCandidate.id,
  });
  const hired = await gql(api, 'mutation($id: ID!) { setApplicationStatus(id: $id, status: HIRED) { status } }', {
    id: application.data.createApplication.id,
  });
  expect(hired.errors).toBeUndefined();

  await logIn(page);
  const chart = page.getByTestId('chart-by-source');
  await expect(chart).toBeVisible();
  await expect(chart.locator('rect[data-series="Job agency"]').first()).toBeVisible();
  // Dana was hired: the job agency's hire-rate bar has a length.
  await expect(page.getByTestId('chart-hire-rate').locator('rect[data-series="Job agency"]')).toBeVisible();
  await expect(page.getByTestId('channel-table')).toContainText('Job agency');
  expect(Number(await page.getByTestId('kpi-applications').locator('.tile-count').innerText())).toBeGreaterThan(0);

  await page.getByTestId('dashboard-period').selectOption('year');
  await expect(chart.locator('text.axis').first()).toBeVisible();
  await page.getByTestId('language').selectOption('de');
  await expect(page.getByRole('heading', { name: 'Bewerbungen nach Quelle' })).toBeVisible();
  await page.getByTestId('language').selectOption('en');
});

test('an admin switches on the public form and gets the SMS secret once', async ({ page }) => {
  await logIn(page);
  await page.goto('/settings/channels');
  await page.getByTestId('rotate-form').click();
  await expect(page.getByTestId('form-url')).toContainText('/api/public/forms/tpf_');
  await expect(page.getByTestId('form-snippet')).toContainText('<iframe');
  await page.getByTestId('rotate-sms').click();
  await expect(page.getByTestId('sms-secret')).toContainText('tpss_');
  await expect(page.getByTestId('sms-url')).toContainText('/api/intake/sms/tps_');

  // The form page itself works for an applicant.
  const formUrl = await page.getByTestId('form-url').innerText();
  await page.goto(formUrl);
  await expect(page.getByRole('heading', { name: /Bewerbung bei/ })).toBeVisible();
});
