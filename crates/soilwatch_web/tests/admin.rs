//! The administrators' pages (issue 7) through the router with a real session: adding a user
//! (the one-time password shown once signs in), server-side validation with each error next to
//! its field in Chinese or English, disabling and enabling (a disabled user cannot sign in; nobody
//! disables themselves), resetting a password, adding and editing departments (name, level,
//! division), CSRF on every form, the audit log, and other roles refused.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use soilwatch_store::auth::NewUser;
use soilwatch_store::auth_secret::hash_password;
use soilwatch_store::{AuthStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    _location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(app: &TestApp, method: &str, uri: &str, cookie: &str, form: Option<&str>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    let body = match form {
        Some(f) => {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    let res = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get_all(n)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (status, location, cookies) = (res.status(), h("location").join(""), h("set-cookie"));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        _location: location,
        cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn cookie(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let (kv, _) = c.split_once(';')?;
        let (k, v) = kv.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap() + key.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// Percent-encode a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sign in through `/login`; the session cookie, or the failed reply.
async fn sign_in(app: &TestApp, user: &str, password: &str) -> Result<String, Reply> {
    let form = send(app, "GET", "/login", "", None).await;
    let csrf = hidden(&form.body, "csrf");
    let r = send(
        app,
        "POST",
        "/login",
        &format!("sw_login_csrf={csrf}"),
        Some(&format!(
            "csrf={csrf}&username={}&password={}&next=%2F",
            enc(user),
            enc(password)
        )),
    )
    .await;
    if r.status != StatusCode::SEE_OTHER {
        return Err(r);
    }
    Ok(format!(
        "sw_session={}",
        cookie(&r.cookies, "sw_session").unwrap()
    ))
}

/// The one-time password shown on a page.
fn one_time(body: &str) -> String {
    let i = body
        .find("id=\"one-time\"")
        .expect("a one-time password on the page");
    let rest = &body[i..];
    let s = rest.find("<code>").unwrap() + 6;
    rest[s..s + rest[s..].find("</code>").unwrap()].to_owned()
}

/// The text of the field error after an input's id (`<span class="field-error" id="…-err">`).
fn field_error(body: &str, id: &str) -> String {
    let key = format!("<span class=\"field-error\" id=\"{id}-err\">");
    let i = body
        .find(&key)
        .unwrap_or_else(|| panic!("no error for {id} in {body}"))
        + key.len();
    body[i..i + body[i..].find("</span>").unwrap()].to_owned()
}

#[tokio::test]
async fn administrators_manage_users_on_pages() {
    let app = TestApp::sqlite().await;
    app.store
        .create_user(&NewUser {
            username: "root".into(),
            display_name: "管理员".into(),
            role: Role::Administrator,
            department: None,
            password_hash: hash_password("Root password 1").unwrap(),
        })
        .await
        .unwrap();
    let root = sign_in(&app, "root", "Root password 1").await.ok().unwrap();

    let page = send(&app, "GET", "/admin/users", &root, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>用户管理</h1>"), "{}", page.body);
    assert!(page
        .body
        .contains("<label for=\"u-username\">用户名</label>"));
    let csrf = hidden(&page.body, "csrf");

    // CSRF: without the token the form is refused and nothing is created.
    let r = send(
        &app,
        "POST",
        "/admin/users",
        &root,
        Some("username=li&role=viewer&department="),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.store.get_user("li").await.is_err());

    // Bad fields: 422, each error next to its field, the typed values kept.
    let r = send(
        &app,
        "POST",
        "/admin/users",
        &root,
        Some(&format!(
            "csrf={csrf}&username=bad+name%21&display_name=&role=&department=no-such-dept"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        field_error(&r.body, "u-username"),
        "用户名须为 1–64 个字母、数字或 . _ - @"
    );
    assert_eq!(
        field_error(&r.body, "u-role"),
        "请选择角色：系统管理员、数据专员、审核员或查看者"
    );
    assert_eq!(
        field_error(&r.body, "u-department"),
        "没有部门 no-such-dept"
    );
    assert!(r.body.contains("value=\"bad name!\""), "{}", r.body);
    assert!(!r.body.contains("id=\"one-time\""));
    // A data officer needs a department; in English when the page is in English.
    let r = send(
        &app,
        "POST",
        "/admin/users?lang=en",
        &root,
        Some(&format!(
            "csrf={csrf}&username=li&display_name=&role=data_officer&department="
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_error(&r.body, "u-department"),
        "A data officer or a reviewer belongs to a department"
    );
    assert!(r.body.contains("<h2 id=\"new\">Add a user</h2>"));
    assert!(app.store.get_user("li").await.is_err());

    // Added: the one-time password is shown once and signs in.
    let r = send(
        &app,
        "POST",
        "/admin/users?lang=zh",
        &root,
        Some(&format!(
            "csrf={csrf}&username=li&display_name={}&role=data_officer&department=eco-env-513400",
            enc("李四")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let password = one_time(&r.body);
    assert_eq!(password.len(), 17);
    let li = app.store.get_user("li").await.unwrap();
    assert_eq!(
        (
            li.role,
            li.department.as_deref(),
            li.display_name.as_str(),
            li.disabled
        ),
        (Role::DataOfficer, Some("eco-env-513400"), "李四", false)
    );
    let again = send(&app, "GET", "/admin/users", &root, None).await;
    assert!(!again.body.contains(&password), "shown once only");
    assert!(again
        .body
        .contains("<td>li</td><td>李四</td><td>数据专员</td><td>eco-env-513400</td>"));
    let li_session = sign_in(&app, "li", &password).await.ok().unwrap();
    assert_eq!(
        send(&app, "GET", "/account", &li_session, None)
            .await
            .status,
        StatusCode::OK
    );
    // The same username twice: refused next to the field.
    let r = send(
        &app,
        "POST",
        "/admin/users",
        &root,
        Some(&format!("csrf={csrf}&username=li&role=viewer&department=")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&r.body, "u-username"), "已有用户 li");

    // A data officer may not manage users.
    let li_page = send(&app, "GET", "/admin/users", &li_session, None).await;
    assert_eq!(li_page.status, StatusCode::FORBIDDEN);
    let li_csrf = hidden(
        &send(&app, "GET", "/account", &li_session, None).await.body,
        "csrf",
    );
    let r = send(
        &app,
        "POST",
        "/admin/users/root/disable",
        &li_session,
        Some(&format!("csrf={li_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!app.store.get_user("root").await.unwrap().disabled);

    // Disable: their session ends working and they cannot sign in; enable again.
    let r = send(
        &app,
        "POST",
        "/admin/users/li/disable",
        &root,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已停用: li"));
    assert!(app.store.get_user("li").await.unwrap().disabled);
    assert!(sign_in(&app, "li", &password).await.is_err());
    let r = send(&app, "GET", "/account", &li_session, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "a disabled user's session");
    let r = send(
        &app,
        "POST",
        "/admin/users/li/enable",
        &root,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(sign_in(&app, "li", &password).await.is_ok());

    // Nobody disables themselves (and so not the last administrator).
    let r = send(
        &app,
        "POST",
        "/admin/users/root/disable",
        &root,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("不能停用自己的账户"));
    assert!(!app.store.get_user("root").await.unwrap().disabled);
    // Unknown user: 404.
    let r = send(
        &app,
        "POST",
        "/admin/users/nobody/disable",
        &root,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Reset: a new one-time password; the old one no longer works.
    let r = send(
        &app,
        "POST",
        "/admin/users/li/password",
        &root,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = one_time(&r.body);
    assert_ne!(fresh, password);
    assert!(sign_in(&app, "li", &password).await.is_err());
    assert!(sign_in(&app, "li", &fresh).await.is_ok());

    // The audit log names who did what to whom.
    let token = app.token_of("root").await;
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/audit?actor=root&limit=200")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let log: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let mut actions: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"].as_str().unwrap().starts_with("user "))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            ("user_added", "user li"),
            ("user_disabled", "user li"),
            ("user_enabled", "user li"),
            ("password_reset", "user li"),
        ]
        .map(|(a, t)| (a.to_owned(), t.to_owned()))
    );
    app.finish().await;
}

#[tokio::test]
async fn administrators_add_and_edit_departments_on_pages() {
    let app = TestApp::sqlite().await;
    app.store
        .create_user(&NewUser {
            username: "root".into(),
            display_name: "管理员".into(),
            role: Role::Administrator,
            department: None,
            password_hash: hash_password("Root password 1").unwrap(),
        })
        .await
        .unwrap();
    let root = sign_in(&app, "root", "Root password 1").await.ok().unwrap();
    let page = send(&app, "GET", "/admin/departments", &root, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>部门管理</h1>"));
    let csrf = hidden(&page.body, "csrf");

    // County level on the prefecture's code, and no name: each error next to its field.
    let r = send(
        &app,
        "POST",
        "/admin/departments",
        &root,
        Some(&format!(
            "csrf={csrf}&code=forest-513402&name=&level=county&division=513400"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("aria-invalid=\"true\">")
            && r.body.contains(
                "<span class=\"field-error\">行政区 513400 是州级，与所选级别不符</span>"
            ),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("<span class=\"field-error\">名称不能为空</span>"));
    assert!(
        r.body.contains("value=\"forest-513402\""),
        "typed values kept"
    );
    // The same in English.
    let r = send(
        &app,
        "POST",
        "/admin/departments?lang=en",
        &root,
        Some(&format!(
            "csrf={csrf}&code=forest-513402&name=&level=county&division=519999"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("<span class=\"field-error\">a department needs a name</span>"));
    assert!(
        r.body
            .contains("<span class=\"field-error\">no division 519999</span>"),
        "{}",
        r.body
    );

    // Created at county level, then renamed and moved; the API answers the same.
    let r = send(
        &app,
        "POST",
        "/admin/departments?lang=zh",
        &root,
        Some(&format!(
            "csrf={csrf}&code=forest-513402&name={}&level=county&division=513402",
            enc("会理市林业局")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已新建: forest-513402 会理市林业局"));
    let r = send(
        &app,
        "POST",
        "/admin/departments",
        &root,
        Some(&format!(
            "csrf={csrf}&code=forest-513402&name=x&division=513402"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已有部门使用代码 forest-513402"));
    let r = send(
        &app,
        "POST",
        "/admin/departments/forest-513402",
        &root,
        Some(&format!(
            "csrf={csrf}&name={}&level=county&division=513401&reason=moved",
            enc("西昌市林业局")
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = app.store.get_department("forest-513402").await.unwrap();
    assert_eq!(
        (d.name.as_str(), d.division.to_string().as_str()),
        ("西昌市林业局", "513401")
    );
    let token = app.token_of("root").await;
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/departments/forest-513402")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let api: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(api["name"], "西昌市林业局");
    assert_eq!(api["level"], "county");
    // Editing with a bad level shows the error in that row and keeps the stored department.
    let r = send(
        &app,
        "POST",
        "/admin/departments/forest-513402",
        &root,
        Some(&format!(
            "csrf={csrf}&name=x&level=prefecture&division=513401"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .body
        .contains("<span class=\"field-error\">行政区 513401 是县级，与所选级别不符</span>"));
    assert_eq!(
        app.store
            .get_department("forest-513402")
            .await
            .unwrap()
            .name,
        "西昌市林业局"
    );
    // The audit log.
    let entries = app
        .store
        .list_audit(&soilwatch_store::auth::AuditQuery {
            actor: Some("root".into()),
            action: None,
            before_id: None,
            limit: 100,
        })
        .await
        .unwrap();
    let mine: Vec<_> = entries
        .iter()
        .filter(|e| e.target == "department forest-513402")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(mine, ["department_edited", "department_created"]);
    app.finish().await;
}
