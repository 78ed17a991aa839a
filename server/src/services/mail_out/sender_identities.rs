//! The sender of each legal entity: address, name and channel. An entity without its
//! own sender uses the main entity's; without either, the built-in channel and the
//! system sender address. New settings are checked against the server before they are
//! saved, and saved in one statement, so the active sender never passes through a
//! half-configured state.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use talentpost_shared::{EmailAddress, MailProblem, SenderChannel, SenderNameMode};

use crate::auth::Principal;
use crate::db::entities::{legal_entity, outbound_account, sender_identity};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{LegalEntityId, OutboundAccountId};
use crate::mail::smtp::{SmtpSettings, check_connection};
use crate::services::mail_out::outbox::Route;
use crate::services::{accounts::outbound_accounts, optional_text, org::audit, org::legal_entities};
use crate::state::AppState;

#[derive(Clone, Default)]
pub struct SenderIdentityInput {
    pub sender_address: Option<String>,
    pub sender_name_mode: Option<SenderNameMode>,
    pub sender_name: Option<String>,
    pub channel: Option<SenderChannel>,
    pub outbound_account_id: Option<OutboundAccountId>,
    pub thread_reply_addresses: Option<bool>,
    /// Removes the entity's own sender: it then sends like the main entity.
    pub use_main_entity: Option<bool>,
}

/// The sender that applies to a legal entity, wherever it comes from.
#[derive(Clone, Debug)]
pub struct EffectiveSender {
    /// The legal entity whose settings apply (the main entity when inherited).
    pub source_entity: legal_entity::Model,
    /// The stored row, if that entity has one; `None` means built-in defaults.
    pub identity: Option<sender_identity::Model>,
    pub address: EmailAddress,
    pub name_mode: SenderNameMode,
    pub custom_name: Option<String>,
    pub channel: SenderChannel,
    pub route: Route,
    pub account: Option<outbound_account::Model>,
    pub thread_reply_addresses: bool,
}

impl EffectiveSender {
    /// The display name for a mail written by `author` (a user's name), or by the
    /// system when `None`.
    pub fn display_name(&self, author: Option<&str>) -> String {
        match (self.name_mode, author) {
            (SenderNameMode::Custom, _) => self
                .custom_name
                .clone()
                .unwrap_or_else(|| self.source_entity.name.clone()),
            (SenderNameMode::Recruiter, Some(author)) => author.to_owned(),
            (SenderNameMode::Recruiter | SenderNameMode::Company, _) => self.source_entity.name.clone(),
        }
    }

    /// The per-thread reply address (`jobs+r<token>@…`), when enabled.
    pub fn reply_address(&self, thread_token: &str) -> Option<EmailAddress> {
        if self.thread_reply_addresses {
            self.address.with_tag(&format!("r{thread_token}"))
        } else {
            None
        }
    }
}

/// What the app shows for one legal entity: its own row (if any) and what applies.
pub struct SenderView {
    pub legal_entity: legal_entity::Model,
    pub own: Option<sender_identity::Model>,
    pub effective: EffectiveSender,
}

pub async fn view(
    state: &AppState,
    principal: &Principal,
    legal_entity_id: LegalEntityId,
) -> ServiceResult<SenderView> {
    let entity = legal_entities::find_in_organisation(&state.db, principal, legal_entity_id).await?;
    principal.require_administers(entity.id)?;
    let own = own_identity(&state.db, entity.id).await?;
    let effective = effective_for(state, &state.db, principal.organisation_id, Some(entity.id)).await?;
    Ok(SenderView {
        legal_entity: entity,
        own,
        effective,
    })
}

async fn own_identity(
    db: &impl ConnectionTrait,
    legal_entity_id: i64,
) -> ServiceResult<Option<sender_identity::Model>> {
    Ok(crate::db::tenancy::any_organisation::<sender_identity::Entity>()
        .filter(sender_identity::Column::LegalEntityId.eq(legal_entity_id))
        .one(db)
        .await?)
}

