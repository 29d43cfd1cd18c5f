//! What every list page shares (issue 7): the filter form ([`Field`]), the table ([`Cell`]), the
//! paging and export links ([`ListBody`], rendered by `templates/list_body.html`), and for the
//! registry lists, read one keyset page at a time from the store ([`registry_page`],
//! [`keyset_list`], issue 12), and the lists a page reads whole (import batches, computed lists:
//! [`whole`]), their paging by the key of the last row and their CSV (UTF-8 with BOM) and XLSX
//! exports of exactly the filtered rows.
//!
//! The lists of points, samples and results page through the API's own cursor and export through
//! the API route (see `lists.rs`); the whole-read lists page by the key of their last row and
//! export through the page's own route with `f=csv|xlsx`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use soilwatch_core::DivisionLevel;
use soilwatch_store::KeysetPage;

use super::i18n::Lang;
use super::PageError;
use crate::error::ApiError;

/// Rows per page unless `limit` says otherwise.
pub const PAGE_ROWS: u32 = 100;

/// One cell: text, a link when it has a page, and whether it is a number (right-aligned on the
/// page, a number in XLSX).
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub num: bool,
}

pub fn text(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        href: None,
        num: false,
    }
}

pub fn link(s: impl Into<String>, href: String) -> Cell {
    Cell {
        text: s.into(),
        href: Some(href),
        num: false,
    }
}

pub fn num(n: impl ToString) -> Cell {
    Cell {
        text: n.to_string(),
        href: None,
        num: true,
    }
}

/// A filter of the form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    /// (value, text) of a select; none for a text input.
    pub options: Option<Vec<(String, String)>>,
    /// `text`, `number` or `date`.
    pub kind: &'static str,
}

/// A select with "all" first.
pub fn select(
    name: &'static str,
    label: &'static str,
    value: Option<&String>,
    l: Lang,
    options: impl Iterator<Item = (String, String)>,
) -> Field {
    let mut all = vec![(String::new(), l.t("全部", "all").to_owned())];
    all.extend(options);
    Field {
        name,
        label,
        value: value.cloned().unwrap_or_default(),
        options: Some(all),
        kind: "text",
    }
}

/// A text, number or date input.
pub fn input(
    name: &'static str,
    label: &'static str,
    value: Option<String>,
    kind: &'static str,
) -> Field {
    Field {
        name,
        label,
        value: value.unwrap_or_default(),
        options: None,
        kind,
    }
}

/// The division select (the prefecture and its counties).
pub fn division_field(
    l: Lang,
    value: Option<&String>,
    divisions: &[soilwatch_core::Division],
) -> Field {
    select(
        "division",
        l.t("行政区划", "Division"),
        value,
        l,
        divisions
            .iter()
            .filter(|d| d.level != DivisionLevel::Province)
            .map(|d| (d.code.to_string(), format!("{} {}", d.code, d.name))),
    )
}

/// The filter form, the table, the export links and the pager of a list page
/// (`templates/list_body.html`).
pub struct ListBody {
    pub action: &'static str,
    pub fields: Vec<Field>,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub exports: Vec<(&'static str, String)>,
    pub api: String,
    /// What an empty table says.
    pub empty: String,
}

/// Whether the query string sets any filter (anything but `cursor`, `f`, `limit` and `lang`).
pub fn filtered(raw: Option<&str>) -> bool {
    !filters_only(raw).is_empty()
}

/// The query string without `cursor`, `f`, `limit` and `lang`.
fn filters_only(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && !matches!(k.as_str(), "cursor" | "f" | "limit" | "lang"))
        .collect()
}

fn with(pairs: &[(String, String)], extra: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.extend_from_slice(extra);
    serde_urlencoded::to_string(&all).unwrap_or_default()
}

/// Where a list's links go.
pub struct Links<'a> {
    /// The page.
    pub path: &'static str,
    /// The route that answers the exports (`f=`), with the extra parameters they take.
    pub export: &'a str,
    pub export_extra: &'a [(&'a str, &'a str)],
    /// The formats offered, `csv`, `xlsx`, `geojson`.
    pub formats: &'a [&'static str],
    /// The JSON route.
    pub api: &'a str,
    /// Whether the JSON route pages by `limit` (the find API) and its link carries the page size.
    pub api_pages: bool,
}

