//! 企业查询: by a name fragment or the start of a USCC, and by tier; newest first, twenty
//! at a time, "more" continuing after the last one shown (keyset).

use crate::domain::Action;
use crate::service::ServiceError;
use crate::service::enterprises::{self, EnterpriseQuery};
use crate::startup::AppState;
use crate::web::form::FieldErrors;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Line, TierBadge, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

const PAGE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tier: String,
    /// The last enterprise shown; an address that names none starts from the top.
    #[serde(default)]
    after: String,
}

pub struct TierOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html", config = "src/web/askama.toml")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    tiers: Vec<TierOption>,
    errors: FieldErrors,
    searched: bool,
    results: Vec<Line>,
    more: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let asked = query.into_inner();
    let catalog = state.catalog.clone();
    let page = page::signed_in(&state, visitor, Action::ReadEnterprises, None, "search", move |conn, auth, chrome| {
        let tiers = catalog
            .ladder
            .rungs()
            .iter()
            .map(|r| TierOption { code: r.code.clone(), label: r.label.clone(), selected: r.code == asked.tier })
            .collect();
        let searched = !asked.q.trim().is_empty() || !asked.tier.is_empty();
        let query = EnterpriseQuery {
            q: Some(asked.q.clone()),
            tier: Some(asked.tier.clone()).filter(|t| !t.is_empty()),
            ..EnterpriseQuery::default()
        };
        let mut page = SearchPage {
            chrome,
            q: asked.q.clone(),
            tiers,
            errors: FieldErrors::default(),
            searched,
            results: Vec::new(),
            more: None,
        };
        let filter = match query.into_filter(&catalog) {
            Ok(filter) => filter,
            Err(refusal) => {
                page.errors = FieldErrors::from_refusal(refusal, str::to_owned)?;
                return Ok(page);
            }
        };
        let mut found = enterprises::list(conn, auth, &filter, asked.after.parse().ok(), PAGE + 1)?;
        if found.len() as i64 > PAGE {
            found.truncate(PAGE as usize);
            page.more = found.last().map(|last| more_address(&asked, last.id));
        }
        page.results = found
            .into_iter()
            .map(|e| Line {
                href: format!("/enterprises/{}", e.id),
                detail: format!(
                    "{} · {}",
                    e.fields.uscc,
                    e.last_visited_at.map_or_else(
                        || t("home.never_visited").to_owned(),
                        |at| msg::with("home.last_visited", local_time(&catalog, at))
                    )
                ),
                badge: Some(TierBadge::of(&catalog, &e.tier)),
                title: e.fields.name,
                urgent: false,
            })
            .collect();
        Ok::<_, ServiceError>(page)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

fn more_address(asked: &Asked, after: Uuid) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &asked.q)
        .append_pair("tier", &asked.tier)
        .append_pair("after", &after.to_string())
        .finish();
    format!("/enterprises?{query}")
}
