// Mail out, in the browser, against the Postfix (relaying into Dovecot) that
// scripts/test starts: an outgoing account with its test and diagnostics, and a mail
// written from the candidate view that shows up in the history as sent.
const { test, expect } = require('@playwright/test');
const { apiAsAdmin, gql, logIn } = require('./helpers');

const SMTP_PORT = process.env.E2E_SMTP_PORT;
const SMTP_PASSWORD = process.env.E2E_IMAP_PASSWORD;

async function fillAccount(form, label, password) {
  await form.locator('input[name=label]').fill(label);
  await form.locator('input[name=host]').fill('127.0.0.1');
  await form.locator('select[name=security]').selectOption('starttls');
  await form.locator('input[name=port]').fill(SMTP_PORT);
  // The test server's certificate is self-signed.
  await form.locator('input[name=acceptInvalidCerts]').check();
  await form.locator('input[name=username]').fill('jobs');
  await form.locator('input[name=password]').fill(password);
}

test('an admin sets up an outgoing account, sends a test mail, and sees why a broken one fails', async ({ page }) => {
  test.skip(!SMTP_PORT, 'scripts/test starts Postfix and sets E2E_SMTP_PORT');
  await logIn(page);
  await page.goto('/settings/outgoing');

  await page.getByTestId('outgoing-new').click();
  let form = page.getByTestId('outgoing-form');
  await fillAccount(form, 'Postfix E2E', SMTP_PASSWORD);
  // Checking before saving walks every stage.
  await form.locator('input[name=testTo]').fill('jobs@example.test');
  await form.locator('input[name=testFrom]').fill('jobs@example.test');
  await form.getByTestId('smtp-check').click();
  await expect(form.getByTestId('smtp-outcome')).toHaveAttribute('data-ok', 'true');
  await form.getByTestId('outgoing-save').click();

  const row = page.locator('[data-testid=outgoing-row][data-label="Postfix E2E"]');
  await expect(row).toBeVisible();
  await row.getByTestId('outgoing-test').click();
  const panel = page.getByTestId('smtp-test');
  await panel.locator('input[name=testTo]').fill('jobs@example.test');
  await panel.locator('input[name=testFrom]').fill('jobs@example.test');
  await panel.getByTestId('smtp-send-test').click();
  await expect(panel.getByTestId('smtp-test-mail')).toHaveAttribute('data-status', 'sent', { timeout: 20_000 });

  // A wrong password can be saved (a test never blocks saving); its test names the login.
  await page.getByTestId('outgoing-new').click();
  form = page.getByTestId('outgoing-form');
  await fillAccount(form, 'Broken E2E', 'wrong-password');
  await form.getByTestId('outgoing-save').click();
  const broken = page.locator('[data-testid=outgoing-row][data-label="Broken E2E"]');
  await broken.getByTestId('outgoing-test').click();
  const brokenPanel = page.getByTestId('smtp-test');
  await brokenPanel.locator('input[name=testTo]').fill('jobs@example.test');
  await brokenPanel.getByTestId('smtp-check').click();
  const failure = brokenPanel.getByTestId('smtp-failure');
  await expect(failure).toHaveAttribute('data-problem', 'login');
  await expect(failure).toContainText('jobs');
});

