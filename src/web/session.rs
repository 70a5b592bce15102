//! The console's cookies: the session (a random secret; the server keeps only its hash,
//! see `service::sessions`) and the sign-in form's CSRF pair. Both are `HttpOnly` and
//! `SameSite`, and `Secure` when the console is served over https.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};
use std::sync::LazyLock;
use tracing_actix_web::RequestId;
use url::Url;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "peiyu_session";
/// Holds the token the sign-in form must echo: there is no session yet to hold it.
pub const SIGN_IN_COOKIE: &str = "peiyu_sign_in";

/// Who is at the browser, before the database has had its say: the session cookie's
/// secret, if any, and where the request came from and went to.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub secret: Option<String>,
    pub sign_in_token: Option<String>,
    pub request_id: Option<Uuid>,
    pub client: String,
    /// The address asked for, to come back to after signing in.
    pub asked_for: String,
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let cookie = |name| req.cookie(name).map(|c| c.value().to_owned()).filter(|v| !v.is_empty());
        ready(Ok(Self {
            secret: cookie(SESSION_COOKIE),
            sign_in_token: cookie(SIGN_IN_COOKIE),
            request_id: RequestId::extract(req).into_inner().ok().map(Into::into),
            client: crate::client::address(req),
            asked_for: req.uri().path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        }))
    }
}

/// How the console's cookies are made: `Secure` or not.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    /// The session cookie, living as long as the session may.
    pub fn session(self, secret: String, hours: i64) -> Cookie<'static> {
        self.build(SESSION_COOKIE, secret, "/", SameSite::Lax, time::Duration::hours(hours))
    }

    /// The sign-in form's token, for the form's own address only.
    pub fn sign_in(self, token: String) -> Cookie<'static> {
        self.build(SIGN_IN_COOKIE, token, "/login", SameSite::Strict, time::Duration::hours(1))
    }

    /// A cookie that tells the browser to forget `name`.
    pub fn removed(self, name: &'static str) -> Cookie<'static> {
        let path = if name == SIGN_IN_COOKIE { "/login" } else { "/" };
        self.build(name, String::new(), path, SameSite::Lax, time::Duration::ZERO)
    }

    fn build(
        self,
        name: &'static str,
        value: String,
        path: &'static str,
        same_site: SameSite,
        max_age: time::Duration,
    ) -> Cookie<'static> {
        Cookie::build(name, value)
            .path(path)
            .http_only(true)
            .same_site(same_site)
            .secure(self.secure)
            .max_age(max_age)
            .finish()
    }
}

/// `next` if it is an address of this site (a path), else the home page: a sign-in link
/// must not send people elsewhere. It is resolved as a browser resolves it (which reads
/// `/\\evil` and, dropping a tab, `/\t/evil` as `//evil`) and kept only if it stays on
/// this site; a control character or a space anywhere refuses it, since browsers drop or
/// split on them and a header cannot carry them.
pub fn local_address(next: &str) -> &str {
    static HERE: LazyLock<Option<Url>> = LazyLock::new(|| Url::parse("http://peiyu.invalid/").ok());
    let plain = next.starts_with('/') && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    let stays = |here: &Url| here.join(next).is_ok_and(|there| there.origin() == here.origin());
    if plain && HERE.as_ref().is_some_and(stays) { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_of_this_site_are_returned_to() {
        assert_eq!(local_address("/enterprises?q=科技"), "/enterprises?q=科技");
        assert_eq!(local_address("https://evil.example/"), "/");
        assert_eq!(local_address("//evil.example/"), "/");
        assert_eq!(local_address("/\\evil.example"), "/");
        assert_eq!(local_address(""), "/");
        for crafted in ["/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: a=b", "/ /evil", "/\u{85}x"] {
            assert_eq!(local_address(crafted), "/", "{crafted:?}");
        }
        assert_eq!(local_address("/enterprises/0190?saved=visit#top"), "/enterprises/0190?saved=visit#top");
    }
}