impl ListBody {
    /// A list with the links for its filters (`raw`), page size and next cursor.
    pub fn new(
        links: &Links<'_>,
        raw: Option<&str>,
        limit: u32,
        cursor: Option<&str>,
        fields: Vec<Field>,
        columns: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    ) -> ListBody {
        let pairs = filters_only(raw);
        let limit_s = limit.to_string();
        let path = links.path;
        let page = |c: &str| {
            format!(
                "{path}?{}",
                with(&pairs, &[("limit", &limit_s), ("cursor", c)])
            )
        };
        let had_cursor = raw.is_some_and(|r| r.contains("cursor="));
        let l = Lang::current();
        ListBody {
            empty: l
                .t("没有符合条件的记录。", "Nothing matches these filters.")
                .to_owned(),
            action: path,
            fields,
            columns,
            rows,
            next: cursor.map(page),
            first: had_cursor.then(|| format!("{path}?{}", with(&pairs, &[("limit", &limit_s)]))),
            exports: links
                .formats
                .iter()
                .map(|f| {
                    let mut extra = links.export_extra.to_vec();
                    extra.push(("f", f));
                    (
                        match *f {
                            "csv" => "CSV",
                            "xlsx" => "XLSX",
                            _ => "GeoJSON",
                        },
                        format!("{}?{}", links.export, with(&pairs, &extra)),
                    )
                })
                .collect(),
            api: if links.api_pages {
                format!("{}?{}", links.api, with(&pairs, &[("limit", &limit_s)]))
            } else if pairs.is_empty() {
                links.api.to_owned()
            } else {
                format!("{}?{}", links.api, with(&pairs, &[]))
            },
        }
    }
}

/// A row of a list read whole: the key it is paged by (rows are shown in ascending key order)
/// and its cells.
pub struct Keyed {
    pub key: String,
    pub cells: Vec<Cell>,
}

/// `cursor`, `limit` and `f` of a list read whole (its filters are read by the page).
#[derive(Debug, Default, Deserialize)]
struct Paging {
    cursor: Option<String>,
    limit: Option<String>,
    f: Option<String>,
}

/// What a whole-read list answers: a page, or an export of every filtered row.
pub enum Whole {
    Page(ListBody),
    Export(Response),
}

fn bad(param: &str, cn: String, en: String) -> PageError {
    PageError(ApiError::BadRequest(format!(
        "参数 {param}：{cn} / parameter {param}: {en}"
    )))
}

/// What a list page asks for: an export format (`f=csv|xlsx`, `None` for the page), the page
/// size (`limit`, default [`PAGE_ROWS`], 1–10,000) and the cursor.
struct Asked {
    export: Option<&'static str>,
    limit: u32,
    cursor: Option<String>,
}

fn asked(raw: Option<&str>) -> Result<Asked, PageError> {
    let p: Paging = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let export = match p.f.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None | Some("html") => None,
        Some("csv") => Some("csv"),
        Some("xlsx") => Some("xlsx"),
        Some(other) => {
            return Err(bad(
                "f",
                format!("未知格式 '{other}'（应为 csv 或 xlsx）"),
                format!("unknown format '{other}' (expected csv or xlsx)"),
            ))
        }
    };
    let limit = match p.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => PAGE_ROWS,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                return Err(bad(
                    "limit",
                    format!("'{s}' 应为 1–10000 的整数"),
                    format!("'{s}' must be a whole number from 1 to 10000"),
                ))
            }
        },
    };
    let cursor = p
        .cursor
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    Ok(Asked {
        export,
        limit,
        cursor,
    })
}

fn export(
    sheet: &str,
    format: &str,
    columns: &[&str],
    rows: &[Keyed],
) -> Result<Response, PageError> {
    if format == "xlsx" {
        xlsx_export(sheet, columns, rows)
    } else {
        csv_export(sheet, columns, rows)
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one list body, passed through from two callers"
)]
fn list_body(
    path: &'static str,
    api: &str,
    raw: Option<&str>,
    limit: u32,
    next: Option<&str>,
    fields: Vec<Field>,
    columns: Vec<&'static str>,
    shown: Vec<Vec<Cell>>,
) -> ListBody {
    ListBody::new(
        &Links {
            path,
            export: path,
            export_extra: &[],
            formats: &["csv", "xlsx"],
            api,
            api_pages: false,
        },
        raw,
        limit,
        next,
        fields,
        columns,
        shown,
    )
}

