//! The batch pipeline behind `soilwatch evaluate`: a CSV of results in, a CSV of sample
//! classes out (and optionally a CSV of every item), with no database.
//!
//! # Input ([`INPUT_COLUMNS_HELP`])
//! One result per row. Required columns (English or Chinese header, any order, case-insensitive):
//! `sample_code` (样品编号), `land_use` (土地利用类型), `ph` (pH), `analyte` (检测项目),
//! `value` (检测值), `unit` (单位); optional `detection_limit` (检出限) and `qualifier` (限定符).
//! For GB 36600 the `land_use` and `ph` columns may be absent.
//! * Encoding: UTF-8 with or without BOM, or GBK/GB 18030 (detected: input that is not valid UTF-8
//!   is read as GBK), unless [`BatchOptions::encoding`] forces one.
//! * `land_use`: `paddy`, `upland`, `orchard`, `rotation`, a Chinese name (水田, 旱地, 水浇地, 果园,
//!   水旱轮作) or a GB/T 21010 code (0101, 0102, 0103, 0201, …).
//! * `analyte`: symbol, Chinese or English name, case-insensitive (`Cd`, `镉`, `cadmium`). A row
//!   whose analyte is pH sets the sample's pH when the `ph` column is empty.
//! * `unit`: `mg/kg`, `μg/kg` (also `ug/kg`), `g/kg` (any mass fraction); converted exactly.
//! * `qualifier`: empty (detected), `<`, `ND`, `未检出`. A non-detect counts as half its detection
//!   limit (the `detection_limit` column, else the value given); so does a value below its
//!   detection limit.
//! * Several rows of one sample need not be adjacent; the rows of a sample should agree on land use
//!   and pH (otherwise the first is used and the sample is flagged `land_use_conflict` /
//!   `ph_conflict`).
//!
//! # Output ([`OUTPUT_COLUMNS`])
//! One row per sample, in order of first appearance:
//! `sample_code,land_use,ph,class,max_pi,max_pi_analyte,exceed_screening,exceed_intervention,flags`.
//! `land_use` normalised (`paddy|upland|orchard|rotation`; GB 36600: `class1|class2`), `class`
//! one of `priority_protection`, `safe_utilization`, `strict_control` (GB 36600:
//! `below_screening`, `above_screening`, `above_intervention`), `max_pi` with 6 decimals (half away
//! from zero), lists separated by `;`. Flags: `nd_dl_above_screening`, `duplicate_results`,
//! `ph_missing`, `ph_conflict`, `land_use_conflict`, `no_decisive_items` (nothing that decides the
//! class was measured: class empty), `row_error` (a row of the sample could not be read: class
//! empty). Output is UTF-8 (with a BOM when [`BatchOptions::bom`] is set), `\n` line ends.
//!
//! # Detail ([`DETAIL_COLUMNS`])
//! One row per sample and item: `sample_code,analyte,value_mg_kg,screening,intervention,pi,grade`.
//! `grade` is the pollution grade (`unpolluted`, `slight`, `mild`, `moderate`, `severe`) with
//! method `pollution-index`; with `gb15618` it is the item's class for the items that decide
//! (`priority_protection`, …) and `below_screening` / `above_screening` for the others.
//!
//! # Errors and exit status
//! A row that cannot be read (unknown analyte or unit, a value that is not a number or is
//! negative, a value or detection limit above 1,000,000 mg/kg (100 %) once converted, a number
//! with more digits than a decimal holds exactly (more than 28 decimal places: it is never
//! rounded, see [`crate::exact`]), a pH outside 0–14, a missing cell, an unknown land use) is
//! returned in
//! [`BatchSummary::row_errors`] with its line number (the header is line 1), column and a
//! bilingual reason; its sample is still written, with an empty class and the flag `row_error`.
//! The command prints the row errors on stderr and **exits 2 when there is any row error**
//! ([`BatchSummary::exit_code`]), 0 otherwise. An input that cannot be read at all (no header, a
//! required column missing, I/O failure) is an `Err`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Write};
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{AnalyteCatalogue, FarmlandGroup, LandUse, Qualifier, Unit};

use crate::error::{StandardsError, StandardsResult};
use crate::exact::{self, NumError};
use crate::ruleset::{PhBand, RulesetKind, RulesetRegistry, GB15618};
use crate::soil::{
    farmland_ctx, le_exact, round_pi, Agg, Flag, Flags, LandClass, Method, PollutionGrade,
    SoilEngine, Verdict,
};

/// Help text for the input columns (for the CLI's `--help`).
pub const INPUT_COLUMNS_HELP: &str = "one result per row; columns sample_code (样品编号), land_use (土地利用类型), ph (pH), analyte (检测项目), value (检测值), unit (单位), optional detection_limit (检出限), qualifier (限定符: <, ND, 未检出); UTF-8 (BOM optional) or GBK";

/// Header of the output file.
pub const OUTPUT_COLUMNS: &str =
    "sample_code,land_use,ph,class,max_pi,max_pi_analyte,exceed_screening,exceed_intervention,flags";

/// Header of the detail file.
pub const DETAIL_COLUMNS: &str = "sample_code,analyte,value_mg_kg,screening,intervention,pi,grade";

/// How to decode the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputEncoding {
    /// UTF-8 (BOM optional) when the bytes are valid UTF-8, GBK/GB 18030 otherwise.
    #[default]
    Auto,
    Utf8,
    /// GBK, read as its superset GB 18030.
    Gbk,
}

impl FromStr for InputEncoding {
    type Err = StandardsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace(['-', '_'], "").as_str() {
            "auto" | "" => Ok(InputEncoding::Auto),
            "utf8" | "utf8bom" => Ok(InputEncoding::Utf8),
            "gbk" | "gb18030" | "gb2312" | "cp936" => Ok(InputEncoding::Gbk),
            _ => Err(StandardsError::InvalidInput {
                field: "encoding",
                value: s.to_owned(),
                expected: "auto | utf-8 | gbk".to_owned(),
            }),
        }
    }
}

/// Options of a batch evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    /// `gb15618` (default) or `pollution-index`; ignored for GB 36600.
    pub method: Method,
    /// Ruleset id (`gb15618-2018` default, `gb36600-2018`).
    pub ruleset: String,
    /// GB 36600 land class (default class 1).
    pub land_class: LandClass,
    pub encoding: InputEncoding,
    /// Write a UTF-8 BOM at the start of the output and detail files (for Excel).
    pub bom: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            method: Method::Gb15618,
            ruleset: GB15618.to_owned(),
            land_class: LandClass::Class1,
            encoding: InputEncoding::Auto,
            bom: false,
        }
    }
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line number in the input, the header being line 1.
    pub line: u64,
    /// Column name as in the header (or the canonical name of a missing column).
    pub column: String,
    /// The offending cell.
    pub value: String,
    /// Bilingual reason.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第 {} 行，列 {} / line {}, column {}: '{}': {}",
            self.line, self.column, self.line, self.column, self.value, self.reason
        )
    }
}

/// What a batch evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Data rows read (header and blank lines excluded).
    pub rows: u64,
    /// Samples written.
    pub samples: u64,
    /// Samples that got a class.
    pub classified: u64,
    /// Samples per class code, in class order.
    pub classes: Vec<(String, u64)>,
    pub row_errors: Vec<RowError>,
}

impl BatchSummary {
    /// Exit status of `soilwatch evaluate`: 2 when any row was rejected, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.row_errors.is_empty() {
            0
        } else {
            2
        }
    }
}

/// FNV-1a, for short byte keys (codes, names): much faster than SipHash here, and the keys come
/// from the user's own file.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

fn fnv(code: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.write(code);
    h.finish()
}

/// Index sample `i` by its code: by the code's hash, or in `collisions` when the hash is taken.
fn index_code(
    index: &mut FastMap<u64, u32>,
    collisions: &mut FastMap<Box<[u8]>, u32>,
    code: &[u8],
    i: u32,
) {
    match index.entry(fnv(code)) {
        std::collections::hash_map::Entry::Occupied(_) => {
            collisions.insert(code.into(), i);
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(i);
        }
    }
}

/// A few distinct raw cells (units, land uses) and what they parse to.
type Cache<T> = Vec<(Box<[u8]>, Result<T, String>)>;

/// An analyte as the batch knows it.
#[derive(Debug, Clone, Copy)]
enum AnalyteKey {
    /// Index into `Batch::codes`, with the engine slot (`u16::MAX` without thresholds).
    Item {
        id: u16,
        slot: u16,
    },
    Ph,
}

#[derive(Debug)]
struct SampleAcc {
    /// Range of the sample code in `Batch::arena`.
    code: (usize, usize),
    land_use: Option<FarmlandGroup>,
    /// Range of the first land-use cell in `Batch::arena`.
    land_use_raw: (usize, usize),
    ph: Option<Decimal>,
    /// The pH band of `ph`.
    band: Option<PhBand>,
    /// Range of the pH cell as written in `Batch::arena`.
    ph_raw: (usize, usize),
    ph_from_item: Option<Decimal>,
    /// First and last of the sample's items in `Batch::items` (`NONE` when it has none); the
    /// items are chained by `ItemAcc::next` in order of first appearance.
    first_item: u32,
    last_item: u32,
    flags: Flags,
}

/// One item of one sample, in the batch's single arena of items (its aggregate is at the same
/// index in `Batch::item_aggs`).
#[derive(Debug, Clone, Copy)]
struct ItemAcc {
    /// Index into `Batch::codes`.
    id: u16,
    /// The sample's next item, or `NONE`.
    next: u32,
}

const NONE: u32 = u32::MAX;

#[derive(Clone)]
struct Columns {
    code: usize,
    land_use: Option<usize>,
    ph: Option<usize>,
    analyte: usize,
    value: usize,
    unit: usize,
    dl: Option<usize>,
    qualifier: Option<usize>,
    names: Vec<String>,
    /// The largest of the needed columns (analyte, value, unit, land use, pH).
    need_max: usize,
    /// The first and last of the sample code, land use and pH columns, when those present are
    /// adjacent (a row that repeats these bytes of the row before is in the same sample).
    span: Option<(usize, usize)>,
}

