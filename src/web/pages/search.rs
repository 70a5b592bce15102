//! 企业查询 / 企业列表: every filter of the API's enterprise list (a name fragment or the
//! start of a USCC, tier, street, cluster, certificates expiring within, not visited for);
//! newest first, twenty at a time, "more" continuing after the last one shown (keyset).

use crate::domain::RegionKind;
use crate::export::{self, writer};
use crate::service::enterprises::{self, EnterpriseQuery};
use crate::service::{ServiceError, regions};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, number};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{ExportAsked, Line, Offered, TierBadge, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

const PAGE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    street_id: String,
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    expiring_within_days: String,
    #[serde(default)]
    not_visited_days: String,
    /// The last enterprise shown; an address that names none starts from the top.
    #[serde(default)]
    after: String,
}

impl Asked {
    /// The filters as the API's list takes them; a number that is not one is noted
    /// beside its field.
    fn query(&self, errors: &mut FieldErrors) -> EnterpriseQuery {
        let chosen = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        EnterpriseQuery {
            q: Some(self.q.clone()),
            tier: chosen(&self.tier),
            street_id: chosen(&self.street_id),
            cluster: chosen(&self.cluster),
            expiring_within_days: number(errors, "expiring_within_days", &self.expiring_within_days),
            not_visited_days: number(errors, "not_visited_days", &self.not_visited_days),
        }
    }

    /// Whether anything narrows the list.
    fn filtered(&self) -> bool {
        [&self.q, &self.tier, &self.street_id, &self.cluster, &self.expiring_within_days, &self.not_visited_days]
            .iter()
            .any(|value| !value.trim().is_empty())
    }

    /// This list's address with `more` pairs added (the next page, an export).
    fn address(&self, path: &str, more: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("tier", &self.tier),
            ("street_id", &self.street_id),
            ("cluster", &self.cluster),
            ("expiring_within_days", &self.expiring_within_days),
            ("not_visited_days", &self.not_visited_days),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        for (name, value) in more {
            query.append_pair(name, value);
        }
        format!("{path}?{}", query.finish())
    }
}

#[derive(Template)]
#[template(path = "search.html", config = "src/web/askama.toml")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    tiers: Vec<Offered>,
    streets: Vec<Offered>,
    clusters: Vec<Offered>,
    expiring_within_days: String,
    not_visited_days: String,
    /// The filters beyond name and tier are shown when one of them is set.
    more_open: bool,
    errors: FieldErrors,
    searched: bool,
    results: Vec<Line>,
    more: Option<String>,
    /// The same list as a spreadsheet.
    xlsx: String,
    csv: String,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let asked = query.into_inner();
    let catalog = state.catalog.clone();
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let tiers = catalog
            .ladder
            .rungs()
            .iter()
            .map(|r| Offered { code: r.code.clone(), label: r.label.clone(), selected: r.code == asked.tier })
            .collect();
        let scope = enterprises::list_scope(auth)?;
        let streets = regions::all(conn, auth)?
            .into_iter()
            .filter(|r| r.kind == RegionKind::Street && scope.allows(Some(r.id)))
            .map(|r| Offered { selected: r.id.to_string() == asked.street_id, code: r.id.to_string(), label: r.name })
            .collect();
        let clusters = catalog
            .clusters
            .all()
            .iter()
            .map(|c| Offered { code: c.code.clone(), label: c.name.clone(), selected: c.code == asked.cluster })
            .collect();
        let mut errors = FieldErrors::default();
        let query = asked.query(&mut errors);
        let searched = asked.filtered();
        let mut page = SearchPage {
            chrome,
            q: asked.q.clone(),
            tiers,
            streets,
            clusters,
            expiring_within_days: asked.expiring_within_days.clone(),
            not_visited_days: asked.not_visited_days.clone(),
            more_open: [&asked.street_id, &asked.cluster, &asked.expiring_within_days, &asked.not_visited_days]
                .iter()
                .any(|value| !value.is_empty()),
            errors: FieldErrors::default(),
            searched,
            results: Vec::new(),
            more: None,
            xlsx: asked.address("/enterprises/export", &[("format", "xlsx")]),
            csv: asked.address("/enterprises/export", &[("format", "csv")]),
        };
        let filter = match query.into_filter(&catalog) {
            Ok(filter) if errors.is_empty() => filter,
            outcome => {
                if let Err(refusal) = outcome {
                    errors.absorb(FieldErrors::from_refusal(refusal, str::to_owned)?);
                }
                page.errors = errors;
                return Ok(page);
            }
        };
        let mut found = enterprises::list(conn, auth, &filter, asked.after.parse().ok(), PAGE + 1)?;
        if found.len() as i64 > PAGE {
            found.truncate(PAGE as usize);
            page.more = found.last().map(|last| asked.address("/enterprises", &[("after", &last.id.to_string())]));
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

/// 导出: the list with the same filters as a spreadsheet (CSV or XLSX), streamed by the
/// same writer as the API's export; bad filters are the list page with their messages.
pub async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    request: HttpRequest,
    asked: web::Query<Asked>,
    format: web::Query<ExportAsked>,
) -> Result<HttpResponse, PageError> {
    let asked = asked.into_inner();
    let (scope, places) = page::signed_in(&state, visitor, None, "search", |conn, auth, _| {
        Ok((enterprises::list_scope(auth)?, regions::names(conn, auth)?))
    })
    .await?;
    let mut errors = FieldErrors::default();
    let filter = asked.query(&mut errors).into_filter(&state.catalog);
    let (Ok(filter), Some(format), true) = (filter, format.format(), errors.is_empty()) else {
        return Ok(page::see_other(&asked.address("/enterprises", &[])));
    };
    let (title, file) = export::enterprises::TITLE;
    let heading = export::heading(&state.catalog, &request, title, file, &places);
    let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
    Ok(writer::respond(format, heading, move |sink| export::enterprises::write(sink, &pool, &catalog, &filter, &scope)))
}
