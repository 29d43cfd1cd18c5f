//! Conformance checks of the exceedance-class filter of `find_samples` / `find_results`
//! (issue 5), with hand-checked cases: values equal to the screening and the intervention
//! value, non-detects on both sides of the screening value, pH bands, construction land
//! (GB 36600), other media and a sample without a land use. Run on SQLite by
//! `tests/network_sqlite.rs` and on PostgreSQL by `tests/network_postgres.rs`.
//!
//! Thresholds used (GB 15618-2018, paddy): Cd screening 0.4 and intervention 2.0 for
//! 5.5 < pH ≤ 6.5, screening 0.8 for pH > 7.5 (表1, 表3); Pb screening 100 for 5.5 < pH ≤ 6.5
//! (表1). GB 36600-2018 first-class land: Cd screening 20, intervention 47; Pb screening 400.

use chrono::NaiveDate;
use soilwatch_core::{
    AnalysisResult, ChangeMeta, LandUse, Medium, Qualifier, Sample, SampleWithResults, Unit,
};

use crate::exceedance::ExceedanceClass::{self, AboveIntervention, AboveScreening, BelowScreening};
use crate::network::{FindQuery, FindSort};
use crate::{seed, Store};

fn value(code: &str, analyte: &str, v: &str, unit: Unit) -> AnalysisResult {
    AnalysisResult {
        sample_code: code.into(),
        analyte: analyte.into(),
        value: Some(v.parse().expect("test value")),
        unit,
        detection_limit: None,
        qualifier: Qualifier::Detected,
        method: None,
    }
}

/// A soil (or other) sample: `cd` is a value or `<DL` for a non-detect; Pb 80 unless given.
struct Case {
    code: &'static str,
    division: &'static str,
    medium: Medium,
    land_use: Option<&'static str>,
    ph: Option<&'static str>,
    cd: &'static str,
    pb: &'static str,
    date: &'static str,
}

impl Case {
    fn build(&self) -> SampleWithResults {
        let mut results = Vec::new();
        if let Some(ph) = self.ph {
            results.push(value(self.code, "pH", ph, Unit::Dimensionless));
        }
        results.push(match self.cd.strip_prefix('<') {
            Some(dl) => AnalysisResult {
                value: None,
                detection_limit: Some(dl.parse().expect("dl")),
                qualifier: Qualifier::NotDetected,
                ..value(self.code, "Cd", "0", Unit::MgPerKg)
            },
            None => value(self.code, "Cd", self.cd, Unit::MgPerKg),
        });
        results.push(value(self.code, "Pb", self.pb, Unit::MgPerKg));
        SampleWithResults {
            sample: Sample {
                code: self.code.into(),
                point_code: None,
                medium: self.medium,
                division: self.division.parse().expect("division"),
                sampled_on: NaiveDate::parse_from_str(self.date, "%Y-%m-%d").expect("date"),
                land_use: self
                    .land_use
                    .map(|l| l.parse::<LandUse>().expect("land use")),
                crop: None,
                depth_cm: None,
                lab: None,
            },
            results,
        }
    }
}

const fn soil(
    code: &'static str,
    ph: &'static str,
    cd: &'static str,
    pb: &'static str,
    date: &'static str,
) -> Case {
    Case {
        code,
        division: "513402",
        medium: Medium::Soil,
        land_use: Some("水田"),
        ph: Some(ph),
        cd,
        pb,
        date,
    }
}

fn cases() -> Vec<Case> {
    vec![
        soil("E1", "6.0", "0.4", "50", "2024-05-01"), // Cd = screening
        soil("E2", "6.0", "0.41", "100", "2024-05-09"), // Cd just above; Pb = screening
        soil("E3", "6.0", "2.0", "80", "2024-05-03"), // Cd = intervention
        soil("E4", "6.0", "2.01", "80", "2024-05-04"), // Cd just above intervention
        soil("E5", "6.0", "<0.8", "80", "2024-05-05"), // ND: 0.4 = screening
        soil("E6", "6.0", "<0.9", "80", "2024-05-06"), // ND: 0.45 > screening
        soil("E7", "8.0", "0.8", "80", "2024-05-07"), // pH > 7.5: screening 0.8
        Case {
            medium: Medium::AgriculturalProduct,
            ..soil("E8", "6.0", "5", "80", "2024-05-08")
        },
        Case {
            land_use: None,
            ph: None,
            ..soil("E9", "6.0", "5", "80", "2024-05-02")
        },
        Case {
            land_use: Some("0601"), // industrial: GB 36600 first-class land
            ph: None,
            ..soil("E10", "6.0", "47", "80", "2024-05-10")
        },
        Case {
            division: "513401",
            ..soil("E11", "6.0", "3", "80", "2024-05-11")
        },
    ]
}

