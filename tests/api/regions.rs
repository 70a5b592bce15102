use crate::helpers::{TestApp, fields, id_of, problem};
use serde_json::{Value, json};

#[actix_web::test]
async fn regions_form_a_tree_of_district_streets_and_parks() {
    let app = TestApp::spawn().await;
    let (street, other, park) = app.streets().await;
    let tree: Value = app.get("/api/v1/regions").await.json().await.expect("json");
    let districts = tree.as_array().expect("array");
    assert_eq!(districts.len(), 1);
    assert_eq!((districts[0]["name"].as_str(), districts[0]["kind"].as_str()), (Some("宝安区"), Some("district")));
    let streets: Vec<_> = districts[0]["children"].as_array().expect("streets").iter().collect();
    let names: Vec<_> = streets.iter().map(|s| (id_of(s), s["code"].as_str().unwrap_or(""))).collect();
    assert_eq!(names, [(street.clone(), "xinan"), (other, "xixiang")]);
    assert_eq!(
        streets[0]["children"],
        json!([{"id": park, "kind": "park", "code": "zhigu", "name": "宝安智谷", "children": []}])
    );
}

#[actix_web::test]
async fn regions_must_hang_under_the_right_kind_of_parent() {
    let app = TestApp::spawn().await;
    let (street, _, park) = app.streets().await;
    let create = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/regions", &body).await }
    };

    let orphan = problem(create(json!({"name": "福永街道", "code": "fuyong", "kind": "street"})).await, 422).await;
    assert_eq!(fields(&orphan), ["parent_id"]);
    let park_under_park = json!({"name": "园中园", "code": "nested", "kind": "park", "parent_id": park});
    assert_eq!(fields(&problem(create(park_under_park).await, 422).await), ["parent_id"]);
    let district_with_parent = json!({"name": "新区", "code": "newdistrict", "kind": "district", "parent_id": street});
    assert_eq!(fields(&problem(create(district_with_parent).await, 422).await), ["parent_id"]);
    let bad_code = json!({"name": "某园", "code": "Not OK", "kind": "park", "parent_id": street});
    assert_eq!(fields(&problem(create(bad_code).await, 422).await), ["code"]);
    let bad_kind = json!({"name": "某园", "code": "ok", "kind": "village", "parent_id": street});
    assert_eq!(fields(&problem(create(bad_kind).await, 422).await), ["kind"]);

    let taken = json!({"name": "另一个新安", "code": "xinan", "kind": "park", "parent_id": street});
    assert_eq!(fields(&problem(create(taken).await, 409).await), ["code"]);
}
