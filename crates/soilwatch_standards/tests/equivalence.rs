//! The fast batch path (`evaluate_csv`: its own CSV scanner, number parser, float pre-checks and
//! integer index printing) against the reference per-sample engine (`SoilEngine::evaluate`, the
//! one the platform uses for a stored sample), on many generated files: every output row must be
//! the row the engine's evaluation gives.
//!
//! The files hold what makes the fast path take its other branches: values exactly on a
//! screening or intervention value, on 2×, 3× and 5× the screening value and one unit of the last
//! place either side; ties of the largest index between items; pH exactly 5.5, 6.5 and 7.5, and
//! missing pH (or given as a `pH` row); non-detects (qualifier `ND`, `<`, `未检出`, `<0.1` in the
//! value cell, a value below its detection limit); duplicate results, adjacent and apart; μg/kg,
//! g/kg and exponents; land uses as words, Chinese names and codes (paddy, upland, orchard,
//! rotation); Table 2 organics; quoted fields and CRLF in some files; both methods and GB 36600
//! class 1 and class 2.

use std::fmt::Write as _;
use std::str::FromStr;

use rust_decimal::Decimal;
use soilwatch_core::{Amount, AnalysisResult, LandUse, Qualifier, Unit};
use soilwatch_standards::{
    evaluate_csv, exact, BatchOptions, LandClass, Method, PhBand, SoilEngine, SoilEvaluation,
    SoilSampleContext,
};

/// xorshift64*: the same files on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const FARM_ITEMS: [&str; 11] = [
    "Cd", "Hg", "As", "Pb", "Cr", "Cu", "Ni", "Zn", "BaP", "HCH", "DDT",
];
/// How the file may name them (the batch resolves symbols, Chinese and English names).
fn spelling(rng: &mut Rng, code: &str) -> String {
    let alt = match code {
        "Cd" => ["cd", "镉", "cadmium"],
        "Hg" => ["HG", "汞", "mercury"],
        "Pb" => ["pb", "铅", "lead"],
        "As" => ["as", "砷", "arsenic"],
        _ => [code, code, code],
    };
    if rng.chance(70) {
        code.to_owned()
    } else {
        (*rng.pick(&alt)).to_owned()
    }
}
const CONSTRUCTION_ITEMS: [&str; 7] = ["As", "Cd", "Pb", "Hg", "Ni", "Cu", "BaP"];

const LAND_USES: [&str; 14] = [
    "paddy",
    "水田",
    "0101",
    "upland",
    "旱地",
    "0103",
    "0102",
    "水浇地",
    "orchard",
    "果园",
    "0201",
    "rotation",
    "水旱轮作",
    "rotation",
];

