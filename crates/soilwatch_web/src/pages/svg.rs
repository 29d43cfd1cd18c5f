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
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="-5 -5 {:.0} {:.0}" width="{:.0}" height="{:.0}" role="img" aria-label="{}" font-family="sans-serif">"#,
        width + 10.0,
        height + 10.0,
        width + 10.0,
        height + 10.0,
        super::i18n::t(
            "各县（市）监测网络覆盖图",
            "Monitoring network coverage by county"
        )
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

/// A county (or other area) on a [`draw_map`].
pub struct MapArea<'a> {
    pub boundary: &'a geo::MultiPolygon<f64>,
    pub fill: String,
    /// Name and value written at the area's interior point (none: unlabelled).
    pub label: Option<(String, String)>,
    /// Where a click goes.
    pub href: Option<String>,
    /// Tooltip and accessible name.
    pub title: String,
    /// Drawn with a heavy outline (the county zoomed to).
    pub emphasis: bool,
}

/// A point on a [`draw_map`], a link to its page.
pub struct MapDot {
    pub lon: f64,
    pub lat: f64,
    pub href: String,
    pub title: String,
    pub fill: &'static str,
}

/// What a map shows.
pub struct MapSpec<'a> {
    /// Accessible name of the map.
    pub label: String,
    pub areas: Vec<MapArea<'a>>,
    pub dots: Vec<MapDot>,
    /// Longitude/latitude extent to show; the areas' extent when none (zoom to a county).
    pub extent: Option<geo::Rect<f64>>,
    pub legend_title: String,
    /// (fill, text) of each legend entry.
    pub legend: Vec<(String, String)>,
    pub width: f64,
    pub lang: super::i18n::Lang,
    /// A chosen location (longitude, latitude), drawn as a cross-hair: the public report form.
    pub marker: Option<(f64, f64)>,
}

/// Where a [`draw_map`] puts things: its extent projected to the 3° Gauss–Krüger zone of the
/// extent's centre and scaled to `width` pixels, north up. A click on the map (an
/// `<input type="image">`, whose `x`/`y` are pixels from the image's top left) is turned back
/// into longitude/latitude with [`MapFrame::to_lon_lat`].
pub struct MapFrame {
    gk: soilwatch_geostat::GaussKruger,
    x0: f64,
    y1: f64,
    /// Pixels per metre.
    scale: f64,
    /// Width and height of the map area in pixels (the legend band below it not included).
    pub width: f64,
    pub height: f64,
}

impl MapFrame {
    /// The frame of a map of `ext` (longitude/latitude) `width` pixels wide; none when the
    /// extent cannot be projected.
    pub fn new(ext: geo::Rect<f64>, width: f64) -> Option<Self> {
        let centre = ext.center();
        let gk = soilwatch_geostat::gauss_kruger_3deg(centre.x).ok()?;
        // Projected extent from the four corners and the edge midpoints.
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (lon, lat) in [
            (ext.min().x, ext.min().y),
            (ext.max().x, ext.min().y),
            (ext.min().x, ext.max().y),
            (ext.max().x, ext.max().y),
            (centre.x, ext.min().y),
            (centre.x, ext.max().y),
        ] {
            if let Ok((x, y)) = gk.project_point(lon, lat) {
                xs.push(x);
                ys.push(y);
            }
        }
        let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
        let (x0, x1) = (fold(&xs, f64::min, f64::MAX), fold(&xs, f64::max, f64::MIN));
        let (y0, y1) = (fold(&ys, f64::min, f64::MAX), fold(&ys, f64::max, f64::MIN));
        if xs.is_empty() {
            return None;
        }
        let scale = width / (x1 - x0).max(1.0);
        Some(Self {
            gk,
            x0,
            y1,
            scale,
            width,
            height: ((y1 - y0) * scale).max(1.0),
        })
    }

    /// Pixel position of a longitude/latitude.
    pub fn to_pixel(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let (x, y) = self.gk.project_point(lon, lat).ok()?;
        Some(((x - self.x0) * self.scale, (self.y1 - y) * self.scale))
    }

    /// Longitude/latitude of a pixel inside the map area (none outside it).
    pub fn to_lon_lat(&self, px: f64, py: f64) -> Option<(f64, f64)> {
        if !(0.0..=self.width).contains(&px) || !(0.0..=self.height).contains(&py) {
            return None;
        }
        self.gk
            .unproject_point(self.x0 + px / self.scale, self.y1 - py / self.scale)
            .ok()
    }
}

