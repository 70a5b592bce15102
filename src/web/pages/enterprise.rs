//! 企业详情: where the enterprise stands, what it holds, what it still lacks for the next
//! rung, what happened, whom to call, and what to do next.

use crate::config::Catalog;
use crate::db::enterprises::{Enterprise, Visible};
use crate::domain::eligibility::DecisionKind;
use crate::service::obligations::{self, DoneInput};
use crate::service::timeline::{self, EventKind};
use crate::service::{Authorized, ServiceError, enterprises, indicators};
use crate::service::{accounts, audit_log, ladder, regions, risks};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, given};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::risk_words;
use crate::web::pages::{Shown, TierBadge, day, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use diesel::PgConnection;
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Events shown on the page; the API pages through the rest.
const TIMELINE_EVENTS: i64 = 30;

pub struct CertificateLine {
    pub badge: TierBadge,
    pub number: String,
    pub valid_until: String,
    pub days_left: Option<i64>,
    pub lapsing: bool,
}

pub struct Criterion {
    pub description: String,
    pub required: String,
    pub actual: String,
    /// What is missing, in the bureau's units ("研发费用还差 40 万元"); empty when met or unknown.
    pub short_by: String,
    /// `met`, `unmet` or `unknown`: a class and a word.
    pub state: &'static str,
    pub state_label: &'static str,
}

/// The eligibility to-do for a rung: each criterion, required against actual.
pub struct EligibilityView {
    pub tier: String,
    /// How many criteria are met, unmet and unknown, in words.
    pub tally: String,
    pub document: String,
    pub eligible: bool,
    pub criteria: Vec<Criterion>,
    /// What the rung is worth, each with its amount and source.
    pub benefits: Vec<BenefitLine>,
}

pub struct BenefitLine {
    pub description: String,
    /// "20 万元", or empty where the policy fixes no amount.
    pub amount: String,
    pub source: String,
}

/// One obligation of the enterprise, with its tick-off form while it is open.
pub struct ObligationLine {
    pub id: Uuid,
    pub description: String,
    pub document: String,
    pub due: String,
    /// `due`, `done` or `overdue`: a class and a word.
    pub state: &'static str,
    pub state_label: &'static str,
    /// When and with what it was done.
    pub done: String,
    /// The evidence typed, and why it was refused, when the form comes back.
    pub evidence: String,
    pub error: Option<String>,
}

/// One change to the enterprise, as the audit log has it.
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    /// `field: before → after`, for each field that changed.
    pub changes: Vec<String>,
}

pub struct Event {
    pub at: String,
    pub kind: &'static str,
    pub summary: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "enterprise.html", config = "src/web/askama.toml")]
struct EnterprisePage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    uscc: String,
    badge: TierBadge,
    street: String,
    cluster: String,
    address: String,
    contact_name: String,
    contact_phone: String,
    saved: Option<&'static str>,
    certificates: Vec<CertificateLine>,
    /// Why the enterprise may lose its rung, in words; empty when it is safe.
    risks: Vec<String>,
    /// A certificate ends this year and its rung has a warning for that (国高's tax rate).
    last_year_warning: Option<String>,
    obligations: Vec<ObligationLine>,
    eligibility: Option<EligibilityView>,
    events: Vec<Event>,
    /// For those who may read the audit log: who changed what, newest first.
    audit: Option<Vec<AuditLine>>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let saved = shown.into_inner().saved.and_then(|what| saved_notice(&what));
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        page_of(conn, auth, &catalog, chrome, id, saved, None)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneFields {
    #[serde(default)]
    evidence: String,
}