fn dec(s: &str) -> Decimal {
    exact::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// A value in mg/kg near the item's thresholds (or anywhere).
fn value_near(rng: &mut Rng, s: Option<Decimal>, i: Option<Decimal>) -> Decimal {
    let ulp = Decimal::new(1, 3 + u32::try_from(rng.below(6)).unwrap_or(0));
    let base = match (rng.below(8), s, i) {
        (0, Some(s), _) => s,
        (1, _, Some(i)) => i,
        (2, Some(s), _) => s * Decimal::from(*rng.pick(&[2, 3, 5])),
        (3 | 4, Some(s), _) => s * Decimal::new(i64::try_from(rng.below(400)).unwrap_or(0), 2),
        _ => Decimal::new(i64::try_from(rng.below(100_000)).unwrap_or(0), 3),
    };
    match rng.below(4) {
        0 if base > ulp => base - ulp,
        1 => base + ulp,
        _ => base,
    }
}

/// One result row as written, and as the engine gets it.
struct Row {
    cells: [String; 8],
    result: AnalysisResult,
}

fn result_row(
    rng: &mut Rng,
    sample: &str,
    land_use: &str,
    ph: &str,
    code: &str,
    v: Decimal,
) -> Row {
    // unit and spelling of the number
    let (unit, written) = match rng.below(10) {
        0 | 1 => ("μg/kg", v * Decimal::from(1000)),
        2 => ("ug/kg", v * Decimal::from(1000)),
        3 => ("g/kg", v / Decimal::from(1000)),
        _ => ("mg/kg", v),
    };
    let written = written.normalize();
    let text = if rng.chance(10) && !written.is_zero() {
        // with an exponent: m e-k
        let s = written.scale();
        format!("{}e-{s}", written.mantissa())
    } else if rng.chance(10) {
        format!("{written:.8}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
            + if written.scale() == 0 { ".0" } else { "" }
    } else {
        written.to_string()
    };
    let mut value = text.clone();
    let (mut dl, mut qualifier) = (String::new(), String::new());
    let mut q = Qualifier::Detected;
    let mut value_amount = Some(amount(&text));
    let mut dl_amount = None;
    match rng.below(20) {
        // non-detect, the detection limit in its column, value empty
        0 => {
            qualifier = (*rng.pick(&["ND", "<", "未检出"])).to_owned();
            dl = text.clone();
            value = String::new();
            q = Qualifier::NotDetected;
            value_amount = None;
            dl_amount = Some(amount(&text));
        }
        // "<0.1" in the value cell
        1 => {
            value = format!("<{text}");
            q = Qualifier::NotDetected;
        }
        // a value below its detection limit
        2 => {
            let limit = written + Decimal::new(1, 2);
            dl = limit.to_string();
            dl_amount = Some(amount(&dl));
        }
        _ => {}
    }
    let cells = [
        sample.to_owned(),
        land_use.to_owned(),
        ph.to_owned(),
        spelling(rng, code),
        value,
        unit.to_owned(),
        dl,
        qualifier,
    ];
    let result = AnalysisResult {
        sample_code: sample.to_owned(),
        analyte: code.to_owned(),
        value: value_amount,
        unit: Unit::from_str(unit).unwrap_or_else(|e| panic!("{e}")),
        detection_limit: dl_amount,
        qualifier: q,
        method: None,
    };
    Row { cells, result }
}

fn amount(s: &str) -> Amount {
    Amount::new(dec(s)).unwrap_or_else(|e| panic!("{e}"))
}

struct Sample {
    code: String,
    land_use: Option<LandUse>,
    ph: Option<Decimal>,
    /// The pH as the output shows it (as written in the `ph` column, or the `pH` row's value).
    ph_out: String,
    rows: Vec<Row>,
}

fn generate_sample(rng: &mut Rng, k: usize, engine: &SoilEngine, farmland: bool) -> Sample {
    let code = if rng.chance(3) {
        format!("S,{k}") // needs quoting
    } else {
        format!("S{k:04}")
    };
    let lu_text = if farmland {
        (*rng.pick(&LAND_USES)).to_owned()
    } else {
        String::new()
    };
    let land_use = farmland.then(|| LandUse::from_str(&lu_text).unwrap_or_else(|e| panic!("{e}")));
    let ph_text = match rng.below(12) {
        0 => String::new(),
        1 => "5.5".to_owned(),
        2 => "6.5".to_owned(),
        3 => "7.50".to_owned(),
        4 => "7.5000001".to_owned(),
        _ => format!("{:.2}", 4.0 + rng.below(500) as f64 / 100.0),
    };
    let ph_row = ph_text.is_empty() && farmland && rng.chance(30);
    let ph = if ph_text.is_empty() {
        None
    } else {
        Some(dec(&ph_text))
    };
    let band = ph.map(PhBand::of);
    let group = land_use.and_then(LandUse::farmland_group);
    let items: &[&str] = if farmland {
        &FARM_ITEMS
    } else {
        &CONSTRUCTION_ITEMS
    };
    let n_items = 1 + rng.below(items.len());
    let mut rows = Vec::new();
    let mut ph_out = ph_text.clone();
    if ph_row {
        let p = format!("{:.1}", 4.5 + rng.below(40) as f64 / 10.0);
        ph_out = dec(&p).to_string();
        rows.push(Row {
            cells: [
                code.clone(),
                lu_text.clone(),
                String::new(),
                "pH".to_owned(),
                p.clone(),
                "无量纲".to_owned(),
                String::new(),
                String::new(),
            ],
            result: AnalysisResult {
                sample_code: code.clone(),
                analyte: "pH".to_owned(),
                value: Some(amount(&p)),
                unit: Unit::Dimensionless,
                detection_limit: None,
                qualifier: Qualifier::Detected,
                method: None,
            },
        });
    }
    let start = rng.below(items.len());
    for k in start..start + n_items {
        let item = items[k % items.len()];
        let (s, i) = match group {
            Some(g) => engine
                .farmland_thresholds(item, g, band)
                .unwrap_or((None, None)),
            None => engine
                .construction_thresholds(item, LandClass::Class1)
                .unwrap_or((None, None)),
        };
        let repeats = if rng.chance(10) { 2 + rng.below(2) } else { 1 };
        for _ in 0..repeats {
            let v = value_near(rng, s, i);
            rows.push(result_row(rng, &code, &lu_text, &ph_text, item, v));
        }
    }
    Sample {
        code,
        land_use,
        ph,
        ph_out,
        rows,
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The output row the reference evaluation gives.
fn expected_row(s: &Sample, ev: &SoilEvaluation, farmland: bool, class: LandClass) -> String {
    let lu = if farmland {
        ev.land_use.map(|g| g.code().to_owned()).unwrap_or_default()
    } else if class == LandClass::Class1 {
        "class1".to_owned()
    } else {
        "class2".to_owned()
    };
    let mut out = format!("{},{lu},{},", csv_field(&s.code), s.ph_out);
    out.push_str(ev.class.map(|c| c.code()).unwrap_or_default());
    out.push(',');
    if let (Some(p), Some(a)) = (ev.max_pi, ev.max_pi_analyte.as_deref()) {
        let _ = write!(out, "{p:.6},{a}");
    } else {
        out.push(',');
    }
    let _ = write!(
        out,
        ",{},{},",
        ev.exceed_screening.join(";"),
        ev.exceed_intervention.join(";")
    );
    let flags: Vec<&str> = ev.flags.iter().map(|f| f.code()).collect();
    out.push_str(&flags.join(";"));
    out
}

/// On a tie of the largest index any of the tied items may be named: the two rows are the same
/// when they differ only there and the engine gives both items that index.
fn same_up_to_tie(got: &str, want: &str, ev: &SoilEvaluation) -> bool {
    if got == want {
        return true;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split(',').collect(), want.split(',').collect());
    // the analyte is the 4th cell from the end
    if g.len() != w.len() || g.len() < 4 {
        return false;
    }
    let i = g.len() - 4;
    let others_same = g
        .iter()
        .zip(&w)
        .enumerate()
        .all(|(k, (x, y))| k == i || x == y);
    let pi_of = |code: &str| {
        ev.items
            .iter()
            .find(|it| it.analyte == code)
            .and_then(|it| it.pi)
    };
    others_same && pi_of(g[i]).is_some() && pi_of(g[i]) == pi_of(w[i])
}

fn check_file(seed: u64, opts: &BatchOptions) -> usize {
    let mut rng = Rng(seed);
    let farmland = opts.ruleset == "gb15618-2018";
    let engine = SoilEngine::builtin(&opts.ruleset).unwrap_or_else(|e| panic!("{e}"));
    let n = 1 + rng.below(60);
    let samples: Vec<Sample> = (0..n)
        .map(|k| generate_sample(&mut rng, k, engine, farmland))
        .collect();
    // rows in sample order, a few moved far away (a sample's rows apart) in some files
    let mut rows: Vec<&Row> = samples.iter().flat_map(|s| s.rows.iter()).collect();
    if rng.chance(30) && rows.len() > 2 {
        for _ in 0..=rng.below(3) {
            let from = rng.below(rows.len());
            let r = rows.remove(from);
            let to = rng.below(rows.len() + 1);
            rows.insert(to, r);
        }
    }
    let eol = if rng.chance(20) { "\r\n" } else { "\n" };
    let mut input =
        String::from("sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier");
    input.push_str(eol);
    for r in &rows {
        let cells: Vec<String> = r.cells.iter().map(|c| csv_field(c)).collect();
        input.push_str(&cells.join(","));
        input.push_str(eol);
    }
    let mut out = Vec::new();
    let summary = evaluate_csv(input.as_bytes(), &mut out, None, opts)
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    assert!(
        summary.row_errors.is_empty(),
        "seed {seed}: {:?}\n{input}",
        summary.row_errors
    );
    let out = String::from_utf8(out).unwrap_or_default();
    let got: Vec<&str> = out.lines().skip(1).collect();
    // output order: first appearance in the file
    let mut order: Vec<&Sample> = Vec::new();
    for r in &rows {
        if !order.iter().any(|s| s.code == r.cells[0]) {
            if let Some(s) = samples.iter().find(|s| s.code == r.cells[0]) {
                order.push(s);
            }
        }
    }
    assert_eq!(got.len(), order.len(), "seed {seed}");
    for (line, s) in got.iter().zip(&order) {
        // the sample's results in file order (lists are in order of first appearance)
        let results: Vec<AnalysisResult> = rows
            .iter()
            .filter(|r| r.cells[0] == s.code)
            .map(|r| r.result.clone())
            .collect();
        let ctx = SoilSampleContext {
            land_use: s.land_use,
            ph: s.ph,
            method: opts.method,
            land_class: opts.land_class,
        };
        let ev = engine
            .evaluate(&ctx, &results)
            .unwrap_or_else(|e| panic!("seed {seed}, {}: {e}", s.code));
        let want = expected_row(s, &ev, farmland, opts.land_class);
        assert!(
            same_up_to_tie(line, &want, &ev),
            "seed {seed}, sample {}:\n got {line}\nwant {want}\n{input}",
            s.code
        );
    }
    order.len()
}

#[test]
fn batch_rows_are_the_engine_evaluations() {
    let options = [
        BatchOptions::default(),
        BatchOptions {
            method: Method::PollutionIndex,
            ..BatchOptions::default()
        },
        BatchOptions {
            ruleset: "gb36600-2018".to_owned(),
            land_class: LandClass::Class1,
            ..BatchOptions::default()
        },
        BatchOptions {
            ruleset: "gb36600-2018".to_owned(),
            land_class: LandClass::Class2,
            ..BatchOptions::default()
        },
    ];
    let mut samples = 0;
    for seed in 1..=400u64 {
        let opts = &options[usize::try_from(seed % 4).unwrap_or(0)];
        samples += check_file(seed * 0x9E37_79B9, opts);
    }
    assert!(samples > 5_000, "{samples} samples checked");
}
