use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use talentpost_shared::Role;

use super::support::{GqlResult, ServiceResultExt, caller, gql_id, parse_email, parse_id, parse_ids, state};
use crate::db::entities::{app_user, user_group};
use crate::ids::{LegalEntityId, UserGroupId, UserId};
use crate::services::org::users::{self as service, NewUser, UserChanges};

pub struct User(pub app_user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        gql_id(self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> Role {
        self.0.role
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Legal entities this user administers (company admins only).
    async fn legal_entity_ids(&self, ctx: &Context<'_>) -> GqlResult<Vec<ID>> {
        let state = state(ctx)?;
        let map = service::administered_entities(state, &[self.0.id]).await.gql()?;
        Ok(map.get(&self.0.id).into_iter().flatten().copied().map(gql_id).collect())
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UserGroup {
    pub id: ID,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub raw_id: i64,
}

#[ComplexObject]
impl UserGroup {
    async fn members(&self, ctx: &Context<'_>) -> GqlResult<Vec<User>> {
        let state = state(ctx)?;
        let mut map = service::group_members(state, &[self.raw_id]).await.gql()?;
        Ok(map
            .remove(&self.raw_id)
            .unwrap_or_default()
            .into_iter()
            .map(User)
            .collect())
    }
}

impl From<user_group::Model> for UserGroup {
    fn from(model: user_group::Model) -> Self {
        Self {
            id: gql_id(model.id),
            name: model.name,
            created_at: model.created_at,
            raw_id: model.id,
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Initial password, at least 10 characters.
    pub password: String,
    /// Required for company admins: the legal entities they administer.
    #[graphql(default)]
    pub legal_entity_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
    pub legal_entity_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// All users of the organisation. Administrators only.
    async fn users(&self, ctx: &Context<'_>) -> GqlResult<Vec<User>> {
        let (state, principal) = caller(ctx)?;
        Ok(service::list(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(User)
            .collect())
    }

    /// User groups: all for administrators, your own for everyone else.
    async fn user_groups(&self, ctx: &Context<'_>) -> GqlResult<Vec<UserGroup>> {
        let (state, principal) = caller(ctx)?;
        Ok(service::list_groups(state, principal)
            .await
            .gql()?
            .into_iter()
            .map(UserGroup::from)
            .collect())
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> GqlResult<User> {
        let email = parse_email("email", &input.email)?;
        let legal_entity_ids = parse_ids("legalEntityIds", &input.legal_entity_ids, LegalEntityId)?;
        let (state, principal) = caller(ctx)?;
        let new_user = NewUser {
            email,
            display_name: input.display_name,
            role: input.role,
            password: input.password,
            legal_entity_ids,
        };
        service::create(state, principal, new_user).await.gql().map(User)
    }

    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> GqlResult<User> {
        let id = parse_id("id", &id, UserId)?;
        let legal_entity_ids = input
            .legal_entity_ids
            .as_deref()
            .map(|ids| parse_ids("legalEntityIds", ids, LegalEntityId))
            .transpose()?;
        let (state, principal) = caller(ctx)?;
        let changes = UserChanges {
            display_name: input.display_name,
            role: input.role,
            active: input.active,
            password: input.password,
            legal_entity_ids,
        };
        service::update(state, principal, id, changes).await.gql().map(User)
    }

    async fn create_user_group(&self, ctx: &Context<'_>, name: String) -> GqlResult<UserGroup> {
        let (state, principal) = caller(ctx)?;
        service::create_group(state, principal, &name)
            .await
            .gql()
            .map(UserGroup::from)
    }

    /// Replaces the members of a group with exactly these users.
    async fn set_user_group_members(&self, ctx: &Context<'_>, group_id: ID, user_ids: Vec<ID>) -> GqlResult<UserGroup> {
        let group_id = parse_id("groupId", &group_id, UserGroupId)?;
        let user_ids = parse_ids("userIds", &user_ids, UserId)?;
        let (state, principal) = caller(ctx)?;
        service::set_group_members(state, principal, group_id, &user_ids)
            .await
            .gql()
            .map(UserGroup::from)
    }
}
