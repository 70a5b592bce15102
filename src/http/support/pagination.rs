//! Keyset pagination: `?limit=&cursor=`, answered with `{items, next_cursor}`. The cursor
//! is the sort key of the last item, opaque to clients (base64url of its JSON).

use crate::domain::Refusal;
use crate::service::ServiceError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The paging parameters every list takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page request, checked: how many rows, after which key.
pub struct PageRequest<K> {
    pub limit: u32,
    pub after: Option<K>,
}

impl PageParams {
    pub fn parse<K: DeserializeOwned>(&self) -> Result<PageRequest<K>, ServiceError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::invalid("limit", Refusal::Between { min: 1, max: MAX_LIMIT.into() }));
        }
        let after = self.cursor.as_deref().map(decode).transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl<K> PageRequest<K> {
    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Cuts the fetched rows to a page and points the cursor at its last row.
    pub fn page<R, T>(&self, mut rows: Vec<R>, key: impl Fn(&R) -> K, item: impl Fn(R) -> T) -> Page<T>
    where
        K: Serialize,
    {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|last| encode(&key(last))) } else { None };
        Page { items: rows.into_iter().map(item).collect(), next_cursor }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor that pages on after `key`.
pub fn encode<K: Serialize>(key: &K) -> String {
    // Serialising plain keys (ids, dates, numbers) cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, ServiceError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ServiceError::invalid("cursor", Refusal::NotACursor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_cursors_round_trip() {
        let request: PageRequest<u32> = PageParams { limit: Some(2), cursor: None }.parse().expect("valid");
        let page = request.page(vec![5, 4, 3], |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![50, 40]);
        let cursor = page.next_cursor.expect("more rows follow");
        let next: PageRequest<u32> = PageParams { limit: Some(2), cursor: Some(cursor) }.parse().expect("valid");
        assert_eq!(next.after, Some(4));
        assert!(request.page(vec![1], |r| *r, |r| r).next_cursor.is_none());
    }

    #[test]
    fn rejects_bad_limits_and_cursors() {
        for params in [
            PageParams { limit: Some(0), cursor: None },
            PageParams { limit: Some(201), cursor: None },
            PageParams { limit: None, cursor: Some("not a cursor!".into()) },
        ] {
            assert!(matches!(params.parse::<u32>(), Err(ServiceError::Invalid(_))));
        }
    }
}
