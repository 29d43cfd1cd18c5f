//! Exchange packages (issue 9): a county instance on SQLite exports a year, a prefecture
//! instance (PostgreSQL when `SOILWATCH_TEST_PG` is set, else a second SQLite file) imports it;
//! counts and every value match; the same package again changes nothing; a corrupted or
//! truncated package is refused with nothing stored.

use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::exchange::{export_package, import_package, PackageOutcome};
use soilwatch_store::{conformance, conformance_network, connect, seed, NetworkStore, Store};

#[tokio::test]
async fn county_exports_prefecture_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let county = connect(dir.path().join("county.db").to_str().expect("path"))
        .await
        .expect("connect");
    county.migrate().await.expect("migrate");
    seed::seed(&county).await.expect("seed");
    let p = conformance_network::point_inside(&county, "EX-P1", "513402", 0.0).await;
    county
        .create_point(&p, &ChangeMeta::new("t", "fixture"))
        .await
        .expect("point");
    let mut nd = conformance::sample(
        "EX-2",
        None,
        "513402",
        Medium::Groundwater,
        "2024-03-02",
        &[("Cd", "0.0005")],
    );
    nd.sample.lab = None;
    nd.sample.depth_cm = None;
    county
        .insert_samples(
            &[
                conformance::sample(
                    "EX-1",
                    Some("EX-P1"),
                    "513402",
                    Medium::Soil,
                    "2024-07-01",
                    &[("Cd", "0.41"), ("Pb", "35.2")],
                ),
                nd,
                conformance::sample(
                    "EX-OLD",
                    Some("EX-P1"),
                    "513402",
                    Medium::Soil,
                    "2023-07-01",
                    &[("Cd", "0.5")],
                ),
            ],
            &ChangeMeta::new("t", "fixture"),
        )
        .await
        .expect("samples");
    let (bytes, manifest) = export_package(&county, 2024, Some("513402".parse().expect("code")))
        .await
        .expect("export");
    let rows: Vec<(String, u64)> = manifest
        .files
        .iter()
        .map(|f| (f.name.clone(), f.rows))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("points.csv".into(), 1),
            ("points.geojson".into(), 1),
            ("samples.csv".into(), 2),
            ("results.csv".into(), 3)
        ]
    );

    let (prefecture, pg): (soilwatch_store::SqlStore, Option<(String, String)>) =
        match std::env::var("SOILWATCH_TEST_PG") {
            Ok(base) if !base.trim().is_empty() => {
                let (s, name) = conformance::fresh_pg_database(&base, "exchange").await;
                (s, Some((base, name)))
            }
            _ => {
                eprintln!("SOILWATCH_TEST_PG is not set: the prefecture is a second SQLite file");
                let s = connect(dir.path().join("prefecture.db").to_str().expect("path"))
                    .await
                    .expect("connect");
                s.migrate().await.expect("migrate");
                (s, None)
            }
        };
    let pref: &dyn Store = &prefecture;
    seed::seed(pref).await.expect("seed");

    // Tampered: one byte of results.csv changed inside the zip (stored uncompressed or not, the
    // checksum or the zip's CRC catches it); truncated: half the bytes.
    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x55;
    for bad in [tampered, bytes[..bytes.len() / 2].to_vec()] {
        match import_package(pref, &bad, "bad.zip", "prefecture").await {
            Err(soilwatch_store::StoreError::Invalid(m)) => {
                assert!(m.contains("nothing stored"), "{m}")
            }
            other => panic!("a damaged package: {other:?}"),
        }
        assert_eq!(pref.count_samples().await.expect("count"), 0);
        assert!(pref.list_imports(10).await.expect("imports").is_empty());
    }

    match import_package(pref, &bytes, "513402-2024.zip", "prefecture")
        .await
        .expect("import")
    {
        PackageOutcome::Imported { batch, .. } => {
            assert_eq!((batch.samples, batch.results, batch.points), (2, 3, 1));
        }
        other => panic!("{other:?}"),
    }
    // Every value matches.
    assert_eq!(pref.count_samples().await.expect("count"), 2);
    for code in ["EX-1", "EX-2"] {
        let a = county.get_sample(code).await.expect("county");
        let b = pref.get_sample(code).await.expect("prefecture");
        assert_eq!(a.sample, b.sample, "{code}");
        let ra: Vec<_> = a.results.iter().map(|r| r.result.clone()).collect();
        let rb: Vec<_> = b.results.iter().map(|r| r.result.clone()).collect();
        assert_eq!(ra, rb, "{code}");
    }
    assert_eq!(
        county.get_point("EX-P1").await.expect("p"),
        pref.get_point("EX-P1").await.expect("p")
    );
    assert!(
        pref.get_sample("EX-OLD").await.is_err(),
        "2023 is not in the 2024 package"
    );
    // Idempotent: the same package, and the same data exported again, change nothing.
    assert!(matches!(
        import_package(pref, &bytes, "again.zip", "prefecture")
            .await
            .expect("again"),
        PackageOutcome::Unchanged { .. }
    ));
    let (again, _) = export_package(&county, 2024, Some("513402".parse().expect("code")))
        .await
        .expect("export");
    assert!(matches!(
        import_package(pref, &again, "again2.zip", "prefecture")
            .await
            .expect("again"),
        PackageOutcome::Unchanged { .. }
    ));
    assert_eq!(pref.list_imports(10).await.expect("imports").len(), 1);
    if let Some((base, name)) = pg {
        conformance::drop_pg_database(&base, prefecture, &name).await;
    }
}
