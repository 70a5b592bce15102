//! Every request, seen from outside: its id goes back to the caller as `X-Request-Id`
//! (the id every log line of the request and every audit entry it writes carries), and
//! its route, status and duration go to the metrics and the access log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware: runs inside `TracingLogger`, which assigns the request id.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req.extensions().get::<RequestId>().copied();
    let method = req.method().clone();
    let mut response = next.call(req).await?;
    // The template, not the path: ids must not make a series each.
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let (status, took) = (response.status().as_u16(), started.elapsed());
    crate::metrics::request_answered(&route, &method, status, took);
    // The access log: inside the request's span, so the line carries its request id.
    tracing::info!(status, elapsed_ms = took.as_millis() as u64, "answered");
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    Ok(response)
}

/// The span every log line of a request sits in: tracing-actix-web's fields, except that
/// the client is the address [`crate::client::address`] vouches for, not whatever an
/// `X-Forwarded-For` header claims.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_default(),
            http.target = %request.uri().path_and_query().map_or("", |p| p.as_str()),
            http.client_ip = %crate::client::address(request.request()),
            http.status_code = Empty,
            otel.status_code = Empty,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
