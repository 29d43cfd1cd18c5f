//! Latency of the monitoring-network queries (issue 5) on a database of about 1,000,000
//! results: p50 and p99 of each main query (points, samples and results with each main filter,
//! keyset pages, a point's results), each as a ratio to a plain `SELECT count(*) FROM results`
//! measured in the same run (the baseline), and a keyset page of `Store::query_results` (date
//! order) in the middle of the Cd results. The load average is printed before and
//! after each database's run (the development machine is shared).
//!
//! `cargo bench -p soilwatch_store --bench network_queries` (`NETWORK_BENCH_RUNS=n` calls per
//! query, default 200). SQLite always; PostgreSQL too when
//! `SOILWATCH_TEST_PG` names a server (database `NETWORK_BENCH_PG_DB` on it, default
//! `soilwatch_bench_1m`). Each database is generated once with the demo generator
//! (`SOILWATCH_BENCH_DB`, default `$TMPDIR/soilwatch-bench-1m.db`) and reused; `ANALYZE` runs
//! at every start.

#![expect(clippy::unwrap_used, reason = "benchmark: a panic is a failed run")]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::{
    connect, seed, ExceedanceClass, FindQuery, FindSort, NetworkStore, ResultQuery, SqlStore, Store,
};
use sqlx::Row;

const TARGET_RESULTS: i64 = 1_000_000;

async fn results(store: &SqlStore) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM results")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn open_sqlite() -> (String, SqlStore) {
    let path = std::env::var("SOILWATCH_BENCH_DB").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join("soilwatch-bench-1m.db")
            .display()
            .to_string()
    });
    (path.clone(), connect(&path).await.unwrap())
}

async fn open_postgres(base: &str) -> (String, SqlStore) {
    let db = std::env::var("NETWORK_BENCH_PG_DB").unwrap_or_else(|_| "soilwatch_bench_1m".into());
    assert!(
        db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "NETWORK_BENCH_PG_DB: letters, digits and _ only"
    );
    let admin = connect(base).await.unwrap();
    let exists = sqlx::query("SELECT 1 AS x FROM pg_database WHERE datname = $1")
        .bind(db.clone())
        .fetch_optional(admin.pool())
        .await
        .unwrap()
        .is_some();
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(admin.pool())
            .await
            .unwrap();
    }
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{db}");
    (format!("postgres {db}"), connect(&url).await.unwrap())
}

