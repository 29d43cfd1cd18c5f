//! Charts drawn on the server as SVG (issue 7): bars per county (or per year) and class shares.
//! The time series with threshold lines is [`super::svg::time_series`] (the point page).
//!
//! Every chart carries its numbers as text as well as lengths (a value at the end of each bar, a
//! percentage in each share), `role="img"` with an accessible name, and a `<title>` per mark.

use std::fmt::Write;

use super::svg::{esc, plain};

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The text written after the bar (the value with its unit, or "—").
    pub text: String,
    /// Where a click on the bar goes.
    pub href: Option<String>,
}

/// Horizontal bars, one per row, scaled to the largest value; an empty list draws nothing.
pub fn bars(title: &str, rows: &[Bar], colour: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let (label_w, bar_w, value_w, row_h, top) = (110.0, 360.0, 90.0, 20.0, 24.0);
    let width = label_w + bar_w + value_w;
    let height = top + row_h * rows.len() as f64 + 6.0;
    let max = rows.iter().map(|r| r.value).fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{0}" font-family="sans-serif" font-size="12"><text x="0" y="15" font-size="13" font-weight="bold">{0}</text>"##,
        esc(title)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let len = (r.value.max(0.0) / max) * bar_w;
        let bar = format!(
            r##"<rect x="{label_w}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{colour}"><title>{} {}</title></rect>"##,
            y + 3.0,
            row_h - 6.0,
            esc(&r.label),
            esc(&r.text)
        );
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            label_w - 6.0,
            y + 14.0,
            esc(&r.label)
        );
        match &r.href {
            Some(h) => {
                let _ = write!(out, r#"<a href="{}">{bar}</a>"#, esc(h));
            }
            None => out.push_str(&bar),
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}">{}</text>"##,
            label_w + len + 4.0,
            y + 14.0,
            esc(&r.text)
        );
    }
    out.push_str("</svg>");
    out
}

/// One part of a whole.
pub struct Share {
    pub label: String,
    pub value: f64,
    pub colour: &'static str,
}

/// The parts as one bar of 100 % with a legend giving each part's value and percentage. Parts
/// of zero are listed in the legend but draw nothing; an all-zero whole draws an empty bar.
pub fn shares(title: &str, unit: &str, parts: &[Share]) -> String {
    let (width, bar_h, top) = (560.0, 28.0, 24.0);
    let total: f64 = parts.iter().map(|p| p.value.max(0.0)).sum();
    let height = top + bar_h + 12.0 + 18.0 * parts.len() as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{0}" font-family="sans-serif" font-size="12"><text x="0" y="15" font-size="13" font-weight="bold">{0}</text><rect x="0" y="{top}" width="{width}" height="{bar_h}" fill="#fff" stroke="#888"/>"##,
        esc(title)
    );
    let pct = |v: f64| if total > 0.0 { 100.0 * v / total } else { 0.0 };
    let mut x = 0.0;
    for p in parts {
        let w = if total > 0.0 {
            width * p.value.max(0.0) / total
        } else {
            0.0
        };
        if w > 0.0 {
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="{top}" width="{w:.1}" height="{bar_h}" fill="{}"><title>{} {} {} ({:.1}%)</title></rect>"##,
                p.colour,
                esc(&p.label),
                plain(p.value),
                esc(unit),
                pct(p.value)
            );
        }
        x += w;
    }
    for (i, p) in parts.iter().enumerate() {
        let y = top + bar_h + 12.0 + 18.0 * i as f64;
        let _ = write!(
            out,
            r##"<rect x="0" y="{y:.1}" width="14" height="12" fill="{}" stroke="#555"/><text x="20" y="{:.1}">{}：{} {}（{:.1}%）</text>"##,
            p.colour,
            y + 10.0,
            esc(&p.label),
            plain(p.value),
            esc(unit),
            pct(p.value)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let svg = bars(
            "点位数",
            &[
                Bar {
                    label: "西昌市".into(),
                    value: 200.0,
                    text: "200".into(),
                    href: Some("/counties/513401".into()),
                },
                Bar {
                    label: "会理市".into(),
                    value: 50.0,
                    text: "50".into(),
                    href: None,
                },
            ],
            "#3182bd",
        );
        // The largest bar takes the whole 360 px, the other a quarter.
        assert!(svg.contains(r#"width="360.0""#), "{svg}");
        assert!(svg.contains(r#"width="90.0""#), "{svg}");
        assert!(svg.contains(r#"<a href="/counties/513401">"#));
        assert!(bars("x", &[], "#000").is_empty());
    }

    #[test]
    fn shares_give_percentages_that_add_up() {
        let svg = shares(
            "分类面积",
            "亩",
            &[
                Share {
                    label: "优先保护类".into(),
                    value: 750.0,
                    colour: "#2e7d32",
                },
                Share {
                    label: "安全利用类".into(),
                    value: 200.0,
                    colour: "#f9a825",
                },
                Share {
                    label: "严格管控类".into(),
                    value: 50.0,
                    colour: "#c62828",
                },
            ],
        );
        assert!(svg.contains("优先保护类：750 亩（75.0%）"), "{svg}");
        assert!(svg.contains("严格管控类：50 亩（5.0%）"));
        assert!(svg.contains(r#"width="420.0""#), "{svg}"); // 75 % of 560
        let empty = shares("x", "亩", &[]);
        assert!(empty.ends_with("</svg>"));
    }
}