/// 标记完成: ticks an obligation off from the enterprise page; refused, the page again
/// with the message beside the item.
pub async fn obligation_done(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    form: Form<DoneFields>,
) -> Result<HttpResponse, PageError> {
    let ((id, obligation), catalog) = (path.into_inner(), state.catalog.clone());
    let Form { csrf, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "search", move |conn, auth, chrome| {
        let input = DoneInput { evidence: given(&fields.evidence) };
        match obligations::mark_done(conn, auth, &catalog, obligation, input) {
            Ok(_) => Ok(Ok(())),
            Err(refusal) => {
                let errors = FieldErrors::from_refusal(refusal, str::to_owned)?;
                let said = errors.general.clone().or_else(|| errors.entries().first().map(|(_, m)| m.clone()));
                let returned = Returned { obligation, evidence: fields.evidence.clone(), error: said };
                page_of(conn, auth, &catalog, chrome, id, None, Some(returned)).map(Err)
            }
        }
    })
    .await?;
    let to = |_| format!("/enterprises/{id}?saved=obligation#obligations");
    Ok(page::answered(outcome.map(to)))
}

/// A tick-off form that came back refused.
struct Returned {
    obligation: Uuid,
    evidence: String,
    error: Option<String>,
}

fn page_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    id: Uuid,
    saved: Option<&'static str>,
    returned: Option<Returned>,
) -> Result<EnterprisePage, ServiceError> {
    let catalog = catalog.clone();
    {
        let enterprise = enterprises::find(conn, auth, id)?;
        let today = catalog.today();
        let held = ladder::held(conn, auth, &enterprise)?;
        let last_year_warning = held.iter().find_map(|c| {
            let ends_this_year = c.valid_until.is_some_and(|until| until.year() == today.year() && until >= today);
            let rung = catalog.ladder.tier(&c.tier).ok().map(|t| catalog.ladder.rung(&t).clone())?;
            ends_this_year.then_some(rung.last_year_warning).flatten()
        });
        let certificates = held
            .into_iter()
            .map(|c| {
                let days_left = c.valid_until.map(|until| (until - today).num_days());
                CertificateLine {
                    badge: TierBadge::of(&catalog, &c.tier),
                    number: c.certificate_no.unwrap_or_default(),
                    valid_until: c.valid_until.map_or_else(|| t("enterprise.no_term").to_owned(), day),
                    lapsing: days_left.is_some_and(|d| d <= 90),
                    days_left,
                }
            })
            .collect();
        let eligibility = next_rung_eligibility(conn, auth, &catalog, &enterprise)?;
        let owed = obligations::of_enterprise(conn, auth, &catalog, id)?;
        let mut risks: Vec<String> = risks::of_enterprise(conn, auth, &catalog, id)?.iter().map(risk_words).collect();
        risks.extend(owed.revocation_risks.iter().map(|what| msg::with("risk.revocation", what)));
        let obligations = owed
            .items
            .into_iter()
            .map(|item| {
                let back = returned.as_ref().filter(|r| r.obligation == item.id);
                ObligationLine {
                    id: item.id,
                    document: item.document,
                    due: if item.due_on == item.national_due_on {
                        msg::with("obligation.due", day(item.due_on))
                    } else {
                        msg::with_all("obligation.due_district", &[&day(item.due_on), &day(item.national_due_on)])
                    },
                    state: item.status.as_str(),
                    state_label: item.status.label(),
                    done: item.done_at.map_or_else(String::new, |at| {
                        let evidence = item.evidence.map(|e| format!(" · {e}")).unwrap_or_default();
                        format!("{}{evidence}", msg::with("obligation.done_at", local_time(&catalog, at)))
                    }),
                    evidence: back.map(|r| r.evidence.clone()).unwrap_or_default(),
                    error: back.and_then(|r| r.error.clone()),
                    description: item.description,
                }
            })
            .collect();
        let events = timeline::of(conn, auth, &catalog, id, None, TIMELINE_EVENTS)?
            .into_iter()
            .take(TIMELINE_EVENTS as usize)
            .map(|e| Event {
                // A move on the ladder is dated by its certificate, not by its recording.
                at: e.effective_on.map_or_else(|| local_time(&catalog, e.at), day),
                kind: e.kind.label(),
                href: match e.kind {
                    EventKind::Request => Some(format!("/requests/{}", e.ref_id)),
                    EventKind::Visit => Some(format!("/visits/{}", e.ref_id)),
                    _ => None,
                },
                summary: e.summary,
            })
            .collect();
        // Those who may not read the audit log see the page without it.
        let audit = match audit_lines(conn, auth, &catalog, &enterprise) {
            Err(ServiceError::Forbidden(_)) => None,
            lines => Some(lines?),
        };
        let street = match enterprise.fields.street_id {
            Some(street) => regions::name_of(conn, auth, street)?,
            None => t("enterprise.no_street").to_owned(),
        };
        let badge = TierBadge::of(&catalog, &enterprise.tier);
        let fields = enterprise.into_inner().fields;
        Ok::<_, ServiceError>(EnterprisePage {
            chrome,
            id,
            badge,
            cluster: fields
                .cluster
                .as_deref()
                .and_then(|code| catalog.clusters.get(code).ok())
                .map_or_else(String::new, |c| c.name.clone()),
            name: fields.name,
            uscc: fields.uscc,
            street,
            address: fields.address.unwrap_or_default(),
            contact_name: fields.contact_name.unwrap_or_default(),
            contact_phone: fields.contact_phone.unwrap_or_default(),
            saved,
            certificates,
            risks,
            last_year_warning,
            obligations,
            eligibility,
            events,
            audit,
        })
    }
}