/// The map in the 3° Gauss–Krüger zone of its centre (CGCS2000, the projection the division
/// areas and the classification are computed in), so the scale bar is true; with a legend, a
/// scale bar, a north arrow (turned by the grid convergence) and labels. Areas and points are
/// links when they have a page.
pub fn draw_map(spec: &MapSpec<'_>) -> String {
    use geo::{MapCoords, Simplify};
    let l = spec.lang;
    let Some(ext) = spec.extent.or_else(|| {
        spec.areas
            .iter()
            .filter_map(|a| a.boundary.bounding_rect())
            .reduce(|a, b| {
                geo::Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
    }) else {
        return format!("<p>{}</p>", l.t("没有边界数据", "no boundaries"));
    };
    let centre = ext.center();
    let Some(frame) = MapFrame::new(ext, spec.width) else {
        return format!("<p>{}</p>", l.t("投影失败", "projection failed"));
    };
    let gk = &frame.gk;
    let proj = |lon: f64, lat: f64| gk.project_point(lon, lat).ok();
    let (w, h, scale) = (frame.width, frame.height, frame.scale);
    let px = |x: f64| (x - frame.x0) * scale;
    let py = |y: f64| (frame.y1 - y) * scale;
    let band = 64.0 + 18.0 * ((spec.legend.len() as f64) / 3.0).ceil().max(1.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {w:.0} {:.0}" width="{w:.0}" height="{:.0}" role="img" aria-label="{}" font-family="sans-serif"><defs><clipPath id="mapclip"><rect x="0" y="0" width="{w:.0}" height="{h:.0}"/></clipPath></defs><rect x="0" y="0" width="{w:.0}" height="{h:.0}" fill="#f7fbff"/><g clip-path="url(#mapclip)">"##,
        h + band,
        h + band,
        esc(&spec.label)
    );
    let mut labels = String::new();
    for a in &spec.areas {
        let Ok(projected) = gk.project(a.boundary) else {
            continue;
        };
        let screen = projected
            .map_coords(|c| geo::coord! { x: px(c.x), y: py(c.y) })
            .simplify(0.4);
        let mut d = String::new();
        for poly in &screen.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for (i, p) in ring.0.iter().enumerate() {
                    let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, p.x, p.y);
                }
                d.push('Z');
            }
        }
        let path = format!(
            r##"<path d="{d}" fill="{}" stroke="{}" stroke-width="{}"><title>{}</title></path>"##,
            esc(&a.fill),
            if a.emphasis { "#000" } else { "#555" },
            if a.emphasis { "2.5" } else { "0.8" },
            esc(&a.title)
        );
        match &a.href {
            Some(href) => {
                let _ = write!(
                    out,
                    r#"<a href="{}" aria-label="{}">{path}</a>"#,
                    esc(href),
                    esc(&a.title)
                );
            }
            None => out.push_str(&path),
        }
        if let (Some((name, value)), Some(p)) = (&a.label, screen.interior_point()) {
            let _ = write!(
                labels,
                r##"<text x="{0:.1}" y="{1:.1}" font-size="12" text-anchor="middle" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke" pointer-events="none">{2}<tspan x="{0:.1}" dy="14" font-size="11">{3}</tspan></text>"##,
                p.x(),
                p.y(),
                esc(name),
                esc(value)
            );
        }
    }
    for d in &spec.dots {
        if let Some((x, y)) = proj(d.lon, d.lat) {
            let _ = write!(
                out,
                r##"<a href="{}"><circle class="dot" cx="{:.1}" cy="{:.1}" r="4" fill="{}" stroke="#fff" stroke-width="1"><title>{}</title></circle></a>"##,
                esc(&d.href),
                px(x),
                py(y),
                d.fill,
                esc(&d.title)
            );
        }
    }
    out.push_str(&labels);
    if let Some((x, y)) = spec.marker.and_then(|(lon, lat)| frame.to_pixel(lon, lat)) {
        let _ = write!(
            out,
            r##"<g class="marker" aria-label="{}"><circle cx="{x:.1}" cy="{y:.1}" r="7" fill="none" stroke="#c62828" stroke-width="2.5"/><path d="M{:.1} {y:.1}H{:.1}M{:.1} {y:.1}H{:.1}M{x:.1} {:.1}V{:.1}M{x:.1} {:.1}V{:.1}" stroke="#c62828" stroke-width="2"/></g>"##,
            l.t("所选位置", "chosen location"),
            x - 14.0,
            x - 4.0,
            x + 4.0,
            x + 14.0,
            y - 14.0,
            y - 4.0,
            y + 4.0,
            y + 14.0
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r##"<rect x="0.5" y="0.5" width="{:.0}" height="{h:.0}" fill="none" stroke="#888"/>"##,
        w - 1.0
    );
    // North arrow: grid north differs from true north by the convergence of the meridians.
    let angle = match (proj(centre.x, centre.y), proj(centre.x, centre.y + 0.01)) {
        (Some((ax, ay)), Some((bx, by))) => (bx - ax).atan2(by - ay).to_degrees(),
        _ => 0.0,
    };
    let _ = write!(
        out,
        r##"<g transform="translate({:.1} 46) rotate({angle:.2})" aria-label="{}"><polygon points="0,-22 8,8 0,2 -8,8" fill="#222"/><text x="0" y="-26" font-size="13" text-anchor="middle" font-weight="bold" fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text></g>"##,
        w - 28.0,
        l.t("指北针", "north arrow"),
        l.t("北", "N")
    );
    // Scale bar: a round length near a quarter of the width.
    let target_m = (w / 4.0) / scale;
    let magnitude = 10f64.powf(target_m.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * magnitude)
        .filter(|m| *m <= target_m)
        .fold(magnitude, f64::max);
    let bar = step * scale;
    let (sx, sy) = (w - bar - 16.0, h + 26.0);
    let km = step / 1000.0;
    let _ = write!(
        out,
        r##"<g font-size="11" aria-label="{}"><rect x="{sx:.1}" y="{sy:.1}" width="{:.1}" height="6" fill="#222"/><rect x="{:.1}" y="{sy:.1}" width="{:.1}" height="6" fill="#fff" stroke="#222"/><text x="{sx:.1}" y="{:.1}" text-anchor="middle">0</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{} km</text><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text></g>"##,
        l.t("比例尺", "scale bar"),
        bar / 2.0,
        sx + bar / 2.0,
        bar / 2.0,
        sy - 4.0,
        sx + bar,
        sy - 4.0,
        plain(km),
        w - 16.0,
        sy + 22.0,
        esc(&format!(
            "CGCS2000 {} {}°E",
            l.t(
                "3度带高斯-克吕格投影，中央经线",
                "3° Gauss–Krüger, central meridian"
            ),
            gk.central_meridian
        ))
    );
    // Legend.
    let _ = write!(
        out,
        r##"<text x="4" y="{:.1}" font-size="12" font-weight="bold">{}</text>"##,
        h + 20.0,
        esc(&spec.legend_title)
    );
    for (i, (fill, text)) in spec.legend.iter().enumerate() {
        let (col, row) = ((i % 3) as f64, (i / 3) as f64);
        let (lx, ly) = (4.0 + col * 150.0, h + 30.0 + row * 18.0);
        let _ = write!(
            out,
            r##"<rect x="{lx:.1}" y="{ly:.1}" width="16" height="12" fill="{}" stroke="#555"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"##,
            esc(fill),
            lx + 20.0,
            ly + 10.0,
            esc(text)
        );
    }
    out.push_str("</svg>");
    out
}