fn header_key(h: &str) -> Option<&'static str> {
    let t = h
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase();
    let t = t.replace([' ', '-'], "_");
    Some(match t.as_str() {
        "sample_code" | "样品编号" | "样品编码" | "sample" => "sample_code",
        "land_use" | "土地利用类型" | "土地利用" | "用地类型" => "land_use",
        "ph" | "ph值" => "ph",
        "analyte" | "检测项目" | "项目" | "指标" => "analyte",
        "value" | "检测值" | "结果" | "检测结果" => "value",
        "unit" | "单位" => "unit",
        "detection_limit" | "检出限" | "dl" => "detection_limit",
        "qualifier" | "限定符" => "qualifier",
        _ => return None,
    })
}

/// Parse a plain decimal (`12`, `0.305`, `-1.5`) quickly, with the value as a float too (only
/// used to rank indices and to settle comparisons that are clear by far); anything else
/// (exponents, `+`, spaces, very long numbers) goes through [`exact::parse`] (never rounded: a
/// number a decimal cannot hold exactly is an error).
#[inline(always)]
fn parse_dec_f(b: &[u8]) -> Result<(Decimal, f64), NumError> {
    let neg = b.first() == Some(&b'-');
    let digits = if neg {
        &b[1..] // (b starts with '-')
    } else {
        b
    };
    let n = digits.len();
    if (1..=18).contains(&n) {
        // digits with at most one '.', and at least one digit
        let mut m: u64 = 0;
        let mut dot = n;
        let mut ok = true;
        for (k, &c) in digits.iter().enumerate() {
            let d = c.wrapping_sub(b'0');
            if d < 10 {
                m = m * 10 + u64::from(d);
            } else if c == b'.' && dot == n {
                dot = k;
            } else {
                ok = false;
                break;
            }
        }
        if ok && (n > 1 || dot == n) {
            let scale = if dot == n { 0 } else { n - dot - 1 };
            return Ok(dec_f(m, scale, neg));
        }
    }
    parse_dec_slow(b)
}

/// [`parse_dec_f`] for anything but a plain decimal of up to 18 digits.
#[inline(never)]
fn parse_dec_slow(b: &[u8]) -> Result<(Decimal, f64), NumError> {
    let s = std::str::from_utf8(b).map_err(|_| NumError::NotANumber)?;
    let d = exact::parse(s)?;
    Ok((d, d.to_f64().unwrap_or(f64::MAX)))
}

/// The decimal `±m × 10^-scale` (m < 10¹⁸, scale ≤ 18) and its float.
#[inline(always)]
fn dec_f(m: u64, scale: usize, neg: bool) -> (Decimal, f64) {
    // m < 10¹⁸ fits the low 64 bits of the 96-bit mantissa (and an i64)
    let d = Decimal::from_parts(m as u32, (m >> 32) as u32, 0, neg && m != 0, scale as u32);
    let m = if neg { -(m as i64) } else { m as i64 };
    // (times 10^-scale rather than divided by 10^scale: a multiplication is several
    // times faster, and the float is within 1e-15 of the value either way)
    #[expect(clippy::cast_precision_loss, reason = "the float only ranks indices")]
    let f = m as f64 * POW10_INV[scale.min(18)];
    (d, f)
}

const POW10_INV: [f64; 19] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18,
];

