//! Who may do what: the single place where roles, API-key scopes and street scope turn
//! into decisions. Handlers name the action; they never re-derive the rules.

use crate::domain::{Refusal, StreetScope};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

code_list! {
    pub enum Role {
        /// Everything, including users, regions and API keys.
        Admin = "admin" => "系统管理员",
        /// 区科技局: every enterprise, analytics, exports, the audit log.
        Manager = "manager" => "区科技局",
        /// 街道辅导员: enterprises in their own streets only.
        Counselor = "counselor" => "街道辅导员",
        /// Read-only, within assigned streets (or everywhere, if none are assigned).
        Viewer = "viewer" => "只读",
    }
}

code_list! {
    /// What an integration's API key may do.
    pub enum ApiScope {
        /// Read enterprises and reference data, district-wide.
        EnterprisesRead = "enterprises:read" => "读取企业",
        /// Read the field work with enterprises, district-wide: visits (with who was there and
        /// where), service requests, applications, yearly figures and timelines. Personal and
        /// commercial detail an enterprise list does not need, so a scope of its own.
        FieldWorkRead = "fieldwork:read" => "读取走访、诉求、申报与年度指标",
        /// Feed certification lists in (registry integration).
        RegistryWrite = "registry:write" => "报送认定名单",
    }
}

/// What a request wants to do, as far as permission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Regions, the ladder, clusters.
    ReadReference,
    ReadEnterprises,
    /// Read visits, service requests, applications, yearly figures and timelines.
    ReadFieldWork,
    /// Register and edit enterprises (within the street scope).
    WriteEnterprises,
    ArchiveEnterprises,
    /// Record promotions, demotions and the outcome of applications: the bureau's
    /// official figures, so the bureau's to record.
    CertifyEnterprises,
    /// Run the service desk: hand demands to other streets and departments (转办), answer
    /// requests for more time (延期). The bureau's, as its promise to the enterprise.
    SuperviseRequests,
    /// Pipeline views (within the street scope).
    ReadPipeline,
    /// Set the year's targets (年度目标): the bureau's commitments.
    SetTargets,
    /// Import rosters and certification lists from spreadsheets.
    ImportLists,
    /// Feed a registry's certification lists in (integrations).
    FeedRegistry,
    /// Follow every change to enterprises, certificates and tiers, district-wide.
    ReadChanges,
    ManageRegions,
    ManageUsers,
    ManageApiKeys,
    ReadAudit,
    /// Read one's own account.
    ReadSelf,
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    ApiKey(Uuid),
    /// The command line and scheduled jobs.
    System,
}

impl Actor {
    pub fn kind(self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::ApiKey(_) => "api_key",
            Self::System => "system",
        }
    }

    pub fn id(self) -> Option<Uuid> {
        match self {
            Self::User(id) | Self::ApiKey(id) => Some(id),
            Self::System => None,
        }
    }
}

/// Someone whose credentials checked out against the database just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User { id: Uuid, role: Role, streets: Vec<Uuid> },
    ApiKey { id: Uuid, scopes: Vec<ApiScope> },
}

/// What the caller may not do at all, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub Refusal);

impl Principal {
    pub fn may(&self, action: Action) -> bool {
        use Action::*;
        match self {
            Self::User { role: Role::Admin, .. } => true,
            Self::User { role: Role::Manager, .. } => {
                !matches!(action, ManageRegions | ManageUsers | ManageApiKeys | FeedRegistry)
            }
            Self::User { role: Role::Counselor, .. } => {
                matches!(
                    action,
                    ReadReference | ReadEnterprises | ReadFieldWork | WriteEnterprises | ReadPipeline | ReadSelf
                )
            }
            Self::User { role: Role::Viewer, .. } => {
                matches!(action, ReadReference | ReadEnterprises | ReadFieldWork | ReadPipeline | ReadSelf)
            }
            Self::ApiKey { scopes, .. } => match action {
                ReadReference | ReadEnterprises | ReadChanges => scopes.contains(&ApiScope::EnterprisesRead),
                ReadFieldWork => scopes.contains(&ApiScope::FieldWorkRead),
                FeedRegistry => scopes.contains(&ApiScope::RegistryWrite),
                _ => false,
            },
        }
    }

