//! Writing to a candidate: placeholders rendered, the sender resolved from the legal
//! entity the mail is about, threading headers set, and the mail queued in the outbox
//! in the same transaction as its entry in the candidate's contact history.

use chrono::Utc;
use minijinja::{Environment, UndefinedBehavior, context};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set};
use talentpost_shared::{ContactMedium, EmailAddress, OutboxPurpose};

use crate::auth::Principal;
use crate::crypto::random_token;
use crate::db::entities::{
    app_user, application, candidate, candidate_email, contact_event, job_opening, legal_entity, mail_message,
    mail_thread, outbox_message,
};
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{ApplicationId, CandidateId, InboxItemId};
use crate::mail::smtp::message::{OutgoingAttachment, OutgoingMail};
use crate::services::inbox::{self, UploadedFile};
use crate::services::mail_out::outbox::{self, NewOutboxMail};
use crate::services::mail_out::sender_identities::{self, EffectiveSender};
use crate::services::{accounts::outbound_accounts, candidates, org::legal_entities, required_text};
use crate::state::AppState;

pub struct SendMessageInput {
    pub candidate_id: CandidateId,
    pub application_id: Option<ApplicationId>,
    /// Defaults to the candidate's first address that has not bounced.
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<UploadedFile>,
    /// Answers this received mail: same thread, In-Reply-To and References set.
    pub in_reply_to_inbox_item_id: Option<InboxItemId>,
}

/// Everything a letter to a candidate is filled from: who writes, about what, to whom.
pub struct LetterContext {
    pub candidate: candidate::Model,
    pub application: Option<application::Model>,
    /// The legal entity the mail is about: the application's, else the main one.
    pub about_entity: i64,
    pub sender: EffectiveSender,
    pub sender_name: String,
    /// The address to write to, or why there is none.
    pub recipient: Result<EmailAddress, String>,
    /// The placeholders' values.
    pub values: minijinja::Value,
}

