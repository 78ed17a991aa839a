//! The app state a benchmark works with: the real start-up path on a data directory
//! and database of its own, without workers, and its administrator as the caller.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use talentpost_server::auth::{Credential, Principal};
use talentpost_server::config::Config;
use talentpost_server::db::entities::app_user;
use talentpost_server::state::AppState;
use talentpost_shared::Role;

pub async fn bench_state(data_dir: &std::path::Path, database_url: Option<String>) -> (AppState, Principal) {
    let mut config = Config::for_data_dir(data_dir.to_path_buf());
    config.database_url = database_url;
    config.secret_key = Some("44".repeat(32));
    config.admin_email = "bench@example.org".into();
    config.admin_password = Some("bench-password-123".into());
    config.outbox_worker = false;
    config.mail_workers = false;
    let state = talentpost_server::app::build_state(config).await.unwrap();
    talentpost_server::services::org::bootstrap::ensure_initial_admin(&state)
        .await
        .unwrap();
    let admin = app_user::Entity::find()
        .filter(app_user::Column::Email.eq("bench@example.org"))
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    let principal = Principal {
        user_id: admin.id,
        organisation_id: admin.organisation_id,
        role: Role::Admin,
        administered_entities: Vec::new(),
        group_ids: Vec::new(),
        credential: Credential::Session,
    };
    (state, principal)
}
