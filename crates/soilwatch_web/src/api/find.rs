//! Finding data (issue 5): the shared filters of `GET /api/v1/points`, `/samples` and `/results`,
//! keyset paging (`cursor`, `Link: <…>; rel="next"` and `X-Next-Cursor` headers), and the output
//! formats: JSON (default), CSV (UTF-8 with BOM), GeoJSON and XLSX, chosen by `?f=` or `Accept`.

use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use soilwatch_core::{AnalyteCatalogue, ControlLevel, Medium, PointType};
use soilwatch_store::{
    ExceedanceClass, FindQuery, FindSort, FoundResult, FoundSample, Page, PointRecord,
};
use utoipa::IntoParams;

use super::parse_division;
use crate::error::{ApiError, ApiResult};

/// Filters, order and paging shared by the find endpoints. Parameters that do not apply to a
/// resource (the analyte on points, say) are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FindParams {
    /// Division code; a prefecture includes its counties.
    pub division: Option<String>,
    /// Point type: `background`, `basic`, `risk`, `detailed_survey`, `enterprise_self_monitoring`,
    /// `irrigation_intake`, `groundwater_well`, `surface_water_section` (or the Chinese name).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub point_type: Option<String>,
    /// Control level: `national`, `provincial`, `prefecture`, `county` (or 国控 …).
    pub control_level: Option<String>,
    /// Risk-area category code or Chinese name (`mining_area`, 矿区, …).
    pub risk_category: Option<String>,
    /// Medium of the sample (samples, results).
    pub medium: Option<String>,
    /// Point code (samples and results of that point; the point itself).
    pub point_code: Option<String>,
    /// Sample code (samples, results).
    pub sample_code: Option<String>,
    /// Import batch id (samples, results: those of the samples that batch brought in).
    pub batch: Option<i64>,
    /// Analyte code or any alias (`Cd`, `镉`) (samples having it, results of it).
    pub analyte: Option<String>,
    /// Sampling year (samples, results).
    pub year: Option<i32>,
    /// Sampled on or after, YYYY-MM-DD.
    pub from: Option<String>,
    /// Sampled on or before, YYYY-MM-DD.
    pub to: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` (CGCS2000) of the point.
    pub bbox: Option<String>,
    /// Points: `active` or `retired`.
    pub status: Option<String>,
    /// Exceedance class (samples, results), comma-separated for several: `below_screening`
    /// (C ≤ screening value), `above_screening` (screening < C ≤ intervention value),
    /// `above_intervention` (C > intervention value); also `priority_protection`,
    /// `safe_utilization`, `strict_control` or 不超过筛选值, 超过筛选值, 超过管制值. Judged by the
    /// standards engine: soil on farmland by GB 15618-2018, other soil by GB 36600-2018
    /// (first-class land); a result by its item, a sample by the named analyte or else by its
    /// class. Other media never match. A page may then be shorter than `limit` and still have a
    /// next page.
    pub exceedance: Option<String>,
    /// `id` (default; `code` for points), `-id`, `sampled_on`, `-sampled_on`.
    pub sort: Option<String>,
    /// The `X-Next-Cursor` of the previous page (opaque).
    pub cursor: Option<String>,
    /// Page size: default 1000; at most 10000 (JSON) or 100000 (CSV, GeoJSON, XLSX).
    pub limit: Option<u32>,
    /// Output: `json`, `csv`, `geojson`, `xlsx` (else from `Accept`).
    pub f: Option<String>,
}

/// Output format of a find endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    GeoJson,
    Xlsx,
}

fn bad(param: &str, cn: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("参数 {param}: {cn} / parameter {param}: {en}"))
}

pub(crate) fn parse_date(param: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        bad(
            param,
            format!("应为日期 YYYY-MM-DD，收到 '{s}'"),
            format!("must be a date YYYY-MM-DD, found '{s}'"),
        )
    })
}

fn parse_with<T: std::str::FromStr>(param: &str, s: &str) -> ApiResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>()
        .map_err(|e| ApiError::BadRequest(format!("参数 {param} / parameter {param}: {e}")))
}

impl FindParams {
    /// The store query, or a 400 naming the parameter.
    pub fn query(&self, format: Format) -> ApiResult<FindQuery> {
        let max = if format == Format::Json {
            10_000
        } else {
            100_000
        };
        let limit = self.limit.unwrap_or(1000);
        if limit == 0 || limit > max {
            return Err(bad(
                "limit",
                format!("应在 1–{max} 之间，收到 {limit}"),
                format!("must be between 1 and {max}, found {limit}"),
            ));
        }
        let mut from = self
            .from
            .as_deref()
            .map(|s| parse_date("from", s))
            .transpose()?;
        let mut to = self
            .to
            .as_deref()
            .map(|s| parse_date("to", s))
            .transpose()?;
        if let Some(y) = self.year {
            let first = NaiveDate::from_ymd_opt(y, 1, 1);
            let last = NaiveDate::from_ymd_opt(y, 12, 31);
            let (Some(first), Some(last)) = (first, last) else {
                return Err(bad(
                    "year",
                    format!("无效的年份 {y}"),
                    format!("invalid year {y}"),
                ));
            };
            from = Some(from.map_or(first, |f| f.max(first)));
            to = Some(to.map_or(last, |t| t.min(last)));
        }
        let bbox = self.bbox.as_deref().map(parse_bbox).transpose()?;
        let active = match self.status.as_deref() {
            None | Some("") | Some("all") => None,
            Some("active") => Some(true),
            Some("retired") => Some(false),
            Some(other) => {
                return Err(bad(
                    "status",
                    format!("应为 active 或 retired，收到 '{other}'"),
                    format!("must be active or retired, found '{other}'"),
                ))
            }
        };
        let analyte = self
            .analyte
            .as_deref()
            .map(|a| {
                AnalyteCatalogue::builtin()
                    .require(a)
                    .map(|a| a.code.clone())
                    .map_err(|e| {
                        ApiError::BadRequest(format!("参数 analyte / parameter analyte: {e}"))
                    })
            })
            .transpose()?;
        Ok(FindQuery {
            division: self.division.as_deref().map(parse_division).transpose()?,
            point_type: self
                .point_type
                .as_deref()
                .map(|s| parse_with::<PointType>("type", s))
                .transpose()?,
            control_level: self
                .control_level
                .as_deref()
                .map(|s| parse_with::<ControlLevel>("control_level", s))
                .transpose()?,
            risk_category: self
                .risk_category
                .as_deref()
                .map(|s| parse_with("risk_category", s))
                .transpose()?,
            medium: self
                .medium
                .as_deref()
                .map(|s| parse_with::<Medium>("medium", s))
                .transpose()?,
            point_code: self.point_code.clone(),
            sample_code: self.sample_code.clone(),
            batch: self.batch,
            analyte,
            from,
            to,
            bbox,
            active,
            exceedance: match self.exceedance.as_deref() {
                None => Vec::new(),
                Some(e) => ExceedanceClass::parse_list(e).map_err(|e| {
                    ApiError::BadRequest(format!("参数 exceedance / parameter exceedance: {e}"))
                })?,
            },
            sort: self
                .sort
                .as_deref()
                .map(|s| parse_with::<FindSort>("sort", s))
                .transpose()?
                .unwrap_or_default(),
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
            limit,
            ..FindQuery::default()
        })
    }

    /// The output format: `?f=` first, then the `Accept` header, JSON by default.
    pub fn format(&self, headers: &HeaderMap) -> ApiResult<Format> {
        if let Some(f) = self.f.as_deref() {
            return match f {
                "json" => Ok(Format::Json),
                "csv" => Ok(Format::Csv),
                "geojson" => Ok(Format::GeoJson),
                "xlsx" => Ok(Format::Xlsx),
                other => Err(bad(
                    "f",
                    format!("未知的格式 '{other}'"),
                    format!("unknown format '{other}' (expected json, csv, geojson or xlsx)"),
                )),
            };
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(if accept.contains("text/csv") {
            Format::Csv
        } else if accept.contains("application/geo+json") {
            Format::GeoJson
        } else if accept.contains("spreadsheetml") {
            Format::Xlsx
        } else {
            Format::Json
        })
    }
}

fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let err = || {
        bad(
            "bbox",
            format!("应为 最小经度,最小纬度,最大经度,最大纬度，收到 '{s}'"),
            format!("must be minLon,minLat,maxLon,maxLat, found '{s}'"),
        )
    };
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| err()))
        .collect::<ApiResult<_>>()?;
    match v.as_slice() {
        [a, b, c, d] if a <= c && b <= d => Ok([*a, *b, *c, *d]),
        _ => Err(err()),
    }
}

/// A row as a table (CSV, XLSX) and a map feature (GeoJSON).
pub trait Tabular {
    /// Column headers, Chinese (English).
    fn headers() -> &'static [&'static str];
    fn cells(&self) -> Vec<String>;
    fn lon_lat(&self) -> Option<(f64, f64)>;
    /// Property names of the GeoJSON feature (same order as the cells).
    fn keys() -> &'static [&'static str];
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl Tabular for PointRecord {
    fn headers() -> &'static [&'static str] {
        &[
            "点位编码(code)",
            "点位名称(name)",
            "点位类型(point_type)",
            "控制级别(control_level)",
            "行政区划(division)",
            "经度(lon)",
            "纬度(lat)",
            "土地利用(land_use)",
            "风险区类别(risk_category)",
            "监测企业(watched_enterprise)",
            "监测地块(watched_plot)",
            "设立日期(established_on)",
            "迁移日期(moved_on)",
            "撤销日期(retired_on)",
            "版本(version)",
        ]
    }
    fn keys() -> &'static [&'static str] {
        &[
            "code",
            "name",
            "point_type",
            "control_level",
            "division",
            "lon",
            "lat",
            "land_use",
            "risk_category",
            "watched_enterprise",
            "watched_plot",
            "established_on",
            "moved_on",
            "retired_on",
            "version",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let n = &self.point;
        let p = &n.point;
        vec![
            p.code.clone(),
            p.name.clone(),
            p.point_type.code().into(),
            p.control_level.code().into(),
            p.division.to_string(),
            p.location.lon().to_string(),
            p.location.lat().to_string(),
            p.land_use.map(|l| l.code().to_owned()).unwrap_or_default(),
            opt(&p.risk_category),
            opt(&n.watched_enterprise),
            opt(&n.watched_plot),
            opt(&p.established_on),
            opt(&n.moved_on),
            opt(&p.retired_on),
            self.version.to_string(),
        ]
    }
    fn lon_lat(&self) -> Option<(f64, f64)> {
        let l = self.point.point.location;
        Some((l.lon(), l.lat()))
    }
}

impl Tabular for FoundSample {
    fn headers() -> &'static [&'static str] {
        &[
            "样品编号(id)",
            "样品编码(code)",
            "点位编码(point_code)",
            "介质(medium)",
            "行政区划(division)",
            "采样日期(sampled_on)",
            "土地利用(land_use)",
            "作物(crop)",
            "采样深度上限cm(depth_top)",
            "采样深度下限cm(depth_bottom)",
            "检测机构(lab)",
            "点位类型(point_type)",
            "控制级别(control_level)",
            "经度(lon)",
            "纬度(lat)",
        ]
    }
    fn keys() -> &'static [&'static str] {
        &[
            "id",
            "code",
            "point_code",
            "medium",
            "division",
            "sampled_on",
            "land_use",
            "crop",
            "depth_top",
            "depth_bottom",
            "lab",
            "point_type",
            "control_level",
            "lon",
            "lat",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let s = &self.sample;
        vec![
            self.id.to_string(),
            s.code.clone(),
            opt(&s.point_code),
            s.medium.code().into(),
            s.division.to_string(),
            s.sampled_on.to_string(),
            s.land_use.map(|l| l.code().to_owned()).unwrap_or_default(),
            opt(&s.crop),
            opt(&s.depth_cm.map(|d| d.0)),
            opt(&s.depth_cm.map(|d| d.1)),
            opt(&s.lab),
            self.point_type
                .map(|t| t.code().to_owned())
                .unwrap_or_default(),
            self.control_level
                .map(|t| t.code().to_owned())
                .unwrap_or_default(),
            opt(&self.lon),
            opt(&self.lat),
        ]
    }
    fn lon_lat(&self) -> Option<(f64, f64)> {
        self.lon.zip(self.lat)
    }
}

impl Tabular for FoundResult {
    fn headers() -> &'static [&'static str] {
        &[
            "结果编号(result_id)",
            "样品编号(sample_id)",
            "样品编码(sample_code)",
            "点位编码(point_code)",
            "行政区划(division)",
            "介质(medium)",
            "采样日期(sampled_on)",
            "检测项目(analyte)",
            "检测值(value)",
            "单位(unit)",
            "检出限(detection_limit)",
            "检出情况(qualifier)",
            "方法(method)",
            "经度(lon)",
            "纬度(lat)",
        ]
    }
    fn keys() -> &'static [&'static str] {
        &[
            "result_id",
            "sample_id",
            "sample_code",
            "point_code",
            "division",
            "medium",
            "sampled_on",
            "analyte",
            "value",
            "unit",
            "detection_limit",
            "qualifier",
            "method",
            "lon",
            "lat",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let r = &self.row;
        let a = &r.result;
        vec![
            r.result_id.to_string(),
            r.sample_id.to_string(),
            r.sample_code.clone(),
            opt(&self.point_code),
            r.division.to_string(),
            r.medium.code().into(),
            r.sampled_on.to_string(),
            a.analyte.clone(),
            opt(&a.value),
            a.unit.symbol().to_owned(),
            opt(&a.detection_limit),
            a.qualifier.code().into(),
            opt(&a.method),
            opt(&self.lon),
            opt(&self.lat),
        ]
    }
    fn lon_lat(&self) -> Option<(f64, f64)> {
        self.lon.zip(self.lat)
    }
}

/// Percent-encode a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URI of the next page: the same query with `cursor` replaced.
pub fn next_uri(uri: &Uri, cursor: &str) -> String {
    let mut parts: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
        .collect();
    let c = format!("cursor={}", encode(cursor));
    parts.push(&c);
    format!("{}?{}", uri.path(), parts.join("&"))
}

fn csv_bytes<T: Tabular>(items: &[T]) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record(T::headers()).map_err(internal)?;
    for it in items {
        w.write_record(it.cells()).map_err(internal)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn geojson_value<T: Tabular>(items: &[T]) -> serde_json::Value {
    let features: Vec<serde_json::Value> = items
        .iter()
        .map(|it| {
            let props: serde_json::Map<String, serde_json::Value> = T::keys()
                .iter()
                .zip(it.cells())
                .filter(|(k, _)| !matches!(**k, "lon" | "lat"))
                .map(|(k, v)| {
                    let v = if v.is_empty() {
                        serde_json::Value::Null
                    } else {
                        serde_json::Value::String(v)
                    };
                    ((*k).to_owned(), v)
                })
                .collect();
            let geometry = it
                .lon_lat()
                .map(|(x, y)| serde_json::json!({"type": "Point", "coordinates": [x, y]}))
                .unwrap_or(serde_json::Value::Null);
            serde_json::json!({"type": "Feature", "geometry": geometry, "properties": props})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

fn xlsx_bytes<T: Tabular>(items: &[T], sheet: &str) -> ApiResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in T::headers().iter().enumerate() {
        let c = u16::try_from(c).map_err(|e| ApiError::Internal(e.to_string()))?;
        ws.write_string_with_format(0, c, *h, &bold)
            .map_err(internal)?;
    }
    for (r, it) in items.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|e| ApiError::Internal(e.to_string()))?;
        for (c, v) in it.cells().iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| ApiError::Internal(e.to_string()))?;
            match v.parse::<f64>() {
                Ok(n) if !v.is_empty() && T::keys()[usize::from(c)] != "code" => {
                    ws.write_number(r, c, n).map_err(internal)?
                }
                _ => ws.write_string(r, c, v).map_err(internal)?,
            };
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// Answer a page in the requested format, with the next-page headers.
pub fn respond<T: Serialize + Tabular>(
    page: Page<T>,
    format: Format,
    uri: &Uri,
    name: &str,
) -> ApiResult<Response> {
    let mut res = match format {
        Format::Json => Json(&page.items).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            csv_bytes(&page.items)?,
        )
            .into_response(),
        Format::GeoJson => (
            [(header::CONTENT_TYPE, "application/geo+json")],
            geojson_value(&page.items).to_string(),
        )
            .into_response(),
        Format::Xlsx => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            xlsx_bytes(&page.items, name)?,
        )
            .into_response(),
    };
    if let Some(c) = &page.next_cursor {
        let link = format!("<{}>; rel=\"next\"", next_uri(uri, c));
        if let (Ok(l), Ok(c)) = (
            HeaderValue::from_str(&link),
            HeaderValue::from_str(&encode(c)),
        ) {
            res.headers_mut().insert(header::LINK, l);
            res.headers_mut().insert("x-next-cursor", c);
        }
    }
    Ok(res)
}

/// Today's date minus whole years (29 February → 28 February).
pub fn years_ago(today: NaiveDate, years: u32) -> NaiveDate {
    let y = today.year() - i32::try_from(years).unwrap_or(0);
    NaiveDate::from_ymd_opt(y, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, today.month(), 28))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_uri_replaces_the_cursor() {
        let uri: Uri = "/api/v1/results?analyte=%E9%95%89&cursor=5&limit=2"
            .parse()
            .expect("uri");
        assert_eq!(
            next_uri(&uri, "2020-01-01.3.4"),
            "/api/v1/results?analyte=%E9%95%89&limit=2&cursor=2020-01-01.3.4"
        );
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn bbox_and_years() {
        assert!(parse_bbox("102,27,103,28").is_ok());
        assert!(parse_bbox("103,27,102,28").is_err());
        assert!(parse_bbox("1,2,3").is_err());
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
        assert_eq!(
            years_ago(d, 3),
            NaiveDate::from_ymd_opt(2021, 2, 28).expect("d")
        );
    }
}