test('a recruiter writes to a candidate from the candidate view and sees the mail in the history as sent', async ({ page, baseURL }) => {
  test.skip(!SMTP_PORT, 'scripts/test starts Postfix and sets E2E_SMTP_PORT');
  const api = await apiAsAdmin(baseURL);
  const account = await gql(api, 'mutation($i: OutboundAccountInput!) { createOutboundAccount(input: $i) { id } }', {
    i: { label: `Compose ${Date.now()}`, host: '127.0.0.1', port: Number(SMTP_PORT), security: 'STARTTLS',
      acceptInvalidCerts: true, username: 'jobs', password: SMTP_PASSWORD },
  });
  expect(account.errors).toBeUndefined();
  const entities = await gql(api, '{ legalEntities { id isMain } }');
  const main = entities.data.legalEntities.find((e) => e.isMain).id;
  const sender = await gql(api, 'mutation($e: ID!, $i: SenderIdentityInput!) { setSenderIdentity(legalEntityId: $e, input: $i) { senderAddress } }', {
    e: main, i: { senderAddress: 'jobs@example.test', channel: 'ACCOUNT', outboundAccountId: account.data.createOutboundAccount.id },
  });
  expect(sender.errors).toBeUndefined();
  const created = await gql(api, 'mutation($i: CreateCandidateInput!) { createCandidate(input: $i) { id } }', {
    i: { firstName: 'Clara', lastName: 'Compose', emails: ['jobs+clara@example.test'] },
  });
  const candidate = created.data.createCandidate.id;

  await logIn(page);
  await page.goto(`/candidates/${candidate}`);
  await expect(page.getByTestId('last-contact')).toContainText('never');
  await page.getByTestId('compose-open').click();
  const form = page.getByTestId('compose-form');
  await form.locator('input[name=subject]').fill('Einladung für {{ candidate.first_name }}');
  // An unknown placeholder is named before anything is sent.
  await form.locator('textarea[name=body]').fill('Hallo {{ candidate.frist_name }}');
  await form.getByTestId('compose-send').click();
  await expect(form.getByRole('alert')).toContainText('frist_name');
  await form.locator('textarea[name=body]').fill('Hallo {{ candidate.first_name }},\nwir laden Sie ein.');
  await form.getByTestId('compose-send').click();

  const entry = page.locator('[data-testid=history-entry][data-medium=mail_out]');
  await expect(entry).toContainText('Einladung für Clara');
  await expect(entry.getByTestId('outbox-status')).toHaveAttribute('data-status', 'sent', { timeout: 20_000 });
  // The sent mail is a contact: the last-contact time follows without a reload.
  await expect(page.getByTestId('last-contact')).not.toContainText('never');

  // The candidate answers; the answer joins her history, and "Reply" continues the conversation.
  const sent = await gql(api, 'query($c: ID!) { outboxMessages(filter: {candidateId: $c}) { edges { node { messageId } } } }', { c: candidate });
  const messageId = sent.data.outboxMessages.edges[0].node.messageId;
  const answer = [
    'From: Clara Compose <jobs+clara@example.test>', 'To: jobs@example.test', 'Subject: Re: Einladung für Clara',
    'Message-ID: <answer-clara@e2e.test>', `In-Reply-To: <${messageId}>`, `References: <${messageId}>`,
    'Date: Mon, 30 Nov 2026 10:00:00 +0100', '', 'Ich komme gern.', '',
  ].join('\r\n');
  const imported = await api.post('/graphql', {
    multipart: {
      operations: JSON.stringify({ query: 'mutation($file: Upload!) { importMail(file: $file) { id state } }', variables: { file: null } }),
      map: JSON.stringify({ 0: ['variables.file'] }),
      0: { name: 'answer.eml', mimeType: 'message/rfc822', buffer: Buffer.from(answer) },
    },
  });
  const importedBody = await imported.json();
  expect(importedBody.data.importMail.state).toBe('ASSIGNED');
  await page.reload();
  const received = page.locator('[data-testid=history-entry][data-medium=mail_in]');
  await expect(received).toContainText('Re: Einladung für Clara');
  await received.getByTestId('history-reply').click();
  const reply = page.getByTestId('compose-form');
  await expect(reply.locator('input[name=subject]')).toHaveValue('Re: Einladung für Clara');
  await reply.locator('textarea[name=body]').fill('Schön, bis dann.');
  await reply.getByTestId('compose-send').click();
  await expect(page.locator('[data-testid=history-entry][data-medium=mail_out]')).toHaveCount(2);

  // A phone call recorded by hand joins the history.
  await page.getByTestId('contact-open').click();
  const contact = page.getByTestId('contact-form');
  await contact.locator('select[name=medium]').selectOption('phone_out');
  await contact.locator('textarea[name=note]').fill('Termin telefonisch bestätigt');
  await contact.getByTestId('contact-save').click();
  await expect(page.locator('[data-testid=history-entry][data-medium=phone_out]')).toContainText('Termin telefonisch bestätigt');
  await expect(page.getByTestId('history-entry')).toHaveCount(4);

  // The outbox lists the mail too.
  await page.getByTestId('nav-outbox').click();
  await expect(page.locator('[data-testid=outbox-row][data-subject="Einladung für Clara"]')).toHaveAttribute('data-status', 'sent');
});
