//! `peiyu serve` as an operator runs it: JSON logs that carry request ids and no secrets,
//! and a SIGTERM that lets the request in flight finish.

use crate::helpers::{ADMIN_PASSWORD, TestApp, uscc};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

const JWT_SECRET: &str = "an operator's signing secret that must never be logged";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A roster big enough that importing it is still running when SIGTERM arrives.
fn roster(rows: u32) -> Vec<u8> {
    let mut csv = String::from("统一社会信用代码,企业名称\n");
    for n in 0..rows {
        csv.push_str(&format!("{},排空测试{n}科技有限公司\n", uscc(500_000 + n)));
    }
    csv.into_bytes()
}

#[actix_web::test]
async fn the_served_process_logs_json_with_request_ids_and_no_secrets_and_drains_on_sigterm() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let data_dir = std::env::temp_dir().join(format!("peiyu-process-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    // Files, not pipes: nobody reads a pipe while the server runs, and a full one blocks it.
    let (stdout, stderr) = (data_dir.join("stdout.log"), data_dir.join("stderr.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_peiyu"))
        .arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("PEIYU_BIND", format!("127.0.0.1:{port}"))
        .env("PEIYU_DATA_DIR", &data_dir)
        .env("PEIYU_JWT_SECRET", JWT_SECRET)
        .env("PEIYU_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("peiyu serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "peiyu serve did not come up");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }

    // Everything secret an operator's logs could catch: a password (right and wrong),
    // the tokens a sign-in returns, an API key.
    let wrong = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "a-wrong-password-42"}))
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), 401);
    let session: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let access = session["access_token"].as_str().expect("access token").to_owned();
    let refresh = session["refresh_token"].as_str().expect("refresh token").to_owned();
    let key = client
        .post(format!("{base}/api/v1/api-keys"))
        .bearer_auth(&access)
        .json(&json!({"name": "registry", "scopes": ["enterprises:read"]}))
        .send()
        .await
        .expect("api key");
    let key: Value = key.json().await.expect("json");
    let key = key["key"].as_str().expect("key").to_owned();
    // With no proxy trusted, a forwarded address is nobody's word: the log names the peer.
    let listed = client
        .get(format!("{base}/api/v1/enterprises"))
        .bearer_auth(&key)
        .header("X-Forwarded-For", "203.0.113.99")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.status(), 200);
    let listed_id = listed.headers()["x-request-id"].to_str().expect("ascii").to_owned();

    // A request in flight when SIGTERM arrives is answered before the process exits.
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(roster(20_000)).file_name("花名册.csv"));
    let in_flight =
        actix_web::rt::spawn(client.post(format!("{base}/api/v1/imports")).bearer_auth(&access).multipart(form).send());
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(!in_flight.is_finished(), "the import ended before SIGTERM: the roster must be bigger");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let imported = in_flight.await.expect("joined").expect("answered despite SIGTERM");
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.expect("json");
    assert_eq!(report["rows"], 20_000, "{report}");
    let exit = actix_web::rt::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exited");
    assert!(exit.success(), "exit: {exit:?}");

    let json_lines = std::fs::read_to_string(&stderr).expect("stderr");
    let logs = json_lines.clone() + &std::fs::read_to_string(&stdout).expect("stdout");
    let lines: Vec<Value> = json_lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["message"] == "answered" && l["spans"].to_string().contains(&listed_id))
        .unwrap_or_else(|| panic!("no access log line carrying request id {listed_id}"));
    assert_eq!(answered["status"], 200);
    assert!(answered["spans"].to_string().contains(r#""http.client_ip":"127.0.0.1""#), "{answered}");
    assert!(!logs.contains("203.0.113.99"), "a forwarded address was believed");
    for secret in [ADMIN_PASSWORD, "a-wrong-password-42", &access, &refresh, &key, JWT_SECRET] {
        assert!(!logs.contains(secret), "a secret reached the logs: {secret}");
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