pub async fn letter_context(
    state: &AppState,
    principal: &Principal,
    candidate_id: CandidateId,
    application_id: Option<ApplicationId>,
    to: Option<&str>,
) -> ServiceResult<LetterContext> {
    let candidate = candidates::find(&state.db, principal, candidate_id).await?;
    let application = match application_id {
        Some(id) => Some(
            application::Entity::find_by_id(id.0)
                .filter(application::Column::CandidateId.eq(candidate.id))
                .one(&state.db)
                .await?
                .ok_or_else(|| ServiceError::invalid("applicationId", "no such application of this candidate"))?,
        ),
        None => None,
    };
    let opening = match application.as_ref().and_then(|a| a.job_opening_id) {
        Some(id) => job_opening::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let entity_id = application
        .as_ref()
        .and_then(|a| a.legal_entity_id)
        .or(opening.as_ref().map(|o| o.legal_entity_id));
    // Mail about no particular application is the main entity's.
    let about = match entity_id {
        Some(id) => crate::db::tenancy::scoped_by_id::<legal_entity::Entity>(principal.organisation_id, id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ServiceError::not_found("legal entity", id))?,
        None => legal_entities::main_entity(&state.db, principal.organisation_id).await?,
    };
    if !principal.may_recruit_for(about.id) {
        return Err(ServiceError::Forbidden("you do not recruit for this legal entity"));
    }
    let recipient = match recipient_of(state, &candidate, to).await {
        Ok(address) => Ok(address),
        Err(ServiceError::InvalidInput { message, .. }) => Err(message),
        Err(other) => return Err(other),
    };
    let author = crate::db::tenancy::scoped_by_id::<app_user::Entity>(principal.organisation_id, principal.user_id)
        .one(&state.db)
        .await?;
    let sender = sender_identities::effective_for(state, &state.db, principal.organisation_id, entity_id).await?;
    let sender_name = sender.display_name(author.as_ref().map(|user| user.display_name.as_str()));
    let values = context! {
        candidate => context! {
            first_name => candidate.first_name.clone(),
            last_name => candidate.last_name.clone(),
            name => format!("{} {}", candidate.first_name, candidate.last_name).trim().to_owned(),
            email => recipient.as_ref().map(ToString::to_string).unwrap_or_default(),
        },
        application => application.as_ref().map(|a| context! {
            status => a.status.clone(),
            applied_on => a.applied_at.format("%d.%m.%Y").to_string(),
        }),
        job_opening => opening.as_ref().map(|o| context! {
            title => o.title.clone(),
            location => o.location.clone(),
        }),
        legal_entity => context! { name => about.name.clone() },
        sender => context! {
            name => sender_name.clone(),
            address => sender.address.to_string(),
            company => sender.source_entity.name.clone(),
        },
        recruiter => author.as_ref().map(|user| context! { name => user.display_name.clone(), email => user.email.clone() }),
    };
    Ok(LetterContext {
        candidate,
        application,
        about_entity: about.id,
        sender,
        sender_name,
        recipient,
        values,
    })
}

/// A letter with its placeholders filled in.
pub struct RenderedLetter {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Renders subject, text and (optionally) HTML body; an error names the field and the
/// placeholder.
pub fn render_letter(
    values: &minijinja::Value,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> ServiceResult<RenderedLetter> {
    let subject_template = required_text("subject", subject, 500)?;
    if text.trim().is_empty() {
        return Err(ServiceError::invalid("body", "must not be empty"));
    }
    let subject = render("subject", &subject_template, values, false)?;
    if subject.contains(['\r', '\n']) {
        return Err(ServiceError::invalid(
            "subject",
            "must be a single line (no line breaks)",
        ));
    }
    let text = render("body", text, values, false)?;
    let html = html.map(|html| render("bodyHtml", html, values, true)).transpose()?;
    Ok(RenderedLetter { subject, text, html })
}

pub async fn send(
    state: &AppState,
    principal: &Principal,
    input: SendMessageInput,
) -> ServiceResult<outbox_message::Model> {
    let context = letter_context(
        state,
        principal,
        input.candidate_id,
        input.application_id,
        input.to.as_deref(),
    )
    .await?;
    let letter = render_letter(&context.values, &input.subject, &input.body, None)?;
    let attachments = attachments_of(state, input.attachments)?;
    let reply_context = match input.in_reply_to_inbox_item_id {
        Some(id) => Some(reply_context(state, principal, id, context.candidate.id).await?),
        None => None,
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let message = deliver(
        state,
        &txn,
        principal,
        &context,
        letter,
        ContactMedium::MailOut,
        attachments,
        reply_context,
    )
    .await?;
    txn.commit().await?;
    outbox::announce(&state.events, &message);
    Ok(message)
}

/// Queues a rendered letter in the caller's transaction, with its conversation and its
/// entry in the contact history; the caller announces the message after committing.
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    state: &AppState,
    txn: &DatabaseTransaction,
    principal: &Principal,
    context: &LetterContext,
    letter: RenderedLetter,
    medium: ContactMedium,
    attachments: Vec<OutgoingAttachment>,
    reply_context: Option<ReplyContext>,
) -> ServiceResult<outbox_message::Model> {
    let recipient = match &context.recipient {
        Ok(recipient) => recipient.clone(),
        Err(why) => return Err(ServiceError::invalid("to", why.clone())),
    };
    let LetterContext {
        candidate,
        application,
        about_entity,
        sender,
        sender_name,
        ..
    } = context;
    let (candidate, application, about_entity, sender, sender_name) =
        (candidate, application, *about_entity, sender, sender_name.clone());
    let RenderedLetter {
        subject,
        text: body,
        html: body_html,
    } = letter;
    let (text, html) = with_signature(&body, body_html.as_deref(), sender);
    let now = Utc::now();
    let thread = match reply_context.as_ref().and_then(|context| context.thread.clone()) {
        Some(thread) => thread,
        None => {
            mail_thread::ActiveModel {
                organisation_id: Set(principal.organisation_id),
                candidate_id: Set(candidate.id),
                application_id: Set(application.as_ref().map(|a| a.id)),
                token: Set(thread_token()),
                subject: Set(subject.clone()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    let event = contact_event::ActiveModel {
        candidate_id: Set(candidate.id),
        application_id: Set(application.as_ref().map(|a| a.id)),
        inbox_item_id: Set(None),
        medium: Set(medium),
        occurred_at: Set(now),
        user_id: Set(Some(principal.user_id)),
        note: Set(Some(preview(&body))),
        subject: Set(Some(subject.clone())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mail = OutgoingMail {
        from_name: Some(sender_name),
        from: outbound_accounts::to_lettre(&sender.address, "senderAddress")?,
        to_name: Some(
            format!("{} {}", candidate.first_name, candidate.last_name)
                .trim()
                .to_owned(),
        ),
        to: outbound_accounts::to_lettre(&recipient, "to")?,
        reply_to: match sender.reply_address(&thread.token) {
            Some(address) => Some(outbound_accounts::to_lettre(&address, "senderAddress")?),
            None => None,
        },
        subject,
        text,
        html,
        message_id: outbox::new_message_id(Some(&thread.token), &sender.address),
        in_reply_to: reply_context.as_ref().and_then(|context| context.in_reply_to.clone()),
        references: reply_context.map(|context| context.references).unwrap_or_default(),
        attachments,
        date: now,
        auto_generated: false,
    };
    let message = outbox::enqueue(
        state,
        txn,
        NewOutboxMail {
            organisation_id: principal.organisation_id,
            // The entity the mail is about, so its company admins see it in the outbox.
            legal_entity_id: Some(about_entity),
            candidate_id: Some(candidate.id),
            application_id: application.as_ref().map(|a| a.id),
            thread_id: Some(thread.id),
            contact_event_id: Some(event.id),
            created_by_user_id: Some(principal.user_id),
            purpose: OutboxPurpose::Message,
            route: sender.route,
            mail,
        },
    )
    .await?;
    Ok(message)
}

/// Fills in the placeholders. An unknown or empty placeholder is a typo or a missing
/// link the writer must see, never an empty gap in a mail to a candidate.
fn render(field: &str, source: &str, values: &minijinja::Value, html: bool) -> ServiceResult<String> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    if html {
        // Values go into HTML escaped: a candidate named "<b>" stays text.
        environment.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    }
    // Loops in a template cannot keep a worker busy: rendering stops after this much work.
    environment.set_fuel(Some(100_000));
    let template = environment.template_from_str(source).map_err(|error| {
        ServiceError::invalid(
            field,
            format!(
                "the placeholders cannot be read: {}",
                error.detail().unwrap_or("syntax error")
            ),
        )
    })?;
    let mut names: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    names.sort();
    for name in names {
        let mut value = values.clone();
        for (depth, part) in name.split('.').enumerate() {
            if value.is_none() {
                let owner = name.split('.').take(depth).collect::<Vec<_>>().join(".");
                return Err(ServiceError::invalid(
                    field,
                    format!("{{{{ {name} }}}} needs a {owner}: this mail is not about one"),
                ));
            }
            value = match value.get_attr(part) {
                Ok(next) if !next.is_undefined() => next,
                _ => {
                    return Err(ServiceError::invalid(
                        field,
                        format!(
                            "unknown placeholder {{{{ {name} }}}}; available: {}",
                            PLACEHOLDERS.join(", ")
                        ),
                    ));
                }
            };
        }
    }
    template.render(values).map_err(|error| {
        ServiceError::invalid(
            field,
            format!("placeholder problem: {}", error.detail().unwrap_or(&error.to_string())),
        )
    })
}

/// What subjects and bodies can use, for the error message and the compose help.
pub const PLACEHOLDERS: &[&str] = &[
    "candidate.first_name",
    "candidate.last_name",
    "candidate.name",
    "candidate.email",
    "application.status",
    "application.applied_on",
    "job_opening.title",
    "job_opening.location",
    "legal_entity.name",
    "sender.name",
    "sender.address",
    "sender.company",
    "recruiter.name",
    "recruiter.email",
];

async fn recipient_of(state: &AppState, candidate: &candidate::Model, to: Option<&str>) -> ServiceResult<EmailAddress> {
    if let Some(to) = to.filter(|to| !to.trim().is_empty()) {
        return EmailAddress::parse(to).map_err(|error| ServiceError::invalid("to", error.to_string()));
    }
    let addresses = candidate_email::Entity::find()
        .filter(candidate_email::Column::CandidateId.eq(candidate.id))
        .order_by_asc(candidate_email::Column::Position)
        .all(&state.db)
        .await?;
    if addresses.is_empty() {
        return Err(ServiceError::invalid(
            "to",
            "the candidate has no e-mail address; enter one",
        ));
    }
    addresses
        .iter()
        .find(|address| address.bounced_at.is_none())
        .and_then(|address| EmailAddress::parse(&address.email).ok())
        .ok_or_else(|| {
            ServiceError::invalid(
                "to",
                "every address of the candidate came back undeliverable; enter the address to write to",
            )
        })
}

fn attachments_of(state: &AppState, files: Vec<UploadedFile>) -> ServiceResult<Vec<OutgoingAttachment>> {
    let total: usize = files.iter().map(|file| file.bytes.len()).sum();
    if total > state.config.max_outgoing_bytes {
        return Err(ServiceError::PayloadTooLarge {
            field: "attachments".to_owned(),
            limit: state.config.max_outgoing_bytes,
        });
    }
    Ok(files
        .into_iter()
        .map(|file| OutgoingAttachment {
            file_name: inbox::clean_file_name(&file.file_name),
            content_type: if file.content_type.trim().is_empty() {
                "application/octet-stream".to_owned()
            } else {
                file.content_type
            },
            bytes: file.bytes,
        })
        .collect())
}

pub struct ReplyContext {
    thread: Option<mail_thread::Model>,
    in_reply_to: Option<String>,
    references: Vec<String>,
}

async fn reply_context(
    state: &AppState,
    principal: &Principal,
    item_id: InboxItemId,
    candidate_id: i64,
) -> ServiceResult<ReplyContext> {
    let item = inbox::find(&state.db, principal, item_id)
        .await
        .map_err(|_| ServiceError::invalid("inReplyToInboxItemId", "no such inbox item"))?;
    let Some(mail) = crate::db::tenancy::scoped::<mail_message::Entity>(principal.organisation_id)
        .filter(mail_message::Column::InboxItemId.eq(item.id))
        .one(&state.db)
        .await?
    else {
        return Err(ServiceError::invalid(
            "inReplyToInboxItemId",
            "this inbox item is not a mail",
        ));
    };
    let own_id = mail.message_id_header.as_deref().map(strip_brackets);
    let mut references: Vec<String> = mail
        .references_header
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(strip_brackets)
        .filter(|id| !id.is_empty())
        .collect();
    if let Some(id) = &own_id
        && !references.contains(id)
    {
        references.push(id.clone());
    }
    let token = references
        .iter()
        .rev()
        .find_map(|id| outbox::thread_token_of(id).map(str::to_owned));
    let thread = match token {
        Some(token) => crate::db::tenancy::scoped::<mail_thread::Entity>(principal.organisation_id)
            .filter(mail_thread::Column::Token.eq(token))
            .one(&state.db)
            .await?
            // A conversation with someone else is not continued under this candidate.
            .filter(|thread| thread.candidate_id == candidate_id),
        None => None,
    };
    Ok(ReplyContext {
        thread,
        in_reply_to: own_id,
        references,
    })
}

fn strip_brackets(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn thread_token() -> String {
    random_token("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_lowercase()
}

/// Body and signature as text; as HTML when the letter has an HTML body or the account
/// an HTML signature.
fn with_signature(body: &str, body_html: Option<&str>, sender: &EffectiveSender) -> (String, Option<String>) {
    let account = sender.account.as_ref();
    let signature_text = account.and_then(|a| a.signature_text.clone());
    let signature_html = account.and_then(|a| a.signature_html.clone());
    let text = match &signature_text {
        Some(signature) => format!("{body}\n\n-- \n{signature}"),
        None => body.to_owned(),
    };
    let html_body = body_html.map(str::to_owned).or_else(|| {
        signature_html.as_ref().map(|_| {
            let escaped = body
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\n', "<br>\n");
            format!("<div>{escaped}</div>")
        })
    });
    let html = html_body.map(|html| match &signature_html {
        Some(signature) => format!("{html}\n<br>\n<div class=\"signature\">{signature}</div>"),
        None => html,
    });
    (text, html)
}

fn preview(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(280).collect()
}