    pub fn require(&self, action: Action) -> Result<(), Forbidden> {
        if self.may(action) {
            Ok(())
        } else {
            Err(Forbidden(match self {
                Self::User { role, .. } => Refusal::RoleMayNot { role: crate::domain::Code::word(*role) },
                Self::ApiKey { .. } => Refusal::KeyMayNot,
            }))
        }
    }

    /// The enterprises this principal may see and change (if it may change any).
    pub fn street_scope(&self) -> StreetScope {
        match self {
            Self::User { role: Role::Admin | Role::Manager, .. } | Self::ApiKey { .. } => StreetScope::All,
            Self::User { role: Role::Viewer, streets, .. } if streets.is_empty() => StreetScope::All,
            Self::User { streets, .. } => StreetScope::Streets(streets.clone()),
        }
    }

    /// The user a change is made by, for changes that name a person (a visit's counselor,
    /// a request's raiser, a target's setter, a key's creator); API keys make none of them.
    pub fn acting_user(&self) -> Result<Uuid, Forbidden> {
        match self {
            Self::User { id, .. } => Ok(*id),
            Self::ApiKey { .. } => Err(Forbidden(Refusal::UsersOnly)),
        }
    }

    /// Whether this principal may place an enterprise in `street` (register it there, or
    /// move it there): only in a street of its own scope.
    pub fn may_place_in(&self, street: Option<Uuid>) -> Result<(), Forbidden> {
        if self.street_scope().allows(street) { Ok(()) } else { Err(Forbidden(Refusal::PlaceOutsideScope)) }
    }

