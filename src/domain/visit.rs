//! 走访: how a counselor reached the enterprise and what the contact was for.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 上门走访
    Onsite,
    Phone,
    Video,
    /// At an event (宣讲会, 沙龙 …)
    Event,
}

impl Channel {
    pub const ALL: [Self; 4] = [Self::Onsite, Self::Phone, Self::Video, Self::Event];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Onsite => "onsite",
            Self::Phone => "phone",
            Self::Video => "video",
            Self::Event => "event",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 政策宣讲
    PolicyBriefing,
    /// 申报辅导
    ApplicationCoaching,
    /// 材料预审
    MaterialPreReview,
    /// 诉求收集
    DemandCollection,
    /// 跟进回访
    FollowUp,
    Other,
}

impl Purpose {
    pub const ALL: [Self; 6] = [
        Self::PolicyBriefing,
        Self::ApplicationCoaching,
        Self::MaterialPreReview,
        Self::DemandCollection,
        Self::FollowUp,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PolicyBriefing => "policy_briefing",
            Self::ApplicationCoaching => "application_coaching",
            Self::MaterialPreReview => "material_pre_review",
            Self::DemandCollection => "demand_collection",
            Self::FollowUp => "follow_up",
            Self::Other => "other",
        }
    }
}

from_code!(Channel, Purpose);