/// Page or export a list read whole. `rows` are every row the filters select; the page shows
/// `limit` (default [`PAGE_ROWS`], at most 10,000) of them after the row keyed `cursor`; `f=csv`
/// answers every row as CSV (UTF-8 with BOM, for Excel) and `f=xlsx` as a workbook, headed by the
/// columns in the page's language.
pub fn whole(
    path: &'static str,
    api: &str,
    sheet: &str,
    raw: Option<&str>,
    fields: Vec<Field>,
    columns: Vec<&'static str>,
    mut rows: Vec<Keyed>,
) -> Result<Whole, PageError> {
    let a = asked(raw)?;
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    if a.export.is_none() {
        // The rows after the cursor, and one more to know whether another page follows: what
        // the store returns for a keyset page.
        if let Some(c) = a.cursor.as_deref() {
            let start = rows.partition_point(|r| r.key.as_str() <= c);
            rows.drain(..start);
        }
        rows.truncate(a.limit as usize + 1);
    }
    keyset_list(path, api, sheet, raw, fields, columns, rows)
}

/// The page of a registry list to read from the store (issue 12: keyset paging, no registry read
/// whole for a page): the `limit` records after the record keyed `cursor`, and one more to know
/// whether another page follows; every filtered record for an export (`f=csv|xlsx`). Errors as
/// [`keyset_list`] reports them (a bad `f` or `limit`).
pub fn registry_page(raw: Option<&str>) -> Result<KeysetPage, PageError> {
    let a = asked(raw)?;
    Ok(if a.export.is_some() {
        KeysetPage::default()
    } else {
        KeysetPage {
            after: a.cursor,
            limit: Some(a.limit + 1),
        }
    })
}

/// Page or export a registry list read by [`registry_page`]: `rows` are the records the store
/// returned for it, in the store's order (the JSON API's), each keyed by its record key (code,
/// USCC). The page shows the first `limit` of them and links the next page by the key of its
/// last row while another row follows; an export answers every row as [`whole`] does.
pub fn keyset_list(
    path: &'static str,
    api: &str,
    sheet: &str,
    raw: Option<&str>,
    fields: Vec<Field>,
    columns: Vec<&'static str>,
    mut rows: Vec<Keyed>,
) -> Result<Whole, PageError> {
    let a = asked(raw)?;
    if let Some(f) = a.export {
        return Ok(Whole::Export(export(sheet, f, &columns, &rows)?));
    }
    let limit = a.limit;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.key.clone())
    } else {
        None
    };
    let shown = rows.into_iter().map(|r| r.cells).collect();
    Ok(Whole::Page(list_body(
        path,
        api,
        raw,
        limit,
        next.as_deref(),
        fields,
        columns,
        shown,
    )))
}

fn internal(e: impl std::fmt::Display) -> PageError {
    PageError(ApiError::Internal(e.to_string()))
}

fn attachment(content_type: &str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_export(sheet: &str, columns: &[&str], rows: &[Keyed]) -> Result<Response, PageError> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(columns).map_err(internal)?;
    for r in rows {
        w.write_record(r.cells.iter().map(|c| c.text.as_str()))
            .map_err(internal)?;
    }
    let body = w.into_inner().map_err(internal)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("{sheet}.csv"),
        body,
    ))
}

fn xlsx_export(sheet: &str, columns: &[&str], rows: &[Keyed]) -> Result<Response, PageError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(internal)?;
        ws.write_string_with_format(0, c, *h, &bold)
            .map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(internal)?;
        for (c, cell) in row.cells.iter().enumerate() {
            let c = u16::try_from(c).map_err(internal)?;
            match cell.text.parse::<f64>() {
                Ok(n) if cell.num => ws.write_number(r, c, n).map_err(internal)?,
                _ => ws.write_string(r, c, &cell.text).map_err(internal)?,
            };
        }
    }
    let body = book.save_to_buffer().map_err(internal)?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{sheet}.xlsx"),
        body,
    ))
}
