//! Deadlines (SLA) of service requests: hours from when a request is raised, per priority,
//! with categories that differ overriding the default. Configuration, not code.

use crate::domain::service_request::{Category, Priority};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::HashMap;

/// Hours per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub low: u32,
    pub normal: u32,
    pub high: u32,
    pub urgent: u32,
}

impl Hours {
    fn of(&self, priority: Priority) -> u32 {
        match priority {
            Priority::Low => self.low,
            Priority::Normal => self.normal,
            Priority::High => self.high,
            Priority::Urgent => self.urgent,
        }
    }

    fn is_ordered(&self) -> bool {
        self.urgent > 0 && self.urgent <= self.high && self.high <= self.normal && self.normal <= self.low
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    pub default: Hours,
    #[serde(default)]
    pub categories: HashMap<Category, Hours>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla(SlaSettings);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sla.{0}: deadlines must be positive and no longer for a more urgent priority")]
pub struct SlaError(String);

impl Sla {
    pub fn new(settings: SlaSettings) -> Result<Self, SlaError> {
        if !settings.default.is_ordered() {
            return Err(SlaError("default".into()));
        }
        if let Some((category, _)) = settings.categories.iter().find(|(_, hours)| !hours.is_ordered()) {
            return Err(SlaError(format!("categories.{}", category.as_str())));
        }
        Ok(Self(settings))
    }

    pub fn hours(&self, category: Category, priority: Priority) -> u32 {
        self.0.categories.get(&category).unwrap_or(&self.0.default).of(priority)
    }

    pub fn due_at(&self, raised_at: DateTime<Utc>, category: Category, priority: Priority) -> DateTime<Utc> {
        raised_at + Duration::hours(i64::from(self.hours(category, priority)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(low: u32, normal: u32, high: u32, urgent: u32) -> Hours {
        Hours { low, normal, high, urgent }
    }

    #[test]
    fn categories_override_the_default() {
        let sla = Sla::new(SlaSettings {
            default: hours(336, 168, 72, 24),
            categories: HashMap::from([(Category::Space, hours(1440, 720, 336, 72))]),
        })
        .expect("valid");
        let raised = DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").expect("date").to_utc();
        assert_eq!(sla.due_at(raised, Category::Policy, Priority::Urgent).to_rfc3339(), "2026-11-24T01:00:00+00:00");
        assert_eq!(sla.hours(Category::Space, Priority::Normal), 720);
        assert_eq!(sla.hours(Category::Finance, Priority::Low), 336);
    }

    #[test]
    fn more_urgent_never_waits_longer() {
        let bad = SlaSettings { default: hours(24, 168, 72, 24), categories: HashMap::new() };
        assert_eq!(Sla::new(bad), Err(SlaError("default".into())));
        let bad = SlaSettings {
            default: hours(336, 168, 72, 24),
            categories: HashMap::from([(Category::Ip, hours(336, 168, 72, 0))]),
        };
        assert_eq!(
            Sla::new(bad).map_err(|e| e.to_string()),
            Err("sla.categories.ip: deadlines must be positive and no longer for a more urgent priority".into())
        );
    }
}