async fn result_codes(store: &dyn Store, q: &FindQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = q.clone();
    loop {
        let page = store.find_results(&q).await.expect("find results");
        assert!(page.items.len() <= q.limit as usize);
        out.extend(
            page.items
                .iter()
                .map(|r| format!("{}/{}", r.row.sample_code, r.row.result.analyte)),
        );
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

async fn sample_codes(store: &dyn Store, q: &FindQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = q.clone();
    loop {
        let page = store.find_samples(&q).await.expect("find samples");
        out.extend(page.items.iter().map(|s| s.sample.code.clone()));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

fn q(analyte: Option<&str>, classes: &[ExceedanceClass]) -> FindQuery {
    FindQuery {
        analyte: analyte.map(str::to_owned),
        exceedance: classes.to_vec(),
        ..FindQuery::default()
    }
}

fn list(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| (*x).to_owned()).collect()
}

pub async fn exceedance_filter_follows_the_standards_engine(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let batch: Vec<_> = cases().iter().map(Case::build).collect();
    store
        .insert_samples(&batch, &ChangeMeta::new("tester", "exceedance cases"))
        .await
        .expect("insert");

    // Results of one analyte, by class (id order = insertion order).
    assert_eq!(
        result_codes(store, &q(Some("Cd"), &[BelowScreening])).await,
        list(&["E1/Cd", "E5/Cd", "E7/Cd"])
    );
    assert_eq!(
        result_codes(store, &q(Some("Cd"), &[AboveScreening])).await,
        list(&["E2/Cd", "E3/Cd", "E6/Cd", "E10/Cd"])
    );
    assert_eq!(
        result_codes(store, &q(Some("Cd"), &[AboveIntervention])).await,
        list(&["E4/Cd", "E11/Cd"])
    );
    // With a division, and with another medium (never classed).
    let mut county = q(Some("Cd"), &[AboveIntervention]);
    county.division = Some("513402".parse().expect("division"));
    assert_eq!(result_codes(store, &county).await, list(&["E4/Cd"]));
    let mut crops = q(Some("Cd"), &ExceedanceClass::ALL);
    crops.medium = Some(Medium::AgriculturalProduct);
    assert!(result_codes(store, &crops).await.is_empty());
    // Any analyte: every item with a screening value by its own class (pH has none).
    assert_eq!(
        result_codes(store, &q(None, &[BelowScreening])).await,
        list(&[
            "E1/Cd", "E1/Pb", "E2/Pb", "E3/Pb", "E4/Pb", "E5/Cd", "E5/Pb", "E6/Pb", "E7/Cd",
            "E7/Pb", "E10/Pb", "E11/Pb"
        ])
    );
    // Several classes, small pages (the filter fills pages across batches), newest first.
    let mut paged = q(Some("Cd"), &[BelowScreening, AboveScreening]);
    paged.limit = 2;
    paged.sort = FindSort::DateDesc;
    assert_eq!(
        result_codes(store, &paged).await,
        list(&["E10/Cd", "E2/Cd", "E7/Cd", "E6/Cd", "E5/Cd", "E3/Cd", "E1/Cd"])
    );

    // Samples: by class (GB 15618: decided by Cd, Hg, As, Pb, Cr; GB 36600 for E10).
    assert_eq!(
        sample_codes(store, &q(None, &[AboveScreening])).await,
        list(&["E2", "E3", "E6", "E10"])
    );
    assert_eq!(
        sample_codes(store, &q(None, &[AboveScreening, AboveIntervention])).await,
        list(&["E2", "E3", "E4", "E6", "E10", "E11"])
    );
    assert_eq!(
        sample_codes(store, &q(None, &[BelowScreening])).await,
        list(&["E1", "E5", "E7"])
    );
    // Samples by one analyte's class.
    assert!(sample_codes(store, &q(Some("Pb"), &[AboveScreening]))
        .await
        .is_empty());
    let mut one = q(Some("Cd"), &[AboveIntervention]);
    one.limit = 1;
    assert_eq!(sample_codes(store, &one).await, list(&["E4", "E11"]));

    // A correction is reflected at once (levels are never stored).
    let e1 = store.get_sample("E1").await.expect("E1");
    let cd = e1
        .results
        .iter()
        .find(|r| r.result.analyte == "Cd")
        .expect("E1 Cd");
    let mut corrected = cd.result.clone();
    corrected.value = Some("0.5".parse().expect("value"));
    store
        .update_result(cd.id, &corrected, &ChangeMeta::new("tester", "lab re-run"))
        .await
        .expect("correct");
    assert_eq!(
        sample_codes(store, &q(None, &[AboveScreening])).await,
        list(&["E1", "E2", "E3", "E6", "E10"])
    );
}
