//! GeoPackage (OGC 12-128r18, version 1.3) export of one collection, written with SQLite:
//! `gpkg_spatial_ref_sys` (with EPSG:4490 CGCS2000 and EPSG:4326 WGS 84), `gpkg_contents`,
//! `gpkg_geometry_columns`, one feature table with standard GeoPackage binary geometries (header
//! with envelope, then WKB), and the R-tree spatial index extension (filled, with its triggers).

use geo::BoundingRect;
use geozero::{CoordDimensions, ToWkb};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

use super::collection::{CollectionMeta, Feature, FieldType};

/// Why a GeoPackage could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    #[error("GeoPackage 写入失败 / writing the GeoPackage failed: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("GeoPackage 临时文件 / GeoPackage temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("几何编码失败 / encoding a geometry failed: {0}")]
    Geometry(String),
}

/// SRS id of the stored coordinates (CGCS2000 geographic).
pub const SRS_CGCS2000: i32 = 4490;

const WKT_4490: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;
const WKT_4326: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]"#;

const SCHEMA: &[&str] = &[
    "PRAGMA application_id = 1196444487",
    "PRAGMA user_version = 10300",
    "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, \
     organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT \
     NULL, description TEXT)",
    "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, \
     identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT \
     (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y \
     DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES \
     gpkg_spatial_ref_sys(srs_id))",
    "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
     geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT \
     NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT \
     uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) \
     REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES \
     gpkg_spatial_ref_sys (srs_id))",
    "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT \
     NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, \
     column_name, extension_name))",
];

/// The GeoPackage geometry blob: `GP`, version 0, flags (little endian, envelope [minx, maxx,
/// miny, maxy] except for points), the SRS id, then little-endian WKB.
pub fn geometry_blob(g: &geo::Geometry<f64>, srs_id: i32) -> Result<Vec<u8>, GpkgError> {
    let envelope = if matches!(g, geo::Geometry::Point(_)) {
        None
    } else {
        g.bounding_rect()
    };
    let mut out = vec![b'G', b'P', 0, if envelope.is_some() { 0x03 } else { 0x01 }];
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = envelope {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let wkb = g
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| GpkgError::Geometry(e.to_string()))?;
    out.extend_from_slice(&wkb);
    Ok(out)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn rtree_triggers(t: &str, c: &str, i: &str) -> Vec<String> {
    let rt = format!("rtree_{t}_{c}");
    let (tq, cq, rq) = (quote(t), quote(c), quote(&rt));
    let values = format!(
        "VALUES (NEW.{i}, ST_MinX(NEW.{cq}), ST_MaxX(NEW.{cq}), ST_MinY(NEW.{cq}), ST_MaxY(NEW.{cq}))"
    );
    vec![
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON {tq} WHEN (new.{cq} NOT NULL AND NOT \
             ST_IsEmpty(NEW.{cq})) BEGIN INSERT OR REPLACE INTO {rq} {values}; END",
            quote(&format!("{rt}_insert"))
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {cq} ON {tq} WHEN OLD.{i} = NEW.{i} AND (NEW.{cq} \
             NOTNULL AND NOT ST_IsEmpty(NEW.{cq})) BEGIN INSERT OR REPLACE INTO {rq} {values}; END",
            quote(&format!("{rt}_update1"))
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {cq} ON {tq} WHEN OLD.{i} = NEW.{i} AND (NEW.{cq} \
             ISNULL OR ST_IsEmpty(NEW.{cq})) BEGIN DELETE FROM {rq} WHERE id = OLD.{i}; END",
            quote(&format!("{rt}_update2"))
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {tq} WHEN OLD.{i} != NEW.{i} AND (NEW.{cq} NOTNULL \
             AND NOT ST_IsEmpty(NEW.{cq})) BEGIN DELETE FROM {rq} WHERE id = OLD.{i}; INSERT OR \
             REPLACE INTO {rq} {values}; END",
            quote(&format!("{rt}_update3"))
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {tq} WHEN OLD.{i} != NEW.{i} AND (NEW.{cq} ISNULL \
             OR ST_IsEmpty(NEW.{cq})) BEGIN DELETE FROM {rq} WHERE id IN (OLD.{i}, NEW.{i}); END",
            quote(&format!("{rt}_update4"))
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON {tq} WHEN old.{cq} NOT NULL BEGIN DELETE FROM {rq} \
             WHERE id = OLD.{i}; END",
            quote(&format!("{rt}_delete"))
        ),
    ]
}

