//! The registry pages of issue 7 through the router: `/remediation-projects`, `/manifests`,
//! `/manifests/{code}` and `/tailings-ponds/{code}`. Their rows and numbers equal what the JSON API
//! answers for the same filters, paging reaches every row once, the CSV and XLSX exports hold
//! exactly the filtered rows, the detail pages show the reconciliation and every version, the
//! pages answer whoever the API answers, and the English pages keep no Chinese in their interface.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use http_body_util::BodyExt;
use soilwatch_core::ChangeMeta;
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_enterprise::{
    Enterprise, EnterpriseStatus, TailingsPond, TailingsStatus,
};
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::registry_remediation::{
    ProjectMode, QuantityUnit, Receipt, RemediationProject, TransferManifest, TransportMode,
};
use soilwatch_store::{RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

const USCC: &str = "91350100M000100Y43";

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn project(code: &str, plot: &str, mode: ProjectMode) -> RemediationProject {
    RemediationProject {
        code: code.into(),
        name: format!("Project {code}"),
        plot_code: plot.into(),
        // Set by the store from the plot.
        division: "513400".parse().unwrap(),
        mode,
        responsible_unit: "Huili Works Ltd".into(),
        technique: "ex-situ stabilisation".into(),
        plan_filing: None,
        started_on: NaiveDate::from_ymd_opt(2025, 3, 1),
        finished_on: None,
        supervisors: vec!["工程监理甲".into(), "环境监理乙".into()],
        notice_board: None,
        effect_evaluation: None,
    }
}

/// Beijing time `days` days from now (manifests are filed before their departure).
fn in_days(days: i64) -> DateTime<FixedOffset> {
    (Utc::now() + Duration::days(days)).with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
}

fn manifest(code: &str, project: &str, quantity: &str, days: i64, to: &str) -> TransferManifest {
    TransferManifest {
        code: code.into(),
        project_code: project.into(),
        // Set by the store from the project.
        origin_division: "513400".parse().unwrap(),
        quantity: quantity.parse().unwrap(),
        unit: QuantityUnit::Tonne,
        transport_mode: TransportMode::Road,
        route: "G5".into(),
        carrier: "Liangshan Haulage".into(),
        vehicle: "W12345".into(),
        departure_at: in_days(days),
        arrival_at: None,
        destination_facility: format!("Facility {to}"),
        destination_division: to.parse().unwrap(),
        disposal: "landfill".into(),
        filed_at: Utc::now(),
        received: None,
    }
}

/// Plots PL-1 (会理市 513402) and PL-2 (西昌市 513401); projects RP-1 and RP-3 on PL-1, RP-2 on
/// PL-2; manifests M-1 (RP-1, 30 t to 西昌市, received 29.5: flagged, −0.5), M-2 (RP-1, 12 t to
/// 会理市, received 12), M-3 (RP-2, from 西昌市, 8 t to 会理市, in transit), M-4 (RP-3, 5 t to
/// 会理市); tailings ponds TP-1 (the enterprise's, changed once) and TP-2.
async fn fixture(app: &TestApp) {
    let store = app.store.as_ref();
    for (code, div) in [("PL-1", "513402"), ("PL-2", "513401")] {
        store
            .create_plot(
                &Plot::new(code, "Plot", div.parse().unwrap()),
                NaiveDate::from_ymd_opt(2024, 1, 5).unwrap(),
                &change("plot"),
            )
            .await
            .unwrap();
    }
    for (code, plot, mode) in [
        ("RP-1", "PL-1", ProjectMode::Remediation),
        ("RP-2", "PL-2", ProjectMode::RiskControl),
        ("RP-3", "PL-1", ProjectMode::RiskControl),
    ] {
        store
            .create_project(&project(code, plot, mode), &change("project"))
            .await
            .unwrap();
    }
    // Departure order: M-2, M-1, M-3, M-4.
    for (code, project, qty, days, to) in [
        ("M-1", "RP-1", "30", 2, "513401"),
        ("M-2", "RP-1", "12", 1, "513402"),
        ("M-3", "RP-2", "8", 3, "513402"),
        ("M-4", "RP-3", "5", 4, "513402"),
    ] {
        store
            .create_manifest(&manifest(code, project, qty, days, to), &change("manifest"))
            .await
            .unwrap();
    }
    for (code, qty, days) in [("M-1", "29.5", 2), ("M-2", "12", 1)] {
        store
            .receive_manifest(
                code,
                &Receipt {
                    quantity: qty.parse().unwrap(),
                    arrived_at: in_days(days) + Duration::hours(5),
                    received_by: String::new(),
                    note: Some("weighed at the gate".into()),
                },
                &change("weighed"),
            )
            .await
            .unwrap();
    }
    store
        .create_enterprise(
            &Enterprise {
                uscc: USCC.parse().unwrap(),
                name: "Huili Lead Works".into(),
                industry: Industry::NonferrousSmelting,
                division: "513402".parse().unwrap(),
                address: None,
                location: None,
                listed_year: 2019,
                responsibility_letter: None,
                status: EnterpriseStatus::Operating,
                contact: None,
                point_codes: Vec::new(),
            },
            &change("enterprise"),
        )
        .await
        .unwrap();
    let mut pond = TailingsPond {
        code: "TP-1".into(),
        name: "North pond".into(),
        enterprise_uscc: Some(USCC.parse().unwrap()),
        enterprise_name: Some("Huili Lead Works".into()),
        division: "513402".parse().unwrap(),
        location: None,
        status: TailingsStatus::Operating,
        risk_assessment: None,
        emergency_plan: None,
        note: None,
    };
    store
        .create_tailings_pond(&pond, &change("pond"))
        .await
        .unwrap();
    pond.status = TailingsStatus::Closed;
    store
        .update_tailings_pond(&pond, Some(1), &change("closed in 2025"))
        .await
        .unwrap();
    pond.code = "TP-2".into();
    pond.enterprise_uscc = None;
    store
        .create_tailings_pond(&pond, &change("pond"))
        .await
        .unwrap();
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

async fn get(app: &TestApp, uri: &str, token: Option<&str>) -> Reply {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

async fn json(app: &TestApp, uri: &str, token: &str) -> serde_json::Value {
    let r = get(app, uri, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// The codes of a JSON list.
fn codes(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_owned())
        .collect()
}

fn unescaped(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#43;", "+")
        .replace("&#x2B;", "+")
}

/// The text of an HTML fragment without its tags.
fn untagged(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            ch if !in_tag => text.push(ch),
            _ => {}
        }
    }
    text
}

/// The body rows of the list table, cell texts.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let Some(start) = html.find("<tbody>") else {
        return vec![];
    };
    let body = &html[start..html[start..].find("</tbody>").unwrap() + start];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|c| untagged(&c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()]))
                .collect()
        })
        .collect()
}

