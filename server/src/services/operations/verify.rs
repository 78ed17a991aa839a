//! `talentpost verify`: every stored file the database refers to is there and still has
//! the content its name (its SHA-256) says; files nothing refers to are listed.

use std::collections::BTreeMap;

use sea_orm::QuerySelect;

use crate::db::entities::{document, mail_message};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::storage::BlobCheck;

/// A stored file and what in the database refers to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reference {
    pub sha256: String,
    pub documents: u64,
    pub mails: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Distinct files the database refers to.
    pub referenced: usize,
    pub intact: usize,
    pub missing: Vec<Reference>,
    pub damaged: Vec<Reference>,
    /// Files nothing refers to (left by deletions, or being ingested right now).
    pub unreferenced: Vec<String>,
}

impl VerifyReport {
    /// Missing or damaged files: data that can no longer be read as it was stored.
    pub fn has_problems(&self) -> bool {
        !self.missing.is_empty() || !self.damaged.is_empty()
    }
}

pub async fn verify(state: &AppState) -> ServiceResult<VerifyReport> {
    let references = stored_file_references(&state.db).await?;
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || {
        let mut report = VerifyReport {
            referenced: references.len(),
            ..VerifyReport::default()
        };
        report.unreferenced = blobs
            .list_blocking()?
            .into_iter()
            .map(|file| file.sha256)
            .filter(|name| !references.contains_key(name))
            .collect();
        for (sha256, reference) in references {
            match blobs.check_blocking(&sha256)? {
                BlobCheck::Intact => report.intact += 1,
                BlobCheck::Missing => report.missing.push(reference),
                BlobCheck::Damaged => report.damaged.push(reference),
            }
        }
        Ok::<_, std::io::Error>(report)
    })
    .await
    .map_err(|error| ServiceError::Internal(format!("verify task: {error}")))?
    .map_err(ServiceError::from)
}

/// Every stored file the database refers to, in every organisation (the file store is
/// the installation's one).
pub(super) async fn stored_file_references(
    db: &impl sea_orm::ConnectionTrait,
) -> ServiceResult<BTreeMap<String, Reference>> {
    let documents: Vec<String> = crate::db::tenancy::any_organisation::<document::Entity>()
        .select_only()
        .column(document::Column::Sha256)
        .into_tuple()
        .all(db)
        .await?;
    let mails: Vec<String> = crate::db::tenancy::any_organisation::<mail_message::Entity>()
        .select_only()
        .column(mail_message::Column::RawSha256)
        .into_tuple()
        .all(db)
        .await?;
    let mut references: BTreeMap<String, Reference> = BTreeMap::new();
    for sha256 in documents {
        references
            .entry(sha256.clone())
            .or_insert_with(|| reference(sha256))
            .documents += 1;
    }
    for sha256 in mails {
        references
            .entry(sha256.clone())
            .or_insert_with(|| reference(sha256))
            .mails += 1;
    }
    Ok(references)
}

fn reference(sha256: String) -> Reference {
    Reference {
        sha256,
        ..Reference::default()
    }
}