/// The sender for mail about `legal_entity_id` (e.g. the job opening's entity): its
/// own, else the main entity's, else the built-in channel with the system sender.
pub async fn effective_for(
    state: &AppState,
    db: &impl ConnectionTrait,
    organisation_id: i64,
    legal_entity_id: Option<i64>,
) -> ServiceResult<EffectiveSender> {
    let main = legal_entities::main_entity(db, organisation_id).await?;
    let entity = match legal_entity_id {
        Some(id) if id != main.id => {
            crate::db::tenancy::scoped_by_id::<legal_entity::Entity>(organisation_id, id)
                .one(db)
                .await?
        }
        _ => None,
    };
    let (source_entity, identity) = match entity {
        Some(entity) => match own_identity(db, entity.id).await? {
            Some(identity) => (entity, Some(identity)),
            None => {
                let identity = own_identity(db, main.id).await?;
                (main, identity)
            }
        },
        None => {
            let identity = own_identity(db, main.id).await?;
            (main, identity)
        }
    };
    match identity {
        Some(identity) => {
            let channel = identity.channel;
            let (route, account) = route_of(state, db, organisation_id, channel, identity.outbound_account_id).await?;
            let address = EmailAddress::parse(&identity.sender_address).map_err(|_| {
                ServiceError::Internal(format!("sender identity {} has an invalid address", identity.id))
            })?;
            Ok(EffectiveSender {
                name_mode: identity.sender_name_mode,
                custom_name: identity.sender_name.clone(),
                thread_reply_addresses: identity.thread_reply_addresses,
                source_entity,
                address,
                channel,
                route,
                account,
                identity: Some(identity),
            })
        }
        None => {
            let (route, account) = route_of(state, db, organisation_id, SenderChannel::SystemDefault, None).await?;
            let address = EmailAddress::parse(&state.config.system_sender).map_err(|_| {
                ServiceError::Internal(format!(
                    "TALENTPOST_SYSTEM_SENDER \"{}\" is not an address",
                    state.config.system_sender
                ))
            })?;
            Ok(EffectiveSender {
                source_entity,
                identity: None,
                address,
                name_mode: SenderNameMode::Company,
                custom_name: None,
                channel: SenderChannel::SystemDefault,
                route,
                account,
                // Without a sender of its own the built-in address may not take subaddresses.
                thread_reply_addresses: false,
            })
        }
    }
}

async fn route_of(
    _state: &AppState,
    db: &impl ConnectionTrait,
    organisation_id: i64,
    channel: SenderChannel,
    account_id: Option<i64>,
) -> ServiceResult<(Route, Option<outbound_account::Model>)> {
    match channel {
        SenderChannel::Account => {
            let account = match account_id {
                Some(id) => {
                    crate::db::tenancy::scoped_by_id::<outbound_account::Entity>(organisation_id, id)
                        .one(db)
                        .await?
                }
                None => None,
            };
            match account {
                Some(account) => Ok((Route::Account(account.id), Some(account))),
                None => Err(ServiceError::Internal(
                    "a sender uses an outgoing account that no longer exists".to_owned(),
                )),
            }
        }
        SenderChannel::SystemDefault => match outbound_accounts::system_default(db, organisation_id).await? {
            Some(account) => Ok((Route::Account(account.id), Some(account))),
            None => Ok((Route::Builtin, None)),
        },
        // The outgoing account made by connecting the mailbox (`startOauthConnect`).
        SenderChannel::Google | SenderChannel::Microsoft => {
            let account = match account_id {
                Some(id) => crate::db::tenancy::scoped_by_id::<outbound_account::Entity>(organisation_id, id)
                    .one(db)
                    .await?
                    .filter(|account| account.oauth_account_id.is_some()),
                None => None,
            };
            match account {
                Some(account) => Ok((Route::Account(account.id), Some(account))),
                None => Err(ServiceError::invalid(
                    "channel",
                    "connect the Google or Microsoft mailbox first (\"Connect\"); that sets this channel",
                )),
            }
        }
    }
}