#[inline]
fn trim_bytes(mut b: &[u8]) -> &[u8] {
    // ASCII whitespace is at most b' ': most cells need no look further.
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) if first > b' ' && last > b' ' => return b,
        (None, _) => return b,
        _ => {}
    }
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// `a == b` for short byte strings (codes, names, numbers) without a call to `memcmp`.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |x: &[u8], i: usize| u64::from_le_bytes(x[i..i + 8].try_into().unwrap_or_default());
    let half = |x: &[u8], i: usize| u32::from_le_bytes(x[i..i + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// A hash of a short byte string into 0..64 (for `Batch::analyte_recent`).
#[inline]
fn short_hash(b: &[u8]) -> usize {
    let n = b.len();
    let x = match n {
        0 => 0,
        1..=3 => u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
        4..=7 => {
            let half = |i: usize| {
                u64::from(u32::from_le_bytes(
                    b[i..i + 4].try_into().unwrap_or_default(),
                ))
            };
            half(0) | half(n - 4) << 32
        }
        _ => {
            let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
            word(0) ^ word(n - 8).rotate_left(29)
        }
    };
    ((x ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
}

/// A byte string of at most 16 bytes as two words that, with its length, tell it from any other
/// (every byte is in one of them); `None` when it is longer.
#[inline]
fn fingerprint(b: &[u8]) -> Option<(u64, u64)> {
    let n = b.len();
    let half = |i: usize| {
        u64::from(u32::from_le_bytes(
            b[i..i + 4].try_into().unwrap_or_default(),
        ))
    };
    let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    match n {
        0 => Some((0, 0)),
        1..=3 => Some((
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
        )),
        4..=7 => Some((half(0) | half(n - 4) << 32, 0)),
        8..=16 => Some((word(0), word(n - 8))),
        _ => None,
    }
}

/// A cell remembered by its [`fingerprint`] and length, with what it reads as.
#[derive(Debug, Clone, Copy)]
struct Known<T> {
    fp: (u64, u64),
    n: usize,
    what: T,
}

impl<T: Copy> Known<T> {
    const NONE: Option<Known<T>> = None;

    /// What a remembered cell reads as, if `fp` and `n` are its fingerprint and length.
    #[inline]
    fn matches(this: &Option<Known<T>>, fp: (u64, u64), n: usize) -> Option<T> {
        match this {
            Some(k) if k.fp == fp && k.n == n => Some(k.what),
            _ => None,
        }
    }
}

/// A slot of `Batch::analyte_fast` for a fingerprint.
#[inline]
fn fp_slot(fp: (u64, u64), n: usize) -> usize {
    ((fp.0 ^ fp.1.rotate_left(17) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
}

/// The decimal `m × 10^-scale` (a constant, without `Decimal::new`'s checks at run time).
#[inline(always)]
const fn dec(m: u32, scale: u32) -> Decimal {
    Decimal::from_parts(m, 0, 0, false, scale)
}

/// [`PhBand::of`], with the pH also as a float to skip the decimal comparisons.
#[inline]
fn band_of(p: Decimal, pf: f64) -> PhBand {
    if le_exact(p, pf, dec(55, 1), 5.5) {
        PhBand::UpTo5_5
    } else if le_exact(p, pf, dec(65, 1), 6.5) {
        PhBand::From5_5To6_5
    } else if le_exact(p, pf, dec(75, 1), 7.5) {
        PhBand::From6_5To7_5
    } else {
        PhBand::Above7_5
    }
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of every byte of `w` equal to `c` (exact: no false positives).
#[inline]
fn byte_mask(w: u64, c: u8) -> u64 {
    let x = w ^ (u64::from(c) * 0x0101_0101_0101_0101);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Whether a text holds a `"` (64 bytes at a time, without an early exit inside a block, so
/// the compiler compares them as vectors).
#[cfg(test)]
fn has_quote(text: &[u8]) -> bool {
    plain_body(text).is_none()
}

/// `None` when a text holds a `"`; else whether trimming could change one of its cells: it holds
/// a byte below `!` other than `\n` (ASCII whitespace, conservatively). 64 bytes at a time,
/// without an early exit inside a block, so the compiler compares them as vectors.
fn plain_body(text: &[u8]) -> Option<bool> {
    let mut space = 0u8;
    let mut blocks = text.chunks_exact(64);
    for block in blocks.by_ref() {
        let (q, sp) = block.iter().fold((0u8, 0u8), |(q, sp), &b| {
            (
                q | u8::from(b == b'"'),
                sp | u8::from(b <= b' ' && b != b'\n'),
            )
        });
        if q != 0 {
            return None;
        }
        space |= sp;
    }
    for &b in blocks.remainder() {
        if b == b'"' {
            return None;
        }
        space |= u8::from(b <= b' ' && b != b'\n');
    }
    Some(space != 0)
}

/// The sample's cells of the row before (see `Columns::span`), for `Batch::line_end`.
struct Prev<'b> {
    /// Empty when the row before had none.
    span: &'b [u8],
    /// The current line starts with them: `read_plain` did not scan them again, and the
    /// fields hold the row before's.
    jumped: bool,
}

/// `a == b`, for spans of a line (up to 32 bytes without a call to `memcmp`).
#[inline]
fn span_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n <= 16 {
        return short_eq(a, b);
    }
    let word = |x: &[u8], i: usize| u64::from_le_bytes(x[i..i + 8].try_into().unwrap_or_default());
    if n <= 32 {
        word(a, 0) == word(b, 0)
            && word(a, 8) == word(b, 8)
            && word(a, n - 16) == word(b, n - 16)
            && word(a, n - 8) == word(b, n - 8)
    } else {
        a == b
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Batch<'e> {
    engine: &'e SoilEngine,
    kind: RulesetKind,
    method: Method,
    land_class: LandClass,
    cols: Columns,
    codes: Vec<String>,
    /// Analyte cells seen, and what they resolve to; `analyte_index` finds one by its bytes and
    /// `analyte_recent` (direct-mapped by [`short_hash`]) skips the hashing for the frequent ones.
    analytes: Vec<(Box<[u8]>, Option<AnalyteKey>)>,
    analyte_index: FastMap<Box<[u8]>, u32>,
    analyte_recent: [u32; 64],
    /// Analyte cells of items with their id and slot, by [`fingerprint`] (direct-mapped by
    /// [`fp_slot`]), for the common row.
    analyte_fast: [Option<Known<(u16, u16)>>; 64],
    /// A unit cell of factor one, by [`fingerprint`], for the common row.
    unit_one: Option<Known<()>>,
    /// Factor to mg/kg, as a float, and whether it is one.
    units: Cache<(Decimal, f64, bool)>,
    land_uses: Cache<FarmlandGroup>,
    qualifiers: Vec<(Box<[u8]>, Option<Qualifier>)>,
    samples: Vec<SampleAcc>,
    /// Every item of every sample (see `SampleAcc::first_item`).
    items: Vec<ItemAcc>,
    /// The aggregate of each item in `items`: with streaming, the items held are those of the
    /// open sample, in order, so this is the slice its judgement takes.
    item_aggs: Vec<Agg>,
    /// Sample codes and pH cells, one after the other.
    arena: Vec<u8>,
    /// FNV hash of a sample code → sample; codes whose hash is taken go to `collisions`. Built
    /// only once the codes stop coming in increasing order (see `sorted`).
    sample_index: FastMap<u64, u32>,
    collisions: FastMap<Box<[u8]>, u32>,
    /// Every sample code so far came after the one before (byte order), as in most files: a code
    /// after the last one is then new without a look-up, and `sample_index` is left empty.
    sorted: bool,
    last_sample: Option<usize>,
    errors: Vec<RowError>,
    rows: u64,
    /// Streaming: a sample is judged and written as soon as the next one starts, and its items
    /// are dropped. Valid while the rows of each sample are adjacent; a row of a sample already
    /// written sets `revisited`, and the input is then read again without streaming.
    streaming: bool,
    revisited: bool,
    /// Samples `..written` have been written to `w`.
    written: usize,
    w: Writer,
    /// Whether cells must be trimmed (see [`plain_body`]).
    trim: bool,
    /// The row before got through its sample cells (code, land use, pH) without an error: a row
    /// with the same bytes there (`row`'s `same_prefix`) would change nothing with them.
    prefix_ok: bool,
    /// Per analyte id: the sample and item (in `items`) where it was last added.
    item_of: Vec<(u32, u32)>,
}

impl Writer {
    /// Back to the header rows only (for another pass over the input).
    fn reset(mut self, header: &(Vec<u8>, Option<Vec<u8>>)) -> Writer {
        self.out.clone_from(&header.0);
        self.det.clone_from(&header.1);
        self.class_counts = [0; 6];
        self.classified = 0;
        self
    }
}

/// What stops a reading pass early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Done,
    /// The body holds a `"` (only the csv crate reads quoted fields).
    Quoted,
    /// Streaming met a sample again after it was written.
    Revisited,
}

/// The output being written, and what the summary counts.
struct Writer {
    out: Vec<u8>,
    /// The detail rows, when asked for.
    det: Option<Vec<u8>>,
    class_counts: [u64; 6],
    classified: u64,
    verdict: Verdict,
    aggs: Vec<Agg>,
    ids: Vec<u16>,
}

const MAX_FIELDS: usize = 32;

impl<'e> Batch<'e> {
    fn error(&mut self, line: u64, col: usize, value: &[u8], reason: String) {
        let column = self.cols.names.get(col).cloned().unwrap_or_default();
        self.errors.push(RowError {
            line,
            column,
            value: lossy(value),
            reason,
        });
    }

    #[inline]
    fn resolve_analyte(&mut self, raw: &[u8]) -> Option<AnalyteKey> {
        let h = short_hash(raw);
        if let Some((k, v)) = self.analytes.get(self.analyte_recent[h] as usize) {
            if short_eq(k, raw) {
                return *v;
            }
        }
        let i = match self.analyte_index.get(raw) {
            Some(&i) => i,
            None => {
                let key = self.resolve_analyte_new(raw);
                let i = u32::try_from(self.analytes.len()).unwrap_or(NONE);
                self.analytes.push((raw.into(), key));
                self.analyte_index.insert(raw.into(), i);
                i
            }
        };
        self.analyte_recent[h] = i;
        self.analytes.get(i as usize).and_then(|(_, v)| *v)
    }

    /// The analyte id and engine slot of an analyte cell seen before (by `analyte_fast`, else
    /// by `analyte_recent`, then remembered in `analyte_fast`).
    #[inline]
    fn recent_item(&mut self, raw: &[u8]) -> Option<(u16, u16)> {
        let fp = fingerprint(raw)?;
        let at = fp_slot(fp, raw.len());
        if let Some(key) = Known::matches(&self.analyte_fast[at], fp, raw.len()) {
            return Some(key);
        }
        let recent = self.analyte_recent[short_hash(raw)] as usize;
        match self.analytes.get(recent) {
            Some((k, Some(AnalyteKey::Item { id, slot }))) if short_eq(k, raw) => {
                let what = (*id, *slot);
                let n = raw.len();
                self.analyte_fast[at] = Some(Known { fp, n, what });
                Some(what)
            }
            _ => None,
        }
    }

    /// Whether a unit cell was seen before and is mg/kg (or another unit of factor one).
    #[inline]
    fn unit_is_one(&mut self, raw: &[u8]) -> bool {
        let Some(fp) = fingerprint(raw) else {
            return false;
        };
        if Known::matches(&self.unit_one, fp, raw.len()).is_some() {
            return true;
        }
        let one = self
            .units
            .iter()
            .find(|(k, _)| short_eq(k, raw))
            .is_some_and(|(_, r)| matches!(r, Ok((_, _, true))));
        if one {
            let n = raw.len();
            self.unit_one = Some(Known { fp, n, what: () });
        }
        one
    }

    fn resolve_analyte_new(&mut self, raw: &[u8]) -> Option<AnalyteKey> {
        let key = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| AnalyteCatalogue::builtin().resolve(s))
            .map(|a| {
                if a.code == "pH" {
                    return AnalyteKey::Ph;
                }
                let id = match self.codes.iter().position(|c| *c == a.code) {
                    Some(i) => i,
                    None => {
                        self.codes.push(a.code.clone());
                        self.codes.len() - 1
                    }
                };
                AnalyteKey::Item {
                    id: u16::try_from(id).unwrap_or(u16::MAX),
                    slot: self.engine.slot(&a.code).unwrap_or(u16::MAX),
                }
            });
        key
    }

    fn qualifier(&mut self, raw: &[u8]) -> Option<Qualifier> {
        if let Some((_, q)) = self.qualifiers.iter().find(|(k, _)| short_eq(k, raw)) {
            return *q;
        }
        let q = std::str::from_utf8(raw)
            .ok()
            .and_then(|q| q.parse::<Qualifier>().ok());
        self.qualifiers.push((raw.into(), q));
        q
    }

    #[inline]
    fn unit_factor(&mut self, raw: &[u8]) -> Result<(Decimal, f64, bool), String> {
        if let Some((_, r)) = self.units.iter().find(|(k, _)| short_eq(k, raw)) {
            return r.clone();
        }
        let r = std::str::from_utf8(raw)
            .map_err(|_| "not text".to_owned())
            .and_then(|s| s.parse::<Unit>().map_err(|e| e.to_string()))
            .and_then(|u| {
                u.factor_to(Unit::MgPerKg)
                    .map(|f| (f, f.to_f64().unwrap_or(f64::MAX), f == Decimal::ONE))
                    .map_err(|_| {
                    format!("单位不是质量分数 / unit '{}' is not a mass fraction (expected mg/kg, μg/kg, g/kg)", lossy(raw))
                })
            });
        self.units.push((raw.into(), r.clone()));
        r
    }

    fn land_use(&mut self, raw: &[u8]) -> Result<FarmlandGroup, String> {
        if let Some((_, r)) = self.land_uses.iter().find(|(k, _)| short_eq(k, raw)) {
            return r.clone();
        }
        let r = std::str::from_utf8(raw)
            .map_err(|_| "not text".to_owned())
            .and_then(|s| s.parse::<LandUse>().map_err(|e| e.to_string()))
            .and_then(|lu| {
                lu.farmland_group().ok_or_else(|| {
                    format!(
                        "非农用地，不适用 GB 15618 / land use {} {} is not farmland covered by GB 15618",
                        lu.code(),
                        lu.name_cn()
                    )
                })
            });
        self.land_uses.push((raw.into(), r.clone()));
        r
    }

    fn sample(&mut self, code: &[u8]) -> usize {
        if let Some(i) = self.last_sample {
            let (a, b) = self.samples[i].code;
            if short_eq(&self.arena[a..b], code) {
                return i;
            }
        }
        if self.sorted {
            let after_last = self
                .samples
                .last()
                .is_none_or(|last| self.arena[last.code.0..last.code.1] < *code);
            if !after_last {
                self.sorted = false;
                for (i, acc) in self.samples.iter().enumerate() {
                    let i = u32::try_from(i).unwrap_or(u32::MAX);
                    let code = &self.arena[acc.code.0..acc.code.1];
                    index_code(&mut self.sample_index, &mut self.collisions, code, i);
                }
            }
        }
        let found = if self.sorted {
            None
        } else {
            match self.sample_index.get(&fnv(code)) {
                Some(&i) => {
                    let (a, b) = self.samples[i as usize].code;
                    if self.arena[a..b] == *code {
                        Some(i)
                    } else {
                        self.collisions.get(code).copied()
                    }
                }
                None => None,
            }
        };
        let i = match found {
            Some(i) => {
                // Not the last sample: with streaming it has been written already.
                self.revisited |= self.streaming;
                i as usize
            }
            None => {
                if self.streaming {
                    if let Some(open) = self.last_sample {
                        self.write_sample(open);
                        self.items.clear();
                        self.item_aggs.clear();
                        self.written = open + 1;
                    }
                }
                let i = self.samples.len();
                let start = self.arena.len();
                self.arena.extend_from_slice(code);
                self.samples.push(SampleAcc {
                    code: (start, self.arena.len()),
                    land_use: None,
                    land_use_raw: (0, 0),
                    ph: None,
                    band: None,
                    ph_raw: (0, 0),
                    ph_from_item: None,
                    first_item: NONE,
                    last_item: NONE,
                    flags: Flags::default(),
                });
                if !self.sorted {
                    let i = u32::try_from(i).unwrap_or(u32::MAX);
                    index_code(&mut self.sample_index, &mut self.collisions, code, i);
                }
                i
            }
        };
        self.last_sample = Some(i);
        i
    }

    /// Read the rows of a body without `"`: lines split at `\n` (a `\r` before it dropped),
    /// fields at `,`. Returns at once when the body holds a `"`.
    ///
    /// When the sample's cells come first (`Columns::span` starting at column 0) and a line
    /// starts with the same bytes as the row before's sample cells and a `,`, those bytes are
    /// not scanned again: the row before's fields stand for them (the same bytes).
    fn read_plain(&mut self, body: &[u8]) -> Pass {
        let Some(trim) = plain_body(body) else {
            return Pass::Quoted;
        };
        self.trim = trim;
        let leading = match self.cols.span {
            Some((0, hi)) if hi + 1 < MAX_FIELDS => Some(hi + 1),
            _ => None,
        };
        let mut fields: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let mut prev = Prev {
            span: &[],
            jumped: false,
        };
        let (mut n, mut field_start, mut line_start, mut line) = (0, 0, 0, 1);
        let (mut base, mut skip) = (0, 0);
        while base < body.len() {
            let w = match body.get(base..base + 8) {
                Some(word) => u64::from_le_bytes(word.try_into().unwrap_or_default()),
                None => {
                    let tail = body.get(base..).unwrap_or_default();
                    let mut last = [0u8; 8];
                    last[..tail.len()].copy_from_slice(tail);
                    u64::from_le_bytes(last)
                }
            };
            let ends = byte_mask(w, b'\n');
            // (the bytes before `skip` were jumped over)
            let mut m = (byte_mask(w, b',') | ends) & (u64::MAX << skip);
            let mut next = base + 8;
            skip = 0;
            while m != 0 {
                let bit = m.trailing_zeros();
                m &= m - 1;
                let i = base + (bit / 8) as usize;
                if (ends >> bit) & 1 == 0 {
                    // (field_start ≤ i < body.len(): the slice is always in range)
                    if n < MAX_FIELDS {
                        fields[n] = &body[field_start..i];
                    }
                    n += 1;
                } else {
                    line += 1;
                    let at = (field_start, line_start, i);
                    if !self.line_end(body, &mut fields, n, at, line, &mut prev) {
                        return Pass::Revisited;
                    }
                    n = 0;
                    line_start = i + 1;
                    prev.jumped = false;
                    if let (Some(k), false) = (leading, prev.span.is_empty()) {
                        let l = prev.span.len();
                        if let Some(cells) = body.get(line_start..=line_start + l) {
                            if cells[l] == b',' && span_eq(&cells[..l], prev.span) {
                                // fields[..k] hold the same bytes (the row before's)
                                (n, prev.jumped) = (k, true);
                                field_start = line_start + l + 1;
                                next = field_start & !7;
                                skip = 8 * (field_start - next) as u32;
                                break;
                            }
                        }
                    }
                }
                field_start = i + 1;
            }
            base = next;
        }
        // The last line, when the text does not end with a line end.
        let at = (field_start, line_start, body.len());
        if !self.line_end(body, &mut fields, n, at, line + 1, &mut prev) {
            return Pass::Revisited;
        }
        Pass::Done
    }

    /// A line of `body` ends at `i` (`at` = start of its last field, start of the line, `i`),
    /// with `n` fields before the last in `fields`: read it unless it is blank. `false` when
    /// streaming must stop (a sample met again). `prev`: the sample's cells of the row before.
    #[inline]
    fn line_end<'b>(
        &mut self,
        body: &'b [u8],
        fields: &mut [&'b [u8]; MAX_FIELDS],
        n: usize,
        at: (usize, usize, usize),
        line: u64,
        prev: &mut Prev<'b>,
    ) -> bool {
        let (field_start, line_start, i) = at;
        let end = if i > line_start && body.get(i - 1) == Some(&b'\r') {
            i - 1
        } else {
            i
        };
        if end <= line_start {
            return true;
        }
        // (line_start ≤ field_start ≤ end ≤ body.len(): in range)
        if n < MAX_FIELDS {
            fields[n] = &body[field_start..end];
        }
        let n = n + 1;
        if n == 1 && trim_bytes(&body[line_start..end]).is_empty() {
            // (fields[0] changed: the row before's sample cells are no longer at hand)
            prev.span = &[];
            return true;
        }
        let fields = &fields[..n.min(MAX_FIELDS)];
        // The sample's cells (code, land use, pH), when their columns are adjacent: the same
        // bytes as in the row before let `row` skip them.
        let mut same = false;
        match self.cols.span {
            // (the same cells as the row before's, which `prev.span` holds)
            Some(_) if prev.jumped => same = true,
            Some((lo, hi)) if hi < fields.len() => {
                // (the fields lie in `body`, in order: their offsets give the span)
                let base = body.as_ptr().addr();
                let a = fields[lo].as_ptr().addr() - base;
                let b = fields[hi].as_ptr().addr() - base + fields[hi].len();
                let span = body.get(a..b).unwrap_or_default();
                same = !prev.span.is_empty() && span_eq(prev.span, span);
                prev.span = span;
            }
            _ => prev.span = &[],
        }
        if !(same && self.common_row(line, fields)) {
            self.row(line, fields, same);
        }
        !self.revisited
    }

    /// Read the rows of a body with quoted fields, with the csv crate.
    fn read_quoted(&mut self, body: &[u8]) -> Pass {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        let mut rec = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| p.line()) + 1;
                    if rec.len() == 1 && trim_bytes(&rec[0]).is_empty() {
                        continue;
                    }
                    let fields: Vec<&[u8]> = rec.iter().collect();
                    self.row(line, &fields, false);
                    if self.revisited {
                        return Pass::Revisited;
                    }
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line()) + 1;
                    self.errors.push(RowError {
                        line,
                        column: String::new(),
                        value: String::new(),
                        reason: format!("无法解析此行 / cannot parse the row: {e}"),
                    });
                }
            }
        }
        Pass::Done
    }

    /// Judge sample `i` and write its output row (and detail rows).
    fn write_sample(&mut self, i: usize) {
        let Batch {
            engine,
            kind,
            land_class,
            samples,
            items,
            item_aggs,
            arena,
            codes,
            w,
            streaming,
            ..
        } = self;
        let streaming = *streaming;
        let (engine, kind, land_class) = (*engine, *kind, *land_class);
        let method = if kind == RulesetKind::Farmland {
            self.method
        } else {
            Method::Gb15618
        };
        let Some(acc) = samples.get(i) else {
            return;
        };
        let want_ids = w.det.is_some();
        let Writer {
            out,
            verdict,
            aggs,
            ids,
            ..
        } = w;
        let mut flags = acc.flags;
        let ph = acc.ph.or(acc.ph_from_item);
        ids.clear();
        // The sample's items: with streaming, every item held (see `Batch::item_aggs`); else
        // along its chain.
        let aggs: &[Agg] = if streaming {
            if want_ids {
                ids.extend(items.iter().map(|item| item.id));
            }
            item_aggs
        } else {
            aggs.clear();
            let mut k = acc.first_item;
            while let Some(item) = items.get(k as usize) {
                aggs.extend(item_aggs.get(k as usize).copied());
                ids.push(item.id);
                k = item.next;
            }
            aggs
        };
        // (`DuplicateResults` is set when a second result is added to an item: `add_item`)
        let cidx = if kind == RulesetKind::Farmland {
            let band = match acc.ph {
                Some(_) => acc.band,
                None => acc.ph_from_item.map(PhBand::of),
            };
            if band.is_none() && !flags.contains(Flag::RowError) {
                flags.insert(Flag::PhMissing);
            }
            acc.land_use.map(|g| farmland_ctx(g, band))
        } else {
            Some(usize::from(land_class.number() - 1))
        };
        verdict.flags = flags;
        let errored = flags.contains(Flag::RowError) || cidx.is_none();
        if !errored {
            if let Some(c) = cidx {
                engine.judge(c, aggs, method, verdict);
            }
        }
        let flags = verdict.flags;
        // sample_code
        push_field(out, &arena[acc.code.0..acc.code.1]);
        out.push(b',');
        match (kind, acc.land_use) {
            (RulesetKind::Farmland, Some(g)) => out.extend_from_slice(g.code().as_bytes()),
            (RulesetKind::Farmland, None) => {
                push_field(out, &arena[acc.land_use_raw.0..acc.land_use_raw.1]);
            }
            _ => out.extend_from_slice(if land_class == LandClass::Class1 {
                b"class1"
            } else {
                b"class2"
            }),
        }
        out.push(b',');
        // pH as written (7.0 stays 7.0).
        if acc.ph.is_some() {
            out.extend_from_slice(&arena[acc.ph_raw.0..acc.ph_raw.1]);
        } else if let Some(p) = ph {
            let _ = write!(out, "{p}");
        }
        out.push(b',');
        if errored {
            out.extend_from_slice(b",,,,,");
        } else {
            if let Some(level) = verdict.level {
                let class = engine.class_of_level(level);
                w.class_counts[class as usize] += 1;
                w.classified += 1;
                out.extend_from_slice(class.code().as_bytes());
            }
            out.push(b',');
            if let Some((c, s, slot)) = verdict.max_pi {
                push_pi_ratio(out, c, s);
                out.push(b',');
                out.extend_from_slice(engine.slots[usize::from(slot)].code.as_bytes());
            } else {
                out.push(b',');
            }
            out.push(b',');
            for (k, list) in [&verdict.exceed_screening, &verdict.exceed_intervention]
                .into_iter()
                .enumerate()
            {
                if k == 1 {
                    out.push(b',');
                }
                for (j, &slot) in list.iter().enumerate() {
                    if j > 0 {
                        out.push(b';');
                    }
                    push_field(out, engine.slots[usize::from(slot)].code.as_bytes());
                }
            }
            out.push(b',');
        }
        if !flags.is_empty() {
            for (j, f) in flags.iter().enumerate() {
                if j > 0 {
                    out.push(b';');
                }
                out.extend_from_slice(f.code().as_bytes());
            }
        }
        out.push(b'\n');
        if let (Some(det), false) = (w.det.as_mut(), errored) {
            if let Some(c) = cidx {
                for (id, a) in ids.iter().zip(aggs.iter()) {
                    let slot = engine.slots.get(usize::from(a.slot));
                    let cell = slot.map(|s| s.cells[c]).unwrap_or_default();
                    let v = a.value();
                    push_field(det, &arena[acc.code.0..acc.code.1]);
                    det.push(b',');
                    push_field(det, codes[usize::from(*id)].as_bytes());
                    det.push(b',');
                    push_dec(det, v);
                    det.push(b',');
                    // Thresholds as written in the standard (2.0 stays 2.0).
                    if let Some(s) = cell.screening {
                        let _ = write!(det, "{s}");
                    }
                    det.push(b',');
                    if let Some(i) = cell.intervention {
                        let _ = write!(det, "{i}");
                    }
                    det.push(b',');
                    if let Some(s) = cell.screening {
                        let p = v / s;
                        push_pi(det, p);
                        det.push(b',');
                        let grade = if method == Method::PollutionIndex {
                            PollutionGrade::of(p).code()
                        } else {
                            let level = SoilEngine::level(&cell, v).unwrap_or(0);
                            if slot.is_some_and(|s| s.decisive) {
                                engine.class_of_level(level).code()
                            } else if level == 0 {
                                "below_screening"
                            } else {
                                "above_screening"
                            }
                        };
                        det.extend_from_slice(grade.as_bytes());
                    } else {
                        det.push(b',');
                    }
                    det.push(b'\n');
                }
            }
        }
    }

    /// [`Batch::row`] for the most common row, in a small function: the sample's cells repeat
    /// the row before's (`prefix_ok`, and the caller saw the same bytes), every needed cell is
    /// there, and the result goes straight to its item (see the common row in `row`). `false`,
    /// having changed nothing, for any other row.
    #[inline]
    fn common_row(&mut self, line: u64, f: &[&[u8]]) -> bool {
        let (Some(s), true) = (self.last_sample, self.prefix_ok) else {
            return false;
        };
        let c = &self.cols;
        if f.len() <= c.need_max {
            return false;
        }
        let trim = self.trim;
        let get = |i: usize| match f.get(i) {
            Some(b) if trim => trim_bytes(b),
            Some(b) => b,
            None => &[],
        };
        let (ai, vi, ui) = (c.analyte, c.value, c.unit);
        if c.qualifier.is_some_and(|i| !get(i).is_empty())
            || c.dl.is_some_and(|i| !get(i).is_empty())
        {
            return false;
        }
        let (araw, uraw, vraw) = (get(ai), get(ui), get(vi));
        let Some(key) = self.recent_item(araw) else {
            return false;
        };
        if !self.unit_is_one(uraw) {
            return false;
        }
        match parse_dec_f(vraw) {
            Ok((v, vf)) if !v.is_sign_negative() && vf < 999_999.0 => {
                self.rows += 1;
                self.add_item(s, key, (v, vf, None), (line, vi, vraw));
                true
            }
            _ => false,
        }
    }

    /// The sample of a row from its code cell (`None` after an error: no cell, or empty).
    #[inline]
    fn row_sample(&mut self, line: u64, code: Option<&[u8]>, ci: usize) -> Option<usize> {
        let Some(code) = code else {
            self.error(
                line,
                ci,
                b"",
                "缺少此列 / the row has no cell for this column".to_owned(),
            );
            return None;
        };
        if code.is_empty() {
            self.error(
                line,
                ci,
                code,
                "样品编号为空 / empty sample code".to_owned(),
            );
            return None;
        }
        Some(self.sample(code))
    }

    /// Process one data row. `f` holds the row's fields.
    ///
    /// `same_prefix`: the sample's cells (`Columns::span`) hold the same bytes as in the row
    /// before; if that row got through them without an error (`prefix_ok`), reading them again
    /// would change nothing (same sample, same land use and pH), so they are skipped.
    fn row(&mut self, line: u64, f: &[&[u8]], same_prefix: bool) {
        self.rows += 1;
        let nf = f.len();
        let trim = self.trim;
        let get = |i: usize| f.get(i).map(|b| if trim { trim_bytes(b) } else { *b });
        let c = &self.cols;
        let (ci, ai, vi, ui) = (c.code, c.analyte, c.value, c.unit);
        let (li, pi, di, qi) = (c.land_use, c.ph, c.dl, c.qualifier);
        let need_max = c.need_max;
        let fast = match self.last_sample {
            Some(s) if same_prefix && self.prefix_ok => Some(s),
            _ => None,
        };
        self.prefix_ok = false;
        let s = match fast {
            Some(s) => s,
            None => match self.row_sample(line, get(ci), ci) {
                Some(s) => s,
                None => return,
            },
        };
        // Check every needed cell exists.
        if nf <= need_max {
            for idx in [Some(ai), Some(vi), Some(ui), li, pi].into_iter().flatten() {
                if nf <= idx {
                    self.error(
                        line,
                        idx,
                        b"",
                        "缺少此列 / the row has no cell for this column".to_owned(),
                    );
                    self.samples[s].flags.insert(Flag::RowError);
                    return;
                }
            }
        }
        let mut bad = false;
        if fast.is_none() {
            // Land use (skipped when the cell repeats the sample's first one).
            if let Some(li) = li {
                let raw = get(li).unwrap_or_default();
                let (a, z) = self.samples[s].land_use_raw;
                let first = a == z;
                let repeat = !first && short_eq(&self.arena[a..z], raw);
                if first {
                    let start = self.arena.len();
                    self.arena.extend_from_slice(raw);
                    self.samples[s].land_use_raw = (start, self.arena.len());
                }
                if self.kind == RulesetKind::Farmland
                    && !(repeat && self.samples[s].land_use.is_some())
                {
                    match self.land_use(raw) {
                        Ok(g) => {
                            let acc = &mut self.samples[s];
                            match acc.land_use {
                                None => acc.land_use = Some(g),
                                Some(prev) if prev != g => acc.flags.insert(Flag::LandUseConflict),
                                _ => {}
                            }
                        }
                        Err(reason) => {
                            self.error(line, li, raw, reason);
                            bad = true;
                        }
                    }
                }
            }
            // pH.
            if let Some(pi) = pi {
                let raw = get(pi).unwrap_or_default();
                let (a, z) = self.samples[s].ph_raw;
                let same_as_before =
                    self.samples[s].ph.is_some() && short_eq(&self.arena[a..z], raw);
                if !raw.is_empty() && !same_as_before {
                    match parse_dec_f(raw) {
                        Ok((p, pf)) if p >= Decimal::ZERO && p <= dec(14, 0) => {
                            match self.samples[s].ph {
                                None => {
                                    let start = self.arena.len();
                                    self.arena.extend_from_slice(raw);
                                    let acc = &mut self.samples[s];
                                    acc.ph = Some(p);
                                    acc.band = Some(band_of(p, pf));
                                    acc.ph_raw = (start, self.arena.len());
                                }
                                Some(prev) if prev != p => {
                                    self.samples[s].flags.insert(Flag::PhConflict);
                                }
                                _ => {}
                            }
                        }
                        Ok(_) | Err(NumError::TooLarge) => {
                            self.error(
                                line,
                                pi,
                                raw,
                                "pH 应在 0–14 之间 / pH must be between 0 and 14".to_owned(),
                            );
                            bad = true;
                        }
                        Err(NumError::TooPrecise) => {
                            self.error(line, pi, raw, format!("pH: {}", exact::TOO_PRECISE));
                            bad = true;
                        }
                        Err(NumError::NotANumber) => {
                            self.error(
                                line,
                                pi,
                                raw,
                                "pH 不是数值 / pH is not a number".to_owned(),
                            );
                            bad = true;
                        }
                    }
                }
            }
            self.prefix_ok = !bad;
        } else {
            self.prefix_ok = true;
        }
        // The common row: no qualifier and no detection limit, a plain number of at least 0
        // (below 999,999) in a unit of factor one seen before, an analyte with thresholds or
        // not seen before. Nothing below would report an error for it or treat it otherwise.
        if !bad {
            let empty = |i: Option<usize>| i.is_none_or(|i| get(i).is_none_or(<[u8]>::is_empty));
            if empty(qi) && empty(di) {
                let araw = get(ai).unwrap_or_default();
                let uraw = get(ui).unwrap_or_default();
                if let (Some(key), true) = (self.recent_item(araw), self.unit_is_one(uraw)) {
                    let vraw = get(vi).unwrap_or_default();
                    if let Ok((v, vf)) = parse_dec_f(vraw) {
                        if !v.is_sign_negative() && vf < 999_999.0 {
                            self.add_item(s, key, (v, vf, None), (line, vi, vraw));
                            return;
                        }
                    }
                }
            }
        }
        // Analyte.
        let araw = get(ai).unwrap_or_default();
        let key = self.resolve_analyte(araw);
        if key.is_none() {
            self.error(
                line,
                ai,
                araw,
                "无法识别的检测项目 / unknown analyte (use a symbol, Chinese or English name, e.g. Cd, 镉, cadmium)".to_owned(),
            );
            bad = true;
        }
        // Qualifier.
        let mut nd = false;
        if let Some(qi) = qi {
            let raw = get(qi).unwrap_or_default();
            if !raw.is_empty() {
                match self.qualifier(raw) {
                    Some(Qualifier::NotDetected) => nd = true,
                    Some(Qualifier::Detected) => {}
                    None => {
                        self.error(
                            line,
                            qi,
                            raw,
                            "无法识别的限定符 / unknown qualifier (expected empty, <, ND, 未检出)"
                                .to_owned(),
                        );
                        bad = true;
                    }
                }
            }
        }
        // Value.
        let vraw = get(vi).unwrap_or_default();
        let mut vf = 0.0;
        let value = if vraw.is_empty() {
            None
        } else {
            match parse_dec_f(vraw).map(|(d, f)| {
                vf = f;
                d
            }) {
                Ok(v) if v.is_sign_negative() && !v.is_zero() => {
                    self.error(
                        line,
                        vi,
                        vraw,
                        "检测值为负数 / the value is negative".to_owned(),
                    );
                    bad = true;
                    None
                }
                Ok(v) => Some(v),
                Err(e @ (NumError::TooLarge | NumError::TooPrecise)) => {
                    self.error(line, vi, vraw, num_reason(e, "检测值", "the value"));
                    bad = true;
                    None
                }
                Err(NumError::NotANumber) => {
                    // "<0.01" or "ND" written in the value cell.
                    let s = std::str::from_utf8(vraw).unwrap_or_default().trim();
                    if let Some(rest) = s.strip_prefix('<') {
                        match parse_dec_f(rest.trim().as_bytes()) {
                            Ok((v, f)) if !v.is_sign_negative() => {
                                nd = true;
                                vf = f;
                                Some(v)
                            }
                            Err(e @ (NumError::TooLarge | NumError::TooPrecise)) => {
                                self.error(line, vi, vraw, num_reason(e, "检测值", "the value"));
                                bad = true;
                                None
                            }
                            _ => {
                                self.error(
                                    line,
                                    vi,
                                    vraw,
                                    "检测值不是数值 / the value is not a number".to_owned(),
                                );
                                bad = true;
                                None
                            }
                        }
                    } else if s.parse::<Qualifier>().ok() == Some(Qualifier::NotDetected) {
                        nd = true;
                        None
                    } else {
                        self.error(
                            line,
                            vi,
                            vraw,
                            "检测值不是数值 / the value is not a number".to_owned(),
                        );
                        bad = true;
                        None
                    }
                }
            }
        };
        let mut dlf = 0.0;
        let dl = match di.map(|i| get(i).unwrap_or_default()) {
            Some(raw) if !raw.is_empty() => match parse_dec_f(raw) {
                Ok((d, f)) if !d.is_sign_negative() => {
                    dlf = f;
                    Some(d)
                }
                Err(e @ (NumError::TooLarge | NumError::TooPrecise)) => {
                    if let Some(di) = di {
                        self.error(
                            line,
                            di,
                            raw,
                            num_reason(e, "检出限", "the detection limit"),
                        );
                    }
                    bad = true;
                    None
                }
                _ => {
                    if let Some(di) = di {
                        self.error(
                            line,
                            di,
                            raw,
                            "检出限不是非负数值 / the detection limit is not a number ≥ 0"
                                .to_owned(),
                        );
                    }
                    bad = true;
                    None
                }
            },
            _ => None,
        };
        if let (Some(v), Some(d)) = (value, dl) {
            if v < d {
                nd = true;
            }
        }
        if matches!(key, Some(AnalyteKey::Ph)) {
            if !bad {
                match value {
                    Some(p) if p <= dec(14, 0) => {
                        let acc = &mut self.samples[s];
                        if acc.ph_from_item.is_none() {
                            acc.ph_from_item = Some(p);
                        }
                    }
                    _ => {
                        self.error(
                            line,
                            vi,
                            vraw,
                            "pH 应在 0–14 之间 / pH must be between 0 and 14".to_owned(),
                        );
                        bad = true;
                    }
                }
            }
            if bad {
                self.samples[s].flags.insert(Flag::RowError);
            }
            return;
        }
        // Unit.
        let uraw = get(ui).unwrap_or_default();
        let factor = match self.unit_factor(uraw) {
            Ok(f) => Some(f),
            Err(reason) => {
                self.error(line, ui, uraw, reason);
                bad = true;
                None
            }
        };
        if !bad && value.is_none() && !(nd && dl.is_some()) {
            let reason = if nd {
                "未检出须给出检出限 / a non-detect needs a detection limit (detection_limit column or the value)"
            } else {
                "检测值为空 / empty value"
            };
            self.error(line, vi, vraw, reason.to_owned());
            bad = true;
        }
        if bad {
            self.samples[s].flags.insert(Flag::RowError);
            return;
        }
        let (Some(AnalyteKey::Item { id, slot }), Some((factor, factor_f, factor_is_one))) =
            (key, factor)
        else {
            return;
        };
        // In mg/kg, exactly; at most 1,000,000 mg/kg (then nothing below can overflow).
        let checked = |x: Decimal| {
            if factor_is_one && x <= exact::MAX_MG_KG {
                Ok(x)
            } else {
                exact::to_mg_kg(x, factor)
            }
        };
        let (v, approx, nd_dl) = if nd {
            let (limit, limit_f, col, cn, en) = match dl {
                Some(d) => (d, dlf, di.unwrap_or(vi), "检出限", "the detection limit"),
                None => (value.unwrap_or_default(), vf, vi, "检测值", "the value"),
            };
            let half = checked(limit).and_then(|l| {
                exact::mul(l, dec(5, 1))
                    .map(|h| (l, h))
                    .ok_or(NumError::TooPrecise)
            });
            match half {
                // (the float only ranks indices and settles clear comparisons: within 1e-12)
                Ok((limit, half)) => (half, limit_f * factor_f * 0.5, Some(limit)),
                Err(e) => {
                    let raw = get(col).unwrap_or_default();
                    self.error(line, col, raw, num_reason(e, cn, en));
                    self.samples[s].flags.insert(Flag::RowError);
                    return;
                }
            }
        } else {
            let v = value.unwrap_or_default();
            // (the float is within 1e-12 of the value: below 999,999 it is ≤ 1,000,000)
            if factor_is_one && vf < 999_999.0 {
                (v, vf, None)
            } else if let (Some(v), true) = (exact::mul(v, factor), vf * factor_f < 999_999.0) {
                (v, vf * factor_f, None)
            } else {
                match checked(v) {
                    Ok(v) => (v, vf * factor_f, None),
                    Err(e) => {
                        self.error(line, vi, vraw, num_reason(e, "检测值", "the value"));
                        self.samples[s].flags.insert(Flag::RowError);
                        return;
                    }
                }
            }
        };
        self.add_item(s, (id, slot), (v, approx, nd_dl), (line, vi, vraw));
    }

    /// Add a result (`r`: value in mg/kg, as a float, detection limit of a non-detect) to the
    /// item `key` (analyte id and engine slot) of sample `s`; `at` (line, column, cell) for the
    /// error when the sum cannot be held exactly.
    #[inline(always)]
    fn add_item(
        &mut self,
        s: usize,
        key: (u16, u16),
        r: (Decimal, f64, Option<Decimal>),
        at: (u64, usize, &[u8]),
    ) {
        let ((id, slot), (v, approx, nd_dl)) = (key, r);
        let Some(acc) = self.samples.get_mut(s) else {
            return;
        };
        let s32 = u32::try_from(s).unwrap_or(NONE);
        // The item of this sample and analyte: `item_of` names it when the sample was the last
        // to add one; with streaming it always would (the samples come one after the other), so
        // there is no item yet otherwise. Without streaming the sample's items are searched.
        let found = match self.item_of.get(usize::from(id)) {
            Some(&(smp, k)) if smp == s32 => Some(k),
            _ if self.streaming => None,
            _ => {
                let mut k = acc.first_item;
                loop {
                    match self.items.get(k as usize) {
                        Some(item) if item.id == id => break Some(k),
                        Some(item) => k = item.next,
                        None => break None,
                    }
                }
            }
        };
        if let Some(agg) = found.and_then(|k| self.item_aggs.get_mut(k as usize)) {
            if agg.add(v, approx, nd_dl) {
                // (an item with more than one result: see `write_sample`)
                acc.flags.insert(Flag::DuplicateResults);
            } else {
                let (line, col, raw) = at;
                self.error(line, col, raw, exact::SUM_TOO_PRECISE.to_owned());
                self.samples[s].flags.insert(Flag::RowError);
            }
            return;
        }
        // the first result of an item
        let new = u32::try_from(self.items.len()).unwrap_or(NONE);
        if let Some(last) = self.items.get_mut(acc.last_item as usize) {
            last.next = new;
        } else {
            acc.first_item = new;
        }
        acc.last_item = new;
        self.items.push(ItemAcc { id, next: NONE });
        self.item_aggs.push(Agg {
            slot,
            sum: v,
            n: 1,
            nd_dl_max: nd_dl,
            approx,
        });
        let id = usize::from(id);
        if id >= self.item_of.len() {
            self.item_of.resize(id + 1, (NONE, NONE));
        }
        self.item_of[id] = (s32, new);
    }
}

/// The reason for a number that cannot be used (`what`: the cell, in Chinese and English).
fn num_reason(e: NumError, what_cn: &str, what_en: &str) -> String {
    match e {
        NumError::TooLarge => exact::too_large(what_cn, what_en),
        NumError::TooPrecise => format!("{what_cn} / {what_en}: {}", exact::TOO_PRECISE),
        NumError::NotANumber => format!("{what_cn}不是数值 / {what_en} is not a number"),
    }
}

/// Quote a CSV field if needed.
fn push_field(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for &b in s {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s);
    }
}

