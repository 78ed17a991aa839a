//! A small, realistic German data set for a first look at the app. Loaded only on
//! request (`talentpost demo`), never implicitly.

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use talentpost_shared::{
    ApplicationStatus, CandidateStatus, ContactMedium, EmailAddress, InboxMedium, InboxState, JobOpeningStatus, Role,
    SourceMedium,
};

use crate::auth::{Credential, Principal};
use crate::db::entities::{
    app_user, application, audit_log, candidate, candidate_email, contact_event, inbox_item, job_opening, legal_entity,
};
use crate::error::{ServiceError, ServiceResult};
use crate::services::{candidates, org::audit, org::auth, org::legal_entities};
use crate::state::AppState;

const DEMO_ACTION: &str = "demo.load";

pub struct DemoSummary {
    pub legal_entities: usize,
    pub job_openings: usize,
    pub candidates: usize,
    pub inbox_items: usize,
}

pub async fn load(state: &AppState) -> ServiceResult<DemoSummary> {
    let admin = crate::db::tenancy::any_organisation::<app_user::Entity>()
        .filter(app_user::Column::Role.eq(Role::Admin.as_str()))
        .order_by_asc(app_user::Column::Id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ServiceError::Internal("no administrator yet: start the server once first".to_owned()))?;
    let principal: Principal = auth::load_principal(&state.db, admin.id, Credential::Session)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let already = crate::db::tenancy::scoped::<audit_log::Entity>(principal.organisation_id)
        .filter(audit_log::Column::Action.eq(DEMO_ACTION))
        .count(&state.db)
        .await?;
    if already > 0 {
        return Err(ServiceError::Conflict {
            field: None,
            message: "the demo data is already loaded".to_owned(),
        });
    }

    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let main = legal_entities::main_entity(&txn, principal.organisation_id).await?;
    let south = legal_entity::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        name: Set("Nordlicht Pflege Süd GmbH".to_owned()),
        is_main: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let openings = [
        (
            main.id,
            "Pflegefachkraft (m/w/d) Intensivpflege",
            "Hamburg",
            JobOpeningStatus::Open,
        ),
        (
            main.id,
            "Sachbearbeiter Personal (m/w/d)",
            "Hamburg",
            JobOpeningStatus::Open,
        ),
        (
            south.id,
            "Pflegehelfer (m/w/d) in Teilzeit",
            "München",
            JobOpeningStatus::Open,
        ),
        (
            south.id,
            "Auszubildende Pflegefachfrau/-mann 2027",
            "Augsburg",
            JobOpeningStatus::Open,
        ),
        (
            main.id,
            "Stationsleitung (m/w/d) Geriatrie",
            "Lübeck",
            JobOpeningStatus::Closed,
        ),
    ];
    let mut opening_ids = Vec::new();
    for (entity, title, location, status) in openings {
        let opening = job_opening::ActiveModel {
            legal_entity_id: Set(entity),
            title: Set(title.to_owned()),
            location: Set(Some(location.to_owned())),
            status: Set(status),
            created_at: Set(now - Duration::days(40)),
            updated_at: Set(now - Duration::days(5)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        opening_ids.push((opening.id, entity));
    }

    let people = [
        (
            "Anna",
            "Schmidt",
            "anna.schmidt@example.de",
            "+49 40 1234567",
            (1992, 3, 14),
            false,
            CandidateStatus::InProcess,
        ),
        (
            "Mehmet",
            "Yılmaz",
            "m.yilmaz@example.de",
            "+49 171 2345678",
            (1988, 11, 2),
            true,
            CandidateStatus::Active,
        ),
        (
            "Sophie",
            "Müller",
            "sophie.mueller@example.org",
            "+49 89 7654321",
            (1999, 7, 23),
            false,
            CandidateStatus::InProcess,
        ),
        (
            "Jonas",
            "Weber",
            "jonas.weber@example.com",
            "+49 160 9876543",
            (1985, 1, 30),
            true,
            CandidateStatus::Active,
        ),
        (
            "Lena",
            "Fischer",
            "lena.fischer@example.de",
            "+49 30 5550123",
            (2001, 9, 9),
            false,
            CandidateStatus::Hired,
        ),
        (
            "Katarzyna",
            "Nowak",
            "k.nowak@example.pl",
            "+48 600 123 456",
            (1990, 5, 17),
            true,
            CandidateStatus::Rejected,
        ),
    ];
    let mut candidate_ids = Vec::new();
    for (index, (first, last, email, phone, (y, m, d), pool, status)) in people.into_iter().enumerate() {
        let address = EmailAddress::parse(email).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let created = now - Duration::days(60 - index as i64 * 7);
        let person = candidate::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            first_name: Set(first.to_owned()),
            last_name: Set(last.to_owned()),
            phone: Set(Some(phone.to_owned())),
            birthday: Set(NaiveDate::from_ymd_opt(y, m, d)),
            in_talent_pool: Set(pool),
            pool_joined_on: Set(pool.then(|| (created - Duration::days(400)).date_naive())),
            status: Set(status),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        candidate_email::ActiveModel {
            candidate_id: Set(person.id),
            email: Set(address.to_string()),
            email_key: Set(address.match_key()),
            position: Set(0),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let person = candidates::refresh_keys(&txn, person).await?;
        let (opening_id, entity_id) = opening_ids[index % opening_ids.len()];
        let application_status = match status {
            CandidateStatus::Hired => ApplicationStatus::Hired,
            CandidateStatus::Rejected => ApplicationStatus::Rejected,
            CandidateStatus::InProcess => ApplicationStatus::InProcess,
            _ => ApplicationStatus::New,
        };
        let source = [SourceMedium::Email, SourceMedium::OnlineForm, SourceMedium::JobAgency][index % 3];
        let app = application::ActiveModel {
            candidate_id: Set(person.id),
            organisation_id: Set(Some(principal.organisation_id)),
            hired_at: Set((application_status == ApplicationStatus::Hired).then(|| created + Duration::days(3))),
            job_opening_id: Set(Some(opening_id)),
            legal_entity_id: Set(Some(entity_id)),
            source_medium: Set(source),
            status: Set(application_status),
            applied_at: Set(created),
            status_changed_at: Set(created + Duration::days(3)),
            created_at: Set(created),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        contact_event::ActiveModel {
            candidate_id: Set(person.id),
            application_id: Set(Some(app.id)),
            inbox_item_id: Set(None),
            medium: Set(ContactMedium::PhoneOut),
            occurred_at: Set(created + Duration::days(2)),
            user_id: Set(Some(principal.user_id)),
            note: Set(Some("Erstes Telefonat, Interesse bestätigt.".to_owned())),
            created_at: Set(created + Duration::days(2)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        candidate_ids.push((person.id, address));
    }

    let items = [
        (
            InboxMedium::Email,
            "Bewerbung als Pflegefachkraft",
            "Julia Becker",
            Some("julia.becker@example.de"),
            None,
            "Sehr geehrte Damen und Herren, anbei sende ich Ihnen meine Bewerbungsunterlagen …",
            Some(0),
        ),
        (
            InboxMedium::Email,
            "Initiativbewerbung Verwaltung",
            "Thomas Wagner",
            Some("t.wagner@example.com"),
            None,
            "Guten Tag, ich interessiere mich für eine Tätigkeit in Ihrer Personalabteilung …",
            None,
        ),
        (
            InboxMedium::Email,
            "Re: Ihre Bewerbung",
            "Anna Schmidt",
            Some("anna.schmidt@example.de"),
            None,
            "Vielen Dank für die Einladung, der Termin am Donnerstag passt mir gut.",
            Some(0),
        ),
        (
            InboxMedium::OnlineForm,
            "Pflegehelfer (m/w/d) in Teilzeit",
            "Elif Demir",
            Some("elif.demir@example.de"),
            Some("+49 176 1112233"),
            "Ich arbeite seit drei Jahren in der ambulanten Pflege und suche eine Teilzeitstelle.",
            Some(2),
        ),
        (
            InboxMedium::OnlineForm,
            "Auszubildende Pflegefachfrau/-mann 2027",
            "Paul Hoffmann",
            Some("paul.hoffmann@example.de"),
            None,
            "Ich mache im Sommer mein Fachabitur und möchte danach die Ausbildung beginnen.",
            Some(3),
        ),
        (
            InboxMedium::JobAgency,
            "Stellenvorschlag: Pflegefachkraft",
            "Bundesagentur für Arbeit",
            None,
            None,
            "Bewerberprofil Nr. 4711: Pflegefachkraft, 8 Jahre Berufserfahrung, Raum Hamburg.",
            Some(0),
        ),
        (
            InboxMedium::Sms,
            "SMS",
            "+49 151 4445566",
            None,
            Some("+49 151 4445566"),
            "Hallo, ist die Stelle als Pflegehelfer noch frei? Gruß, Nina",
            None,
        ),
    ];
    for (index, (medium, subject, sender, email, phone, preview, opening)) in items.iter().enumerate() {
        let matched = email.and_then(|e| candidate_ids.iter().find(|(_, a)| a.as_str() == e).map(|(id, _)| *id));
        inbox_item::ActiveModel {
            organisation_id: Set(principal.organisation_id),
            legal_entity_id: Set(Some(opening.map_or(main.id, |i| opening_ids[i].1))),
            user_group_id: Set(None),
            medium: Set(*medium),
            state: Set(InboxState::Unassigned),
            received_at: Set(crate::services::inbox::truncate_to_micros(
                now - Duration::minutes(37 * (index as i64 + 1)),
            )),
            subject: Set((*subject).to_owned()),
            sender_name: Set(Some((*sender).to_owned())),
            sender_email: Set(email.map(str::to_owned)),
            sender_phone: Set(phone.map(str::to_owned)),
            preview: Set(Some((*preview).to_owned())),
            payload: Set(None),
            idempotency_key: Set(Some(format!("demo-{index}"))),
            matched_candidate_id: Set(matched),
            job_opening_id: Set(opening.map(|i| opening_ids[i].0)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        &principal,
        DEMO_ACTION,
        "organisation",
        Some(principal.organisation_id),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(DemoSummary {
        legal_entities: 2,
        job_openings: opening_ids.len(),
        candidates: candidate_ids.len(),
        inbox_items: items.len(),
    })
}
