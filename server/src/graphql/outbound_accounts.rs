use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::{MailProblem, MailSecurity, SenderChannel, SenderNameMode};

use super::inbound_accounts::MailConnectionInput;
use super::outbox::OutboxMessage;
use super::support::{GqlResult, OptionalRelation, ServiceResultExt, caller, gql_id, parse_id, parse_ids};
use crate::db::entities::{outbound_account, sender_identity};
use crate::ids::{LegalEntityId, OutboundAccountId};
use crate::services::accounts::outbound_accounts::{self as service, OutboundAccountInput as ServiceInput, TestReport};
use crate::services::mail_out::sender_identities::{self, SenderIdentityInput as ServiceSenderInput, SenderView};

/// An SMTP server legal entities send through. The password is write-only.
pub struct OutboundAccount(outbound_account::Model);

#[Object]
impl OutboundAccount {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// Carries mail of legal entities whose channel is the system default.
    async fn is_system_default(&self) -> bool {
        self.0.is_system_default
    }
    async fn host(&self) -> &str {
        &self.0.host
    }
    async fn port(&self) -> i32 {
        self.0.port
    }
    async fn security(&self) -> MailSecurity {
        self.0.security
    }
    async fn allow_plaintext(&self) -> bool {
        self.0.allow_plaintext
    }
    /// Certificates are not checked: encrypted, but not protected against impostors.
    async fn accept_invalid_certs(&self) -> bool {
        self.0.accept_invalid_certs
    }
    /// None: the server is used without login.
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    /// Whether a password is stored (it is never returned).
    async fn has_password(&self) -> bool {
        self.0.password_secret.is_some()
    }
    async fn signature_html(&self) -> Option<&str> {
        self.0.signature_html.as_deref()
    }
    /// The Google or Microsoft connection this account sends with (no password then).
    async fn oauth(&self, ctx: &Context<'_>) -> GqlResult<Option<super::oauth::OauthAccount>> {
        let Some(id) = self.0.oauth_account_id else {
            return Ok(None);
        };
        let (app, principal) = caller(ctx)?;
        crate::services::accounts::oauth::connect::find(&app.db, principal, crate::ids::OauthAccountId(id))
            .await
            .visible()
            .map(|found| found.map(super::oauth::OauthAccount))
    }
    async fn signature_text(&self) -> Option<&str> {
        self.0.signature_text.as_deref()
    }
    async fn legal_entity_id(&self) -> ID {
        gql_id(self.0.legal_entity_id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An outgoing account: the connection (port defaults to 465 with TLS, 587 otherwise;
/// UNENCRYPTED needs `allowPlaintext: true`; an empty username means no login; the
/// password is write-only and kept when left out on update) plus its use.
#[derive(InputObject)]
pub struct OutboundAccountInput {
    pub label: Option<String>,
    #[graphql(flatten)]
    pub connection: MailConnectionInput,
    /// Default: the main legal entity.
    pub legal_entity_id: Option<ID>,
    /// Only admins choose the default; the first account an admin creates becomes it.
    pub is_system_default: Option<bool>,
    /// HTML signature appended to mail through this account (sanitised); "" removes it.
    pub signature_html: Option<String>,
    /// Plain-text signature; "" removes it.
    pub signature_text: Option<String>,
}

impl OutboundAccountInput {
    fn into_service(self) -> GqlResult<ServiceInput> {
        Ok(ServiceInput {
            label: self.label,
            legal_entity_id: self
                .legal_entity_id
                .map(|id| parse_id("legalEntityId", &id, LegalEntityId))
                .transpose()?,
            is_system_default: self.is_system_default,
            connection: self.connection.into(),
            signature_html: self.signature_html,
            signature_text: self.signature_text,
        })
    }
}

/// One stage of a connection check that passed.
#[derive(SimpleObject)]
pub struct SmtpCheckStep {
    /// dns, connect, tls, auth, sender or recipient.
    pub stage: String,
    pub detail: String,
}

/// The outcome of "check connection" or "send test email".
#[derive(SimpleObject)]
pub struct SmtpTestResult {
    pub ok: bool,
    /// The stages that passed, in order.
    pub steps: Vec<SmtpCheckStep>,
    /// The stage that failed.
    pub problem: Option<MailProblem>,
    /// What went wrong, in words an admin can act on, with the server's reply.
    pub message: Option<String>,
    pub reply_code: Option<i32>,
    /// The test mail, when one was sent: its status says whether the server took it.
    pub test_message: Option<OutboxMessage>,
}

impl From<TestReport> for SmtpTestResult {
    fn from(report: TestReport) -> Self {
        let sent_ok = report
            .test_message
            .as_ref()
            .is_none_or(|m| m.status == talentpost_shared::OutboxStatus::Sent);
        Self {
            ok: report.failure.is_none() && sent_ok,
            steps: report
                .steps
                .into_iter()
                .map(|step| SmtpCheckStep {
                    stage: step.stage.to_owned(),
                    detail: step.detail,
                })
                .collect(),
            problem: report.failure.as_ref().map(|failure| failure.problem),
            message: report.failure.as_ref().map(|failure| failure.message.clone()),
            reply_code: report
                .failure
                .as_ref()
                .and_then(|failure| failure.reply_code.map(i32::from)),
            test_message: report.test_message.map(OutboxMessage::from),
        }
    }
}

/// Who a legal entity's mail comes from and how it leaves.
pub struct SenderIdentity(SenderView);

#[Object]
impl SenderIdentity {
    async fn legal_entity_id(&self) -> ID {
        gql_id(self.0.legal_entity.id)
    }
    /// True when the entity has no sender of its own and uses the main entity's (or,
    /// without that, the built-in channel with the system sender).
    async fn inherited(&self) -> bool {
        self.0.own.is_none()
    }
    /// The legal entity whose settings apply.
    async fn source_legal_entity_id(&self) -> ID {
        gql_id(self.0.effective.source_entity.id)
    }
    async fn sender_address(&self) -> String {
        self.0.effective.address.to_string()
    }
    async fn sender_name_mode(&self) -> SenderNameMode {
        self.0.effective.name_mode
    }
    /// The fixed name, for mode CUSTOM.
    async fn sender_name(&self) -> Option<&str> {
        self.0.effective.custom_name.as_deref()
    }
    async fn channel(&self) -> SenderChannel {
        self.0.effective.channel
    }
    /// The chosen account (channel ACCOUNT), or the default account the system channel
    /// currently resolves to.
    async fn outbound_account(&self) -> Option<OutboundAccount> {
        self.0.effective.account.clone().map(OutboundAccount)
    }
    /// Neither a chosen nor a default account: mail leaves through the built-in channel.
    async fn uses_builtin_channel(&self) -> bool {
        self.0.effective.account.is_none()
    }
    /// Replies go to a per-thread address (`sender+r<token>@…`), so they find their
    /// candidate even when the subject changed.
    async fn thread_reply_addresses(&self) -> bool {
        self.0.effective.thread_reply_addresses
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.own.as_ref().map(|own: &sender_identity::Model| own.updated_at)
    }
}

#[derive(InputObject)]
pub struct SenderIdentityInput {
    pub sender_address: Option<String>,
    pub sender_name_mode: Option<SenderNameMode>,
    pub sender_name: Option<String>,
    pub channel: Option<SenderChannel>,
    pub outbound_account_id: Option<ID>,
    pub thread_reply_addresses: Option<bool>,
    /// Remove this entity's own sender; it then sends like the main entity.
    pub use_main_entity: Option<bool>,
}

#[derive(Default)]
pub struct OutboundAccountQuery;

#[Object]
impl OutboundAccountQuery {
    /// Outgoing accounts the caller administers (admins: all).
    async fn outbound_accounts(&self, ctx: &Context<'_>) -> GqlResult<Vec<OutboundAccount>> {
        let (app, principal) = caller(ctx)?;
        Ok(service::list(app, principal)
            .await
            .gql()?
            .into_iter()
            .map(OutboundAccount)
            .collect())
    }

    async fn sender_identity(&self, ctx: &Context<'_>, legal_entity_id: ID) -> GqlResult<SenderIdentity> {
        let id = parse_id("legalEntityId", &legal_entity_id, LegalEntityId)?;
        let (app, principal) = caller(ctx)?;
        sender_identities::view(app, principal, id)
            .await
            .gql()
            .map(SenderIdentity)
    }
}

#[derive(Default)]
pub struct OutboundAccountMutation;

#[Object]
impl OutboundAccountMutation {
    async fn create_outbound_account(
        &self,
        ctx: &Context<'_>,
        input: OutboundAccountInput,
    ) -> GqlResult<OutboundAccount> {
        let input = input.into_service()?;
        let (app, principal) = caller(ctx)?;
        service::create(app, principal, input).await.gql().map(OutboundAccount)
    }

    async fn update_outbound_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OutboundAccountInput,
    ) -> GqlResult<OutboundAccount> {
        let id = parse_id("id", &id, OutboundAccountId)?;
        let input = input.into_service()?;
        let (app, principal) = caller(ctx)?;
        service::update(app, principal, id, input)
            .await
            .gql()
            .map(OutboundAccount)
    }

    /// Deletes the accounts, all or none; refused while a sender uses one or mail waits for it.
    async fn delete_outbound_accounts(&self, ctx: &Context<'_>, ids: Vec<ID>) -> GqlResult<Vec<ID>> {
        let ids = parse_ids("ids", &ids, OutboundAccountId)?;
        let (app, principal) = caller(ctx)?;
        Ok(service::delete(app, principal, &ids)
            .await
            .gql()?
            .into_iter()
            .map(|id| gql_id(id.0))
            .collect())
    }

    /// Checks an account stage by stage (DNS, connect, TLS, login, sender, recipient)
    /// without sending; with `send: true`, sends a test mail to `to` through the outbox
    /// with the saved settings. `from` defaults to the address of a legal entity that
    /// sends through the account, else the login if it is an address, else the system sender. Pass `id` for a saved account, `input` for unsaved
    /// settings, or both while editing. A failing test never blocks saving.
    async fn test_outbound_account(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        input: Option<OutboundAccountInput>,
        to: String,
        from: Option<String>,
        send: Option<bool>,
    ) -> GqlResult<SmtpTestResult> {
        let send = send.unwrap_or(false);
        let id = id.map(|id| parse_id("id", &id, OutboundAccountId)).transpose()?;
        let input = input.map(OutboundAccountInput::into_service).transpose()?;
        let (app, principal) = caller(ctx)?;
        service::test(app, principal, id, input, &to, from.as_deref(), send)
            .await
            .gql()
            .map(SmtpTestResult::from)
    }

    /// Sets who a legal entity's mail comes from and how it leaves. The new settings are
    /// checked with the server first (may the login send as this address?) and take
    /// effect in one step; nothing changes when the check fails.
    async fn set_sender_identity(
        &self,
        ctx: &Context<'_>,
        legal_entity_id: ID,
        input: SenderIdentityInput,
    ) -> GqlResult<SenderIdentity> {
        let legal_entity_id = parse_id("legalEntityId", &legal_entity_id, LegalEntityId)?;
        let outbound_account_id = input
            .outbound_account_id
            .map(|id| parse_id("outboundAccountId", &id, OutboundAccountId))
            .transpose()?;
        let input = ServiceSenderInput {
            sender_address: input.sender_address,
            sender_name_mode: input.sender_name_mode,
            sender_name: input.sender_name,
            channel: input.channel,
            outbound_account_id,
            thread_reply_addresses: input.thread_reply_addresses,
            use_main_entity: input.use_main_entity,
        };
        let (app, principal) = caller(ctx)?;
        sender_identities::set(app, principal, legal_entity_id, input)
            .await
            .gql()
            .map(SenderIdentity)
    }
}