/// Five classes of a sequential palette (light to dark), for [`choropleth`].
pub const PALETTE: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
/// Fill of an area without data.
pub const NO_DATA: &str = "#d9d9d9";

/// Equal-interval classes from 0 to a round maximum: the upper bound of each class.
pub fn breaks(max: f64) -> [f64; 5] {
    let max = if max > 0.0 { max } else { 1.0 };
    let magnitude = 10f64.powf((max / 5.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|k| k * magnitude)
        .find(|s| s * 5.0 >= max)
        .unwrap_or(max / 5.0);
    [step, 2.0 * step, 3.0 * step, 4.0 * step, 5.0 * step]
}

/// The fill of a value with these breaks (values at a break belong to the lower class).
pub fn choropleth(value: Option<f64>, breaks: &[f64; 5]) -> &'static str {
    match value {
        None => NO_DATA,
        Some(v) => {
            let i = breaks.iter().position(|b| v <= *b).unwrap_or(4);
            PALETTE[i]
        }
    }
}

/// Legend entries of the breaks (`0 – 20`, `20 – 40`, …) and "no data".
pub fn choropleth_legend(breaks: &[f64; 5], lang: super::i18n::Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = breaks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let lo = if i == 0 { 0.0 } else { breaks[i - 1] };
            (
                PALETTE[i].to_owned(),
                if i == 0 {
                    format!("0 – {}", plain(*b))
                } else {
                    format!("> {} – {}", plain(lo), plain(*b))
                },
            )
        })
        .collect();
    out.push((NO_DATA.to_owned(), lang.t("无数据", "no data").to_owned()));
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

