//! 提交诉求: a demand on its own, outside a visit.

use crate::service::{enterprises, requests};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form};
use crate::web::messages as msg;
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::demand::{DemandFields, DemandSlot, place_errors};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "raise.html", config = "src/web/askama.toml")]
struct RaisePage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    demand: DemandSlot,
    errors: FieldErrors,
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let name = enterprises::for_field_work(conn, auth, id)?.into_inner().fields.name;
        Ok(RaisePage { chrome, id, name, demand: DemandSlot::blank(0), errors: FieldErrors::default() })
    })
    .await?;
    Ok(page::form_html(StatusCode::OK, &page))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<DemandFields>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let Form { csrf, once, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "search", move |conn, auth, chrome| {
        // Who may not is told so before anything of the form is read.
        let name = enterprises::for_field_work(conn, auth, id)?.into_inner().fields.name;
        page::at_most_once(conn, chrome.user_id, &once, &format!("raise:{id}"), |conn| {
            let mut errors = FieldErrors::default();
            let (mut slots, raised) = fields.read(1, &mut errors);
            let mut slot = slots.swap_remove(0);
            match raised.into_iter().next() {
                Some((_, request)) if errors.is_empty() => match requests::raise(conn, auth, &catalog, id, request) {
                    Ok(raised) => return Ok(Ok(format!("/requests/{}?saved=raised", raised.id))),
                    Err(refusal) => {
                        errors = FieldErrors::from_refusal(refusal, str::to_owned)?;
                        place_errors(std::slice::from_mut(&mut slot), &errors, &[0], "");
                    }
                },
                Some(_) => {}
                // An empty form raises nothing: say what it needs.
                None => slot = slot.required(),
            }
            Ok(Err(RaisePage { chrome, id, name, demand: slot, errors }))
        })
    })
    .await?;
    Ok(page::answered_once(outcome))
}