/// round(C / S × 10⁶), half away from zero, by integer arithmetic, for 0 ≤ C and 0 < S with
/// P = C / S < 10⁶. `None` (the caller then divides with `rust_decimal` as before) when the exact
/// quotient lies within 5e-13 of a rounding midpoint — `rust_decimal`'s quotient has at least 22
/// decimals there, so anywhere else both round the same way — or when the numbers are large.
fn pi_micro(c: Decimal, s: Decimal) -> Option<u64> {
    const E12: i128 = 1_000_000_000_000;
    if c.is_sign_negative() || s.is_sign_negative() || s.is_zero() {
        return None;
    }
    // P × 10⁶ = mc × 10^(ss + 6) / (ms × 10^sc): in 64 bits when it fits (a hardware division)
    if let (Ok(mc), Ok(ms)) = (u64::try_from(c.mantissa()), u64::try_from(s.mantissa())) {
        let num = POW10_U64
            .get(s.scale() as usize + 6)
            .and_then(|&p| mc.checked_mul(p));
        let den = POW10_U64
            .get(c.scale() as usize)
            .and_then(|&p| ms.checked_mul(p));
        if let (Some(num), Some(den)) = (num, den) {
            let (q, rem) = (num / den, num % den);
            if q >= 1_000_000_000_000 {
                return None;
            }
            let (twice, den) = (u128::from(rem) * 2, u128::from(den));
            // |2 rem − den| ≤ den < 2⁶⁴: times 10¹² fits
            if twice.abs_diff(den) * 1_000_000_000_000 < den {
                return None;
            }
            return Some(q + u64::from(twice > den));
        }
    }
    let num = c
        .mantissa()
        .checked_mul(10i128.checked_pow(s.scale() + 6)?)?;
    let den = s.mantissa().checked_mul(10i128.checked_pow(c.scale())?)?;
    let (q, rem) = (num / den, num % den);
    if q >= E12 {
        return None;
    }
    let twice = rem.checked_mul(2)?;
    if (twice - den).abs().checked_mul(E12)? < den {
        return None;
    }
    u64::try_from(q + i128::from(twice > den)).ok()
}