/// A number with at most three decimals, trailing zeros dropped (`2`, `0.25`, `12.5`).
pub fn plain(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
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
    use geo::polygon;

    #[test]
    fn breaks_are_round_and_cover_the_maximum() {
        assert_eq!(breaks(87.0), [20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(breaks(0.0), [0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let b = breaks(12.5);
        assert_eq!(b[4], 12.5);
        assert_eq!(choropleth(Some(0.0), &b), PALETTE[0]);
        assert_eq!(choropleth(Some(b[0]), &b), PALETTE[0]);
        assert_eq!(choropleth(Some(b[0] + 0.01), &b), PALETTE[1]);
        assert_eq!(choropleth(Some(12.5), &b), PALETTE[4]);
        assert_eq!(choropleth(None, &b), NO_DATA);
    }

    #[test]
    fn map_has_legend_scale_bar_north_arrow_and_true_scale() {
        // A 0.1° × 0.1° square at 28°N: about 9.8 km wide.
        let sq = geo::MultiPolygon(vec![polygon![
            (x: 102.0, y: 28.0), (x: 102.1, y: 28.0), (x: 102.1, y: 28.1), (x: 102.0, y: 28.1)
        ]]);
        let svg = draw_map(&MapSpec {
            label: "测试".into(),
            areas: vec![MapArea {
                boundary: &sq,
                fill: PALETTE[2].into(),
                label: Some(("甲县".into(), "12".into())),
                href: Some("/counties/513401".into()),
                title: "甲县 12".into(),
                emphasis: false,
            }],
            dots: vec![MapDot {
                lon: 102.05,
                lat: 28.05,
                href: "/points/P-1".into(),
                title: "P-1".into(),
                fill: "#c62828",
            }],
            extent: None,
            legend_title: "点位数".into(),
            legend: choropleth_legend(&breaks(12.0), super::super::i18n::Lang::Zh),
            width: 400.0,
            lang: super::super::i18n::Lang::Zh,
            marker: None,
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"href="/counties/513401""#));
        assert!(svg.contains(r#"href="/points/P-1""#));
        assert!(svg.contains(">甲县<") && svg.contains("无数据"));
        assert!(svg.contains("指北针") && svg.contains(">北<"));
        // 400 px for ~9.8 km: a quarter is ~2.45 km, so the bar is 2 km.
        assert!(svg.contains(">2 km<"), "{svg}");
        assert!(svg.contains("中央经线 102°E"));
    }

    #[test]
    fn a_click_on_the_map_goes_back_to_where_it_was_drawn() {
        let ext = geo::Rect::new(
            geo::coord! { x: 102.0, y: 27.0 },
            geo::coord! { x: 103.0, y: 28.0 },
        );
        let f = MapFrame::new(ext, 400.0).expect("frame");
        // 102°E is the zone's central meridian and the extent's west edge: pixel column 0.
        let (x, _) = f.to_pixel(102.0, 27.5).expect("pixel");
        assert!(x.abs() < 1e-6, "{x}");
        for (lon, lat) in [(102.26, 27.89), (102.9, 27.1), (102.5, 27.5)] {
            let (px, py) = f.to_pixel(lon, lat).expect("pixel");
            assert!((0.0..=f.width).contains(&px) && (0.0..=f.height).contains(&py));
            let (lo, la) = f.to_lon_lat(px, py).expect("inside");
            assert!(
                (lo - lon).abs() < 1e-9 && (la - lat).abs() < 1e-9,
                "{lo} {la}"
            );
        }
        // About 98 km across 400 px: a pixel is about 245 m, so one pixel east is ~0.0025°.
        let (px, py) = f.to_pixel(102.5, 27.5).expect("pixel");
        let (lo, _) = f.to_lon_lat(px + 1.0, py).expect("inside");
        assert!((lo - 102.5 - 0.0025).abs() < 0.0003, "{lo}");
        assert_eq!(f.to_lon_lat(-1.0, 10.0), None);
        assert_eq!(f.to_lon_lat(10.0, f.height + 1.0), None);
    }

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
