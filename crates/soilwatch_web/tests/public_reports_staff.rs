//! The staff pages of the public reports (issue 10): `/public-reports` lists a county's reports,
//! `/public-reports/{id}` shows one with its handling, and its form (signed in with a session,
//! CSRF token, checked on the server) records handling and the public reply, linking a plot or
//! an enterprise. Contact details and the form only for the county's own bureau; errors shown
//! next to their fields with the values kept.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::auth::NewUser;
use soilwatch_store::auth_secret::hash_password;
use soilwatch_store::conformance_targets::{indicator_fixture, uscc};
use soilwatch_store::public_reports::{NewPublicReport, RateLimit};
use soilwatch_store::{AuthStore, PublicReportStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
    cookies: Vec<String>,
}

async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: String,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&body).into_owned(),
        cookies,
    }
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap() + key.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

fn cookie(r: &Reply, name: &str) -> String {
    r.cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .unwrap()
}

const PASSWORD: &str = "Long enough pass 1";

/// A signed-in browser: its session cookie.
struct Browser {
    cookie: String,
}

impl Browser {
    async fn sign_in(
        app: &TestApp,
        username: &str,
        role: Role,
        department: Option<&str>,
    ) -> Browser {
        app.store
            .create_user(&NewUser {
                username: username.into(),
                display_name: username.into(),
                role,
                department: department.map(str::to_owned),
                password_hash: hash_password(PASSWORD).unwrap(),
            })
            .await
            .unwrap();
        let form = send(app, "GET", "/login", &[], String::new()).await;
        let csrf = hidden(&form.body, "csrf");
        let ok = send(
            app,
            "POST",
            "/login",
            &[
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("cookie", format!("sw_login_csrf={csrf}")),
            ],
            format!("csrf={csrf}&username={username}&password=Long+enough+pass+1&next=%2Faccount"),
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        Browser {
            cookie: format!("sw_session={}", cookie(&ok, "sw_session")),
        }
    }

    async fn get(&self, app: &TestApp, uri: &str) -> Reply {
        send(
            app,
            "GET",
            uri,
            &[("cookie", self.cookie.clone())],
            String::new(),
        )
        .await
    }

    async fn post_form(&self, app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        send(
            app,
            "POST",
            uri,
            &[
                ("cookie", self.cookie.clone()),
                ("content-type", "application/x-www-form-urlencoded".into()),
            ],
            body,
        )
        .await
    }
}

/// The text of the element with `id` (up to its closing tag).
fn element<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let key = format!("id=\"{id}\"");
    let i = html.find(&key)?;
    let rest = &html[i..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</")?;
    Some(&rest[start..end])
}

async fn report(store: &dyn Store, county: &str, description: &str, contact: &str) -> i64 {
    store
        .create_public_report(
            &NewPublicReport {
                division: Some(county.parse().unwrap()),
                address: Some(format!("{county} 某镇某村")),
                description: description.into(),
                contact: Some(contact.into()),
                client_key: format!("staff-test-{description}"),
                ..NewPublicReport::default()
            },
            RateLimit::default(),
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn the_county_bureau_handles_its_reports_on_pages() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    for (code, div) in [("eco-env-513402", "513402"), ("eco-env-513401", "513401")] {
        store
            .create_department(
                &Department {
                    code: code.into(),
                    name: format!("{div} 生态环境局"),
                    level: DivisionLevel::County,
                    division: div.parse().unwrap(),
                },
                &ChangeMeta::new("t", "fixture"),
            )
            .await
            .unwrap();
    }
    let huili = report(
        store,
        "513402",
        "河边有废渣<script>alert(1)</script>",
        "张三 13800001111",
    )
    .await;
    let xichang = report(store, "513401", "西昌某厂排污", "李四 13900002222").await;

    let officer = Browser::sign_in(&app, "hl", Role::DataOfficer, Some("eco-env-513402")).await;
    let other = Browser::sign_in(&app, "xc", Role::DataOfficer, Some("eco-env-513401")).await;
    let admin = Browser::sign_in(&app, "root", Role::Administrator, None).await;
    let viewer = Browser::sign_in(&app, "v", Role::Viewer, None).await;

    // The list: the officer's county by default, the contact of its own reports.
    let r = officer.get(&app, "/public-reports").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains(&format!("href=\"/public-reports/{huili}\"")));
    assert!(
        !r.body
            .contains(&format!("href=\"/public-reports/{xichang}\"")),
        "another county's"
    );
    assert!(r.body.contains("张三 13800001111"));
    assert!(
        r.body.contains("&#60;script&#62;") && !r.body.contains("<script>"),
        "escaped"
    );
    // Every county: the other county's report listed, its contact not.
    let r = officer.get(&app, "/public-reports?division=513400").await;
    assert!(r
        .body
        .contains(&format!("href=\"/public-reports/{xichang}\"")));
    assert!(r.body.contains("张三 13800001111"));
    assert!(!r.body.contains("李四"), "another county's contact");
    // The administrator sees every report and no contact at all.
    let r = admin.get(&app, "/public-reports").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&format!("/public-reports/{huili}\""))
            && r.body.contains(&format!("/public-reports/{xichang}\""))
    );
    assert!(!r.body.contains("张三") && !r.body.contains("李四"));
    // Viewers and the public: no.
    assert_eq!(
        viewer.get(&app, "/public-reports").await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&app, "GET", "/public-reports", &[], String::new()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.starts_with("/login"), "{}", r.location);

    // The report's page: contact and form for the county's own bureau only.
    let page = officer.get(&app, &format!("/public-reports/{huili}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("张三 13800001111"));
    assert!(page.body.contains("<form method=\"post\""));
    assert!(
        page.body.contains("value=\"IX-P1\""),
        "the county's plots to link"
    );
    let csrf = hidden(&page.body, "csrf");
    for who in [&other, &admin] {
        let p = who.get(&app, &format!("/public-reports/{huili}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            !p.body.contains("张三"),
            "contact shown outside the handling bureau"
        );
        assert!(!p.body.contains("<form method=\"post\""));
    }
    let p = other.get(&app, &format!("/public-reports/{xichang}")).await;
    assert!(p.body.contains("李四 13900002222"));

    let uri = format!("/public-reports/{huili}");
    let events_before = store.public_report_events(huili).await.unwrap().len();
    // Without the CSRF token: refused, nothing recorded.
    let r = officer
        .post_form(&app, &uri, &[("status", "handling"), ("reply", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"), "{}", r.body);

    // Errors next to their fields, values kept, nothing recorded.
    let r = officer
        .post_form(
            &app,
            &uri,
            &[
                ("csrf", &csrf),
                ("status", "closed"),
                ("reply", ""),
                ("note", "内部记录甲"),
                ("plot_code", "NO-SUCH-PLOT"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let reply_error = element(&r.body, "reply-error").expect("an error next to the reply");
    assert!(reply_error.contains("field reply"), "{reply_error}");
    assert!(r.body.contains("内部记录甲"), "the note is kept");
    assert!(r.body.contains("aria-describedby=\"reply-error\""));
    let r = officer
        .post_form(
            &app,
            &uri,
            &[
                ("csrf", &csrf),
                ("status", "handling"),
                ("plot_code", "NO-SUCH-PLOT"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let plot_error = element(&r.body, "plot_code-error").expect("an error next to the plot");
    assert!(
        plot_error.contains("NO-SUCH-PLOT") && plot_error.contains("not registered"),
        "{plot_error}"
    );
    let r = officer
        .post_form(&app, &uri, &[("csrf", &csrf), ("status", "done")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&r.body, "status-error").unwrap().contains("done"));
    let r = officer
        .post_form(
            &app,
            &uri,
            &[
                ("csrf", &csrf),
                ("status", "handling"),
                ("enterprise_uscc", "91510000ABC"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&r.body, "enterprise_uscc-error")
        .unwrap()
        .contains("enterprise_uscc"));
    let long = "长".repeat(5_001);
    let r = officer
        .post_form(
            &app,
            &uri,
            &[("csrf", &csrf), ("status", "handling"), ("reply", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&r.body, "reply-error").unwrap().contains("5000"));
    assert_eq!(
        store.public_report_events(huili).await.unwrap().len(),
        events_before,
        "refused forms record nothing"
    );

    // Another county's officer and the administrator may not handle it (403, even with a
    // valid token of their own).
    for (who, own_form) in [
        (&other, format!("/public-reports/{xichang}")),
        (&admin, "/targets".to_owned()),
    ] {
        let p = who.get(&app, &own_form).await;
        let token = hidden(&p.body, "csrf");
        let r = who
            .post_form(&app, &uri, &[("csrf", &token), ("status", "handling")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }

    // Handled: linked to a plot and an enterprise, closed with a public reply.
    let ent = uscc("513402", 1);
    let r = officer
        .post_form(
            &app,
            &uri,
            &[
                ("csrf", &csrf),
                ("status", "closed"),
                ("reply", "经核查已责令清运<b>废渣</b>"),
                ("note", "现场核查"),
                ("plot_code", "IX-P1"),
                ("enterprise_uscc", &ent),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/public-reports/{huili}?saved=1"));
    let stored = store.get_public_report(huili).await.unwrap();
    assert_eq!(stored.status.code(), "closed");
    assert_eq!(stored.plot_code.as_deref(), Some("IX-P1"));
    assert_eq!(stored.enterprise_uscc.as_deref(), Some(ent.as_str()));
    let events = store.public_report_events(huili).await.unwrap();
    assert_eq!(events.last().unwrap().actor, "hl");
    let page = officer.get(&app, &r.location).await;
    assert!(page.body.contains("已保存办理记录"));
    assert!(page.body.contains("href=\"/plots/IX-P1\""));
    assert!(
        page.body.contains("&#60;b&#62;废渣&#60;/b&#62;"),
        "the reply escaped"
    );
    assert!(page.body.contains("现场核查"));
    // The reporter sees the reply by the tracking number, not the note or the contact.
    let tracking = stored.tracking.clone();
    let t = send(
        &app,
        "GET",
        &format!("/public/reports/track?tracking={tracking}"),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.contains("经核查已责令清运"));
    assert!(!t.body.contains("现场核查") && !t.body.contains("张三"));
    // The list filters by status.
    let r = officer.get(&app, "/public-reports?status=closed").await;
    assert!(r.body.contains(&tracking));
    let r = officer.get(&app, "/public-reports?status=received").await;
    assert!(!r.body.contains(&tracking));
}