pub async fn set(
    state: &AppState,
    principal: &Principal,
    legal_entity_id: LegalEntityId,
    input: SenderIdentityInput,
) -> ServiceResult<SenderView> {
    let entity = legal_entities::find_in_organisation(&state.db, principal, legal_entity_id).await?;
    principal.require_administers(entity.id)?;
    let current = own_identity(&state.db, entity.id).await?;

    if input.use_main_entity == Some(true) {
        if entity.is_main {
            return Err(ServiceError::invalid(
                "useMainEntity",
                "the main legal entity has no other entity to fall back to",
            ));
        }
        let txn = crate::db::begin_write(&state.db).await?;
        sender_identity::Entity::delete_many()
            .filter(sender_identity::Column::LegalEntityId.eq(entity.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            principal,
            "sender_identity.clear",
            "legal_entity",
            Some(entity.id),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        return view(state, principal, legal_entity_id).await;
    }

    let address_text = match (&input.sender_address, &current) {
        (Some(text), _) => text.clone(),
        (None, Some(current)) => current.sender_address.clone(),
        (None, None) => {
            return Err(ServiceError::invalid(
                "senderAddress",
                "enter the address mail is sent from",
            ));
        }
    };
    let address = EmailAddress::parse(&address_text)
        .map_err(|error| ServiceError::invalid("senderAddress", error.to_string()))?;
    let name_mode = input
        .sender_name_mode
        .or_else(|| current.as_ref().map(|c| c.sender_name_mode))
        .unwrap_or(SenderNameMode::Company);
    let custom_name = match &input.sender_name {
        Some(name) => optional_text("senderName", Some(name), 200)?,
        None => current.as_ref().and_then(|c| c.sender_name.clone()),
    };
    if let Some(name) = &custom_name
        && name.contains(['\r', '\n'])
    {
        return Err(ServiceError::invalid("senderName", "must be a single line"));
    }
    if name_mode == SenderNameMode::Custom && custom_name.is_none() {
        return Err(ServiceError::invalid(
            "senderName",
            "enter the name to show as sender, or choose the recruiter's or the company's name",
        ));
    }
    let channel = input
        .channel
        .or_else(|| current.as_ref().map(|c| c.channel))
        .unwrap_or(SenderChannel::SystemDefault);
    let account_id = match channel {
        SenderChannel::Account => {
            let id = match (input.outbound_account_id, &current) {
                (Some(id), _) => id,
                (None, Some(current)) if current.outbound_account_id.is_some() => {
                    OutboundAccountId(current.outbound_account_id.unwrap_or_default())
                }
                _ => {
                    return Err(ServiceError::invalid(
                        "outboundAccountId",
                        "choose the outgoing account to send through",
                    ));
                }
            };
            let account = outbound_accounts::find(&state.db, principal, id)
                .await
                .map_err(|_| ServiceError::invalid("outboundAccountId", "no such outgoing account"))?;
            Some(account.id)
        }
        SenderChannel::Google | SenderChannel::Microsoft => match &current {
            Some(current) if current.channel == channel => current.outbound_account_id,
            _ => None,
        },
        SenderChannel::SystemDefault => None,
    };
    let thread_reply_addresses = input
        .thread_reply_addresses
        .or(current.as_ref().map(|c| c.thread_reply_addresses))
        .unwrap_or(true);
    let (_, account) = route_of(state, &state.db, principal.organisation_id, channel, account_id).await?;
    verify_sender(state, account.as_ref(), &address, thread_reply_addresses).await?;

    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = match current {
        Some(current) => {
            let mut row: sender_identity::ActiveModel = current.into();
            row.sender_address = Set(address.to_string());
            row.sender_name_mode = Set(name_mode);
            row.sender_name = Set(custom_name);
            row.channel = Set(channel);
            row.outbound_account_id = Set(account_id);
            row.thread_reply_addresses = Set(thread_reply_addresses);
            row.updated_by_user_id = Set(Some(principal.user_id));
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            sender_identity::ActiveModel {
                organisation_id: Set(principal.organisation_id),
                legal_entity_id: Set(entity.id),
                sender_address: Set(address.to_string()),
                sender_name_mode: Set(name_mode),
                sender_name: Set(custom_name),
                channel: Set(channel),
                outbound_account_id: Set(account_id),
                thread_reply_addresses: Set(thread_reply_addresses),
                updated_by_user_id: Set(Some(principal.user_id)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        principal,
        "sender_identity.set",
        "legal_entity",
        Some(entity.id),
        serde_json::json!({
            "senderAddress": saved.sender_address,
            "senderNameMode": saved.sender_name_mode.as_str(),
            "channel": saved.channel.as_str(),
            "outboundAccountId": saved.outbound_account_id,
        }),
    )
    .await?;
    txn.commit().await?;
    view(state, principal, legal_entity_id).await
}

/// Asks the server whether the account's login may send as `address` (MAIL FROM and a
/// RCPT TO the address itself, or to a per-conversation reply address of it when those
/// are on; no DATA). A refusal is an input error that says why.
async fn verify_sender(
    state: &AppState,
    account: Option<&outbound_account::Model>,
    address: &EmailAddress,
    thread_reply_addresses: bool,
) -> ServiceResult<()> {
    let settings: SmtpSettings = match account {
        Some(account) => outbound_accounts::settings_of(state, account)
            .await
            .map_err(|failure| ServiceError::invalid("outboundAccountId", failure.message))?,
        None => match &state.config.smtp_relay_host {
            Some(host) => SmtpSettings {
                host: host.clone(),
                port: state.config.smtp_relay_port,
                security: state.config.smtp_relay_security,
                accept_invalid_certs: state.config.smtp_relay_accept_invalid_certs,
                credentials: state
                    .config
                    .smtp_relay_username
                    .clone()
                    .zip(state.config.smtp_relay_password.clone()),
                xoauth2: false,
            },
            // The drop folder takes any sender.
            None => return Ok(()),
        },
    };
    let lettre_address = outbound_accounts::to_lettre(address, "senderAddress")?;
    let reply_address = match address.with_tag("rtalentpostcheck") {
        Some(tagged) if thread_reply_addresses => outbound_accounts::to_lettre(&tagged, "senderAddress")?,
        _ => lettre_address.clone(),
    };
    let outcome = check_connection(&state.mail_tls, &settings, &lettre_address, &reply_address).await;
    match outcome.failure {
        None => Ok(()),
        Some(failure) if failure.problem == MailProblem::RecipientRefused && thread_reply_addresses => {
            Err(ServiceError::invalid(
                "threadReplyAddresses",
                format!(
                    "the server does not accept per-conversation reply addresses like {reply_address} ({}); turn them off or enable plus addressing on the mail server",
                    failure.reply.unwrap_or(failure.message)
                ),
            ))
        }
        Some(failure) if failure.problem == MailProblem::SenderRefused => {
            let login = settings
                .credentials
                .as_ref()
                .map_or_else(|| "(no login)".to_owned(), |(user, _)| format!("\"{user}\""));
            Err(ServiceError::invalid(
                "senderAddress",
                format!(
                    "the server does not let the login {login} send as {address}: {}. Use an address that mailbox owns, or allow it to send as this address on the mail server",
                    failure.reply.unwrap_or(failure.message)
                ),
            ))
        }
        Some(failure) => Err(ServiceError::invalid(
            if account.is_some() {
                "outboundAccountId"
            } else {
                "channel"
            },
            format!(
                "the new sender could not be checked, so nothing was changed: {}",
                failure.message
            ),
        )),
    }
}