const POW10_U64: [u64; 20] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
    10_000_000_000_000_000_000,
];

/// Append a number in decimal.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Append P = C / S with 6 decimals (half away from zero): the same bytes as
/// `push_pi(c / s)`, without the decimal division in the common case.
fn push_pi_ratio(out: &mut Vec<u8>, c: Decimal, s: Decimal) {
    match pi_micro(c, s) {
        Some(m) => {
            push_u64(out, m / 1_000_000);
            let f = m % 1_000_000;
            out.push(b'.');
            let mut buf = [b'0'; 6];
            let mut f = f;
            for b in buf.iter_mut().rev() {
                *b = b'0' + (f % 10) as u8;
                f /= 10;
            }
            out.extend_from_slice(&buf);
        }
        None => push_pi(out, c / s),
    }
}

fn push_dec(out: &mut Vec<u8>, d: Decimal) {
    // Display of a normalised Decimal: `0.3`, `12`, `0.00001`.
    let _ = write!(out, "{}", d.normalize());
}

fn push_pi(out: &mut Vec<u8>, p: Decimal) {
    let r = round_pi(p);
    // At most 6 decimals now, so m × 10^(6 − scale) = P × 10⁶ (< 2⁹⁶ × 10⁶: fits an i128).
    let m = r.mantissa() * 10i128.pow(6 - r.scale().min(6));
    if m < 0 {
        out.push(b'-');
    }
    let m = m.unsigned_abs();
    let _ = write!(out, "{}.{:06}", m / 1_000_000, m % 1_000_000);
}

