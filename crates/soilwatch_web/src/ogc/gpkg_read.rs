//! Reading parcels or plot boundaries from a GeoPackage file (issue 11, imports): the features
//! of one layer as [`RawFeature`]s for `soilwatch_classify` (which checks identifiers, land use,
//! polygons and counties, and already reads GeoJSON). The layer's CRS must be CGCS2000
//! (EPSG:4490) or WGS 84 (EPSG:4326); any other is refused with
//! [`ClassifyError::UnsupportedCrs`] naming the CRS found. Geometry blobs are decoded by
//! `soilwatch_classify::units::gpkg_geometry`. The layer's primary key is not taken as the
//! feature's identifier (it is a row number); it is offered as the attribute `fid`.

use soilwatch_classify::units::{crs_is_supported, gpkg_geometry, RawFeature};
use soilwatch_classify::ClassifyError;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

fn file_err(msg: String) -> ClassifyError {
    ClassifyError::UnitFile(msg)
}

fn sql_err(e: sqlx::Error) -> ClassifyError {
    file_err(format!(
        "不是可读的 GeoPackage / not a readable GeoPackage: {e}"
    ))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The features of a GeoPackage layer (`layer`: the table; needed only when the file has more
/// than one feature layer).
pub async fn read_gpkg_features(
    bytes: &[u8],
    layer: Option<&str>,
) -> Result<Vec<RawFeature>, ClassifyError> {
    let dir = tempfile::tempdir().map_err(|e| file_err(format!("temporary file: {e}")))?;
    let path = dir.path().join("upload.gpkg");
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| file_err(format!("temporary file: {e}")))?;
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .read_only(true)
        .connect()
        .await
        .map_err(sql_err)?;
    let layers = sqlx::query(
        "SELECT g.table_name AS t, g.column_name AS c, g.srs_id AS srs, s.srs_name AS name, \
         s.organization AS org, s.organization_coordsys_id AS org_id \
         FROM gpkg_geometry_columns g LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id \
         ORDER BY g.table_name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(sql_err)?;
    let names: Vec<String> = layers
        .iter()
        .map(|r| r.try_get::<String, _>("t").unwrap_or_default())
        .collect();
    let row = match layer {
        Some(l) => layers
            .iter()
            .zip(&names)
            .find(|(_, n)| n.as_str() == l)
            .map(|(r, _)| r),
        None if layers.len() == 1 => layers.first(),
        None => None,
    }
    .ok_or_else(|| {
        file_err(format!(
            "请指明图层 / name the layer: the GeoPackage has the feature layers [{}]",
            names.join(", ")
        ))
    })?;
    let table: String = row.try_get("t").map_err(sql_err)?;
    let geom_col: String = row.try_get("c").map_err(sql_err)?;
    let org: Option<String> = row.try_get("org").map_err(sql_err)?;
    let org_id: Option<i64> = row.try_get("org_id").map_err(sql_err)?;
    let srs_name: Option<String> = row.try_get("name").map_err(sql_err)?;
    let code = format!(
        "{}:{}",
        org.clone().unwrap_or_else(|| "?".into()).to_uppercase(),
        org_id.map_or_else(|| "?".into(), |i| i.to_string())
    );
    if !crs_is_supported(&code) {
        let found = match srs_name {
            Some(n) => format!("{n} ({code})"),
            None => code,
        };
        return Err(ClassifyError::UnsupportedCrs { found });
    }

    let columns = sqlx::query(&format!("PRAGMA table_info({})", quote(&table)))
        .fetch_all(&mut conn)
        .await
        .map_err(sql_err)?;
    let mut pk = None;
    let mut attrs = Vec::new();
    for c in &columns {
        let name: String = c.try_get("name").map_err(sql_err)?;
        let is_pk: i64 = c.try_get("pk").map_err(sql_err)?;
        if is_pk == 1 {
            pk = Some(name.clone());
        } else if name != geom_col {
            attrs.push(name);
        }
    }
    let mut select = vec![format!("{} AS __geom", quote(&geom_col))];
    select.push(match &pk {
        Some(p) => format!("CAST({} AS TEXT) AS __fid", quote(p)),
        None => "CAST(rowid AS TEXT) AS __fid".into(),
    });
    select.extend(
        attrs
            .iter()
            .enumerate()
            .map(|(i, a)| format!("CAST({} AS TEXT) AS a{i}", quote(a))),
    );
    let rows = sqlx::query(&format!(
        "SELECT {} FROM {}",
        select.join(", "),
        quote(&table)
    ))
    .fetch_all(&mut conn)
    .await
    .map_err(sql_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for (n, r) in rows.iter().enumerate() {
        let blob: Option<Vec<u8>> = r.try_get("__geom").map_err(sql_err)?;
        let geometry = match blob {
            Some(b) => gpkg_geometry(&b)?.1,
            None => None,
        };
        let mut properties = Vec::new();
        for (i, a) in attrs.iter().enumerate() {
            let v: Option<String> = r.try_get(format!("a{i}").as_str()).map_err(sql_err)?;
            if let Some(v) = v {
                properties.push((a.clone(), v));
            }
        }
        // The primary key is a row number, not a parcel's identifier: it is offered as the
        // attribute `fid` (choose it with an id field if nothing better exists), so that the
        // identifier columns (code, DKBM, TBBH, …) decide by default.
        let fid: Option<String> = r.try_get("__fid").map_err(sql_err)?;
        if let Some(fid) = fid {
            if !properties.iter().any(|(k, _)| k == "fid") {
                properties.push(("fid".to_owned(), fid));
            }
        }
        out.push(RawFeature {
            number: n + 1,
            feature_id: None,
            properties,
            geometry,
        });
    }
    conn.close().await.map_err(sql_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ogc::collection::{field, CollectionMeta, Feature, FieldType, GeometryKind};
    use crate::ogc::gpkg::write_gpkg;
    use serde_json::json;

    static FIELDS: [crate::ogc::collection::Field; 2] = [
        field("code", FieldType::String, "code", true),
        field("land_use", FieldType::String, "land use", true),
    ];
    static META: CollectionMeta = CollectionMeta {
        id: "parcels",
        title: "parcels",
        description: "",
        geometry: GeometryKind::MultiPolygon,
        fields: &FIELDS,
        temporal: None,
        public: true,
    };

    fn parcel(code: &str, x: f64) -> Feature {
        let sq = geo::Polygon::new(
            vec![(x, 27.0), (x + 0.01, 27.0), (x + 0.01, 27.01), (x, 27.0)].into(),
            vec![],
        );
        Feature {
            id: code.into(),
            numeric_id: false,
            geometry: Some(geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![sq]))),
            properties: [("code", json!(code)), ("land_use", json!("0101"))]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    #[tokio::test]
    async fn reads_back_what_the_export_writes() {
        let bytes = write_gpkg(&META, &[parcel("A-1", 102.0), parcel("A-2", 102.1)])
            .await
            .unwrap();
        let f = read_gpkg_features(&bytes, None).await.unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].feature_id, None);
        assert!(f[1]
            .properties
            .contains(&("fid".to_owned(), "2".to_owned())));
        assert!(f[0]
            .properties
            .contains(&("code".to_owned(), "A-1".to_owned())));
        assert!(matches!(
            f[0].geometry,
            Some(geo::Geometry::MultiPolygon(_))
        ));
        assert!(read_gpkg_features(&bytes, Some("parcels")).await.is_ok());
        assert!(read_gpkg_features(&bytes, Some("roads")).await.is_err());
    }

    #[tokio::test]
    async fn other_crs_is_refused_by_name() {
        let bytes = write_gpkg(&META, &[parcel("A-1", 102.0)]).await.unwrap();
        // Relabel the layer as Web Mercator.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gpkg");
        std::fs::write(&path, &bytes).unwrap();
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        for sql in [
            "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857, 'PROJCS[...]', '')",
            "UPDATE gpkg_geometry_columns SET srs_id = 3857",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
        let e = read_gpkg_features(&std::fs::read(&path).unwrap(), None)
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("WGS 84 / Pseudo-Mercator (EPSG:3857)"),
            "{msg}"
        );
        assert!(read_gpkg_features(b"not sqlite", None).await.is_err());
    }
}
