//! Query parameters of `/collections/{id}/items` (and of the exports): `bbox`, `bbox-crs`,
//! `crs`, `datetime`, `limit`, `offset`, `f` and one equality filter per queryable. Anything else
//! is a 400 naming the parameter.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::collection::Collection;
use crate::error::{ApiError, ApiResult};

/// Features per page when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 100;
/// The declared maximum of `limit`; larger values are served as this many.
pub const MAX_LIMIT: u64 = 10_000;

/// A coordinate reference system the collections are served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS 84 longitude/latitude (the GeoJSON default). CGCS2000 coordinates are served as they
    /// are: the two frames differ by centimetres.
    Crs84,
    /// CGCS2000 geographic, EPSG:4490 — latitude first, as the EPSG definition orders the axes.
    Cgcs2000,
    /// WGS 84 geographic, EPSG:4326 — latitude first.
    Wgs84,
}

impl Crs {
    /// Every CRS offered, the default first.
    pub const ALL: [Crs; 3] = [Crs::Crs84, Crs::Cgcs2000, Crs::Wgs84];
    /// The storage CRS of every collection.
    pub const STORAGE: Crs = Crs::Cgcs2000;

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Cgcs2000 => "http://www.opengis.net/def/crs/EPSG/0/4490",
            Crs::Wgs84 => "http://www.opengis.net/def/crs/EPSG/0/4326",
        }
    }
    /// Whether coordinates are written latitude first.
    pub fn lat_first(self) -> bool {
        !matches!(self, Crs::Crs84)
    }
    /// Parse a CRS URI (or `EPSG:4490`, `[EPSG:4490]`, `OGC:CRS84`).
    pub fn parse(param: &str, s: &str) -> ApiResult<Crs> {
        let t = s.trim().trim_start_matches('[').trim_end_matches(']');
        let t = t
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.opengis.net/def/crs/");
        match t {
            "OGC/1.3/CRS84" | "OGC/0/CRS84" | "OGC:CRS84" | "CRS84" => Ok(Crs::Crs84),
            "EPSG/0/4490" | "EPSG:4490" => Ok(Crs::Cgcs2000),
            "EPSG/0/4326" | "EPSG:4326" => Ok(Crs::Wgs84),
            _ => Err(bad(
                param,
                format!("不支持的坐标参照系 '{s}'"),
                format!(
                    "unsupported CRS '{s}' (supported: {})",
                    Crs::ALL.map(Crs::uri).join(", ")
                ),
            )),
        }
    }
}

/// A closed range of dates; `None` ends are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// Whether `[start, end]` (open where `None`) overlaps the range.
    pub fn overlaps(&self, start: Option<NaiveDate>, end: Option<NaiveDate>) -> bool {
        let after_from = match (self.from, end) {
            (Some(f), Some(e)) => e >= f,
            _ => true,
        };
        let before_to = match (self.to, start) {
            (Some(t), Some(s)) => s <= t,
            _ => true,
        };
        after_from && before_to
    }
}

/// A parsed items query.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemQuery {
    /// min lon, min lat, max lon, max lat.
    pub bbox: Option<[f64; 4]>,
    pub datetime: Option<DateRange>,
    /// (queryable, value as the property holds it).
    pub filters: Vec<(&'static str, String)>,
    pub offset: u64,
    /// Keyset paging (issue 12): the features after this one (the id of the previous page's
    /// last feature, as the `next` link carries it); not with `offset`.
    pub cursor: Option<String>,
    /// `None`: every feature (exports).
    pub limit: Option<u64>,
    /// The CRS of the response.
    pub crs: Crs,
    /// The `limit` as asked (before clamping), for the links.
    pub asked_limit: Option<u64>,
    /// Samples: what the reader may see (set by the handler from the signed-in user, not a
    /// parameter), so `numberMatched` and the pages count only what is shown.
    pub visible: Option<soilwatch_store::SampleVisibility>,
}

