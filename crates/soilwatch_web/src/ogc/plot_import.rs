//! 污染地块边界导入 — plot boundaries from a GeoJSON or GeoPackage file (issue 11, imports).
//!
//! The file is read by the same code as the parcels of the classification units: GeoJSON by
//! [`soilwatch_classify::units::features_from_geojson`], GeoPackage by
//! [`super::gpkg_read::read_gpkg_features`], both refusing any CRS but CGCS2000 (EPSG:4490) or
//! WGS 84 (EPSG:4326, CRS84) with a message naming the CRS found; each feature's polygon is checked
//! by [`soilwatch_classify::units::lonlat_polygon`]. A feature names its plot by a code property
//! (`code` unless told otherwise); the store then replaces the boundaries all or nothing
//! ([`soilwatch_store::RegistryStore::set_plot_boundaries`]), keeping each previous version.

use geo::MultiPolygon;
use soilwatch_classify::units::{features_from_geojson, lonlat_polygon, RawFeature};
use soilwatch_classify::ClassifyError;

/// Properties tried, in order, for the plot code when no code field is named; then the GeoJSON
/// feature `id`.
pub const CODE_FIELDS: &[&str] = &["code", "plot_code", "地块编码", "DKBM", "dkbm"];

/// A file that cannot be imported, with the reason (Chinese and English, naming the feature and
/// field).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct BoundaryFileError {
    pub file: String,
    pub message: String,
}

/// One boundary of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileBoundary {
    /// Feature number in the file, from 1.
    pub number: usize,
    /// The plot code the feature names.
    pub code: String,
    /// CGCS2000 (or WGS 84) longitude/latitude.
    pub boundary: MultiPolygon<f64>,
}

fn message(e: ClassifyError) -> String {
    match e {
        ClassifyError::UnitFile(m) => m,
        other => other.to_string(),
    }
}

/// The plot boundaries of a file: `.geojson`/`.json` or `.gpkg` by its name; `layer` of a
/// GeoPackage with several feature layers; `code_field` the property holding the plot code
/// (default: the first of [`CODE_FIELDS`] present, then the GeoJSON feature id). Every feature
/// must name a plot (each once) and be a polygon in longitude/latitude.
pub async fn read_plot_boundaries(
    file_name: &str,
    bytes: &[u8],
    layer: Option<&str>,
    code_field: Option<&str>,
) -> Result<Vec<FileBoundary>, BoundaryFileError> {
    let fail = |message: String| BoundaryFileError {
        file: file_name.to_owned(),
        message,
    };
    let lower = file_name.to_lowercase();
    let features = if lower.ends_with(".gpkg") {
        super::gpkg_read::read_gpkg_features(bytes, layer).await
    } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
        features_from_geojson(bytes)
    } else {
        return Err(fail(
            "应为 GeoJSON（.geojson）或 GeoPackage（.gpkg）文件 / expected a GeoJSON (.geojson) \
             or GeoPackage (.gpkg) file"
                .to_owned(),
        ));
    }
    .map_err(|e| fail(message(e)))?;
    if features.is_empty() {
        return Err(fail("文件中没有要素 / the file has no features".to_owned()));
    }
    let mut seen = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(features.len());
    for f in features {
        let n = f.number;
        let code = plot_code(&f, code_field).ok_or_else(|| {
            fail(format!(
                "第 {n} 个要素没有地块编码 / feature {n}: no plot code (expected property {})",
                code_field.map_or_else(|| CODE_FIELDS.join(", "), str::to_owned)
            ))
        })?;
        if let Some(first) = seen.insert(code.clone(), n) {
            return Err(fail(format!(
                "地块 '{code}' 出现两次（第 {first} 和第 {n} 个要素）/ plot '{code}' is given \
                 twice (features {first} and {n})"
            )));
        }
        let boundary = lonlat_polygon(&f, &code)
            .map_err(|e| fail(format!("第 {n} 个要素 / feature {n}: {}", message(e))))?;
        out.push(FileBoundary {
            number: n,
            code,
            boundary,
        });
    }
    Ok(out)
}

fn plot_code(f: &RawFeature, field: Option<&str>) -> Option<String> {
    match field {
        Some(name) => f.prop(name).map(str::to_owned),
        None => CODE_FIELDS
            .iter()
            .find_map(|k| f.prop(k))
            .map(str::to_owned)
            .or_else(|| f.feature_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(features: &str) -> Vec<u8> {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
    }
    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[102.2,26.6],[102.21,26.6],[102.21,26.61],[102.2,26.6]]]}"#;

    #[tokio::test]
    async fn codes_by_property_field_or_feature_id() {
        let b = fc(&format!(
            r#"{{"type":"Feature","id":"F-9","properties":{{"code":"HL-1"}},"geometry":{SQUARE}}},
               {{"type":"Feature","id":"F-8","properties":{{"DKBM":"HL-2"}},"geometry":{SQUARE}}},
               {{"type":"Feature","id":"HL-3","properties":{{}},"geometry":{SQUARE}}}"#
        ));
        let r = read_plot_boundaries("b.geojson", &b, None, None)
            .await
            .unwrap();
        let codes: Vec<&str> = r.iter().map(|b| b.code.as_str()).collect();
        assert_eq!(codes, ["HL-1", "HL-2", "HL-3"]);
        let e = read_plot_boundaries("b.geojson", &b, None, Some("plot"))
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("feature 1: no plot code (expected property plot)"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn refusals_name_the_feature() {
        let twice = fc(&format!(
            r#"{{"type":"Feature","properties":{{"code":"A"}},"geometry":{SQUARE}}},
               {{"type":"Feature","properties":{{"code":"A"}},"geometry":{SQUARE}}}"#
        ));
        let e = read_plot_boundaries("t.geojson", &twice, None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("features 1 and 2"), "{e}");
        let point = fc(
            r#"{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Point","coordinates":[102.2,26.6]}}"#,
        );
        let e = read_plot_boundaries("p.geojson", &point, None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with("p.geojson: "), "{e}");
        assert!(
            e.to_string()
                .contains("feature 1: 要素 'A' 不是面 / feature 'A': expected a Polygon"),
            "{e}"
        );
        let mercator = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}"#;
        let e = read_plot_boundaries("m.geojson", mercator, None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("urn:ogc:def:crs:EPSG::3857"), "{e}");
        let e = read_plot_boundaries("x.shp", b"", None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("expected a GeoJSON"), "{e}");
    }
}
