const { expect, request } = require('@playwright/test');

const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL || 'admin@e2e.test';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD || 'e2e-admin-password';

/** An API client signed in as the admin, as an integrator's script would be. */
async function apiAsAdmin(baseURL) {
  const api = await request.newContext({ baseURL });
  const login = await gql(api, 'mutation($i: LoginInput!) { login(input: $i) { id } }', {
    i: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  expect(login.errors).toBeUndefined();
  return api;
}

async function gql(api, query, variables = {}) {
  const response = await api.post('/graphql', { data: { query, variables } });
  return response.json();
}

async function submitApplication(api, firstName, extra = {}) {
  const result = await gql(
    api,
    'mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }',
    { input: { firstName, lastName: 'Browser', email: `${firstName.toLowerCase()}@e2e.test`, ...extra } },
  );
  expect(result.errors).toBeUndefined();
  return result.data.submitApplication.id;
}

async function logIn(page) {
  await page.goto('/');
  await page.locator('input[name=email]').fill(ADMIN_EMAIL);
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.locator('button[type=submit]').click();
  await expect(page.locator('.topbar')).toBeVisible();
}

module.exports = { apiAsAdmin, gql, submitApplication, logIn, ADMIN_EMAIL };
