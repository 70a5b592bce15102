//! Every console form, sent wrong values, answers in Chinese. The test reads each form as
//! a browser does (every field of every `<form method="post">` on the page), fills it
//! three ways — everything blank, every field something it cannot be, every text far too
//! long and every date in the future — posts it, and reads the answer's visible text: no
//! English sentence may be on the page, and no answer may be a server error. A form added
//! to one of these pages is walked without changing the test.

use crate::console::Console;
use crate::helpers::{ADMIN_PASSWORD, TestApp, id_of, uscc};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

/// The ways a form is filled wrongly.
#[derive(Debug, Clone, Copy)]
enum Wrong {
    Blank,
    Nonsense,
    Excessive,
}

impl Wrong {
    /// What a field of `kind` (an input's type, `textarea` or `select`) gets.
    fn value(self, kind: &str) -> String {
        match (self, kind) {
            (Self::Blank, _) => String::new(),
            (Self::Nonsense, "number") => "abc".into(),
            (Self::Nonsense, "date") => "2026-02-30".into(),
            (Self::Nonsense, "datetime-local") => "yesterday".into(),
            (Self::Nonsense, "password") => "aaaaaaaaaaaa".into(),
            (Self::Nonsense, _) => "%%%".into(),
            (Self::Excessive, "number") => "-99999999999".into(),
            (Self::Excessive, "date") => "2099-01-01".into(),
            (Self::Excessive, "datetime-local") => "2099-01-01T10:00".into(),
            (Self::Excessive, "select") => "nonsense".into(),
            // Beyond every limit of a field of its kind, within what a form may carry.
            (Self::Excessive, "textarea") => "字".repeat(4100),
            (Self::Excessive, _) => "字".repeat(300),
        }
    }
}

/// A form of a page, as a browser would send it.
struct PostedForm {
    action: String,
    /// Hidden fields as the page set them; the others, by name, with their kind.
    hidden: Vec<(String, String)>,
    fields: Vec<(String, String)>,
}

fn forms_of(page: &str, here: &str) -> Vec<PostedForm> {
    let document = Html::parse_document(page);
    let forms = Selector::parse(r#"form[method="post"]"#).expect("selector");
    let controls = Selector::parse("input, textarea, select").expect("selector");
    document
        .select(&forms)
        .map(|form| {
            let action = form.value().attr("action").map_or_else(|| here.to_owned(), str::to_owned);
            let (mut hidden, mut fields) = (Vec::new(), Vec::new());
            for control in form.select(&controls) {
                let Some(name) = control.value().attr("name") else { continue };
                let kind = match control.value().name() {
                    "input" => control.value().attr("type").unwrap_or("text"),
                    other => other,
                };
                match kind {
                    "hidden" => hidden.push((name.to_owned(), control.value().attr("value").unwrap_or("").to_owned())),
                    "submit" | "file" => {}
                    // A browser sends one value of a group of radios or boxes (here, one
                    // wrong value for the group).
                    _ if fields.iter().any(|(known, _)| known == name) => {}
                    "checkbox" | "radio" => fields.push((name.to_owned(), "select".to_owned())),
                    other => fields.push((name.to_owned(), other.to_owned())),
                }
            }
            PostedForm { action, hidden, fields }
        })
        .collect()
}

/// The text a reader sees: every text node outside scripts and styles, with the
/// placeholders and titles of the controls.
fn visible_text(page: &str) -> Vec<String> {
    let document = Html::parse_document(page);
    let mut texts = Vec::new();
    let body = Selector::parse("body").expect("selector");
    for root in document.select(&body) {
        collect(root, &mut texts);
    }
    let hinted = Selector::parse("[placeholder], [title], [aria-label]").expect("selector");
    for element in document.select(&hinted) {
        for attribute in ["placeholder", "title", "aria-label"] {
            texts.extend(element.value().attr(attribute).map(str::to_owned));
        }
    }
    texts
}

fn collect(element: ElementRef, texts: &mut Vec<String>) {
    if matches!(element.value().name(), "script" | "style" | "textarea") {
        return;
    }
    for child in element.children() {
        if let Some(text) = child.value().as_text() {
            texts.push(text.to_string());
        } else if let Some(inner) = ElementRef::wrap(child) {
            collect(inner, texts);
        }
    }
}

/// Three English words in a row ("must not be", "cannot start a") in `text`, if any:
/// words of ASCII letters apart only by ASCII spaces, digits or punctuation.
fn english_in(text: &str) -> Option<String> {
    let (mut run, mut word) = (Vec::<String>::new(), String::new());
    for c in text.chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            run.push(std::mem::take(&mut word));
            if run.len() >= 3 {
                return Some(run.join(" "));
            }
        }
        if !c.is_ascii() {
            run.clear();
        }
    }
    None
}