    /// Whether this principal may correct a visit `author` logged at `logged_at`: its
    /// counselor within `window` of logging it, managers and admins at any time.
    pub fn may_correct_visit(
        &self,
        author: Uuid,
        logged_at: DateTime<Utc>,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<(), Forbidden> {
        let always = matches!(self, Self::User { role: Role::Admin | Role::Manager, .. });
        let author_in_time = matches!(self, Self::User { id, .. } if *id == author) && now < logged_at + window;
        if always || author_in_time {
            Ok(())
        } else {
            Err(Forbidden(Refusal::CorrectionWindow { days: window.num_days() }))
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Self::User { id, .. } => Actor::User(*id),
            Self::ApiKey { id, .. } => Actor::ApiKey(*id),
        }
    }
}

/// Whether a service request on `request_street` can be handed to a user: an active one
/// who works requests (a counselor, manager or admin, never a viewer) and who can see it,
/// so that a request is never assigned to someone it would then be hidden from. `Err`
/// says why not.
pub fn may_be_assigned(
    role: Role,
    active: bool,
    scope: &StreetScope,
    request_street: Option<Uuid>,
) -> Result<(), Refusal> {
    if !active || role == Role::Viewer {
        Err(Refusal::AssigneeNotWorker)
    } else if !scope.allows(request_street) {
        Err(Refusal::AssigneeNotServing)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const ALL: [Action; 17] = [
        ReadReference,
        ReadEnterprises,
        ReadFieldWork,
        WriteEnterprises,
        ArchiveEnterprises,
        CertifyEnterprises,
        SuperviseRequests,
        ReadPipeline,
        SetTargets,
        ImportLists,
        FeedRegistry,
        ReadChanges,
        ManageRegions,
        ManageUsers,
        ManageApiKeys,
        ReadAudit,
        ReadSelf,
    ];

    fn user(role: Role, streets: Vec<Uuid>) -> Principal {
        Principal::User { id: Uuid::now_v7(), role, streets }
    }

    fn allowed(principal: &Principal) -> Vec<Action> {
        ALL.into_iter().filter(|a| principal.may(*a)).collect()
    }

    #[test]
    fn each_role_may_do_exactly_its_part() {
        assert_eq!(allowed(&user(Role::Admin, vec![])), ALL);
        assert_eq!(
            allowed(&user(Role::Manager, vec![])),
            [
                ReadReference,
                ReadEnterprises,
                ReadFieldWork,
                WriteEnterprises,
                ArchiveEnterprises,
                CertifyEnterprises,
                SuperviseRequests,
                ReadPipeline,
                SetTargets,
                ImportLists,
                ReadChanges,
                ReadAudit,
                ReadSelf
            ]
        );
        assert_eq!(
            allowed(&user(Role::Counselor, vec![])),
            [ReadReference, ReadEnterprises, ReadFieldWork, WriteEnterprises, ReadPipeline, ReadSelf]
        );
        assert_eq!(
            allowed(&user(Role::Viewer, vec![])),
            [ReadReference, ReadEnterprises, ReadFieldWork, ReadPipeline, ReadSelf]
        );
        let reader = Principal::ApiKey { id: Uuid::now_v7(), scopes: vec![ApiScope::EnterprisesRead] };
        assert_eq!(allowed(&reader), [ReadReference, ReadEnterprises, ReadChanges]);
        let field_work = Principal::ApiKey { id: Uuid::now_v7(), scopes: vec![ApiScope::FieldWorkRead] };
        assert_eq!(allowed(&field_work), [ReadFieldWork]);
        let feeder = Principal::ApiKey { id: Uuid::now_v7(), scopes: vec![ApiScope::RegistryWrite] };
        assert_eq!(allowed(&feeder), [FeedRegistry]);
        assert_eq!(
            user(Role::Viewer, vec![]).require(ManageUsers),
            Err(Forbidden(Refusal::RoleMayNot { role: crate::domain::Code::word(Role::Viewer) }))
        );
    }

    #[test]
    fn a_visit_is_corrected_by_its_counselor_in_time_or_by_a_manager() {
        let now = Utc::now();
        let window = Duration::days(7);
        let counselor = user(Role::Counselor, vec![]);
        let Principal::User { id: author, .. } = counselor else { unreachable!() };
        assert!(counselor.may_correct_visit(author, now - Duration::days(6), now, window).is_ok());
        assert!(counselor.may_correct_visit(author, now - Duration::days(8), now, window).is_err());
        assert!(counselor.may_correct_visit(Uuid::now_v7(), now, now, window).is_err());
        assert!(user(Role::Manager, vec![]).may_correct_visit(author, now - Duration::days(99), now, window).is_ok());
        assert!(user(Role::Viewer, vec![]).may_correct_visit(author, now, now, window).is_err());
    }

    #[test]
    fn an_assignee_works_and_sees_the_request() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let scope = StreetScope::Streets(vec![mine]);
        let not_a_worker = Err(Refusal::AssigneeNotWorker);
        assert_eq!(may_be_assigned(Role::Counselor, true, &scope, Some(mine)), Ok(()));
        assert_eq!(may_be_assigned(Role::Counselor, true, &scope, Some(theirs)), Err(Refusal::AssigneeNotServing));
        assert_eq!(may_be_assigned(Role::Counselor, false, &scope, Some(mine)), not_a_worker);
        assert_eq!(may_be_assigned(Role::Viewer, true, &StreetScope::All, Some(mine)), not_a_worker);
        assert_eq!(may_be_assigned(Role::Manager, true, &StreetScope::All, None), Ok(()));
    }

    #[test]
    fn counselors_see_their_streets_viewers_theirs_or_all() {
        let street = Uuid::now_v7();
        assert_eq!(user(Role::Counselor, vec![street]).street_scope(), StreetScope::Streets(vec![street]));
        assert_eq!(user(Role::Counselor, vec![]).street_scope(), StreetScope::Streets(vec![]));
        assert_eq!(user(Role::Viewer, vec![street]).street_scope(), StreetScope::Streets(vec![street]));
        assert_eq!(user(Role::Viewer, vec![]).street_scope(), StreetScope::All);
        assert_eq!(user(Role::Manager, vec![street]).street_scope(), StreetScope::All);
    }
}
