//! The API under load: `soilwatch serve` started as a child process on 127.0.0.1 with an
//! ephemeral port (the real router, its own memory), N concurrent keep-alive clients each asking
//! the queries in turn for a bounded time, signed in with an API token.
//!
//! The client speaks just enough HTTP/1.1 for the platform's own responses (`Content-Length` or
//! chunked bodies) over tokio's `TcpStream`, parsed with `httparse` (hyper's parser).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running `soilwatch serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Start `soilwatch serve --db URL --bind 127.0.0.1:0` (this executable) and wait for its
    /// "listening" line.
    pub fn start(db_url: &str) -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("the soilwatch executable")?;
        let mut child = Command::new(exe)
            .args(["serve", "--db", db_url, "--bind", "127.0.0.1:0"])
            .env("SOILWATCH_LOG", "warn")
            .env_remove("SOILWATCH_DEMO")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("无法启动服务 / cannot start soilwatch serve")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("soilwatch serve: no standard output"))?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("soilwatch listening on http://") {
                        break rest
                            .trim()
                            .parse::<SocketAddr>()
                            .with_context(|| format!("soilwatch serve: address in '{line}'"))?;
                    }
                }
                _ => {
                    let status = child.wait().ok();
                    bail!("soilwatch serve stopped before listening ({status:?})");
                }
            }
        };
        // Keep reading its standard output so the pipe never fills.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(Server { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, the `X-Next-Cursor` header and the body.
pub struct Reply {
    pub status: u16,
    pub next_cursor: Option<String>,
    pub body: Vec<u8>,
}

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
    token: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr, token: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(64 * 1024),
            host: addr.to_string(),
            token: token.to_owned(),
        })
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Reply> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: application/json\r\n\r\n",
            self.host, self.token
        );
        self.stream.write_all(request.as_bytes()).await?;
        // Head.
        let (status, length, chunked, next_cursor, head_len) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut res = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(n) = res.parse(&self.buf)? {
                let mut length = None;
                let mut chunked = false;
                let mut cursor = None;
                for h in res.headers.iter() {
                    let value = std::str::from_utf8(h.value).unwrap_or_default();
                    if h.name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse::<usize>().ok();
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        chunked = value.to_ascii_lowercase().contains("chunked");
                    } else if h.name.eq_ignore_ascii_case("x-next-cursor") {
                        cursor = Some(value.to_owned());
                    }
                }
                break (res.code.unwrap_or(0), length, chunked, cursor, n);
            }
            self.fill().await?;
        };
        self.buf.drain(..head_len);
        let body = if chunked {
            self.chunked_body().await?
        } else {
            let n = length.ok_or_else(|| anyhow!("GET {path}: neither length nor chunks"))?;
            while self.buf.len() < n {
                self.fill().await?;
            }
            self.buf.drain(..n).collect()
        };
        Ok(Reply {
            status,
            next_cursor,
            body,
        })
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn line(&mut self) -> anyhow::Result<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            self.fill().await?;
        }
    }

    async fn chunked_body(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            let size_hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .with_context(|| format!("chunk size '{line}'"))?;
            if size == 0 {
                // Trailers, then the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            while self.buf.len() < size + 2 {
                self.fill().await?;
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
        }
    }
}

/// One query of the load: a name and a path.
#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub path: String,
}

/// Latencies of each query, failures, and how long the load ran.
pub struct LoadResult {
    pub latencies: BTreeMap<String, Vec<Duration>>,
    pub failures: Vec<String>,
    pub elapsed: Duration,
    pub requests: usize,
}

/// `clients` connections, each asking the queries in turn (starting at a different one) until
/// `duration` is over.
pub async fn run_load(
    addr: SocketAddr,
    token: &str,
    queries: &[Query],
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let queries = queries.to_vec();
        let token = token.to_owned();
        tasks.spawn(async move {
            let mut times: Vec<(usize, Duration)> = Vec::new();
            let mut failures = Vec::new();
            let mut client = match Client::connect(addr, &token).await {
                Ok(c) => c,
                Err(e) => return (times, vec![format!("client {c}: {e:#}")]),
            };
            let mut i = c;
            while Instant::now() < deadline {
                let q = i % queries.len();
                i += 1;
                let t = Instant::now();
                match client.get(&queries[q].path).await {
                    Ok(r) if r.status == 200 => times.push((q, t.elapsed())),
                    Ok(r) => {
                        failures.push(format!(
                            "{} → HTTP {}: {}",
                            queries[q].path,
                            r.status,
                            String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                        ));
                        break;
                    }
                    Err(e) => {
                        failures.push(format!("{}: {e:#}", queries[q].path));
                        break;
                    }
                }
            }
            (times, failures)
        });
    }
    let mut latencies: BTreeMap<String, Vec<Duration>> = queries
        .iter()
        .map(|q| (q.name.clone(), Vec::new()))
        .collect();
    let mut failures = Vec::new();
    let mut requests = 0;
    while let Some(done) = tasks.join_next().await {
        let (times, f) = done.context("load client")?;
        requests += times.len();
        for (q, d) in times {
            if let Some(v) = latencies.get_mut(&queries[q].name) {
                v.push(d);
            }
        }
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    for v in latencies.values_mut() {
        v.sort();
    }
    Ok(LoadResult {
        latencies,
        failures,
        elapsed,
        requests,
    })
}

/// The p-th quantile (0–1) of sorted durations, in milliseconds (nearest rank).
pub fn quantile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}