/// Write the features of a collection as a GeoPackage; returns the file's bytes.
pub async fn write_gpkg(meta: &CollectionMeta, features: &[Feature]) -> Result<Vec<u8>, GpkgError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("{}.gpkg", meta.id));
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    for s in SCHEMA {
        sqlx::query(s).execute(&mut conn).await?;
    }
    let srs: [(&str, i32, &str, i32, &str, &str); 4] = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            WKT_4326,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
        ),
        (
            "China Geodetic Coordinate System 2000",
            4490,
            "EPSG",
            4490,
            WKT_4490,
            "CGCS2000 国家大地坐标系 longitude/latitude",
        ),
    ];
    for (name, id, org, org_id, def, desc) in srs {
        sqlx::query(
            "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, \
             organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(id)
        .bind(org)
        .bind(org_id)
        .bind(def)
        .bind(desc)
        .execute(&mut conn)
        .await?;
    }

    let t = meta.id;
    let mut cols = vec![
        "\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL".to_owned(),
        format!("\"geom\" {}", meta.geometry.gpkg()),
    ];
    cols.extend(
        meta.fields
            .iter()
            .map(|f| format!("{} {}", quote(f.name), f.ty.gpkg())),
    );
    sqlx::query(&format!("CREATE TABLE {} ({})", quote(t), cols.join(", ")))
        .execute(&mut conn)
        .await?;
    let rtree = format!("rtree_{t}_geom");
    sqlx::query(&format!(
        "CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy)",
        quote(&rtree)
    ))
    .execute(&mut conn)
    .await?;

    let mut bounds: Option<geo::Rect<f64>> = None;
    let placeholders = vec!["?"; meta.fields.len() + 2].join(", ");
    let names: Vec<String> = meta.fields.iter().map(|f| quote(f.name)).collect();
    let insert = format!(
        "INSERT INTO {} (\"fid\", \"geom\", {}) VALUES ({placeholders})",
        quote(t),
        names.join(", ")
    );
    let insert_rtree = format!("INSERT INTO {} VALUES (?, ?, ?, ?, ?)", quote(&rtree));
    let mut tx = conn.begin().await?;
    for (n, f) in features.iter().enumerate() {
        let fid = i64::try_from(n + 1).unwrap_or(i64::MAX);
        let blob = f
            .geometry
            .as_ref()
            .map(|g| geometry_blob(g, SRS_CGCS2000))
            .transpose()?;
        let mut q = sqlx::query(&insert).bind(fid).bind(blob);
        for fl in meta.fields {
            let text = f.text(fl.name);
            q = match fl.ty {
                FieldType::String | FieldType::Date => q.bind(text),
                FieldType::Integer => q.bind(text.and_then(|s| s.parse::<i64>().ok())),
                FieldType::Number => q.bind(text.and_then(|s| s.parse::<f64>().ok())),
            };
        }
        q.execute(&mut *tx).await?;
        if let Some(r) = f.geometry.as_ref().and_then(|g| g.bounding_rect()) {
            sqlx::query(&insert_rtree)
                .bind(fid)
                .bind(r.min().x)
                .bind(r.max().x)
                .bind(r.min().y)
                .bind(r.max().y)
                .execute(&mut *tx)
                .await?;
            bounds = Some(match bounds {
                None => r,
                Some(b) => geo::Rect::new(
                    geo::coord! {x: b.min().x.min(r.min().x), y: b.min().y.min(r.min().y)},
                    geo::coord! {x: b.max().x.max(r.max().x), y: b.max().y.max(r.max().y)},
                ),
            });
        }
    }
    tx.commit().await?;

    sqlx::query(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, \
         max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(t)
    .bind(meta.title)
    .bind(meta.description)
    .bind(bounds.map(|b| b.min().x))
    .bind(bounds.map(|b| b.min().y))
    .bind(bounds.map(|b| b.max().x))
    .bind(bounds.map(|b| b.max().y))
    .bind(SRS_CGCS2000)
    .execute(&mut conn)
    .await?;
    sqlx::query(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, \
         z, m) VALUES (?, 'geom', ?, ?, 0, 0)",
    )
    .bind(t)
    .bind(meta.geometry.gpkg())
    .bind(SRS_CGCS2000)
    .execute(&mut conn)
    .await?;
    sqlx::query(
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) \
         VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', \
         'write-only')",
    )
    .bind(t)
    .execute(&mut conn)
    .await?;
    // The triggers call the ST_* functions a GeoPackage client registers (GDAL, QGIS), so they
    // are created after the rows and the index are written.
    for trig in rtree_triggers(t, "geom", "\"fid\"") {
        sqlx::query(&trig).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(tokio::fs::read(&path).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_blob_is_header_then_wkb() {
        let b = geometry_blob(&geo::Geometry::Point(geo::Point::new(102.0, 27.0)), 4490).unwrap();
        assert_eq!(&b[..4], &[b'G', b'P', 0, 1]);
        assert_eq!(i32::from_le_bytes([b[4], b[5], b[6], b[7]]), 4490);
        // WKB: little endian, type 1 (point), then x and y.
        assert_eq!(b[8], 1);
        assert_eq!(u32::from_le_bytes([b[9], b[10], b[11], b[12]]), 1);
        assert_eq!(b.len(), 8 + 21);
    }

    #[test]
    fn polygon_blob_has_an_envelope() {
        let sq = geo::Polygon::new(
            vec![(1.0, 2.0), (3.0, 2.0), (3.0, 5.0), (1.0, 2.0)].into(),
            vec![],
        );
        let b = geometry_blob(
            &geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![sq])),
            4490,
        )
        .unwrap();
        assert_eq!(b[3], 3);
        let f = |i: usize| f64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        assert_eq!([f(8), f(16), f(24), f(32)], [1.0, 3.0, 2.0, 5.0]);
        assert_eq!(u32::from_le_bytes([b[41], b[42], b[43], b[44]]), 6);
    }
}
