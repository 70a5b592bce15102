//! 区域: the district's map, district → street → park, and the form that adds to it (as
//! `POST /api/v1/regions`). Enterprises, counselors and targets hang on regions, so the
//! page adds them and never removes one.

use crate::db::regions::Region;
use crate::domain::RegionKind;
use crate::service::regions::{self, CreateRegion};
use crate::service::{Authorized, ServiceError};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Choice, Offered, Shown, choices};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// A region and what hangs under it.
pub struct Branch {
    pub name: String,
    pub code: String,
    pub children: Vec<Branch>,
}

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct RegionFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent_id: String,
}

#[derive(Template)]
#[template(path = "admin_regions.html", config = "src/web/askama.toml")]
struct RegionsPage {
    chrome: Chrome,
    districts: Vec<Branch>,
    name: String,
    code: String,
    kinds: Vec<Choice>,
    /// The parents a new street (a district) or park (a street) may hang under.
    district_parents: Vec<Offered>,
    street_parents: Vec<Offered>,
    errors: FieldErrors,
    saved: bool,
}

impl RegionsPage {
    fn of(
        conn: &mut PgConnection,
        auth: &Authorized,
        chrome: Chrome,
        fields: &RegionFields,
        errors: FieldErrors,
    ) -> Result<Self, ServiceError> {
        regions::may_manage(auth)?;
        let all = regions::all(conn, auth)?;
        let parents = |kind: RegionKind| -> Vec<Offered> {
            all.iter()
                .filter(|r| r.kind == kind)
                .map(|r| Offered {
                    code: r.id.to_string(),
                    label: r.name.clone(),
                    selected: r.id.to_string() == fields.parent_id,
                })
                .collect()
        };
        Ok(Self {
            chrome,
            district_parents: parents(RegionKind::District),
            street_parents: parents(RegionKind::Street),
            districts: branches(&all, None, RegionKind::District),
            name: fields.name.clone(),
            code: fields.code.clone(),
            kinds: choices(&RegionKind::ALL, RegionKind::label, &[&fields.kind]),
            errors,
            saved: false,
        })
    }
}

/// The regions of `kind` under `parent`, each with its own branches, by code.
fn branches(all: &[Region], parent: Option<Uuid>, kind: RegionKind) -> Vec<Branch> {
    all.iter()
        .filter(|r| r.kind == kind && r.parent_id == parent)
        .map(|r| Branch {
            name: r.name.clone(),
            code: r.code.clone(),
            children: match kind {
                RegionKind::District => branches(all, Some(r.id), RegionKind::Street),
                RegionKind::Street => branches(all, Some(r.id), RegionKind::Park),
                RegionKind::Park => Vec::new(),
            },
        })
        .collect()
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let saved = shown.into_inner().saved.is_some();
    let page = page::signed_in(&state, visitor, None, "admin", move |conn, auth, chrome| {
        let fields = RegionFields { kind: RegionKind::Street.as_str().to_owned(), ..RegionFields::default() };
        RegionsPage::of(conn, auth, chrome, &fields, FieldErrors::default())
    })
    .await?;
    Ok(page::html(StatusCode::OK, &RegionsPage { saved, ..page }))
}

pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<RegionFields>,
) -> Result<HttpResponse, PageError> {
    let Form { csrf, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "admin", move |conn, auth, chrome| {
        let mut errors = FieldErrors::default();
        let kind = RegionKind::try_from(fields.kind.clone()).map_err(|_| errors.add("kind", t("form.choose")));
        let parent_id = match fields.parent_id.trim() {
            "" => Ok(None),
            id => id.parse().map(Some).map_err(|_| errors.add("parent_id", t("form.choose"))),
        };
        if let (Ok(kind), Ok(parent_id)) = (kind, parent_id) {
            let region = CreateRegion { name: fields.name.clone(), code: fields.code.clone(), kind, parent_id };
            match regions::create(conn, auth, region) {
                Ok(_) => return Ok(Ok(())),
                Err(refusal) => errors = FieldErrors::from_refusal(refusal, str::to_owned)?,
            }
        }
        RegionsPage::of(conn, auth, chrome, &fields, errors).map(Err)
    })
    .await?;
    Ok(page::answered(outcome.map(|()| "/admin/regions?saved=region".to_owned())))
}
