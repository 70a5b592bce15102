//! The OpenAPI document: what utoipa collects from the handlers, plus what holds for
//! every operation (security schemes, the answers any request may get) and the Chinese
//! labels of every enum.

use crate::service::timeline;
use actix_web::http::StatusCode;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    modifiers(&SecuritySchemes),
    // Enums only a query parameter names, so that no route brings them in.
    components(schemas(crate::domain::service_request::Awaiting, crate::domain::obligation::Wants)),
    security(("bearer" = []), ("api_key" = [])),
    info(
        title = "Peiyu (培育) API",
        description = "Cultivating enterprises up the ladder 科技型中小企业 → 国高培育库 → 国高 → 专精特新 → 小巨人.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`); lists are keyset-paginated \
            with `limit` and `cursor`."
    ),
    tags(
        (name = "session", description = "Signing in: access and refresh tokens"),
        (name = "users", description = "People, their roles and streets (admin)"),
        (name = "api-keys", description = "Keys for integrations (admin)"),
        (name = "audit", description = "Who changed what, when (manager, admin)"),
        (name = "enterprises", description = "The enterprise register"),
        (name = "field work", description = "Visits (走访) and service requests (诉求)"),
        (name = "ladder", description = "Promotions (晋级), demotions (降级), certificates, applications (申报), yearly figures (年度指标) and eligibility"),
        (name = "pipeline", description = "The bureau's views across enterprises (counselors: their streets)"),
        (name = "cultivation", description = "Obligations (义务), reviews (复核), the readiness radar and enterprises at risk"),
        (name = "regions", description = "District → street → park"),
        (name = "registry", description = "Certification lists (认定名单) fed in by provincial and national registries"),
        (name = "reference", description = "Configured reference data: the ladder, industry clusters"),
        (name = "operations", description = "Probes and metrics"),
    )
)]
struct ApiDoc;

/// People sign in for access tokens (JWT); integrations hold API keys (`pk_…`). Both
/// travel as bearer tokens; every operation takes either, and answers 403 to a caller
/// whose role or scopes do not allow it.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description =
            Some("An access token from `POST /api/v1/auth/login` (15 minutes; renew with `/auth/refresh`).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let mut api_key = Http::new(HttpAuthScheme::Bearer);
        api_key.bearer_format = Some("pk_…".into());
        api_key.description = Some(
            "An API key for an integration (created by an admin at `POST /api/v1/api-keys`). Scope \
             `enterprises:read`: reading enterprises with their visits, requests, certificates and \
             history, reference data, and the change feed (`/changes`), district-wide. Scope \
             `registry:write`: `POST /registry/certifications`. Anything else is 403."
                .into(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(api_key));
    }
}

/// Each enum's codes with the Chinese names people know them by, in its description:
/// the API speaks codes, the bureau speaks 晋级 and 诉求.
struct EnumLabels;

impl Modify for EnumLabels {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::domain::{
            access, application, certification, eligibility, obligation, region, service_request, visit,
        };
        use utoipa::openapi::schema::Schema;
        let labelled = [
            ("ApplicationStatus", labels(&application::Status::ALL, application::Status::label)),
            ("ApplicationAction", labels(&application::Action::ALL, application::Action::label)),
            ("RequestStatus", labels(&service_request::Status::ALL, service_request::Status::label)),
            ("RequestAction", labels(&service_request::Action::ALL, service_request::Action::label)),
            ("Category", labels(&service_request::Category::ALL, service_request::Category::label)),
            ("Priority", labels(&service_request::Priority::ALL, service_request::Priority::label)),
            ("RequestStage", labels(&service_request::Stage::ALL, service_request::Stage::label)),
            (
                "CallbackChannel",
                labels(&service_request::CallbackChannel::ALL, service_request::CallbackChannel::label),
            ),
            ("Awaiting", labels(&service_request::Awaiting::ALL, service_request::Awaiting::label)),
            ("Channel", labels(&visit::Channel::ALL, visit::Channel::label)),
            ("Purpose", labels(&visit::Purpose::ALL, visit::Purpose::label)),
            ("ChangeKind", labels(&certification::ChangeKind::ALL, certification::ChangeKind::label)),
            ("Source", labels(&certification::Source::ALL, certification::Source::label)),
            ("DemotionReason", labels(&certification::DemotionReason::ALL, certification::DemotionReason::label)),
            ("Role", labels(&access::Role::ALL, access::Role::label)),
            ("ApiScope", labels(&access::ApiScope::ALL, access::ApiScope::label)),
            ("RegionKind", labels(&region::RegionKind::ALL, region::RegionKind::label)),
            ("EventKind", labels(&timeline::EventKind::ALL, timeline::EventKind::label)),
            ("Pace", labels(&crate::domain::target::Pace::ALL, crate::domain::target::Pace::label)),
            ("ImportKind", labels(&crate::service::file_import::Kind::ALL, crate::service::file_import::Kind::label)),
            ("DecisionKind", labels(&eligibility::DecisionKind::ALL, eligibility::DecisionKind::label)),
            ("ObligationStatus", labels(&obligation::Status::ALL, obligation::Status::label)),
            ("ObligationFilter", labels(&obligation::Wants::ALL, obligation::Wants::label)),
        ];
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, lines) in labelled {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                let described = object.description.take().map(|d| format!("{d}\n\n")).unwrap_or_default();
                object.description = Some(format!("{described}{lines}"));
            }
        }
    }
}

