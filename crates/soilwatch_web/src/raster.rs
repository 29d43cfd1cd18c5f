//! SVG → PNG for documents that cannot carry SVG (the annual report's DOCX, issue 10): the
//! same charts and county map the HTML shows, rasterised with `resvg`.
//!
//! # Fonts
//! The charts' labels are Chinese, so a font with CJK glyphs is needed. The system fonts are
//! loaded once (fontdb, memory-mapped) and the generic `sans-serif` family the SVGs ask for is
//! pointed at the first CJK family found: a known one (WenQuanYi Zen Hei — Debian's
//! `fonts-wqy-zenhei`, which `.ci/run` installs —, Noto Sans CJK, Source Han Sans, Droid Sans
//! Fallback, AR PL UMing) or else any face with a Chinese name. Without one the images are still
//! drawn (bars, outlines, digits in whatever font there is) and [`Fonts::warning`] says why the
//! Chinese labels are missing, so the document can say it too.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

/// Families tried first, in order, for the Chinese labels.
const KNOWN_CJK: &[&str] = &[
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "AR PL UKai CN",
];

/// The loaded system fonts and the family used for `sans-serif`.
pub struct Fonts {
    db: Arc<fontdb::Database>,
    /// The CJK family found, if any.
    pub cjk_family: Option<String>,
}

impl Fonts {
    /// Why the images' Chinese labels may be missing (none when a CJK font was found).
    pub fn warning(&self) -> Option<String> {
        match (&self.cjk_family, self.db.len()) {
            (Some(_), _) => None,
            (None, 0) => Some(
                "图表未嵌入文字：系统中没有字体（请安装 fonts-wqy-zenhei 等中文字体）/ the charts \
                 carry no text: no font is installed (install a CJK font such as \
                 fonts-wqy-zenhei)"
                    .into(),
            ),
            (None, n) => Some(format!(
                "图表中的中文无法显示：{n} 个系统字体中没有中文字体（请安装 fonts-wqy-zenhei 等）\
                 / the charts' Chinese labels are missing: none of the {n} system fonts has CJK \
                 glyphs (install one such as fonts-wqy-zenhei)"
            )),
        }
    }
}

/// Whether a face names itself in Chinese (CJK fonts carry localised family names).
fn chinese_named(face: &fontdb::FaceInfo) -> bool {
    face.families.iter().any(|(_, lang)| {
        matches!(
            lang,
            fontdb::Language::Chinese_PeoplesRepublicOfChina
                | fontdb::Language::Chinese_Singapore
                | fontdb::Language::Chinese_Taiwan
                | fontdb::Language::Chinese_HongKongSAR
                | fontdb::Language::Chinese_MacaoSAR
        )
    })
}

/// The first CJK family of a font database.
fn find_cjk(db: &fontdb::Database) -> Option<String> {
    let has = |name: &str| {
        db.faces()
            .any(|f| f.families.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
    };
    if let Some(k) = KNOWN_CJK.iter().find(|k| has(k)) {
        return Some((*k).to_owned());
    }
    db.faces()
        .find(|f| chinese_named(f))
        .and_then(|f| f.families.first().map(|(n, _)| n.clone()))
}

/// The system fonts, loaded on first use (a few milliseconds to scan, mapped not read).
pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let cjk_family = find_cjk(&db);
        if let Some(f) = &cjk_family {
            db.set_sans_serif_family(f.clone());
        }
        let fonts = Fonts {
            db: Arc::new(db),
            cjk_family,
        };
        if let Some(w) = fonts.warning() {
            tracing::warn!("{w}");
        }
        fonts
    })
}

/// A rendered image: PNG bytes and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Render an SVG document to PNG at `scale` × its own size, on white.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Png, String> {
    let f = fonts();
    let mut opt = usvg::Options {
        fontdb: f.db.clone(),
        ..usvg::Options::default()
    };
    if let Some(family) = &f.cjk_family {
        opt.font_family = family.clone();
    }
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| format!("SVG: {e}"))?;
    let size = tree.size();
    let (width, height) = (
        (size.width() * scale).ceil().max(1.0) as u32,
        (size.height() * scale).ceil().max(1.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| format!("image of {width}×{height} pixels cannot be made"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let bytes = pixmap.encode_png().map_err(|e| format!("PNG: {e}"))?;
    Ok(Png {
        bytes,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_renders_its_colour_at_the_scaled_size() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect x="0" y="0" width="20" height="20" fill="#ff0000"/></svg>"##;
        let png = svg_to_png(svg, 2.0).expect("renders");
        assert_eq!((png.width, png.height), (80, 40));
        assert!(png.bytes.starts_with(&[0x89, b'P', b'N', b'G']));
        let pm = tiny_skia::Pixmap::decode_png(&png.bytes).expect("decodes");
        // Left half red (the rect), right half white (the background).
        let at = |x: u32, y: u32| pm.pixel(x, y).expect("inside");
        assert_eq!((at(10, 10).red(), at(10, 10).green()), (255, 0));
        assert_eq!((at(70, 10).red(), at(70, 10).green()), (255, 255));
    }

    #[test]
    fn chinese_labels_are_drawn_when_a_cjk_font_is_installed() {
        let Some(family) = fonts().cjk_family.clone() else {
            eprintln!("skipped: {}", fonts().warning().unwrap_or_default());
            return;
        };
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" font-family="sans-serif" font-size="24"><text x="4" y="30">土壤</text></svg>"#;
        let pm = tiny_skia::Pixmap::decode_png(&svg_to_png(svg, 1.0).expect("renders").bytes)
            .expect("decodes");
        let dark = pm.pixels().iter().filter(|p| p.red() < 128).count();
        assert!(
            dark > 40,
            "{family}: only {dark} dark pixels for two characters"
        );
        // Nothing drawn without the text: the count comes from the glyphs.
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"></svg>"#;
        let pm = tiny_skia::Pixmap::decode_png(&svg_to_png(blank, 1.0).expect("renders").bytes)
            .expect("decodes");
        assert_eq!(pm.pixels().iter().filter(|p| p.red() < 128).count(), 0);
    }

    #[test]
    fn broken_svg_is_an_error_not_a_panic() {
        assert!(svg_to_png("<svg", 1.0).is_err());
    }
}
