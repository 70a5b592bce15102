//! The service desk's rules, as city 12345 hotlines and enterprise service desks keep
//! them: each demand has stages with limits of their own — 签收 (acknowledge), 首次联系
//! (first contact), 办结 (resolve), and after resolving 回访 (callback) — counted on the
//! bureau's working calendar, per category and priority; an extension (延期) needs a reason
//! and a manager's approval, at most so many per demand; a stage that has used a share of
//! its time is urged (催办), one past due is supervised (督办); a demand may be handed to
//! another street or a bureau department (转办, 承办单位). All of it is configuration
//! (`[desk]` in config/default.toml).

use crate::domain::calendar::{Calendar, Limit};
use crate::domain::service_request::{Category, Priority, Stage, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A limit that is the same for every priority, or one per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PerPriority {
    Same(Limit),
    Each { low: Limit, normal: Limit, high: Limit, urgent: Limit },
}

impl PerPriority {
    pub fn of(self, priority: Priority) -> Limit {
        match self {
            Self::Same(limit) => limit,
            Self::Each { low, normal, high, urgent } => match priority {
                Priority::Low => low,
                Priority::Normal => normal,
                Priority::High => high,
                Priority::Urgent => urgent,
            },
        }
    }
}

/// The limits of the four stages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageLimits {
    pub acknowledge: PerPriority,
    pub contact: PerPriority,
    pub resolve: PerPriority,
    pub callback: PerPriority,
}

/// A category's limits where they differ from the default, stage by stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryLimits {
    pub acknowledge: Option<PerPriority>,
    pub contact: Option<PerPriority>,
    pub resolve: Option<PerPriority>,
    pub callback: Option<PerPriority>,
}

/// A bureau department a demand can be handed to (承办单位).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Stable code, as the API takes it.
    pub code: String,
    pub name: String,
}

/// `[desk]` of the settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    pub limits: StageLimits,
    #[serde(default)]
    pub categories: HashMap<Category, CategoryLimits>,
    /// Extensions a demand may have, approved.
    pub max_extensions: u32,
    /// Working days one extension may ask for.
    pub max_extension_days: u32,
    /// A callback with this satisfaction or more closes the demand; below, it reopens.
    pub satisfied_from: i16,
    /// 催办 when a stage has used this share of its time, in percent.
    pub urge_at_percent: u32,
    pub departments: Vec<Department>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Desk(DeskSettings);