impl ItemQuery {
    /// The filter value of a queryable.
    pub fn filter(&self, name: &str) -> Option<&str> {
        self.filters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn bad(param: &str, cn: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("参数 {param}: {cn} / parameter {param}: {en}"))
}

/// Parse the query string pairs of an items request. `paged`: `limit` defaults to
/// [`DEFAULT_LIMIT`] (false: every feature unless a limit is given).
pub fn parse_items(
    pairs: &[(String, String)],
    collection: &dyn Collection,
    paged: bool,
) -> ApiResult<ItemQuery> {
    let meta = collection.meta();
    let mut q = ItemQuery {
        bbox: None,
        datetime: None,
        filters: Vec::new(),
        offset: 0,
        cursor: None,
        limit: paged.then_some(DEFAULT_LIMIT),
        crs: Crs::Crs84,
        asked_limit: None,
        visible: None,
    };
    let mut bbox = None;
    let mut bbox_crs = Crs::Crs84;
    for (k, v) in pairs {
        match k.as_str() {
            "f" => {}
            "bbox" => bbox = Some(v.clone()),
            "bbox-crs" => bbox_crs = Crs::parse("bbox-crs", v)?,
            "crs" => q.crs = Crs::parse("crs", v)?,
            "datetime" => q.datetime = parse_datetime(v)?,
            "limit" => {
                let n = parse_count("limit", v)?;
                if n == 0 {
                    return Err(bad(
                        "limit",
                        "应为正整数，收到 0",
                        "must be a positive integer, found 0",
                    ));
                }
                q.asked_limit = Some(n);
                q.limit = Some(n.min(MAX_LIMIT));
            }
            "offset" => q.offset = parse_count("offset", v)?,
            "cursor" => q.cursor = Some(v.trim().to_owned()).filter(|c| !c.is_empty()),
            name => match meta.field(name).filter(|f| f.queryable) {
                Some(f) => {
                    let value = collection.normalize(f.name, v)?;
                    q.filters.retain(|(n, _)| *n != f.name);
                    q.filters.push((f.name, value));
                }
                None => {
                    let names: Vec<&str> = meta.queryables().map(|f| f.name).collect();
                    return Err(bad(
                        name,
                        "未知参数",
                        format!(
                            "unknown parameter (items take f, bbox, bbox-crs, crs, datetime, \
                             limit, offset, cursor and the queryables of '{}': {})",
                            meta.id,
                            names.join(", ")
                        ),
                    ));
                }
            },
        }
    }
    if let Some(b) = bbox {
        q.bbox = Some(parse_bbox(&b, bbox_crs)?);
    }
    if q.cursor.is_some() && q.offset > 0 {
        return Err(bad(
            "cursor",
            "不能与 offset 同时使用",
            "cannot be combined with offset (follow the next link)",
        ));
    }
    Ok(q)
}

fn parse_count(param: &str, s: &str) -> ApiResult<u64> {
    s.trim().parse::<u64>().map_err(|_| {
        bad(
            param,
            format!("应为非负整数，收到 '{s}'"),
            format!("must be a non-negative integer, found '{s}'"),
        )
    })
}

/// `minx,miny,maxx,maxy` (or with heights, 6 numbers) in `crs` axis order → lon/lat box.
pub fn parse_bbox(s: &str, crs: Crs) -> ApiResult<[f64; 4]> {
    let nums: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            bad(
                "bbox",
                format!("应为 4 或 6 个以逗号分隔的数，收到 '{s}'"),
                format!("must be 4 or 6 comma-separated numbers, found '{s}'"),
            )
        })?;
    let [a, b, c, d] = match nums.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, c, d, _] => [*a, *b, *c, *d],
        _ => {
            return Err(bad(
                "bbox",
                format!("应为 4 或 6 个数，收到 {} 个", nums.len()),
                format!("must have 4 or 6 numbers, found {}", nums.len()),
            ))
        }
    };
    let [x0, y0, x1, y1] = if crs.lat_first() {
        [b, a, d, c]
    } else {
        [a, b, c, d]
    };
    if !nums.iter().all(|v| v.is_finite()) || x0 > x1 || y0 > y1 || y0 < -90.0 || y1 > 90.0 {
        return Err(bad(
            "bbox",
            format!("无效的范围 '{s}'（最小值不得大于最大值，纬度在 ±90 之间）"),
            format!(
                "invalid box '{s}' (lower corner first, latitudes within ±90; boxes across the \
                 antimeridian are not supported)"
            ),
        ));
    }
    Ok([x0, y0, x1, y1])
}