/// `code`: label, one per line, each code as serde writes it.
fn labels<T: Copy + serde::Serialize>(all: &[T], label: fn(T) -> &'static str) -> String {
    all.iter()
        .map(|value| {
            let code = serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            format!("- `{code}`: {}", label(*value))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The OpenAPI document of [`routes`](crate::http::routes), built once.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut document) = utoipa_actix_web::AppExt::into_utoipa_app(actix_web::App::new())
        .openapi(ApiDoc::openapi())
        .configure(crate::http::routes)
        .split_for_parts();
    // After the routes: only they bring the schemas and operations in.
    EnumLabels.modify(&mut document);
    CommonResponses.modify(&mut document);
    StorableText.modify(&mut document);
    document
}

/// PostgreSQL stores no NUL character, and the server refuses text that holds one (422,
/// `unstorable`): every text the document describes says so, unless a format or list of
/// its own already rules it out. A field that must say something (`not_blank`) is marked
/// `pattern = "\\S"` where it is declared, and says both here.
struct StorableText;

/// Any text without U+0000.
const STORABLE: &str = "^[^\\u0000]*$";
/// Text without U+0000 and with something besides white space.
const SAYS_SOMETHING: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

impl Modify for StorableText {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.schemas.values_mut().for_each(storable);
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        parameter.schema.iter_mut().for_each(storable);
                    }
                }
                if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let RefOr::T(content) = content {
                            content.schema.iter_mut().for_each(storable);
                        }
                    }
                }
            }
        }
    }
}

fn storable(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => {
            let text = match &object.schema_type {
                SchemaType::Type(kind) => *kind == Type::String,
                SchemaType::Array(kinds) => kinds.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if text && object.format.is_none() && object.enum_values.is_none() {
                match object.pattern.as_deref() {
                    None => object.pattern = Some(STORABLE.to_owned()),
                    Some("\\S") => object.pattern = Some(SAYS_SOMETHING.to_owned()),
                    Some(_) => {}
                }
            }
            object.properties.values_mut().for_each(storable);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                storable(items);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(storable),
        Schema::AllOf(all) => all.items.iter_mut().for_each(storable),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(storable),
        _ => {}
    }
}

/// The answers any operation may give besides its own: 401 to a protected one without
/// valid credentials, 503 from any that needs the database while it is unreachable. And a
/// description for every answer, which OpenAPI requires.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))))
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let public = operation.security.as_ref().is_some_and(|s| s.contains(&SecurityRequirement::default()));
                let responses = &mut operation.responses.responses;
                // OpenAPI requires every response to be described; where a handler did
                // not, its status's reason phrase says what little there is to say.
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        let reason = status.parse().ok().and_then(|s| StatusCode::from_u16(s).ok());
                        response.description = reason.and_then(|s| s.canonical_reason()).unwrap_or("Answer").to_owned();
                    }
                }
                if !public {
                    responses
                        .entry("401".into())
                        .or_insert_with(|| problem("No valid access token or API key (`WWW-Authenticate: Bearer`)"));
                }
                // What the HTTP edge answers for any operation of this shape.
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let has =
                    |place: ParameterIn| parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place));
                let json_body = operation.request_body.as_ref().is_some_and(
                    |body| matches!(body, RefOr::T(body) if body.content.keys().any(|media| media.ends_with("json"))),
                );
                if has(ParameterIn::Path) {
                    responses.entry("404".into()).or_insert_with(|| problem("No such record, or not in your streets"));
                }
                if has(ParameterIn::Query) || json_body {
                    responses.entry("400".into()).or_insert_with(|| problem("Not JSON, or a value of the wrong type"));
                    responses.entry("422".into()).or_insert_with(|| problem("Invalid fields, each named"));
                }
                if json_body {
                    responses.entry("408".into()).or_insert_with(|| problem("The body did not arrive in time"));
                    responses.entry("413".into()).or_insert_with(|| problem("The body is too large"));
                    responses.entry("415".into()).or_insert_with(|| problem("The body is not `application/json`"));
                }
                if path.starts_with("/api/v1") {
                    responses.entry("503".into()).or_insert_with(|| {
                        problem("The database did not answer within the pool timeout; retry after `Retry-After`")
                    });
                }
            }
        }
    }
}