impl Desk {
    pub fn new(settings: DeskSettings, hours_per_day: f64) -> Result<Self, String> {
        let ordered = |per: PerPriority| {
            let [low, normal, high, urgent] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent]
                .map(|p| per.of(p).nominal_hours(hours_per_day));
            urgent <= high && high <= normal && normal <= low
        };
        let limits = &settings.limits;
        let mut all: Vec<(String, PerPriority)> = vec![
            ("limits.acknowledge".into(), limits.acknowledge),
            ("limits.contact".into(), limits.contact),
            ("limits.resolve".into(), limits.resolve),
            ("limits.callback".into(), limits.callback),
        ];
        for (category, own) in &settings.categories {
            for (stage, per) in [
                ("acknowledge", own.acknowledge),
                ("contact", own.contact),
                ("resolve", own.resolve),
                ("callback", own.callback),
            ] {
                all.extend(per.map(|per| (format!("categories.{}.{stage}", category.as_str()), per)));
            }
        }
        if let Some((key, _)) = all.iter().find(|(_, per)| !ordered(*per)) {
            return Err(format!("desk.{key}: a more urgent priority may not have a longer limit"));
        }
        if !(1..=5).contains(&settings.satisfied_from) {
            return Err("desk.satisfied_from: a satisfaction from 1 to 5".into());
        }
        if !(1..=99).contains(&settings.urge_at_percent) {
            return Err("desk.urge_at_percent: a share of the stage's time, 1 to 99".into());
        }
        if settings.max_extension_days == 0 {
            return Err("desk.max_extension_days: at least one working day".into());
        }
        let mut codes: Vec<&str> = settings.departments.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        if codes.windows(2).any(|pair| pair[0] == pair[1]) || codes.iter().any(|c| c.trim().is_empty()) {
            return Err("desk.departments: each department needs a code of its own".into());
        }
        Ok(Self(settings))
    }

    /// The limit of `stage` for a demand of `category` and `priority`.
    pub fn limit(&self, stage: Stage, category: Category, priority: Priority) -> Limit {
        let own = self.0.categories.get(&category);
        let (own, default) = match stage {
            Stage::Acknowledge => (own.and_then(|c| c.acknowledge), self.0.limits.acknowledge),
            Stage::Contact => (own.and_then(|c| c.contact), self.0.limits.contact),
            Stage::Resolve => (own.and_then(|c| c.resolve), self.0.limits.resolve),
            Stage::Callback => (own.and_then(|c| c.callback), self.0.limits.callback),
        };
        own.unwrap_or(default).of(priority)
    }

    pub fn max_extensions(&self) -> u32 {
        self.0.max_extensions
    }

    pub fn max_extension_days(&self) -> u32 {
        self.0.max_extension_days
    }

    /// Whether a callback with `satisfaction` closes the demand (else it reopens it).
    pub fn satisfied(&self, satisfaction: i16) -> bool {
        satisfaction >= self.0.satisfied_from
    }

    pub fn departments(&self) -> &[Department] {
        &self.0.departments
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.0.departments.iter().find(|d| d.code == code)
    }

    /// When a stage that began at `since` and is due at `due` is urged.
    pub fn urge_at(&self, since: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
        since + (due - since) * i32::try_from(self.0.urge_at_percent).unwrap_or(75) / 100
    }

    /// The deadline of `stage` for a demand of `category` and `priority` that reaches it at `since`.
    pub fn due(
        &self,
        calendar: &Calendar,
        stage: Stage,
        category: Category,
        priority: Priority,
        since: DateTime<Utc>,
    ) -> DateTime<Utc> {
        calendar.after(since, self.limit(stage, category, priority))
    }
}

/// A stage's deadline and when it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadline {
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
}

/// The four stages of a demand, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stages {
    pub acknowledge: Deadline,
    pub contact: Deadline,
    pub resolve: Deadline,
    pub callback: Deadline,
}

/// A stage as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub stage: Stage,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    /// Done after its deadline, or awaited and past it now.
    pub overdue: bool,
}

impl Stages {
    fn each(&self) -> [(Stage, Deadline); 4] {
        [
            (Stage::Acknowledge, self.acknowledge),
            (Stage::Contact, self.contact),
            (Stage::Resolve, self.resolve),
            (Stage::Callback, self.callback),
        ]
    }

    /// The stage a demand of `status` waits for now, and its deadline: the first stage not
    /// done after the last one done (a stage passed over by a later one is no longer
    /// awaited); a resolved demand waits for its callback; a closed or rejected one for
    /// nothing.
    pub fn awaited(&self, status: Status) -> Option<(Stage, DateTime<Utc>)> {
        let stages = self.each();
        let candidates: &[(Stage, Deadline)] = match status {
            Status::Closed | Status::Rejected => return None,
            Status::Resolved => &stages[3..],
            Status::Open | Status::Assigned | Status::InProgress | Status::Escalated => &stages[..3],
        };
        let after_last_done = candidates.iter().rposition(|(_, d)| d.done_at.is_some()).map_or(0, |i| i + 1);
        candidates[after_last_done..].iter().find_map(|(stage, d)| d.due_at.map(|due| (*stage, due)))
    }