/// The date of an RFC 3339 date or date-time, in China Standard Time (UTC+8), where the
/// sampling dates are recorded.
fn instant(s: &str) -> ApiResult<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&beijing).date_naive())
        .map_err(|_| {
            bad(
                "datetime",
                format!("应为 RFC 3339 日期或时间，或以 / 分隔的区间（开放端写 ..），收到 '{s}'"),
                format!(
                    "must be an RFC 3339 date or date-time, or an interval a/b with '..' for an \
                     open end, found '{s}'"
                ),
            )
        })
}

/// `datetime`: an instant, or an interval `a/b` with `..` (or nothing) for an open end.
/// `None` when both ends are open.
pub fn parse_datetime(s: &str) -> ApiResult<Option<DateRange>> {
    let s = s.trim();
    let open = |p: &str| p.is_empty() || p == "..";
    let range = match s.split_once('/') {
        None if open(s) => return Err(bad("datetime", "不能为空", "must not be empty")),
        None => {
            let d = instant(s)?;
            DateRange {
                from: Some(d),
                to: Some(d),
            }
        }
        Some((a, b)) => DateRange {
            from: if open(a) { None } else { Some(instant(a)?) },
            to: if open(b) { None } else { Some(instant(b)?) },
        },
    };
    if let (Some(f), Some(t)) = (range.from, range.to) {
        if f > t {
            return Err(bad(
                "datetime",
                format!("区间起点晚于终点 '{s}'"),
                format!("the interval starts after it ends: '{s}'"),
            ));
        }
    }
    if range.from.is_none() && range.to.is_none() {
        return Ok(None);
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn datetime_instants_and_open_intervals() {
        let r = parse_datetime("2024-05-01").unwrap().unwrap();
        assert_eq!(
            (r.from, r.to),
            (Some(d("2024-05-01")), Some(d("2024-05-01")))
        );
        // 20:00 UTC is the next day in Beijing.
        let r = parse_datetime("2024-05-01T20:00:00Z").unwrap().unwrap();
        assert_eq!(r.from, Some(d("2024-05-02")));
        let r = parse_datetime("../2020-12-31").unwrap().unwrap();
        assert_eq!((r.from, r.to), (None, Some(d("2020-12-31"))));
        let r = parse_datetime("2020-01-01T00:00:00+08:00/")
            .unwrap()
            .unwrap();
        assert_eq!((r.from, r.to), (Some(d("2020-01-01")), None));
        assert_eq!(parse_datetime("../..").unwrap(), None);
        assert!(parse_datetime("2021-01-01/2020-01-01").is_err());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("").is_err());
    }

    #[test]
    fn bbox_axis_order_follows_the_crs() {
        assert_eq!(
            parse_bbox("101,26,103,28", Crs::Crs84).unwrap(),
            [101.0, 26.0, 103.0, 28.0]
        );
        assert_eq!(
            parse_bbox("26,101,28,103", Crs::Cgcs2000).unwrap(),
            [101.0, 26.0, 103.0, 28.0]
        );
        assert_eq!(
            parse_bbox("101,26,0,103,28,100", Crs::Crs84).unwrap(),
            [101.0, 26.0, 103.0, 28.0]
        );
        assert!(parse_bbox("103,26,101,28", Crs::Crs84).is_err());
        assert!(parse_bbox("1,2,3", Crs::Crs84).is_err());
        assert!(parse_bbox("a,b,c,d", Crs::Crs84).is_err());
    }

    #[test]
    fn crs_names() {
        assert_eq!(
            Crs::parse("crs", "http://www.opengis.net/def/crs/EPSG/0/4490").unwrap(),
            Crs::Cgcs2000
        );
        assert_eq!(Crs::parse("crs", "[OGC:CRS84]").unwrap(), Crs::Crs84);
        assert!(Crs::parse("crs", "http://www.opengis.net/def/crs/EPSG/0/3857").is_err());
    }

    #[test]
    fn ranges_overlap_open_intervals() {
        let r = DateRange {
            from: Some(d("2020-01-01")),
            to: None,
        };
        assert!(r.overlaps(None, None));
        assert!(r.overlaps(Some(d("2019-01-01")), None));
        assert!(!r.overlaps(Some(d("2010-01-01")), Some(d("2019-12-31"))));
    }
}