/// Posts every form of `page` filled every wrong way; what it found in English, by form,
/// and how many posts it made.
async fn walk(console: &mut Console, page: &str) -> (Vec<String>, usize) {
    let (mut found, mut posts) = (Vec::new(), 0);
    for wrong in [Wrong::Blank, Wrong::Nonsense, Wrong::Excessive] {
        let html = console.page(page).await;
        for (index, form) in forms_of(&html, page).into_iter().enumerate() {
            // Signing out ends the walk's session: not a form that can be wrong.
            if form.action == "/logout" {
                continue;
            }
            let fresh = console.page(page).await;
            // Each post takes the page's fresh tokens (a one-time token is spent by a post).
            let tokens = forms_of(&fresh, page).into_iter().nth(index).map(|f| f.hidden).unwrap_or(form.hidden);
            let mut body: Vec<(String, String)> = tokens;
            body.extend(form.fields.iter().map(|(name, kind)| (name.clone(), wrong.value(kind))));
            let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = console.post(&form.action, &pairs).await;
            posts += 1;
            let status = response.status();
            // A form a page made is always read: wrong values are answered beside the
            // fields, never with "the form could not be read" (400) or a server error.
            assert!(
                status.as_u16() < 500 && status != 400,
                "{page} → POST {} ({wrong:?}) answered {status}",
                form.action
            );
            let answer = response.text().await.expect("body");
            for text in visible_text(&answer) {
                if let Some(english) = english_in(&text) {
                    found.push(format!("{page} → POST {} ({wrong:?}): “{english}” in “{}”", form.action, text.trim()));
                }
            }
        }
    }
    (found, posts)
}

#[actix_web::test]
async fn every_form_sent_wrong_values_answers_in_chinese() {
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    let enterprise = id_of(
        &app.enterprise(&json!({"uscc": uscc(1), "name": "星河智能科技", "street_id": street, "employees": 80})).await,
    );
    let (counselor, _) = app.user("li.xinan", "counselor", &[&street]).await;
    let raised = app
        .post(
            &format!("/api/v1/enterprises/{enterprise}/requests"),
            &json!({"category": "space", "priority": "high", "title": "扩租", "description": "研发楼扩租"}),
        )
        .await;
    let request = id_of(&raised.json::<Value>().await.expect("json"));
    let applied = app
        .post(&format!("/api/v1/enterprises/{enterprise}/applications"), &json!({"tier": "hnte", "batch_year": 2026}))
        .await;
    let application = id_of(&applied.json::<Value>().await.expect("json"));
    for action in ["pre_review", "submit"] {
        let moved =
            app.post(&format!("/api/v1/applications/{application}/transitions"), &json!({"action": action})).await;
        assert_eq!(moved.status(), 200, "{action}");
    }

    let mut console = Console::new(&app);
    console.sign_in("admin", ADMIN_PASSWORD).await;
    let pages = [
        format!("/enterprises/{enterprise}/visits/new"),
        format!("/enterprises/{enterprise}/requests/new"),
        format!("/enterprises/{enterprise}/applications/new"),
        format!("/enterprises/{enterprise}/indicators"),
        format!("/requests/{request}"),
        "/applications?year=2026".to_owned(),
        "/targets".to_owned(),
        "/admin/users/new".to_owned(),
        format!("/admin/users/{counselor}"),
        "/admin/regions".to_owned(),
        "/admin/api-keys".to_owned(),
    ];
    let (mut found, mut posts) = (Vec::new(), 0);
    for page in &pages {
        let (english, posted) = walk(&mut console, page).await;
        assert!(posted >= 3, "{page} has no form to walk");
        found.extend(english);
        posts += posted;
    }
    // Signing in, wrongly, is a form too.
    found.extend(walk(&mut Console::new(&app), "/login").await.0);
    assert!(found.is_empty(), "English on the console's pages after {posts} posts:\n{}", found.join("\n"));
}

#[test]
fn english_is_three_words_in_a_row() {
    assert_eq!(english_in("must not be blank"), Some("must not be".into()));
    assert_eq!(english_in("未能保存（cannot start a request）"), Some("cannot start a".into()));
    assert_eq!(english_in("「名单.txt」不是 CSV 或 Excel（.xlsx）文件"), None);
    assert_eq!(english_in("Peiyu 培育 · 新安街道"), None);
}

/// 数据导入: a roster row with a blank name, a date that is not one, a phone of letters,
/// −3 staff and a street no one knows is reported whole — every problem, in Chinese, with
/// the row's USCC — on the page and in the downloaded problems.
#[actix_web::test]
async fn an_import_names_every_problem_of_a_row_in_chinese() {
    let app = TestApp::spawn().await;
    app.streets().await;
    let mut console = Console::new(&app);
    console.sign_in("admin", ADMIN_PASSWORD).await;
    let bad = uscc(7);
    let roster = format!(
        "统一社会信用代码,企业名称,所属街道,成立日期,联系电话,从业人数\n\
         {bad},,火星街道,2020-13-45,abc,-3\n\
         91440300MA5XXXXXXX,错号科技,新安,2020-01-01,0755-1234567,5\n"
    );
    let (run, page) =
        crate::console_imports::import(&mut console, ("企业名录.csv", roster.into_bytes()), "dry_run").await;
    let english: Vec<String> = visible_text(&page).iter().filter_map(|t| english_in(t)).collect();
    assert!(english.is_empty(), "English on the report: {english:?}");
    for said in [
        "没有名为「火星街道」的街道",
        "「2020-13-45」不是日期",
        "电话只能包含",
        "须在 0 到 10000000 之间",
        "请填写此项",
        "校验位不符",
    ] {
        assert!(page.contains(said), "the report does not say {said}: {page}");
    }
    assert!(page.contains(&bad), "the row's USCC is on the report");
    let (status, _, csv) = console.download(&format!("{run}/problems?format=csv")).await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).expect("UTF-8");
    assert_eq!(csv.lines().filter(|l| l.contains(&bad)).count(), 5, "five problems of one row: {csv}");
}
