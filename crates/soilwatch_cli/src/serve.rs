//! `soilwatch serve`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use soilwatch_store::Store;
use soilwatch_web::AppState;

use crate::DbArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "SOILWATCH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Load the generated demonstration dataset when the database has no points and no samples
    /// (a database with data is left alone).
    #[arg(long, env = "SOILWATCH_DEMO")]
    pub demo: bool,
    #[command(flatten)]
    pub auth: crate::user::AuthArgs,
    #[command(flatten)]
    pub limits: crate::limits_args::LimitArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<u8> {
    // Bind first: a port in use is reported before any database is created.
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("无法监听 / cannot listen on {}", args.bind))?;
    let store = crate::db::open_with(&args.db.db, true, args.limits.db_acquire_timeout()).await?;
    if args.demo {
        crate::demo::load_if_empty(&store).await?;
    }
    let auth = crate::user::on_serve(&store, &args.auth, args.demo).await?;
    let schema = store.schema_version().await?;
    let addr = listener.local_addr().context("listener address")?;
    tracing::info!(
        database = store.kind().name(),
        schema_version = schema,
        "database ready"
    );
    // One line on stdout that scripts (and the end-to-end tests) can wait for.
    println!("soilwatch listening on http://{addr}");
    let store = Arc::new(store);
    let app = soilwatch_web::router(
        AppState::new(store.clone() as Arc<dyn Store>)
            .with_auth(auth)
            .with_limits(args.limits.limits()),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("server error")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(0)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
