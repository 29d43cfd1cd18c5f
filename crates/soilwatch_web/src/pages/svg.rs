//! SVG drawn on the server (no JavaScript, no outside tiles): the county map shaded by coverage
//! and the time-series chart of one analyte at a point.

use std::fmt::Write;

use chrono::NaiveDate;
use geo::{BoundingRect, InteriorPoint};

/// Escape text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One county on the map.
pub struct MapCounty<'a> {
    pub code: String,
    pub name: &'a str,
    pub boundary: &'a geo::MultiPolygon<f64>,
    /// Fill colour.
    pub fill: &'static str,
    pub label: String,
}

/// Fill for the number of core point types a county lacks (0 = all present).
pub fn coverage_fill(missing: usize) -> &'static str {
    match missing {
        0 => "#66bb6a",
        1 => "#fdd835",
        2 => "#fb8c00",
        _ => "#e53935",
    }
}

/// A map of counties, equirectangular with the longitude scaled by cos(latitude).
pub fn county_map(counties: &[MapCounty<'_>], width: f64) -> String {
    let rects: Vec<geo::Rect<f64>> = counties
        .iter()
        .filter_map(|c| c.boundary.bounding_rect())
        .collect();
    let Some(first) = rects.first() else {
        return String::from("<p>没有边界数据 / no boundaries</p>");
    };
    let (mut x0, mut y0, mut x1, mut y1) =
        (first.min().x, first.min().y, first.max().x, first.max().y);
    for r in &rects {
        x0 = x0.min(r.min().x);
        y0 = y0.min(r.min().y);
        x1 = x1.max(r.max().x);
        y1 = y1.max(r.max().y);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let scale = width / ((x1 - x0) * k).max(1e-9);
    let height = (y1 - y0) * scale;
    let px = |x: f64| (x - x0) * k * scale;
    let py = |y: f64| (y1 - y) * scale;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="-5 -5 {:.0} {:.0}" width="{:.0}" height="{:.0}" role="img" aria-label="各县（市）监测网络覆盖图" font-family="sans-serif">"#,
        width + 10.0,
        height + 10.0,
        width + 10.0,
        height + 10.0
    );
    for c in counties {
        let mut d = String::new();
        for poly in &c.boundary.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for (i, p) in ring.0.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1} ",
                        if i == 0 { "M" } else { "L" },
                        px(p.x),
                        py(p.y)
                    );
                }
                d.push('Z');
            }
        }
        let _ = write!(
            out,
            r##"<a href="/api/v1/points?division={}"><path d="{}" fill="{}" stroke="#333" stroke-width="0.8"><title>{} {}</title></path></a>"##,
            esc(&c.code),
            d,
            c.fill,
            esc(c.name),
            esc(&c.label)
        );
    }
    for c in counties {
        if let Some(p) = c.boundary.interior_point() {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#111">{}<tspan x="{:.1}" dy="13">{}</tspan></text>"##,
                px(p.x()),
                py(p.y()),
                esc(c.name),
                px(p.x()),
                esc(&c.label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One observation on a chart.
pub struct ChartPoint {
    pub date: NaiveDate,
    pub value: f64,
    /// A non-detect (drawn hollow, at the detection limit).
    pub non_detect: bool,
}

/// A time-series chart with optional horizontal reference lines (label, value, colour).
pub fn time_series(
    title: &str,
    unit: &str,
    points: &[ChartPoint],
    refs: &[(String, f64, &'static str)],
) -> String {
    let (w, h, l, r, t, b) = (640.0, 220.0, 60.0, 150.0, 24.0, 30.0);
    let pw = w - l - r;
    let ph = h - t - b;
    let Some(first) = points.iter().map(|p| p.date).min() else {
        return String::new();
    };
    let last = points.iter().map(|p| p.date).max().unwrap_or(first);
    let span = ((last - first).num_days() as f64).max(1.0);
    let vmax = points
        .iter()
        .map(|p| p.value)
        .chain(refs.iter().map(|r| r.1))
        .fold(0.0_f64, f64::max)
        * 1.1;
    let vmax = if vmax > 0.0 { vmax } else { 1.0 };
    let x = |d: NaiveDate| l + pw * ((d - first).num_days() as f64 / span);
    let y = |v: f64| t + ph * (1.0 - v / vmax);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}" font-family="sans-serif" font-size="11"><text x="{l}" y="15" font-size="13" font-weight="bold">{} ({})</text><line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="#333"/><line x1="{l}" y1="{t}" x2="{l}" y2="{}" stroke="#333"/>"##,
        esc(title),
        esc(title),
        esc(unit),
        t + ph,
        l + pw,
        t + ph,
        t + ph
    );
    for i in 0..=4 {
        let v = vmax * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<text x="{}" y="{:.1}" text-anchor="end">{}</text><line x1="{l}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#eee"/>"##,
            l - 4.0,
            y(v) + 4.0,
            fmt_num(v),
            y(v),
            l + pw,
            y(v)
        );
    }
    let (fy, ly) = (
        first
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap_or(2000),
        last.format("%Y").to_string().parse::<i32>().unwrap_or(2000),
    );
    for year in fy..=ly + 1 {
        if let Some(d) = NaiveDate::from_ymd_opt(year, 1, 1) {
            if d >= first && d <= last {
                let _ = write!(
                    out,
                    r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}" stroke="#999"/><text x="{0:.1}" y="{3}" text-anchor="middle">{4}</text>"##,
                    x(d),
                    t + ph,
                    t + ph + 4.0,
                    t + ph + 16.0,
                    year
                );
            }
        }
    }
    for (label, v, colour) in refs {
        let _ = write!(
            out,
            r##"<line x1="{l}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="{2}" stroke-dasharray="6 4" stroke-width="1.5"/><text x="{3}" y="{4:.1}" fill="{2}">{5} {6}</text>"##,
            y(*v),
            l + pw,
            colour,
            l + pw + 6.0,
            y(*v) + 4.0,
            esc(label),
            fmt_num(*v)
        );
    }
    let mut sorted: Vec<&ChartPoint> = points.iter().collect();
    sorted.sort_by_key(|p| p.date);
    let line: Vec<String> = sorted
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.date), y(p.value)))
        .collect();
    let _ = write!(
        out,
        r##"<polyline points="{}" fill="none" stroke="#1565c0" stroke-width="1.5"/>"##,
        line.join(" ")
    );
    for p in &sorted {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}" stroke="#1565c0"><title>{} {}{}</title></circle>"##,
            x(p.date),
            y(p.value),
            if p.non_detect { "#fff" } else { "#1565c0" },
            p.date,
            if p.non_detect { "<" } else { "" },
            fmt_num(p.value)
        );
    }
    out.push_str("</svg>");
    out
}

/// A number with about three significant digits.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escaping() {
        assert_eq!(fmt_num(0.3), "0.300");
        assert_eq!(fmt_num(150.0), "150");
        assert_eq!(esc("<a&b>"), "&lt;a&amp;b&gt;");
    }

    #[test]
    fn chart_draws_the_screening_line() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let svg = time_series(
            "镉 Cd",
            "mg/kg",
            &[
                ChartPoint {
                    date: d("2020-05-01"),
                    value: 0.2,
                    non_detect: false,
                },
                ChartPoint {
                    date: d("2023-05-01"),
                    value: 0.5,
                    non_detect: false,
                },
            ],
            &[("筛选值".into(), 0.3, "#c62828")],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("筛选值 0.300"));
        assert!(svg.contains("<polyline"));
        assert!(svg.contains(">2021<"));
    }
}
