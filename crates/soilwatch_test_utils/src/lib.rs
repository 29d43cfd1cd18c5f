//! Test helpers (dev-dependency only): a seeded application on a temporary SQLite file or a
//! fresh PostgreSQL database, in-process requests, and a minimal HTTP/1.1 client for tests that
//! drive the real binary.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is a failed test"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use soilwatch_store::auth::{NewApiToken, NewUser};
use soilwatch_store::{auth_secret, conformance, connect, seed, AuthStore, Role, SqlStore, Store};
use soilwatch_web::AppState;
use tower::ServiceExt;

/// A seeded application and what keeps it alive.
pub struct TestApp {
    pub router: Router,
    pub store: Arc<SqlStore>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
    /// API token sent as `Authorization: Bearer` by [`get`](Self::get) and the POST helpers
    /// (issue 7); see [`sign_in_as`](Self::sign_in_as).
    pub bearer: Option<String>,
}

impl TestApp {
    /// A seeded app on a temporary SQLite file.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let store = connect(path.to_str().unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        seed::seed(&store).await.unwrap();
        Self::from_store(store, Some(dir), None)
    }

    /// A seeded app on a fresh PostgreSQL database, when `SOILWATCH_TEST_PG` is set.
    pub async fn postgres(label: &str) -> Option<TestApp> {
        let base = match std::env::var("SOILWATCH_TEST_PG") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                eprintln!("skipped: SOILWATCH_TEST_PG is not set");
                return None;
            }
        };
        let (store, name) = conformance::fresh_pg_database(&base, label).await;
        seed::seed(&store).await.unwrap();
        Some(Self::from_store(store, None, Some((base, name))))
    }

    fn from_store(
        store: SqlStore,
        dir: Option<tempfile::TempDir>,
        pg: Option<(String, String)>,
    ) -> TestApp {
        let store = Arc::new(store);
        let router = soilwatch_web::router(AppState::new(store.clone() as Arc<dyn Store>));
        TestApp {
            router,
            store,
            _dir: dir,
            pg,
            bearer: None,
        }
    }

    /// Create a user (no usable password) with an API token; returns the token.
    pub async fn user_token(&self, username: &str, role: Role, department: Option<&str>) -> String {
        let user = self
            .store
            .create_user(&NewUser {
                username: username.into(),
                display_name: username.into(),
                role,
                department: department.map(str::to_owned),
                password_hash: "!".into(),
            })
            .await
            .unwrap();
        let token = auth_secret::new_api_token().unwrap();
        self.store
            .create_api_token(&NewApiToken {
                user_id: user.id,
                name: "test".into(),
                token_hash: auth_secret::secret_hash(&token),
                prefix: token[..10].to_owned(),
            })
            .await
            .unwrap();
        token
    }

    /// A new API token of a user, created as an administrator when missing.
    pub async fn token_of(&self, username: &str) -> String {
        let Ok(user) = self.store.get_user(username).await else {
            return self.user_token(username, Role::Administrator, None).await;
        };
        let token = auth_secret::new_api_token().unwrap();
        self.store
            .create_api_token(&NewApiToken {
                user_id: user.id,
                name: "test".into(),
                token_hash: auth_secret::secret_hash(&token),
                prefix: token[..10].to_owned(),
            })
            .await
            .unwrap();
        token
    }

    /// Send every later request as a new user of this role (data officers and reviewers in the
    /// prefecture's environment bureau, `eco-env-513400`); returns the token.
    pub async fn sign_in_as(&mut self, role: Role) -> String {
        let dept = role.needs_department().then_some("eco-env-513400");
        let name = format!(
            "test-{}-{}",
            role.code(),
            self.store.list_users().await.unwrap().len()
        );
        let token = self.user_token(&name, role, dept).await;
        self.bearer = Some(token.clone());
        token
    }

    /// The same app, sending every later request as a new user of this role (see
    /// [`sign_in_as`](Self::sign_in_as)): `TestApp::sqlite().await.signed_in(Role::Viewer).await`
    /// for tests that read records needing a signed-in user (issue 13).
    pub async fn signed_in(mut self, role: Role) -> TestApp {
        self.sign_in_as(role).await;
        self
    }

    fn authorized(&self, mut req: axum::http::request::Builder) -> axum::http::request::Builder {
        if let Some(t) = &self.bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req
    }

    /// GET a path in-process; returns status, content type and body.
    pub async fn get(&self, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let res = self
            .router
            .clone()
            .oneshot(
                self.authorized(Request::get(uri))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, ct, body)
    }

    /// POST a multipart form (`(name, file name, bytes)` parts; a file name makes a file part).
    pub async fn post_multipart(
        &self,
        uri: &str,
        parts: &[(&str, Option<&str>, &[u8])],
        actor: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let (status, bytes) = self.post_multipart_bytes(uri, parts, actor).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Like [`post_multipart`](Self::post_multipart), returning the raw body.
    pub async fn post_multipart_bytes(
        &self,
        uri: &str,
        parts: &[(&str, Option<&str>, &[u8])],
        actor: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let boundary = "soilwatch-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self.authorized(Request::post(uri)).header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(a) = actor {
            req = req.header("x-soilwatch-actor", a);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    /// GET a path and parse the body as JSON.
    pub async fn get_json(&self, uri: &str) -> (StatusCode, serde_json::Value) {
        let (status, ct, body) = self.get(uri).await;
        assert!(
            ct.starts_with("application/json"),
            "{uri}: content type {ct}"
        );
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// Drop the PostgreSQL database, if any.
    pub async fn finish(self) {
        // The router holds a clone of the store: drop it first, or the store is still shared and
        // the database would be left behind.
        drop(self.router);
        if let Some((base, name)) = self.pg {
            if let Ok(store) = Arc::try_unwrap(self.store) {
                conformance::drop_pg_database(&base, store, &name).await;
            }
        }
    }
}

/// Send `method uri` with a JSON body, signed in as the user named `actor` when given (an API
/// token of [`TestApp::token_of`]: an administrator created on first use), else signed out;
/// returns the status and the JSON body (`null` when it is not JSON).
pub async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    actor: Option<&str>,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(a) = actor {
        req = req.header("authorization", format!("Bearer {}", app.token_of(a).await));
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A GET over a real TCP connection (HTTP/1.1, `Connection: close`): status and body.
pub fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    http_get_with(addr, path, None)
}

/// Like [`http_get`], with an API token sent as `Authorization: Bearer` (issue 7).
pub fn http_get_with(
    addr: &str,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw.get(split + 4..).unwrap_or_default();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let rest = &s[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        s = rest.get(n + 2..).unwrap_or_default();
    }
    out
}