async fn prepare(name: &str, store: SqlStore) -> SqlStore {
    store.migrate().await.unwrap();
    seed::seed(&store).await.unwrap();
    let n = results(&store).await;
    if n >= TARGET_RESULTS {
        println!("database {name}: {n} results (reused)");
    } else {
        assert_eq!(n, 0, "{name} is partly filled; delete it");
        let t = Instant::now();
        let r = demo::load(
            &store,
            &DemoOptions {
                points: 22_500,
                ..DemoOptions::default()
            },
        )
        .await
        .unwrap();
        println!(
            "database {name}: generated {} points, {} samples, {} results in {:.1} s",
            r.points,
            r.samples,
            r.results,
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    println!("ANALYZE: {:.1} s", t.elapsed().as_secs_f64());
    store
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

struct Measured {
    name: &'static str,
    p50: f64,
    p99: f64,
    rows: usize,
}

async fn measure<F, Fut>(name: &'static str, runs: usize, mut f: F) -> Measured
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    f(0).await; // warm up
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let t = Instant::now();
        rows = f(i).await;
        times.push(t.elapsed());
    }
    times.sort();
    Measured {
        name,
        p50: pct(&times, 0.5),
        p99: pct(&times, 0.99),
        rows,
    }
}

const COUNTIES: [&str; 17] = [
    "513401", "513402", "513422", "513423", "513424", "513426", "513427", "513428", "513429",
    "513430", "513431", "513432", "513433", "513434", "513435", "513436", "513437",
];
const METALS: [&str; 8] = ["Cd", "Hg", "As", "Pb", "Cr", "Cu", "Ni", "Zn"];

#[tokio::main]
async fn main() {
    let (name, store) = open_sqlite().await;
    run(&name, prepare(&name, store).await).await;
    match std::env::var("SOILWATCH_TEST_PG") {
        Ok(base) if !base.trim().is_empty() => {
            let (name, store) = open_postgres(&base).await;
            run(&name, prepare(&name, store).await).await;
        }
        _ => println!("\nPostgreSQL skipped: SOILWATCH_TEST_PG is not set"),
    }
}

async fn run(name: &str, store: SqlStore) {
    println!(
        "\n## {name} ({}), load average {} at the start",
        store.kind().name(),
        load_average()
    );
    let s = &store;
    let points = s
        .find_points(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .unwrap()
        .items;
    let codes: Vec<String> = points.iter().map(|p| p.point.point.code.clone()).collect();
    let max_id: i64 = sqlx::query("SELECT MAX(id) AS m FROM results")
        .fetch_one(s.pool())
        .await
        .unwrap()
        .try_get("m")
        .unwrap();
    let batch: i64 = sqlx::query("SELECT MAX(batch_id) AS b FROM samples")
        .fetch_one(s.pool())
        .await
        .unwrap()
        .try_get("b")
        .unwrap();
    let sample_codes: Vec<String> =
        sqlx::query("SELECT code FROM samples WHERE id % 97 = 0 ORDER BY id")
            .fetch_all(s.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("code").unwrap())
            .collect();
    let q = |f: &dyn Fn(&mut FindQuery)| {
        let mut q = FindQuery {
            limit: 100,
            ..FindQuery::default()
        };
        f(&mut q);
        q
    };
    // Calls per query (`NETWORK_BENCH_RUNS`, default 200; the exceedance queries a quarter).
    let runs: usize = std::env::var("NETWORK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut table = Vec::new();
    table.push(
        measure("results: analyte + county, first 100", runs, |i| {
            let q = q(&|q| {
                q.analyte = Some(METALS[i % 8].into());
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: analyte + year, 1000 rows", runs, |i| {
            let q = q(&|q| {
                q.analyte = Some(METALS[i % 8].into());
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
                q.limit = 1000;
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: analyte, keyset page 100 deep", runs, |i| {
            let c = (max_id / 2 + i as i64 * 997) % max_id;
            let q = q(&|q| {
                q.analyte = Some("Cd".into());
                q.cursor = Some(c.to_string());
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: analyte, first 100", runs, |i| {
            let q = q(&|q| q.analyte = Some(METALS[i % 8].into()));
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: county, first 100", runs, |i| {
            let q = q(&|q| q.division = Some(COUNTIES[i % 17].parse().unwrap()));
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: year, first 100", runs, |i| {
            let q = q(&|q| {
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: county + year, first 100", runs, |i| {
            let q = q(&|q| {
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: analyte + county + year, first 100", runs, |i| {
            let q = q(&|q| {
                q.analyte = Some(METALS[i % 8].into());
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: 2 years, first 100", runs, |i| {
            let q = q(&|q| {
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 9) as i32, 7, 1);
                q.to = NaiveDate::from_ymd_opt(2017 + (i % 9) as i32, 6, 30);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: year, newest first, 100", runs, |i| {
            let q = q(&|q| {
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
                q.sort = FindSort::DateDesc;
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: medium soil, first 100", runs, |_| {
            let q = q(&|q| q.medium = Some(soilwatch_core::Medium::Soil));
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: type + control level, first 100", runs, |i| {
            let q = q(&|q| {
                q.point_type = Some(soilwatch_core::PointType::ALL[i % 3]);
                q.control_level = Some(soilwatch_core::ControlLevel::ALL[i % 4]);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: batch, first 100", runs, |_| {
            let q = q(&|q| q.batch = Some(batch));
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: sample code (all)", runs, |i| {
            let q = q(&|q| {
                q.sample_code = Some(sample_codes[(i * 7919) % sample_codes.len()].clone());
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: analyte + county, newest first, 100", runs, |i| {
            let q = q(&|q| {
                q.analyte = Some(METALS[i % 8].into());
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.sort = FindSort::DateDesc;
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: county, newest first, 100", runs, |i| {
            let q = q(&|q| {
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.sort = FindSort::DateDesc;
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: point code (all)", runs, |i| {
            let q = q(&|q| {
                q.point_code = Some(codes[(i * 7919) % codes.len()].clone());
                q.limit = 10_000;
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("results: bbox 0.2° + Pb, 100", runs, |i| {
            let p = points[(i * 104_729) % points.len()].point.point.location;
            let q = q(&|q| {
                q.analyte = Some("Pb".into());
                q.bbox = Some([p.lon() - 0.1, p.lat() - 0.1, p.lon() + 0.1, p.lat() + 0.1]);
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: county, first 100", runs, |i| {
            let q = q(&|q| q.division = Some(COUNTIES[i % 17].parse().unwrap()));
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: year, newest first, 100", runs, |i| {
            let q = q(&|q| {
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
                q.sort = FindSort::DateDesc;
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: point code (all)", runs, |i| {
            let q = q(&|q| {
                q.point_code = Some(codes[(i * 7919) % codes.len()].clone());
                q.limit = 10_000;
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    let max_sample: i64 = sqlx::query("SELECT MAX(id) AS m FROM samples")
        .fetch_one(s.pool())
        .await
        .unwrap()
        .try_get("m")
        .unwrap();
    table.push(
        measure("samples: keyset page 100 deep", runs, |i| {
            let c = (max_sample / 2 + i as i64 * 97) % max_sample;
            let q = q(&|q| q.cursor = Some(c.to_string()));
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: county + medium + year, 100", runs, |i| {
            let q = q(&|q| {
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.medium = Some(soilwatch_core::Medium::Soil);
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: year, first 100", runs, |i| {
            let q = q(&|q| {
                q.from = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 1, 1);
                q.to = NaiveDate::from_ymd_opt(2016 + (i % 10) as i32, 12, 31);
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: analyte + county, first 100", runs, |i| {
            let q = q(&|q| {
                q.analyte = Some(METALS[i % 8].into());
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: type + control level, first 100", runs, |i| {
            let q = q(&|q| {
                q.point_type = Some(soilwatch_core::PointType::ALL[i % 3]);
                q.control_level = Some(soilwatch_core::ControlLevel::ALL[i % 4]);
            });
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("samples: batch, first 100", runs, |_| {
            let q = q(&|q| q.batch = Some(batch));
            async move { s.find_samples(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("points: control level, first 100", runs, |i| {
            let q = q(&|q| q.control_level = Some(soilwatch_core::ControlLevel::ALL[i % 4]));
            async move { s.find_points(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("points: type + county (all)", runs, |i| {
            let q = q(&|q| {
                q.point_type = Some(soilwatch_core::PointType::ALL[i % 3]);
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.limit = 10_000;
            });
            async move { s.find_points(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("points: county (all)", runs, |i| {
            let q = q(&|q| {
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.limit = 10_000;
            });
            async move { s.find_points(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("points: bbox 0.2° (all)", runs, |i| {
            let p = points[(i * 104_729) % points.len()].point.point.location;
            let q = q(&|q| {
                q.bbox = Some([p.lon() - 0.1, p.lat() - 0.1, p.lon() + 0.1, p.lat() + 0.1]);
                q.limit = 10_000;
            });
            async move { s.find_points(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure("coverage report (3 years)", 20, |_| async move {
            s.network_coverage(NaiveDate::from_ymd_opt(2023, 11, 28).unwrap())
                .await
                .unwrap()
                .counties
                .len()
        })
        .await,
    );
    table.push(
        measure("results: Cd above screening, county, 100", runs / 4, |i| {
            let q = q(&|q| {
                q.analyte = Some("Cd".into());
                q.division = Some(COUNTIES[i % 17].parse().unwrap());
                q.exceedance = vec![
                    ExceedanceClass::AboveScreening,
                    ExceedanceClass::AboveIntervention,
                ];
            });
            async move { s.find_results(&q).await.unwrap().items.len() }
        })
        .await,
    );
    table.push(
        measure(
            "samples: above intervention (any item), county, 100",
            runs / 4,
            |i| {
                let q = q(&|q| {
                    q.division = Some(COUNTIES[i % 17].parse().unwrap());
                    q.exceedance = vec![ExceedanceClass::AboveIntervention];
                });
                async move { s.find_samples(&q).await.unwrap().items.len() }
            },
        )
        .await,
    );
    // `query_results` paged by keyset (`after`), 100 rows from the middle of the Cd results in
    // date order (it paged by OFFSET until migration 0013's session; the table of that run
    // names it "OFFSET page 100 deep").
    let middle: Vec<String> = sqlx::query(
        "SELECT sampled_on, sample_id, id FROM results WHERE analyte = 'Cd' \
         ORDER BY sampled_on, sample_id, id LIMIT 40 OFFSET 60000",
    )
    .fetch_all(s.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{}.{}.{}",
            r.try_get::<String, _>("sampled_on").unwrap(),
            r.try_get::<i64, _>("sample_id").unwrap(),
            r.try_get::<i64, _>("id").unwrap()
        )
    })
    .collect();
    let offset = measure("keyset page 100 deep (query_results)", 40, |i| {
        let q = ResultQuery {
            analyte: Some("Cd".into()),
            limit: Some(100),
            after: Some(middle[i % middle.len()].clone()),
            ..ResultQuery::default()
        };
        async move { s.query_results(&q).await.unwrap().len() }
    })
    .await;
    let baseline = measure(
        "baseline: SELECT count(*) FROM results",
        runs,
        |_| async move { usize::try_from(results(s).await).unwrap() },
    )
    .await;
    println!(
        "\n| query | p50 ms | p99 ms | rows | p50 / baseline | p99 / baseline |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    for r in table.iter().chain([&offset, &baseline]) {
        println!(
            "| {} | {:.2} | {:.2} | {} | {:.3} | {:.3} |",
            r.name,
            r.p50,
            r.p99,
            r.rows,
            r.p50 / baseline.p50,
            r.p99 / baseline.p99
        );
    }
    println!("load average {} at the end", load_average());
    let keyset = &table[2];
    println!(
        "\nkeyset page by id vs query_results' page at the middle of the Cd results: {:.1}× (p50)",
        offset.p50 / keyset.p50
    );
    store.close().await;
}