/// The input as UTF-8 text, after a BOM: borrowed when it is UTF-8 already, decoded from GBK
/// otherwise.
fn decode(bytes: &[u8], enc: InputEncoding) -> StandardsResult<Cow<'_, [u8]>> {
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let text = if bom { &bytes[3..] } else { bytes };
    match enc {
        InputEncoding::Utf8 => {
            std::str::from_utf8(text).map_err(|e| StandardsError::Input {
                reason: format!(
                    "不是有效的 UTF-8 / not valid UTF-8 at byte {} (try --encoding gbk)",
                    e.valid_up_to()
                ),
            })?;
            Ok(Cow::Borrowed(text))
        }
        // (simdutf8: the same check as `std::str::from_utf8`, several times faster on a large file)
        InputEncoding::Auto if bom || simdutf8::basic::from_utf8(bytes).is_ok() => {
            Ok(Cow::Borrowed(text))
        }
        _ => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            Ok(Cow::Owned(text.into_owned().into_bytes()))
        }
    }
}

/// Evaluate a CSV of results (see the module documentation for the formats).
///
/// Reads the whole input into memory (about 40 bytes per row), evaluates every sample, writes one
/// output row per sample in input order, and one detail row per sample and item when `detail` is
/// given. Row errors do not stop the run: they are returned in the summary, and the CLI exits 2
/// when there is any ([`BatchSummary::exit_code`]).
///
/// # Examples
/// ```
/// use soilwatch_standards::{evaluate_csv, BatchOptions};
/// let input = "样品编号,土地利用类型,pH,检测项目,检测值,单位\n\
///              S1,水田,6.5,镉,0.5,mg/kg\n\
///              S1,水田,6.5,铅,120,mg/kg\n";
/// let mut out = Vec::new();
/// let summary = evaluate_csv(input.as_bytes(), &mut out, None, &BatchOptions::default()).unwrap();
/// assert_eq!(summary.exit_code(), 0);
/// let out = String::from_utf8(out).unwrap();
/// assert_eq!(out.lines().nth(1), Some("S1,paddy,6.5,safe_utilization,1.250000,Cd,Cd;Pb,,"));
/// ```
pub fn evaluate_csv<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    detail: Option<&mut dyn Write>,
    opts: &BatchOptions,
) -> StandardsResult<BatchSummary> {
    let bytes = read_all(&mut input)?;
    evaluate_slice(&bytes, &mut output, detail, opts)
}

