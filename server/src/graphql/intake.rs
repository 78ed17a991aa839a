use async_graphql::{Context, Enum, Object, SimpleObject};

use super::support::{GqlResult, ServiceResultExt, caller};
use crate::config::WebOrigin;
use crate::error::ServiceError;
use crate::services::inbox::intake::{self as service, IntakeKind, IntakeSettings as Settings};

/// A public channel into the inbox.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum IntakeChannel {
    /// The application form a career page posts to (`/api/public/forms/{formKey}`).
    OnlineForm,
    /// The SMS provider's webhook (`/api/intake/sms/{smsKey}`, signed with the secret).
    Sms,
}

impl From<IntakeChannel> for IntakeKind {
    fn from(channel: IntakeChannel) -> Self {
        match channel {
            IntakeChannel::OnlineForm => Self::OnlineForm,
            IntakeChannel::Sms => Self::Sms,
        }
    }
}

/// The organisation's public channels. The SMS secret is shown only once, when it is made.
#[derive(SimpleObject)]
pub struct IntakeSettings {
    /// Public key of the application form; it appears in the career page's HTML.
    pub form_key: Option<String>,
    /// Relative URL of the embeddable form (an HTML page) and the address it posts to.
    pub form_url: Option<String>,
    pub sms_key: Option<String>,
    /// Relative URL the SMS provider posts to.
    pub sms_webhook_url: Option<String>,
    pub has_sms_secret: bool,
    /// Origins of the career sites that may frame the form (`https://jobs.example.com`);
    /// empty: any site may.
    pub form_embed_origins: Vec<String>,
}

impl From<Settings> for IntakeSettings {
    fn from(settings: Settings) -> Self {
        Self {
            form_url: settings.form_key.as_ref().map(|key| format!("/api/public/forms/{key}")),
            sms_webhook_url: settings.sms_key.as_ref().map(|key| format!("/api/intake/sms/{key}")),
            form_key: settings.form_key,
            sms_key: settings.sms_key,
            has_sms_secret: settings.has_sms_secret,
            form_embed_origins: settings.form_embed_origins,
        }
    }
}

#[derive(SimpleObject)]
pub struct RotatedIntakeKey {
    pub settings: IntakeSettings,
    /// The new SMS signing secret: shown this once, store it in the provider's settings.
    pub secret: Option<String>,
}

#[derive(Default)]
pub struct IntakeQuery;

#[Object]
impl IntakeQuery {
    /// Administrators only.
    async fn intake_settings(&self, ctx: &Context<'_>) -> GqlResult<IntakeSettings> {
        let (state, principal) = caller(ctx)?;
        service::settings(state, principal)
            .await
            .gql()
            .map(IntakeSettings::from)
    }
}

#[derive(Default)]
pub struct IntakeMutation;

#[Object]
impl IntakeMutation {
    /// Issues a new key (and for SMS a new secret); the old one stops working at once.
    async fn rotate_intake_key(&self, ctx: &Context<'_>, channel: IntakeChannel) -> GqlResult<RotatedIntakeKey> {
        let (state, principal) = caller(ctx)?;
        let (settings, secret) = service::rotate(state, principal, channel.into()).await.gql()?;
        Ok(RotatedIntakeKey {
            settings: settings.into(),
            secret,
        })
    }

    /// Limits which career sites may embed the application form in a frame; an empty
    /// list lets any site. Each entry is an origin: scheme, host and optional port.
    async fn set_form_embed_origins(&self, ctx: &Context<'_>, origins: Vec<String>) -> GqlResult<IntakeSettings> {
        let (state, principal) = caller(ctx)?;
        let origins = origins
            .iter()
            .map(|origin| WebOrigin::parse(origin))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| ServiceError::invalid("origins", message))
            .gql()?;
        service::set_form_embed_origins(state, principal, origins)
            .await
            .gql()
            .map(IntakeSettings::from)
    }

    /// Switches the channel off; deliveries with its key are refused.
    async fn disable_intake(&self, ctx: &Context<'_>, channel: IntakeChannel) -> GqlResult<IntakeSettings> {
        let (state, principal) = caller(ctx)?;
        service::disable(state, principal, channel.into())
            .await
            .gql()
            .map(IntakeSettings::from)
    }
}