/// Changes shown on the page; the API's `/audit` pages through the rest.
const AUDIT_ENTRIES: i64 = 20;

fn audit_lines(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise: &Visible,
) -> Result<Vec<AuditLine>, ServiceError> {
    let entries = audit_log::of_enterprise(conn, auth, enterprise, AUDIT_ENTRIES)?;
    let actors: Vec<Uuid> = entries.iter().filter_map(|e| e.actor_id).collect();
    let names = accounts::names_of(conn, auth, &actors)?;
    let places: HashMap<String, String> =
        regions::all(conn, auth)?.into_iter().map(|r| (r.id.to_string(), r.name)).collect();
    let said = |key: &str, value: &Value| said(catalog, &places, key, value);
    Ok(entries
        .into_iter()
        .map(|entry| AuditLine {
            at: local_time(catalog, entry.at),
            who: match entry.actor_kind.as_str() {
                "user" => entry.actor_id.and_then(|id| names.get(&id).cloned()).unwrap_or_default(),
                "api_key" => t("audit.api_key").to_owned(),
                _ => t("audit.system").to_owned(),
            },
            action: audit_action(&entry.action).to_owned(),
            changes: changed_fields(entry.before.as_ref(), entry.after.as_ref(), &said),
        })
        .collect())
}

fn audit_action(action: &str) -> &str {
    match action {
        "create" => t("audit.create"),
        "update" => t("audit.update"),
        "archive" => t("audit.archive"),
        other => other,
    }
}

/// `field: before → after` for every field whose value differs (on a new record, every
/// field it was given), in the catalogue's words where it names the field and in the
/// bureau's words for its value (`said`); bookkeeping fields (version, times) left out.
fn changed_fields(
    before: Option<&Value>,
    after: Option<&Value>,
    said: &dyn Fn(&str, &Value) -> Option<String>,
) -> Vec<String> {
    let empty = Map::new();
    let object = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_else(|| empty.clone());
    let (before, after) = (object(before), object(after));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| !matches!(key.as_str(), "id" | "version" | "created_at" | "updated_at" | "last_visited_at"))
        .filter_map(|key| {
            let (was, is) = (before.get(key).and_then(|v| said(key, v)), after.get(key).and_then(|v| said(key, v)));
            (was != is).then(|| {
                let shown = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
                format!("{}：{} → {}", field_label(key), shown(was), shown(is))
            })
        })
        .collect()
}