/// Like [`evaluate_csv`], on input already in memory (the whole file's bytes): nothing is copied
/// unless the input must be decoded from GBK.
pub fn evaluate_slice(
    input: &[u8],
    output: &mut dyn Write,
    detail: Option<&mut dyn Write>,
    opts: &BatchOptions,
) -> StandardsResult<BatchSummary> {
    let owned_engine;
    let engine: &SoilEngine = match SoilEngine::builtin(&opts.ruleset) {
        Ok(e) => e,
        Err(e) => {
            // Not a built-in soil ruleset: only the registry's rulesets are addressable by id here.
            let reg = RulesetRegistry::builtin();
            let rs = reg.require(&opts.ruleset).map_err(|_| e)?;
            owned_engine = SoilEngine::new(rs)?;
            &owned_engine
        }
    };
    evaluate_slice_with(engine, input, output, detail, opts)
}

fn read_all(input: &mut dyn Read) -> StandardsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| StandardsError::Input {
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

/// Like [`evaluate_csv`], with a compiled engine (for a local overlay ruleset:
/// `SoilEngine::new(&overlay)`); `opts.ruleset` is ignored.
pub fn evaluate_csv_with(
    engine: &SoilEngine,
    input: &mut dyn Read,
    output: &mut dyn Write,
    detail: Option<&mut dyn Write>,
    opts: &BatchOptions,
) -> StandardsResult<BatchSummary> {
    let bytes = read_all(input)?;
    evaluate_slice_with(engine, &bytes, output, detail, opts)
}

/// Like [`evaluate_slice`], with a compiled engine; `opts.ruleset` is ignored.
pub fn evaluate_slice_with(
    engine: &SoilEngine,
    input: &[u8],
    output: &mut dyn Write,
    mut detail: Option<&mut dyn Write>,
    opts: &BatchOptions,
) -> StandardsResult<BatchSummary> {
    let data = decode(input, opts.encoding)?;
    let data: &[u8] = &data;

    // Header: the first line.
    let header_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let header_line = String::from_utf8_lossy(&data[..header_end]).into_owned();
    let mut hreader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line.trim_end_matches('\r').as_bytes());
    let header: Vec<String> = match hreader.records().next() {
        Some(Ok(r)) => r.iter().map(|s| s.trim().to_owned()).collect(),
        _ => {
            return Err(StandardsError::Input {
                reason: "没有表头 / no header row".to_owned(),
            })
        }
    };
    let find = |key: &str| header.iter().position(|h| header_key(h) == Some(key));
    let kind = engine.kind();
    let mut missing = Vec::new();
    let mut need = |key: &'static str| {
        let i = find(key);
        if i.is_none() {
            missing.push(key);
        }
        i.unwrap_or(0)
    };
    let (code, analyte, value, unit) = (
        need("sample_code"),
        need("analyte"),
        need("value"),
        need("unit"),
    );
    let (land_use, ph) = if kind == RulesetKind::Farmland {
        (Some(need("land_use")), Some(need("ph")))
    } else {
        (find("land_use"), find("ph"))
    };
    if !missing.is_empty() {
        return Err(StandardsError::Input {
            reason: format!(
                "缺少列 / missing column(s): {} (header: {}; expected {})",
                missing.join(", "),
                header.join(","),
                INPUT_COLUMNS_HELP
            ),
        });
    }
    let cols = Columns {
        code,
        land_use,
        ph,
        analyte,
        value,
        unit,
        dl: find("detection_limit"),
        qualifier: find("qualifier"),
        names: header.clone(),
        need_max: [Some(analyte), Some(value), Some(unit), land_use, ph]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0),
        span: {
            let cols: Vec<usize> = [Some(code), land_use, ph].into_iter().flatten().collect();
            let lo = cols.iter().copied().min().unwrap_or(0);
            let hi = cols.iter().copied().max().unwrap_or(0);
            (hi - lo + 1 == cols.len()).then_some((lo, hi))
        },
    };
    let new_batch = |streaming: bool, w: Writer| Batch {
        engine,
        kind,
        method: opts.method,
        land_class: opts.land_class,
        cols: cols.clone(),
        codes: Vec::new(),
        analytes: Vec::new(),
        analyte_index: FastMap::default(),
        analyte_recent: [NONE; 64],
        analyte_fast: [Known::NONE; 64],
        unit_one: None,
        units: Vec::new(),
        land_uses: Vec::new(),
        qualifiers: Vec::new(),
        samples: Vec::with_capacity(data.len() / 256),
        // (with streaming only the open sample's items are held)
        items: Vec::with_capacity(if streaming { 64 } else { data.len() / 40 }),
        item_aggs: Vec::with_capacity(if streaming { 64 } else { data.len() / 40 }),
        arena: Vec::with_capacity(data.len() / 16),
        sample_index: FastMap::default(),
        collisions: FastMap::default(),
        sorted: true,
        last_sample: None,
        errors: Vec::new(),
        rows: 0,
        streaming,
        revisited: false,
        written: 0,
        w,
        trim: true,
        prefix_ok: false,
        item_of: Vec::new(),
    };

    let body_start = (header_end + 1).min(data.len());
    let body = &data[body_start..];
    let mut w = Writer {
        out: Vec::with_capacity(data.len() / 4 + 128),
        det: detail.is_some().then(Vec::new),
        class_counts: [0; 6],
        classified: 0,
        verdict: Verdict::default(),
        aggs: Vec::with_capacity(16),
        ids: Vec::with_capacity(16),
    };
    if opts.bom {
        w.out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    w.out.extend_from_slice(OUTPUT_COLUMNS.as_bytes());
    w.out.push(b'\n');
    if let Some(det) = w.det.as_mut() {
        if opts.bom {
            det.extend_from_slice(b"\xEF\xBB\xBF");
        }
        det.extend_from_slice(DETAIL_COLUMNS.as_bytes());
        det.push(b'\n');
    }
    let header_bytes = (w.out.clone(), w.det.clone());
    // First with streaming and without the csv crate; again with the csv crate when a field is
    // quoted, and again without streaming when the rows of a sample are not adjacent.
    let (mut streaming, mut quoted) = (true, false);
    let mut b = loop {
        let mut b = new_batch(streaming, w);
        let pass = if quoted {
            b.read_quoted(body)
        } else {
            b.read_plain(body)
        };
        match pass {
            Pass::Done => break b,
            Pass::Quoted => quoted = true,
            Pass::Revisited => streaming = false,
        }
        w = b.w.reset(&header_bytes);
    };

    // Write the samples not written yet (with streaming, the last one).
    for i in b.written..b.samples.len() {
        b.write_sample(i);
        if b.w.out.len() > 1 << 20 {
            output.write_all(&b.w.out)?;
            b.w.out.clear();
        }
        if let Some(det) = b.w.det.as_mut() {
            if det.len() > 1 << 20 {
                if let Some(d) = detail.as_deref_mut() {
                    d.write_all(det)?;
                }
                det.clear();
            }
        }
    }
    output.write_all(&b.w.out)?;
    output.flush()?;
    if let (Some(d), Some(det)) = (detail, b.w.det.as_ref()) {
        d.write_all(det)?;
        d.flush()?;
    }
    let mut summary = BatchSummary {
        rows: b.rows,
        samples: u64::try_from(b.samples.len()).unwrap_or(u64::MAX),
        classified: b.w.classified,
        ..BatchSummary::default()
    };
    let class_counts = b.w.class_counts;
    let order = [
        crate::soil::SoilClass::PriorityProtection,
        crate::soil::SoilClass::SafeUtilization,
        crate::soil::SoilClass::StrictControl,
        crate::soil::SoilClass::BelowScreening,
        crate::soil::SoilClass::AboveScreening,
        crate::soil::SoilClass::AboveIntervention,
    ];
    summary.classes = order
        .iter()
        .filter(|c| class_counts[**c as usize] > 0)
        .map(|c| (c.code().to_owned(), class_counts[*c as usize]))
        .collect();
    b.errors.sort_by_key(|e| e.line);
    summary.row_errors = b.errors;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    fn pi_bytes_slow(c: Decimal, s: Decimal) -> Vec<u8> {
        let mut out = Vec::new();
        push_pi(&mut out, c / s);
        out
    }

    fn pi_bytes_fast(c: Decimal, s: Decimal) -> Vec<u8> {
        let mut out = Vec::new();
        push_pi_ratio(&mut out, c, s);
        out
    }

    #[test]
    fn integer_pi_is_the_decimal_pi() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        // hand-worked: 0.5 / 0.4 = 1.25; 1.6 / 0.3 = 5.333…; 0.0000005 / 1 rounds up (midpoint,
        // away from zero); 0.0000004999 / 1 down; 75 / 70 = 1.0714285…
        for (c, s, want) in [
            ("0.5", "0.4", "1.250000"),
            ("1.6", "0.3", "5.333333"),
            ("0.0000005", "1", "0.000001"),
            ("0.0000004999", "1", "0.000000"),
            ("75", "70", "1.071429"),
            ("0", "0.3", "0.000000"),
            ("-0", "0.3", "0.000000"),
            ("2000000", "1", "2000000.000000"),
            ("0.00000150", "0.3", "0.000005"),
        ] {
            assert_eq!(
                String::from_utf8(pi_bytes_fast(d(c), d(s))).unwrap(),
                want,
                "{c} / {s}"
            );
            assert_eq!(pi_bytes_fast(d(c), d(s)), pi_bytes_slow(d(c), d(s)));
        }
        // Random values and thresholds of the forms found in the tables and in lab reports, and
        // values placed exactly on and next to rounding midpoints.
        let mut r = Rng(0x1234_5678_9abc_def1);
        let thresholds = [
            "0.3", "0.55", "1.3", "70", "0.00001", "826", "2.0", "1.5", "0.14",
        ];
        for k in 0..50_000 {
            let s = d(thresholds[k % thresholds.len()]);
            let scale = u32::try_from(r.next() % 8).unwrap();
            let m = i64::try_from(r.next() % 100_000_000).unwrap();
            let c = Decimal::new(m, scale);
            assert_eq!(pi_bytes_fast(c, s), pi_bytes_slow(c, s), "{c} / {s}");
            // C = S × (q + 0.5) × 10⁻⁶, and one unit of its last place either side
            let q = i64::try_from(r.next() % 10_000_000).unwrap();
            let mid = s * Decimal::new(2 * q + 1, 7);
            for c in [mid, mid - Decimal::new(1, 28), mid + Decimal::new(1, 28)] {
                assert_eq!(pi_bytes_fast(c, s), pi_bytes_slow(c, s), "{c} / {s}");
            }
        }
    }

    #[test]
    fn plain_decimals_parse_as_rust_decimal_does() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "12",
            "0.305",
            "-1.5",
            ".5",
            "5.",
            "007.100",
            "999999999999999999",
            "123456789.123456789",
        ] {
            let (d, f) = parse_dec_f(text.as_bytes()).unwrap();
            let want = Decimal::from_str(text).unwrap();
            // same value, same scale (the pH is printed as written, values after normalising)
            assert_eq!((d, d.scale()), (want, want.scale()), "{text}");
            assert_eq!(d.is_sign_negative(), want.is_sign_negative(), "{text}");
            assert!((f - want.to_f64().unwrap()).abs() <= want.to_f64().unwrap().abs() * 1e-15);
        }
        for text in ["", "-", ".", "1.2.3", "1e3", "+3", "abc", "1,5"] {
            assert_eq!(
                parse_dec_f(text.as_bytes()).map(|(d, _)| d).ok(),
                Decimal::from_str(text)
                    .or_else(|_| Decimal::from_scientific(text))
                    .ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn short_numbers_parse_as_rust_decimal_does() {
        // every length up to 10: digits, dots, signs and other bytes, against rust_decimal's
        // own parser (plain numbers) or exact::parse (the rest)
        let mut r = Rng(0xdec1_3a15);
        let alphabet = b"0123456789.-+ e/";
        for _ in 0..200_000 {
            let len = usize::try_from(r.next() % 11).unwrap();
            let pick = r.next() % 4;
            let text: Vec<u8> = (0..len)
                .map(|k| {
                    let x = r.next();
                    if pick > 0 && k > 0 {
                        // mostly digits and a dot
                        b"0123456789."[usize::try_from(x % 11).unwrap()]
                    } else {
                        alphabet[usize::try_from(x % 16).unwrap()]
                    }
                })
                .collect();
            let text = String::from_utf8(text).unwrap();
            let plain = !text.is_empty()
                && text
                    .bytes()
                    .enumerate()
                    .all(|(k, b)| b.is_ascii_digit() || b == b'.' || (k == 0 && b == b'-'))
                && text.bytes().filter(|&b| b == b'.').count() <= 1
                && text.bytes().any(|b| b.is_ascii_digit());
            let got = parse_dec_f(text.as_bytes());
            if plain {
                let want = Decimal::from_str(&text).unwrap();
                let (d, f) = got.unwrap();
                assert_eq!((d, d.scale()), (want, want.scale()), "{text}");
                assert_eq!(d.is_sign_negative(), want.is_sign_negative(), "{text}");
                let wf = want.to_f64().unwrap();
                assert!((f - wf).abs() <= wf.abs() * 1e-15, "{text}");
            } else {
                assert_eq!(got.map(|(d, _)| d).ok(), exact::parse(&text).ok(), "{text}");
            }
        }
    }

    #[test]
    fn delimiters_and_short_equality() {
        let mut r = Rng(99);
        let alphabet = b"ab,\n\r 1.";
        for len in 0..70 {
            for _ in 0..50 {
                let text: Vec<u8> = (0..len)
                    .map(|_| alphabet[usize::try_from(r.next() % 8).unwrap()])
                    .collect();
                let want: Vec<usize> = (0..len)
                    .filter(|&i| text[i] == b',' || text[i] == b'\n')
                    .collect();
                // the bytes' masks, eight at a time, as read_plain takes them
                let mut got = Vec::new();
                for (k, word) in text.chunks(8).enumerate() {
                    let mut w = [0u8; 8];
                    w[..word.len()].copy_from_slice(word);
                    let w = u64::from_le_bytes(w);
                    let ends = byte_mask(w, b'\n');
                    let mut m = byte_mask(w, b',') | ends;
                    while m != 0 {
                        let bit = m.trailing_zeros();
                        m &= m - 1;
                        let i = k * 8 + (bit / 8) as usize;
                        assert_eq!((ends >> bit) & 1 != 0, text[i] == b'\n');
                        got.push(i);
                    }
                }
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
                assert!(!has_quote(&text));
                let other: Vec<u8> = (0..len)
                    .map(|_| alphabet[usize::try_from(r.next() % 2).unwrap()])
                    .collect();
                assert_eq!(short_eq(&text, &other), text == other);
                assert!(short_eq(&text, &text.clone()));
                for cut in 0..len {
                    let mut changed = text.clone();
                    changed[cut] ^= 1;
                    assert!(!short_eq(&text, &changed));
                }
            }
        }
        for len in 0..200 {
            for at in 0..len {
                let mut text = vec![b'a'; len];
                assert!(!has_quote(&text));
                text[at] = b'"';
                assert!(has_quote(&text), "{len} {at}");
            }
        }
    }
}