    /// Each stage that has a deadline, as the API shows it at `now`.
    pub fn view(&self, status: Status, now: DateTime<Utc>) -> Vec<StageView> {
        let awaited = self.awaited(status).map(|(stage, _)| stage);
        self.each()
            .into_iter()
            .filter(|(_, d)| d.due_at.is_some() || d.done_at.is_some())
            .map(|(stage, d)| StageView {
                stage,
                due_at: d.due_at,
                done_at: d.done_at,
                overdue: match (d.due_at, d.done_at) {
                    (Some(due), Some(done)) => done > due,
                    (Some(due), None) => awaited == Some(stage) && due < now,
                    (None, _) => false,
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::tests::built_in;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+08:00")).expect("a moment").to_utc()
    }

    fn desk() -> Desk {
        let settings: crate::config::Settings = config::Config::builder()
            .add_source(config::File::from_str(include_str!("../../config/default.toml"), config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("defaults");
        Desk::new(settings.desk, 7.0).expect("valid")
    }

    #[test]
    fn each_stage_has_its_limit_per_category_and_priority() {
        let desk = desk();
        assert_eq!(desk.limit(Stage::Acknowledge, Category::Policy, Priority::Normal), Limit::Hours(2));
        assert_eq!(desk.limit(Stage::Contact, Category::Policy, Priority::Normal), Limit::Days(1));
        assert_eq!(desk.limit(Stage::Resolve, Category::Policy, Priority::Normal), Limit::Days(5));
        assert_eq!(desk.limit(Stage::Resolve, Category::Space, Priority::Normal), Limit::Days(20));
        assert_eq!(desk.limit(Stage::Callback, Category::Space, Priority::Urgent), Limit::Days(3));
        let calendar = built_in();
        // A normal demand raised at 16:00 on 25 September 2026 (中秋): 办结 in 5 working days.
        let due = desk.due(&calendar, Stage::Resolve, Category::Policy, Priority::Normal, at("2026-09-25T16:00:00"));
        assert_eq!(due, at("2026-10-09T17:30:00"));
        assert_eq!(desk.urge_at(at("2026-12-01T09:00:00"), at("2026-12-01T13:00:00")), at("2026-12-01T12:00:00"));
    }

    #[test]
    fn a_more_urgent_demand_never_gets_longer() {
        let mut settings = desk().0;
        settings.limits.resolve = PerPriority::Each {
            low: Limit::Days(5),
            normal: Limit::Days(5),
            high: Limit::Days(10),
            urgent: Limit::Hours(4),
        };
        assert_eq!(
            Desk::new(settings, 7.0),
            Err("desk.limits.resolve: a more urgent priority may not have a longer limit".into())
        );
    }

    #[test]
    fn the_awaited_stage_follows_the_last_one_done() {
        let (t1, t2, t3, t4) = (
            at("2026-12-01T10:00:00"),
            at("2026-12-02T17:30:00"),
            at("2026-12-08T17:30:00"),
            at("2026-12-11T17:30:00"),
        );
        let mut stages = Stages {
            acknowledge: Deadline { due_at: Some(t1), done_at: None },
            contact: Deadline { due_at: Some(t2), done_at: None },
            resolve: Deadline { due_at: Some(t3), done_at: None },
            callback: Deadline::default(),
        };
        assert_eq!(stages.awaited(Status::Open), Some((Stage::Acknowledge, t1)));
        stages.acknowledge.done_at = Some(at("2026-12-01T11:00:00"));
        assert_eq!(stages.awaited(Status::Assigned), Some((Stage::Contact, t2)));
        let view = stages.view(Status::Assigned, at("2026-12-03T09:00:00"));
        assert_eq!(
            view.iter().map(|s| (s.stage, s.overdue)).collect::<Vec<_>>(),
            [(Stage::Acknowledge, true), (Stage::Contact, true), (Stage::Resolve, false)]
        );
        // Resolved without a contact logged: the contact is passed over, the callback awaited.
        stages.resolve.done_at = Some(at("2026-12-04T10:00:00"));
        stages.callback.due_at = Some(t4);
        assert_eq!(stages.awaited(Status::Resolved), Some((Stage::Callback, t4)));
        assert!(!stages.view(Status::Resolved, at("2026-12-05T09:00:00"))[1].overdue, "no longer awaited");
        assert_eq!(stages.awaited(Status::Closed), None);
    }
}