/// A field's value in the bureau's words: a street or park by its name, a rung and a
/// cluster by theirs, a list joined, a moment by its day; `None` when it is empty.
fn said(catalog: &Catalog, places: &HashMap<String, String>, key: &str, value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) if s.is_empty() => return None,
        Value::Array(items) if items.is_empty() => return None,
        Value::Array(items) => {
            items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect::<Vec<_>>().join("、")
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(match key {
        "street_id" | "park_id" => places.get(&text).cloned().unwrap_or(text),
        "tier" => catalog.ladder.label(&text).map_or(text, str::to_owned),
        "cluster" => catalog.clusters.get(&text).map_or(text, |c| c.name.clone()),
        "archived_at" => text.chars().take(10).collect(),
        _ => text,
    })
}

fn field_label(key: &str) -> &str {
    match key {
        "uscc" => t("enterprise.uscc"),
        "name" => t("audit.name"),
        "tier" => t("enterprise.tier"),
        "street_id" => t("enterprise.street"),
        "park_id" => t("audit.park"),
        "cluster" => t("enterprise.cluster"),
        "address" => t("enterprise.address"),
        "contact_name" => t("enterprise.contact"),
        "contact_phone" => t("audit.phone"),
        "established_on" => t("audit.established_on"),
        "employees" => t("audit.employees"),
        "tags" => t("audit.tags"),
        "archived_at" => t("audit.archived_at"),
        other => other,
    }
}

/// What a form that brought the visitor here saved, in words.
fn saved_notice(what: &str) -> Option<&'static str> {
    Some(match what {
        "visit" => t("enterprise.saved_visit"),
        "application" => t("enterprise.saved_application"),
        "obligation" => t("enterprise.saved_obligation"),
        _ => return None,
    })
}

/// The next rung above the enterprise's that has rules (a pool such as 国高培育库 has
/// none: the to-do is the certificate beyond it), and how the enterprise measures up
/// against its rules in force today; `None` when no rung above has rules.
pub fn next_rung_eligibility(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise: &Enterprise,
) -> Result<Option<EligibilityView>, ServiceError> {
    let above = catalog.ladder.rungs().iter().skip(catalog.ladder.rank(&enterprise.tier).saturating_add(1));
    let Some(next) = above.into_iter().find(|rung| catalog.rule_sets.iter().any(|set| set.tier == rung.code)) else {
        return Ok(None);
    };
    let judged = indicators::eligibility(conn, auth, catalog, enterprise.id, &next.code, DecisionKind::New, None)?;
    let of = |met: Option<bool>| judged.criteria.iter().filter(|c| c.met == met).count();
    let tally = msg::with_all("eligibility.tally", &[&of(Some(true)), &of(Some(false)), &of(None)]);
    Ok(Some(EligibilityView {
        tier: next.label.clone(),
        tally,
        document: judged.document,
        eligible: judged.eligible,
        criteria: judged
            .criteria
            .into_iter()
            .map(|c| {
                let (state, state_label) = match c.met {
                    Some(true) => ("met", t("eligibility.met")),
                    Some(false) => ("unmet", t("eligibility.unmet")),
                    None => ("unknown", t("eligibility.unknown")),
                };
                Criterion {
                    short_by: c.short_by.unwrap_or_default(),
                    description: c.description,
                    required: c.required,
                    actual: match (c.actual, c.missing_years.as_slice()) {
                        (Some(actual), _) => actual,
                        (None, []) => msg::t("eligibility.no_figure").to_owned(),
                        (None, years) => msg::with(
                            "eligibility.missing_years",
                            years.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"),
                        ),
                    },
                    state,
                    state_label,
                }
            })
            .collect(),
        benefits: judged
            .benefits
            .into_iter()
            .map(|b| BenefitLine {
                amount: b.amount.map(|yuan| msg::with("benefit.amount", yuan as f64 / 10_000.0)).unwrap_or_default(),
                description: b.description,
                source: b.source,
            })
            .collect(),
    }))
}
