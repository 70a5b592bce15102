//! Regions: district (区) → street (街道) → park (园区).

use uuid::Uuid;

code_list! {
    pub enum RegionKind {
        District = "district" => "区",
        /// 街道: the unit counselors are assigned to.
        Street = "street" => "街道",
        Park = "park" => "园区",
    }
}

impl RegionKind {
    /// The kind a region of this kind must hang under (`None`: it stands at the top).
    pub fn parent_kind(self) -> Option<Self> {
        match self {
            Self::District => None,
            Self::Street => Some(Self::District),
            Self::Park => Some(Self::Street),
        }
    }
}

/// The streets whose enterprises someone may see and change. Enterprises not yet
/// assigned to a street (fresh from a registry feed) are visible only to `All`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreetScope {
    All,
    Streets(Vec<Uuid>),
}

impl StreetScope {
    /// The streets a query is limited to; `None`: every street, unassigned included.
    pub fn streets(&self) -> Option<Vec<Uuid>> {
        match self {
            Self::All => None,
            Self::Streets(streets) => Some(streets.clone()),
        }
    }

    pub fn allows(&self, street_id: Option<Uuid>) -> bool {
        match self {
            Self::All => true,
            Self::Streets(streets) => street_id.is_some_and(|id| streets.contains(&id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_parents_follow_the_hierarchy() {
        for kind in [RegionKind::District, RegionKind::Street, RegionKind::Park] {
            assert_eq!(RegionKind::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        assert_eq!(RegionKind::Park.parent_kind(), Some(RegionKind::Street));
        assert_eq!(RegionKind::Street.parent_kind(), Some(RegionKind::District));
        assert_eq!(RegionKind::District.parent_kind(), None);
    }

    #[test]
    fn street_scopes_hide_other_streets_and_unassigned_enterprises() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let scope = StreetScope::Streets(vec![mine]);
        assert!(scope.allows(Some(mine)));
        assert!(!scope.allows(Some(theirs)));
        assert!(!scope.allows(None));
        assert!(StreetScope::All.allows(None));
    }
}
