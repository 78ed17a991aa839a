const net = require('net');
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

/** Delivers a mail over LMTP to the Dovecot of scripts/test, as the company's MTA would. */
function deliverByLmtp(recipient, raw) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(process.env.E2E_LMTP_PORT), '127.0.0.1');
    const steps = ['LHLO e2e.test', 'MAIL FROM:<sender@example.org>', `RCPT TO:<${recipient}>`, 'DATA',
      `${raw.replace(/\r?\n/g, '\r\n')}\r\n.`, 'QUIT'];
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffer += chunk;
      // Each complete reply (last line "NNN text") releases the next command.
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const match = buffer.match(/^(\d{3}) .*\r\n/m);
        buffer = buffer.slice(match.index + match[0].length);
        if (Number(match[1]) >= 400) { socket.destroy(); reject(new Error(`LMTP refused: ${match[0]}`)); return; }
        const next = steps.shift();
        if (next === undefined) { socket.end(); resolve(); return; }
        socket.write(`${next}\r\n`);
      }
    });
    socket.on('error', reject);
  });
}

async function logIn(page) {
  await page.goto('/');
  await page.locator('input[name=email]').fill(ADMIN_EMAIL);
  await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
  await page.locator('button[type=submit]').click();
  await expect(page.locator('.topbar')).toBeVisible();
}

module.exports = { apiAsAdmin, gql, submitApplication, logIn, deliverByLmtp, ADMIN_EMAIL };
