//! Who is calling, and what their role and scope allow.

pub mod password;
pub mod throttle;

use talentpost_shared::Role;

use crate::error::{ServiceError, ServiceResult};

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Session,
    ApiToken { token_id: i64 },
}

/// An authenticated caller, loaded once per request (or per WebSocket connection).
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub organisation_id: i64,
    pub role: Role,
    /// Legal entities a company admin administers; empty for other roles.
    pub administered_entities: Vec<i64>,
    pub group_ids: Vec<i64>,
    pub credential: Credential,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn require_admin(&self) -> ServiceResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("only administrators may do this"))
        }
    }

    /// Whether the caller may change settings of this legal entity.
    pub fn administers(&self, legal_entity_id: i64) -> bool {
        self.is_admin() || (self.role == Role::CompanyAdmin && self.administered_entities.contains(&legal_entity_id))
    }

    pub fn require_administers(&self, legal_entity_id: i64) -> ServiceResult<()> {
        if self.administers(legal_entity_id) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("you do not administer this legal entity"))
        }
    }

    /// Recruiting work (openings, candidates) on behalf of a legal entity: recruiters
    /// work for the whole organisation, company admins for the entities they administer.
    pub fn may_recruit_for(&self, legal_entity_id: i64) -> bool {
        match self.role {
            Role::Admin | Role::Recruiter => true,
            Role::CompanyAdmin => self.administered_entities.contains(&legal_entity_id),
        }
    }

    /// The legal entities whose openings this caller sees; `None` means all of them.
    pub fn entity_scope(&self) -> Option<&[i64]> {
        (self.role == Role::CompanyAdmin).then_some(self.administered_entities.as_slice())
    }

    /// Inbox visibility: admins see everything, everyone else items of their groups,
    /// items without a group, and (company admins) items of the entities they administer.
    pub fn sees_inbox_item(&self, user_group_id: Option<i64>, legal_entity_id: Option<i64>) -> bool {
        if self.is_admin() {
            return true;
        }
        let by_group = user_group_id.is_none_or(|group| self.group_ids.contains(&group));
        let by_entity = self.role == Role::CompanyAdmin
            && legal_entity_id.is_some_and(|entity| self.administered_entities.contains(&entity));
        by_group || by_entity
    }
}
