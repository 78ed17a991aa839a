//! Tenancy by construction: every read of a table that belongs to an organisation
//! starts here, so the organisation filter cannot be forgotten. `scoped` is the normal
//! way in; `any_organisation` is the explicit, greppable exception for work that is
//! not done on behalf of one organisation (workers serving all of them, sign-in by
//! address) or that follows a row already read through `scoped`. A unit test fails on
//! any other `find()` of these tables in `services/`.

use sea_orm::{ColumnTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, Select};

use super::entities;

/// A table whose rows belong to one organisation.
pub trait OrganisationOwned: EntityTrait {
    fn organisation_column() -> Self::Column;
}

macro_rules! organisation_owned {
    ($($entity:ident),+ $(,)?) => {
        $(impl OrganisationOwned for entities::$entity::Entity {
            fn organisation_column() -> Self::Column {
                entities::$entity::Column::OrganisationId
            }
        })+

        /// The modules of the organisation-owned tables, for the tenancy test.
        #[cfg(test)]
        pub const ORGANISATION_OWNED: &[&str] = &[$(stringify!($entity)),+];
    };
}

organisation_owned!(
    app_user,
    audit_log,
    candidate,
    candidate_query,
    document,
    duplicate_decision,
    form_letter,
    inbound_account,
    inbox_item,
    intake_key,
    legal_entity,
    mail_message,
    mail_thread,
    nurturing_entry,
    nurturing_job,
    nurturing_run,
    oauth_account,
    oauth_client,
    outbound_account,
    outbox_message,
    sender_identity,
    user_group,
    writing_job,
);

/// The organisation's rows of `E`.
pub fn scoped<E: OrganisationOwned>(organisation_id: i64) -> Select<E> {
    E::find().filter(E::organisation_column().eq(organisation_id))
}

/// One row of `E` by its key, if it belongs to the organisation.
pub fn scoped_by_id<E: OrganisationOwned>(
    organisation_id: i64,
    id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
) -> Select<E> {
    E::find_by_id(id).filter(E::organisation_column().eq(organisation_id))
}

/// Rows of `E` in every organisation. Only for a worker that serves all of them, for
/// sign-in (the organisation is not known yet), or to follow a row already read
/// through `scoped`; the call site says which.
pub fn any_organisation<E: OrganisationOwned>() -> Select<E> {
    E::find()
}

/// One row of `E` by its key, in any organisation (see `any_organisation`).
pub fn any_organisation_by_id<E: OrganisationOwned>(id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType) -> Select<E> {
    E::find_by_id(id)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::ORGANISATION_OWNED;

    fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// A forgotten organisation filter is a leak between customers: every read of an
    /// organisation-owned table in the services goes through this module.
    #[test]
    fn services_read_organisation_owned_tables_only_through_the_tenancy_helpers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        assert!(files.len() > 20, "the services were found");
        let mut offences = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                for entity in ORGANISATION_OWNED {
                    for call in ["find()", "find_by_id("] {
                        let needle = format!("{entity}::Entity::{call}");
                        let at_word_start = line.match_indices(&needle).any(|(index, _)| {
                            !line[..index]
                                .chars()
                                .next_back()
                                .is_some_and(|c| c.is_alphanumeric() || c == '_')
                        });
                        if at_word_start {
                            offences.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(
            offences.is_empty(),
            "use db::tenancy::scoped (or any_organisation, saying why):\n{}",
            offences.join("\n")
        );
    }
}
