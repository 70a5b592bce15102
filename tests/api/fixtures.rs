//! Typed fixtures: a seeded district with named people, and builders for what the tests
//! put in it, each written through the API (so through the use cases, with their rules).
//! A test says what it needs — `District::seed(&app)`, `district.enterprise("星河").create()`
//! — instead of JSON bodies and tuples of ids.

use crate::helpers::{As, PASSWORD, TestApp, id_of, uscc};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

/// Someone signed in through the API.
pub struct Person {
    pub id: String,
    pub username: &'static str,
    pub display_name: &'static str,
    pub token: String,
}

impl Person {
    pub fn api<'a>(&self, app: &'a TestApp) -> As<'a> {
        app.with_token(&self.token)
    }
}

/// The district every fixture test starts from: 宝安区 with 新安街道 (and its park 宝安智谷)
/// and 西乡街道; 李新安 counsels 新安, 王西乡 counsels 西乡, 陈局 manages the bureau.
pub struct District<'a> {
    pub app: &'a TestApp,
    pub xinan: String,
    pub xixiang: String,
    pub park: String,
    pub counselor: Person,
    pub other_counselor: Person,
    pub manager: Person,
}

impl<'a> District<'a> {
    pub async fn seed(app: &'a TestApp) -> Self {
        let (xinan, xixiang, park) = app.streets().await;
        let counselor = person(app, "li.xinan", "李新安", "counselor", &[&xinan]).await;
        let other_counselor = person(app, "wang.xixiang", "王西乡", "counselor", &[&xixiang]).await;
        let manager = person(app, "chen.bureau", "陈局", "manager", &[]).await;
        Self { app, xinan, xixiang, park, counselor, other_counselor, manager }
    }

    /// An enterprise named `name` in 新安街道, to be shaped and created.
    pub fn enterprise(&self, name: &str) -> EnterpriseBuilder<'a> {
        static NEXT: AtomicU32 = AtomicU32::new(1000);
        let body = json!({"uscc": uscc(NEXT.fetch_add(1, Ordering::Relaxed)), "name": name, "street_id": self.xinan});
        EnterpriseBuilder { app: self.app, body }
    }
}

async fn person(
    app: &TestApp,
    username: &'static str,
    display_name: &'static str,
    role: &str,
    streets: &[&str],
) -> Person {
    let body = json!({"username": username, "display_name": display_name, "password": PASSWORD, "role": role, "street_ids": streets});
    let created = app.post("/api/v1/users", &body).await;
    assert_eq!(created.status(), 201, "creating {username}");
    let id = id_of(&created.json::<Value>().await.expect("json"));
    let token = app.login(username, PASSWORD).await["access_token"].as_str().expect("a token").to_owned();
    Person { id, username, display_name, token }
}

pub struct EnterpriseBuilder<'a> {
    app: &'a TestApp,
    body: Value,
}

impl EnterpriseBuilder<'_> {
    pub fn in_street(mut self, street: &str) -> Self {
        self.body["street_id"] = json!(street);
        self
    }

    /// Any other field of the API's enterprise body.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.body[field] = value;
        self
    }

    /// Registered by the admin; its id.
    pub async fn create(self) -> String {
        id_of(&self.app.enterprise(&self.body).await)
    }
}

/// A demand raised for `enterprise` by the admin; its id.
pub async fn request(app: &TestApp, enterprise: &str, title: &str) -> String {
    let body = json!({"category": "space", "priority": "high", "title": title, "description": "研发楼扩租"});
    let raised = app.post(&format!("/api/v1/enterprises/{enterprise}/requests"), &body).await;
    assert_eq!(raised.status(), 201, "raising {title}");
    id_of(&raised.json::<Value>().await.expect("json"))
}

/// An application of `enterprise` for `tier` in this year's batch, moved by `moves`; its id.
pub async fn application(app: &TestApp, enterprise: &str, tier: &str, moves: &[&str]) -> String {
    let opened = app
        .post(&format!("/api/v1/enterprises/{enterprise}/applications"), &json!({"tier": tier, "batch_year": 2026}))
        .await;
    assert_eq!(opened.status(), 201, "applying for {tier}");
    let id = id_of(&opened.json::<Value>().await.expect("json"));
    for action in moves {
        let moved = app.post(&format!("/api/v1/applications/{id}/transitions"), &json!({"action": action})).await;
        assert_eq!(moved.status(), 200, "{action}");
    }
    id
}
