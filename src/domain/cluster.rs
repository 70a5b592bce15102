//! 产业集群: industry clusters are reference data a bureau configures.

use serde::Deserialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// API value, e.g. `ai_robotics`.
    pub code: String,
    /// Chinese name, e.g. 人工智能与机器人.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters(Vec<Cluster>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster code `{0}` appears twice")]
    Duplicate(String),
    #[error("unknown cluster `{0}`; see GET /api/v1/clusters")]
    Unknown(String),
}

impl Clusters {
    pub fn new(clusters: Vec<Cluster>) -> Result<Self, ClusterError> {
        let mut seen = HashSet::new();
        if let Some(dup) = clusters.iter().find(|c| !seen.insert(c.code.as_str())) {
            return Err(ClusterError::Duplicate(dup.code.clone()));
        }
        Ok(Self(clusters))
    }

    pub fn all(&self) -> &[Cluster] {
        &self.0
    }

    pub fn get(&self, code: &str) -> Result<&Cluster, ClusterError> {
        self.0.iter().find(|c| c.code == code).ok_or_else(|| ClusterError::Unknown(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(code: &str) -> Cluster {
        Cluster { code: code.into(), name: "生物医药".into() }
    }

    #[test]
    fn finds_known_and_rejects_unknown_and_duplicates() {
        let clusters = Clusters::new(vec![cluster("biomedicine")]).expect("valid");
        assert_eq!(clusters.get("biomedicine").map(|c| c.name.as_str()), Ok("生物医药"));
        assert_eq!(clusters.get("x"), Err(ClusterError::Unknown("x".into())));
        assert_eq!(Clusters::new(vec![cluster("a"), cluster("a")]), Err(ClusterError::Duplicate("a".into())));
    }
}