/// Every page of a list from `uri` on, following "next page": the rows of each page.
async fn all_pages(app: &TestApp, uri: &str, token: &str) -> Vec<Vec<Vec<String>>> {
    let mut pages = Vec::new();
    let mut uri = uri.to_owned();
    loop {
        let r = get(app, &uri, Some(token)).await;
        let html = r.text();
        assert_eq!(r.status, StatusCode::OK, "{uri}: {html}");
        pages.push(table_rows(&html));
        let Some(at) = html.find("\" rel=\"next\"") else {
            break;
        };
        let before = &html[..at];
        uri = unescaped(&before[before.rfind("href=\"").unwrap() + 6..]);
        assert!(pages.len() < 20, "paging does not end");
    }
    pages
}

fn first_column(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| r[0].clone()).collect()
}

/// The rows of a CSV export (after its BOM and header).
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "CSV without BOM");
    csv::Reader::from_reader(&body[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The rows of the sheet of an XLSX export (after its header); numbers as f64's text.
fn xlsx_rows(body: Vec<u8>, sheet: &str) -> Vec<Vec<String>> {
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(body)).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, sheet).unwrap();
    range
        .rows()
        .skip(1)
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// The list at `path?query`: paged one and two rows at a time, the CSV and the XLSX export, each
/// holding the codes of the API's answer in the API's order. Returns the rows of the page.
async fn list_equals_api(
    app: &TestApp,
    path: &str,
    api: &str,
    sheet: &str,
    query: &str,
    token: &str,
) -> Vec<Vec<String>> {
    let expected = codes(&json(app, &format!("{api}?{query}"), token).await);
    for limit in [1, 2] {
        let pages = all_pages(app, &format!("{path}?{query}&limit={limit}"), token).await;
        assert_eq!(
            pages.len(),
            expected.len().div_ceil(limit).max(1),
            "{path}?{query}"
        );
        assert_eq!(
            first_column(&pages.concat()),
            expected,
            "{path}?{query}&limit={limit}"
        );
    }
    let csv = get(app, &format!("{path}?{query}&f=csv"), Some(token)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    assert_eq!(first_column(&csv_rows(&csv.body)), expected, "CSV {query}");
    let xlsx = get(app, &format!("{path}?{query}&f=xlsx"), Some(token)).await;
    assert!(xlsx.content_type.contains("spreadsheetml"));
    assert_eq!(
        first_column(&xlsx_rows(xlsx.body, sheet)),
        expected,
        "XLSX {query}"
    );
    let page = all_pages(app, &format!("{path}?{query}"), token).await;
    assert_eq!(page.len(), 1);
    page.into_iter().next().unwrap()
}

async fn registry_pages_equal_the_api(app: &TestApp) {
    let token = app.user_token("registers", Role::Viewer, None).await;
    let t = token.as_str();

    // Remediation projects.
    for (query, n) in [
        ("", 3),
        ("division=513402", 2),
        ("plot=PL-1", 2),
        ("division=513401&plot=PL-1", 0),
        ("division=513401", 1),
    ] {
        let rows = list_equals_api(
            app,
            "/remediation-projects",
            "/api/v1/remediation-projects",
            "remediation_projects",
            query,
            t,
        )
        .await;
        assert_eq!(rows.len(), n, "{query}");
    }
    let rows = list_equals_api(
        app,
        "/remediation-projects",
        "/api/v1/remediation-projects",
        "remediation_projects",
        "",
        t,
    )
    .await;
    // RP-2: on PL-2 in 西昌市, risk control.
    assert_eq!(
        rows[1][..5],
        ["RP-2", "Project RP-2", "PL-2", "513401", "风险管控"]
    );

    // Manifests: in departure order; a county sees the loads leaving and arriving.
    for (query, expected) in [
        ("", vec!["M-2", "M-1", "M-3", "M-4"]),
        ("project=RP-1", vec!["M-2", "M-1"]),
        ("division=513401", vec!["M-1", "M-3"]),
        ("division=513402", vec!["M-2", "M-1", "M-3", "M-4"]),
        ("project=RP-2&division=513401", vec!["M-3"]),
        ("project=RP-9", vec![]),
    ] {
        let rows = list_equals_api(
            app,
            "/manifests",
            "/api/v1/manifests",
            "manifests",
            query,
            t,
        )
        .await;
        assert_eq!(first_column(&rows), expected, "{query}");
    }
    // The numbers of each row are the API's: sent, received, difference.
    let api = json(app, "/api/v1/manifests", t).await;
    let rows = list_equals_api(app, "/manifests", "/api/v1/manifests", "manifests", "", t).await;
    let csv = csv_rows(&get(app, "/manifests?f=csv", Some(t)).await.body);
    let xlsx = xlsx_rows(
        get(app, "/manifests?f=xlsx", Some(t)).await.body,
        "manifests",
    );
    for ((m, row), (c, x)) in api
        .as_array()
        .unwrap()
        .iter()
        .zip(&rows)
        .zip(csv.iter().zip(&xlsx))
    {
        let sent = m["quantity"].as_str().unwrap().to_owned();
        let received = m["received"]["quantity"]
            .as_str()
            .map_or("—".to_owned(), str::to_owned);
        let difference = m["difference"]
            .as_str()
            .map_or("—".to_owned(), str::to_owned);
        assert_eq!(
            row[7..10],
            [sent.clone(), received.clone(), difference.clone()]
        );
        assert_eq!(c[7..10], row[7..10], "CSV row {}", row[0]);
        // The workbook holds numbers.
        let number = |s: &str| s.parse::<f64>().map_or(s.to_owned(), |f| f.to_string());
        assert_eq!(
            x[7..10],
            [number(&sent), number(&received), number(&difference)],
            "XLSX row {}",
            row[0]
        );
        assert_eq!(row[3], m["origin_division"].as_str().unwrap());
        assert_eq!(row[5], m["destination_division"].as_str().unwrap());
    }
    // Hand-worked: M-1 sent 30, received 29.5, −0.5, flagged; M-2 12 = 12; M-3 in transit.
    assert_eq!(
        rows[1][7..],
        ["30", "29.5", "-0.5", "已接收，数量不一致"].map(String::from)
    );
    assert_eq!(rows[0][7..], ["12", "12", "0", "已接收"].map(String::from));
    assert_eq!(rows[2][7..], ["8", "—", "—", "在途"].map(String::from));

    // Bad filters and parameters are the API's 400 (naming the parameter) or the page's.
    for bad in [
        "/manifests?division=abc",
        "/remediation-projects?division=abc",
        "/manifests?limit=0",
        "/remediation-projects?f=pdf",
    ] {
        let r = get(app, bad, Some(t)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = get(app, "/manifests?division=abc", Some(t)).await;
    // The page's message names the bad value, as the API's does.
    assert!(r.text().contains("abc"), "{}", r.text());
    assert_eq!(
        get(app, "/api/v1/manifests?division=abc", Some(t))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Filters stay in the form and in the export links.
    let html = get(app, "/manifests?project=RP-1&division=513402", Some(t))
        .await
        .text();
    assert!(
        html.contains("name=\"project\" type=\"text\" value=\"RP-1\""),
        "{html}"
    );
    assert!(html.contains("<option value=\"513402\" selected>"));
    assert!(html.contains("href=\"/manifests?project=RP-1&#38;division=513402&#38;f=csv\""));

    // The manifest page: the API's record, its reconciliation and every version.
    let m1 = json(app, "/api/v1/manifests/M-1", t).await;
    let history = json(app, "/api/v1/manifests/M-1/history", t).await;
    let html = get(app, "/manifests/M-1", Some(t)).await.text();
    assert!(html.contains("<a href=\"/remediation-projects/RP-1\">RP-1</a>"));
    assert!(html.contains(&format!(
        "<dd class=\"n\">{} 吨</dd>",
        m1["quantity"].as_str().unwrap()
    )));
    assert!(html.contains(&format!(
        "<dd class=\"n\">{} 吨</dd>",
        m1["received"]["quantity"].as_str().unwrap()
    )));
    assert!(html.contains("<dd class=\"n bad\">-0.5</dd>"), "{html}");
    assert_eq!(m1["difference"], "-0.5");
    let versions = table_rows(&html[html.find("变更历史").unwrap()..]);
    assert_eq!(versions.len(), history.as_array().unwrap().len());
    assert_eq!(
        versions.iter().map(|v| v[1].as_str()).collect::<Vec<_>>(),
        ["登记", "接收"]
    );
    assert_eq!(versions[1][4], "weighed");
    assert_eq!(
        get(app, "/manifests/M-404", Some(t)).await.status,
        StatusCode::NOT_FOUND
    );

    // The pond page: the API's record and both versions.
    let history = json(app, "/api/v1/tailings-ponds/TP-1/history", t).await;
    let html = get(app, "/tailings-ponds/TP-1", Some(t)).await.text();
    assert!(html.contains(&format!(
        "<a href=\"/enterprises/{USCC}\">Huili Lead Works</a>"
    )));
    assert!(html.contains("<dd>闭库</dd>"), "{html}");
    let versions = table_rows(&html[html.find("变更历史").unwrap()..]);
    assert_eq!(versions.len(), history.as_array().unwrap().len());
    assert_eq!(versions[1][..2], ["2".to_owned(), "修改".to_owned()]);
    assert_eq!(versions[1][4], "closed in 2025");
    assert_eq!(
        get(app, "/tailings-ponds/TP-404", Some(t)).await.status,
        StatusCode::NOT_FOUND
    );

    // Links between the pages.
    let html = get(app, "/tailings-ponds", Some(t)).await.text();
    assert!(html.contains("<a href=\"/tailings-ponds/TP-1\">TP-1</a>"));
    let html = get(app, "/remediation-projects/RP-1", Some(t)).await.text();
    assert!(html.contains("<a href=\"/manifests/M-1\">M-1</a>"));
    // The project page lists every version of the project, as the API's history.
    let history = json(app, "/api/v1/remediation-projects/RP-1/history", t).await;
    let versions = table_rows(&html[html.find("变更历史").unwrap()..]);
    assert_eq!(versions.len(), history.as_array().unwrap().len());
    assert_eq!(versions[0][4], "project");
    assert!(html.contains("href=\"/manifests?project=RP-1\""));
    let html = get(app, "/plots/PL-1", Some(t)).await.text();
    assert!(html.contains("href=\"/remediation-projects?plot=PL-1\""));
    let html = get(app, "/", Some(t)).await.text();
    assert!(html.contains("<a href=\"/remediation-projects\">修复工程</a>"));

    // Whoever the API answers, the page answers (and only them).
    for (page, api) in [
        ("/remediation-projects", "/api/v1/remediation-projects"),
        ("/manifests", "/api/v1/manifests"),
        ("/manifests/M-1", "/api/v1/manifests/M-1"),
        ("/tailings-ponds/TP-1", "/api/v1/tailings-ponds/TP-1"),
    ] {
        for who in [None, Some(t)] {
            let api_status = get(app, api, who).await.status;
            let page_status = get(app, page, who).await.status;
            assert_eq!(
                page_status == StatusCode::OK,
                api_status == StatusCode::OK,
                "{page} {api_status} {page_status} signed in: {}",
                who.is_some()
            );
        }
    }
}

#[tokio::test]
async fn registry_pages_equal_the_api_on_sqlite() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    registry_pages_equal_the_api(&app).await;
}

#[tokio::test]
async fn registry_pages_equal_the_api_on_postgres() {
    let Some(app) = TestApp::postgres("registry_pages").await else {
        return;
    };
    fixture(&app).await;
    registry_pages_equal_the_api(&app).await;
    app.finish().await;
}

/// Whether a character is Chinese (CJK ideographs, CJK punctuation, full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// The texts a reader navigates by (title, headings, headers, terms, labels, buttons, options,
/// captions, navigation), without inner tags.
fn interface_texts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in [
        "title", "h1", "h2", "th", "dt", "label", "button", "caption", "option", "nav", "a",
    ] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = html;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let Some(end) = after.find(&close) else { break };
            out.push(
                untagged(&after[after.find('>').unwrap() + 1..end])
                    .trim()
                    .to_owned(),
            );
            rest = &after[end..];
        }
    }
    out
}

/// Chinese by default, English on request (no Chinese left in the interface but the names of
/// divisions and the switch back); every input labelled; a snapshot of a list and a detail page.
#[tokio::test]
async fn registry_pages_in_both_languages_with_labels_and_snapshots() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    let token = app.user_token("registers", Role::Viewer, None).await;
    let divisions: Vec<String> = app
        .store
        .list_divisions()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    for uri in [
        "/remediation-projects",
        "/manifests",
        "/manifests/M-1",
        "/tailings-ponds/TP-1",
        "/remediation-projects/RP-1",
    ] {
        let zh = get(&app, uri, Some(&token)).await.text();
        assert!(zh.contains("<html lang=\"zh-CN\">"), "{uri}");
        let en = get(&app, &format!("{uri}?lang=en"), Some(&token))
            .await
            .text();
        assert!(en.contains("<html lang=\"en\">"), "{uri}");
        for text in interface_texts(&en) {
            let mut rest = text.replace("中文", "");
            for d in &divisions {
                rest = rest.replace(d.as_str(), "");
            }
            assert!(!rest.chars().any(is_cjk), "{uri}?lang=en: {text}");
        }
        for html in [&zh, &en] {
            for (i, _) in html
                .match_indices("<input")
                .chain(html.match_indices("<select"))
            {
                let tag = &html[i..i + html[i..].find('>').unwrap()];
                let id = tag
                    .split("id=\"")
                    .nth(1)
                    .map(|v| &v[..v.find('"').unwrap()]);
                let labelled = id.is_some_and(|id| html.contains(&format!("<label for=\"{id}\"")));
                assert!(labelled, "{uri}: input without a label: {tag}");
            }
        }
    }
    // Snapshots, without what changes with the clock (the times of day of departure, arrival,
    // filing and versions).
    let main = |html: &str| {
        let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
        timeless(main)
    };
    let list = get(&app, "/manifests", Some(&token)).await.text();
    insta::assert_snapshot!("manifests_list", main(&list));
    let detail = get(&app, "/manifests/M-1", Some(&token)).await.text();
    insta::assert_snapshot!("manifest_detail", main(&detail));
}

/// Times (`YYYY-MM-DD HH:MM`) replaced by `[time]`.
fn timeless(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let pattern = "dddd-dd-dd dd:dd";
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        let fits = i + pattern.len() <= c.len()
            && pattern.chars().enumerate().all(|(k, p)| match p {
                'd' => c[i + k].is_ascii_digit(),
                p => c[i + k] == p,
            });
        if fits {
            out.push_str("[time]");
            i += pattern.len();
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}
