//! Telling the admins that a Google or Microsoft sign-in must be renewed. The token
//! code only marks the lapse (`oauth_account.lapse_notice_due`, in the lapse's own
//! transaction); `run_once` reacts to the connection's change event, and to the start,
//! and queues one mail per admin in the transaction that clears the mark: the notice
//! goes out once across processes, and a crash in between delays it instead of losing it.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use talentpost_shared::{EmailAddress, OauthAccountState, OutboxPurpose, Role};

use crate::db::entities::{app_user, oauth_account, outbox_message, user_legal_entity};
use crate::error::ServiceResult;
use crate::mail::smtp::message::OutgoingMail;
use crate::services::accounts::oauth::tokens::lapse_message;
use crate::services::accounts::outbound_accounts;
use crate::services::mail_out::outbox::{self, NewOutboxMail, Route};
use crate::state::AppState;

/// Queues the notices still due; returns how many mails were queued.
pub async fn run_once(state: &AppState) -> ServiceResult<usize> {
    let due = crate::db::tenancy::any_organisation::<oauth_account::Entity>()
        .filter(oauth_account::Column::LapseNoticeDue.eq(true))
        .all(&state.db)
        .await?;
    let mut queued = 0;
    for account in due {
        match notify(state, &account).await {
            Ok(count) => queued += count,
            // One connection's trouble (say, a bad system sender address) must not keep
            // the others' notices back; it is tried again on the next event or start.
            Err(error) => {
                tracing::error!(oauth_account_id = account.id, %error, "the admins could not be told that a sign-in must be renewed");
            }
        }
    }
    Ok(queued)
}

async fn notify(state: &AppState, account: &oauth_account::Model) -> ServiceResult<usize> {
    let txn = crate::db::begin_write(&state.db).await?;
    let taken = oauth_account::Entity::update_many()
        .col_expr(oauth_account::Column::LapseNoticeDue, Expr::value(false))
        .filter(oauth_account::Column::Id.eq(account.id))
        .filter(oauth_account::Column::LapseNoticeDue.eq(true))
        .exec(&txn)
        .await?;
    // Another process took it, or the admin reconnected before the notice went out.
    let current = crate::db::tenancy::any_organisation_by_id::<oauth_account::Entity>(account.id)
        .one(&txn)
        .await?;
    let still_lapsed = current.is_some_and(|c| c.state == OauthAccountState::ReauthorizationNeeded);
    if taken.rows_affected == 0 || !still_lapsed {
        txn.commit().await?;
        return Ok(0);
    }
    let reason = account.problem.as_deref().unwrap_or("the grant was refused");
    let queued = notify_admins(state, &txn, account, &lapse_message(account, reason)).await?;
    txn.commit().await?;
    for message in &queued {
        outbox::announce(&state.events, message);
    }
    Ok(queued.len())
}

/// The organisation's admins and the company admins of the connection's legal entity.
pub async fn admins_of_entity(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    legal_entity_id: i64,
) -> Result<Vec<app_user::Model>, sea_orm::DbErr> {
    let company_admins: Vec<i64> = user_legal_entity::Entity::find()
        .filter(user_legal_entity::Column::LegalEntityId.eq(legal_entity_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.user_id)
        .collect();
    crate::db::tenancy::scoped::<app_user::Entity>(organisation_id)
        .filter(app_user::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(app_user::Column::Role.eq(Role::Admin.as_str()))
                .add(
                    Condition::all()
                        .add(app_user::Column::Role.eq(Role::CompanyAdmin.as_str()))
                        .add(app_user::Column::Id.is_in(company_admins)),
                ),
        )
        .all(db)
        .await
}

/// A mail per admin through the built-in (system) channel: the account's own channel
/// is the one that stopped working.
async fn notify_admins(
    state: &AppState,
    db: &impl ConnectionTrait,
    account: &oauth_account::Model,
    message: &str,
) -> ServiceResult<Vec<outbox_message::Model>> {
    let sender = outbound_accounts::system_sender(state)?;
    let mut queued = Vec::new();
    for admin in admins_of_entity(db, account.organisation_id, account.legal_entity_id).await? {
        let Ok(recipient) = EmailAddress::parse(&admin.email) else {
            continue;
        };
        let mail = OutgoingMail {
            from_name: Some("Talentpost".to_owned()),
            from: outbound_accounts::to_lettre(&sender, "from")?,
            to_name: Some(admin.display_name.clone()),
            to: outbound_accounts::to_lettre(&recipient, "to")?,
            reply_to: None,
            subject: format!("Action needed: reconnect the mailbox {}", account.mailbox_address),
            text: format!(
                "Hello {},\n\n{}.\n\nUntil then Talentpost neither fetches mail from this mailbox nor sends through it; \
                 mail to be sent waits in the outbox. Open Talentpost, Settings → Mail accounts (or Outgoing mail), \
                 and choose \"Reconnect\" for {}.\n\nOther mailboxes are not affected.\n",
                admin.display_name,
                capitalised(message),
                account.mailbox_address
            ),
            html: None,
            message_id: outbox::new_message_id(None, &sender),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            date: Utc::now(),
            auto_generated: true,
        };
        queued.push(
            outbox::enqueue(
                state,
                db,
                NewOutboxMail {
                    organisation_id: account.organisation_id,
                    legal_entity_id: Some(account.legal_entity_id),
                    candidate_id: None,
                    application_id: None,
                    thread_id: None,
                    contact_event_id: None,
                    created_by_user_id: None,
                    purpose: OutboxPurpose::System,
                    route: Route::Builtin,
                    mail,
                },
            )
            .await?,
        );
    }
    Ok(queued)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
