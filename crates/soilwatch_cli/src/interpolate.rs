//! `soilwatch interpolate`: points in a CSV file → estimates at target points (CSV) or on a grid
//! (ESRI ASCII grid or GeoTIFF), by IDW or ordinary kriging (soilwatch_geostat), with kriging
//! variance and optional leave-one-out cross-validation. No database.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use soilwatch_geostat::{
    gk_cm_epsg, metres_to_degrees_latitude, prj_wkt, Band, Crs, Estimate, GeostatError, GridSpec,
    IdwParams, Interpolator, InterpolatorOptions, KrigingParams, LagOptions, Method, Sample,
    Transform, Variogram, VariogramSpec, EPSG_CGCS2000,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    /// Inverse distance weighting.
    Idw,
    /// Ordinary kriging.
    Ok,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrsArg {
    /// Planar coordinates in metres (e.g. a CGCS2000 Gauss–Krüger zone).
    Projected,
    /// CGCS2000 longitude/latitude in degrees (EPSG:4490).
    Lonlat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransformArg {
    None,
    /// Natural log before interpolation, lognormal back-transform after (values must be > 0).
    Log,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Input: a UTF-8 CSV with a header row (a UTF-8 BOM is fine); rows whose value cell is empty are skipped.\n\
Targets output: the target rows as they are, with `estimate,variance` appended (variance empty for IDW; \
both empty where no point is within --radius). With --transform log the variance is that of ln(value).\n\
Grid output: cells of --cell-size metres covering the points' bounding box, in the input CRS \
(for --crs lonlat square cells of --cell-size metres north–south, in degrees). OUT.asc writes an ESRI \
ASCII grid (+ OUT.prj when the CRS is known, + OUT.variance.asc for kriging); OUT.tif a Float32 GeoTIFF \
(band 1 estimate, band 2 kriging variance). No-data is -9999.\n\
Variogram convention (nugget c0, partial sill c, range a): spherical c0 + c(1.5h/a − 0.5(h/a)³) up to a; \
exponential c0 + c(1 − exp(−3h/a)); gaussian c0 + c(1 − exp(−3h²/a²)); γ(0) = 0. Distances in metres.\n\
Exit codes: 0 done; 2 input rejected (the message names file, line, column and what was expected); 1 failure.")]
pub struct InterpolateArgs {
    /// Points CSV (UTF-8, header row).
    #[arg(long)]
    pub input: PathBuf,
    /// Column of x: easting in metres, or longitude with `--crs lonlat`.
    #[arg(long)]
    pub x: String,
    /// Column of y: northing in metres, or latitude with `--crs lonlat`.
    #[arg(long)]
    pub y: String,
    /// Column of the values to interpolate.
    #[arg(long)]
    pub value: String,
    /// Interpolation method: `idw` or `ok` (ordinary kriging).
    #[arg(long, env = "SOILWATCH_INTERPOLATE_METHOD", value_enum, default_value_t = MethodArg::Ok)]
    pub method: MethodArg,
    /// Kriging variogram: `MODEL:nugget=…,psill=…,range=…` (MODEL spherical, exponential or
    /// gaussian; range in metres) or `auto` (fitted by weighted least squares to the experimental
    /// variogram, best of the three models).
    #[arg(long, env = "SOILWATCH_VARIOGRAM", default_value = "auto")]
    pub variogram: String,
    /// Number of nearest points used per estimate (moving neighbourhood); k ≥ n uses every point.
    #[arg(long, env = "SOILWATCH_NEIGHBORS", default_value_t = 32)]
    pub neighbors: usize,
    /// IDW power p (weights 1/dᵖ).
    #[arg(long, env = "SOILWATCH_IDW_POWER", default_value_t = 2.0)]
    pub power: f64,
    /// Search radius in metres: points farther away are not used (default: no limit).
    #[arg(long, env = "SOILWATCH_SEARCH_RADIUS")]
    pub radius: Option<f64>,
    /// Coordinates of the input, targets and output: `projected` (metres) or `lonlat`
    /// (CGCS2000 degrees; projected to the 3° Gauss–Krüger zone of the data for distances).
    #[arg(long, env = "SOILWATCH_CRS", value_enum, default_value_t = CrsArg::Projected)]
    pub crs: CrsArg,
    /// Transform of the values: `none` or `log` (for skewed concentrations).
    #[arg(long, env = "SOILWATCH_TRANSFORM", value_enum, default_value_t = TransformArg::None)]
    pub transform: TransformArg,
    /// Number of lags of the experimental variogram (`--variogram auto`).
    #[arg(long, env = "SOILWATCH_VARIOGRAM_LAGS", default_value_t = 15)]
    pub lags: usize,
    /// Lag width in metres (`--variogram auto`; default: max distance / lags).
    #[arg(long, env = "SOILWATCH_VARIOGRAM_LAG_WIDTH")]
    pub lag_width: Option<f64>,
    /// Largest pair distance in metres (`--variogram auto`; default: a third of the diagonal of
    /// the points' bounding box).
    #[arg(long, env = "SOILWATCH_VARIOGRAM_MAX_DISTANCE")]
    pub max_distance: Option<f64>,
    /// EPSG code written into the grid's GeoTIFF keys and .prj (default 4490 with `--crs lonlat`;
    /// none with `--crs projected`, e.g. 4543 for CGCS2000 3° Gauss–Krüger CM 102°E).
    #[arg(long, env = "SOILWATCH_EPSG")]
    pub epsg: Option<u32>,
    /// Targets CSV: its rows are written to --output with `estimate,variance` appended.
    #[arg(long, conflicts_with = "cell_size")]
    pub targets: Option<PathBuf>,
    /// Target columns of x and y when they differ from --x and --y.
    #[arg(long, requires = "targets")]
    pub target_x: Option<String>,
    #[arg(long, requires = "targets")]
    pub target_y: Option<String>,
    /// Grid cell size in metres: write a grid covering the points to --output (.asc or .tif).
    #[arg(long)]
    pub cell_size: Option<f64>,
    /// Output file: CSV for --targets; .asc or .tif for --cell-size.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print leave-one-out cross-validation statistics (mean error, RMSE, mean standardised
    /// squared error).
    #[arg(long)]
    pub cv: bool,
}

/// Input the command refuses (exit 2), as opposed to a failure (exit 1).
#[derive(Debug)]
struct Rejected(String);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

fn reject<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(Rejected(msg.into()).into())
}

pub fn run(args: InterpolateArgs) -> anyhow::Result<u8> {
    match run_inner(&args) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<Rejected>() {
            Some(r) => {
                eprintln!("error: {r}");
                Ok(2)
            }
            None => Err(e),
        },
    }
}

/// One CSV file read into memory: header, rows (with their line numbers), BOM flag.
struct Table {
    path: PathBuf,
    bom: bool,
    headers: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("无法读取 / cannot read {}", path.display()))?;
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let body = if bom { &bytes[3..] } else { &bytes[..] };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(body);
        let file = path.display();
        let headers = match reader.byte_headers() {
            Ok(h) => h
                .iter()
                .enumerate()
                .map(|(i, f)| match std::str::from_utf8(f) {
                    Ok(s) => Ok(s.trim().to_owned()),
                    Err(_) => reject(format!(
                        "{file} 第 1 行第 {} 列不是 UTF-8 编码 / {file} line 1, column {}: not UTF-8 \
                         (expected a UTF-8 CSV; save it as UTF-8)",
                        i + 1,
                        i + 1
                    )),
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Err(e) => {
                return reject(format!(
                    "{file}: 无法读取表头 / cannot read the header row: {e} (expected a CSV with a header row)"
                ))
            }
        };
        let mut rows = Vec::new();
        for record in reader.byte_records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    return reject(format!(
                        "{file} 第 {line} 行格式错误 / {file} line {line}: malformed CSV ({e})"
                    ));
                }
            };
            let line = record.position().map_or(0, csv::Position::line);
            let mut fields = Vec::with_capacity(record.len());
            for (i, f) in record.iter().enumerate() {
                match std::str::from_utf8(f) {
                    Ok(s) => fields.push(s.to_owned()),
                    Err(_) => {
                        let col = headers
                            .get(i)
                            .map_or_else(|| format!("#{}", i + 1), Clone::clone);
                        return reject(format!(
                            "{file} 第 {line} 行, 列 '{col}' 不是 UTF-8 编码 / {file} line {line}, column \
                             '{col}': not UTF-8 (expected a UTF-8 CSV; save it as UTF-8)"
                        ));
                    }
                }
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push((line, fields));
        }
        Ok(Self {
            path: path.to_owned(),
            bom,
            headers,
            rows,
        })
    }

    fn column(&self, name: &str) -> anyhow::Result<usize> {
        let want = name.trim();
        self.headers
            .iter()
            .position(|h| h == want)
            .or_else(|| {
                self.headers
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(want))
            })
            .map_or_else(
                || {
                    reject(format!(
                        "{} 找不到列 '{want}' / {}: column '{want}' not found (header has: {})",
                        self.path.display(),
                        self.path.display(),
                        self.headers.join(", ")
                    ))
                },
                Ok,
            )
    }

    /// The number in row `row`, column `col`; None when the cell is empty.
    fn number(&self, row: usize, col: usize, what: &str) -> anyhow::Result<Option<f64>> {
        let (line, fields) = &self.rows[row];
        let cell = fields.get(col).map_or("", |s| s.trim());
        if cell.is_empty() {
            return Ok(None);
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => reject(format!(
                "{file} 第 {line} 行, 列 '{col}': '{cell}' 不是数字 / {file} line {line}, column '{col}': \
                 '{cell}' is not a number (expected {what})",
                file = self.path.display(),
                col = self.headers[col],
            )),
        }
    }

    fn required(&self, row: usize, col: usize, what: &str) -> anyhow::Result<f64> {
        match self.number(row, col, what)? {
            Some(v) => Ok(v),
            None => {
                let line = self.rows[row].0;
                reject(format!(
                    "{file} 第 {line} 行, 列 '{col}' 为空 / {file} line {line}, column '{col}': empty \
                     (expected {what})",
                    file = self.path.display(),
                    col = self.headers[col],
                ))
            }
        }
    }

    /// x, y of every row, checked for the CRS.
    fn coordinates(&self, x: usize, y: usize, crs: Crs) -> anyhow::Result<Vec<[f64; 2]>> {
        let (wx, wy) = match crs {
            Crs::Projected => ("an easting in metres", "a northing in metres"),
            Crs::LonLat => (
                "a longitude in degrees, −180…180",
                "a latitude in degrees, −90…90",
            ),
        };
        let mut out = Vec::with_capacity(self.rows.len());
        for row in 0..self.rows.len() {
            let vx = self.required(row, x, wx)?;
            let vy = self.required(row, y, wy)?;
            if crs == Crs::LonLat {
                let line = self.rows[row].0;
                let file = self.path.display();
                if !(-180.0..=180.0).contains(&vx) {
                    return reject(format!(
                        "{file} 第 {line} 行, 列 '{c}': {vx} 不是经度 / {file} line {line}, column '{c}': \
                         {vx} is not a longitude (expected {wx}; projected coordinates need --crs projected)",
                        c = self.headers[x]
                    ));
                }
                if !(-90.0..=90.0).contains(&vy) {
                    return reject(format!(
                        "{file} 第 {line} 行, 列 '{c}': {vy} 不是纬度 / {file} line {line}, column '{c}': \
                         {vy} is not a latitude (expected {wy}; projected coordinates need --crs projected)",
                        c = self.headers[y]
                    ));
                }
            }
            out.push([vx, vy]);
        }
        Ok(out)
    }
}

fn run_inner(args: &InterpolateArgs) -> anyhow::Result<()> {
    if args.targets.is_none() && args.cell_size.is_none() && !args.cv {
        return reject(
            "缺少输出 / nothing to do: give --targets T.csv --output OUT.csv, or --cell-size M --output \
             OUT.asc|OUT.tif, or --cv",
        );
    }
    if (args.targets.is_some() || args.cell_size.is_some()) && args.output.is_none() {
        return reject("缺少 --output / --output is missing (where to write the estimates)");
    }
    let crs = match args.crs {
        CrsArg::Projected => Crs::Projected,
        CrsArg::Lonlat => Crs::LonLat,
    };
    let transform = match args.transform {
        TransformArg::None => Transform::None,
        TransformArg::Log => Transform::Log,
    };
    let method = match args.method {
        MethodArg::Idw => Method::Idw(IdwParams {
            power: args.power,
            neighbors: args.neighbors,
            radius: args.radius,
        }),
        MethodArg::Ok => {
            let variogram = if args.variogram.trim().eq_ignore_ascii_case("auto") {
                VariogramSpec::Auto(LagOptions {
                    n_lags: args.lags,
                    lag_width: args.lag_width,
                    max_distance: args.max_distance,
                })
            } else {
                match args.variogram.parse::<Variogram>() {
                    Ok(v) => VariogramSpec::Fixed(v),
                    Err(e) => return reject(format!("--variogram: {e}")),
                }
            };
            Method::OrdinaryKriging(KrigingParams {
                variogram,
                neighbors: args.neighbors,
                radius: args.radius,
            })
        }
    };

    // Points.
    let table = Table::read(&args.input)?;
    let (cx, cy, cv) = (
        table.column(&args.x)?,
        table.column(&args.y)?,
        table.column(&args.value)?,
    );
    let xy = table.coordinates(cx, cy, crs)?;
    let mut samples = Vec::with_capacity(xy.len());
    let mut skipped = 0usize;
    for (row, p) in xy.iter().enumerate() {
        match table.number(row, cv, "a number")? {
            Some(value) => {
                if transform == Transform::Log && value <= 0.0 {
                    let line = table.rows[row].0;
                    return reject(format!(
                        "{file} 第 {line} 行, 列 '{c}': {value} 不能取对数 / {file} line {line}, column '{c}': \
                         {value} is not positive (expected a value > 0 for --transform log)",
                        file = table.path.display(),
                        c = table.headers[cv]
                    ));
                }
                samples.push(Sample {
                    x: p[0],
                    y: p[1],
                    value,
                });
            }
            None => skipped += 1,
        }
    }
    if samples.is_empty() {
        return reject(format!(
            "{} 没有数据点 / {}: no row has a value in column '{}'",
            table.path.display(),
            table.path.display(),
            table.headers[cv]
        ));
    }
    if crs == Crs::Projected
        && samples
            .iter()
            .all(|s| s.x.abs() <= 180.0 && s.y.abs() <= 90.0)
    {
        eprintln!(
            "warning: {} 的坐标像经纬度 / the coordinates look like longitude/latitude; add --crs lonlat \
             if they are degrees",
            table.path.display()
        );
    }
    let options = InterpolatorOptions {
        crs,
        method,
        transform,
    };
    let interp = match Interpolator::new(&samples, &options) {
        Ok(i) => i,
        Err(e) => return Err(geostat_error(e, &args.input)),
    };
    eprintln!(
        "{} points from {}{}{}",
        interp.points().len(),
        args.input.display(),
        if skipped > 0 {
            format!("; {skipped} rows without a value skipped")
        } else {
            String::new()
        },
        if interp.merged_duplicates() > 0 {
            format!(
                "; {} duplicate locations merged (mean value)",
                interp.merged_duplicates()
            )
        } else {
            String::new()
        },
    );
    if let Some(cm) = interp.central_meridian() {
        eprintln!("distances in the CGCS2000 3° Gauss–Krüger zone, central meridian {cm}°E");
    }
    if let Some(v) = interp.variogram() {
        let how = if interp.experimental_variogram().is_some() {
            "fitted"
        } else {
            "given"
        };
        eprintln!("variogram ({how}): {v}");
    }

    if let Some(targets) = &args.targets {
        let output = args.output.as_deref().context("--output")?;
        write_targets(args, &interp, crs, targets, output)?;
    } else if let Some(cell) = args.cell_size {
        let output = args.output.as_deref().context("--output")?;
        write_grid(args, &interp, crs, cell, &xy, output)?;
    }

    if args.cv {
        let cv = interp
            .cross_validate()
            .map_err(|e| geostat_error(e, &args.input))?;
        println!(
            "交叉验证 / leave-one-out cross-validation ({} points)",
            cv.n
        );
        println!("mean_error\t{:.6}", cv.mean_error);
        println!("rmse\t{:.6}", cv.rmse);
        match cv.msse {
            Some(m) => println!("msse\t{m:.6}"),
            None => println!("msse\t(no kriging variance for IDW)"),
        }
    }
    Ok(())
}

/// Input-shaped errors of the library are rejections (exit 2); the rest failures (exit 1).
fn geostat_error(e: GeostatError, input: &Path) -> anyhow::Error {
    match e {
        GeostatError::Singular { .. } | GeostatError::Projection(_) => {
            anyhow::Error::new(e).context(format!("{}", input.display()))
        }
        other => Rejected(format!("{}: {other}", input.display())).into(),
    }
}

fn write_targets(
    args: &InterpolateArgs,
    interp: &Interpolator,
    crs: Crs,
    targets: &Path,
    output: &Path,
) -> anyhow::Result<()> {
    let table = Table::read(targets)?;
    let cx = table.column(args.target_x.as_deref().unwrap_or(&args.x))?;
    let cy = table.column(args.target_y.as_deref().unwrap_or(&args.y))?;
    let xy = table.coordinates(cx, cy, crs)?;
    let estimates = interp
        .estimate_many(&xy)
        .map_err(|e| geostat_error(e, targets))?;
    let file = File::create(output)
        .with_context(|| format!("无法写入 / cannot write {}", output.display()))?;
    let mut out = BufWriter::new(file);
    if table.bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let mut header = table.headers.clone();
        header.push("estimate".to_owned());
        header.push("variance".to_owned());
        w.write_record(&header)?;
        for ((_, fields), e) in table.rows.iter().zip(&estimates) {
            let mut record = fields.clone();
            let (est, var) = format_estimate(e.as_ref());
            record.push(est);
            record.push(var);
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    out.flush()
        .with_context(|| format!("无法写入 / cannot write {}", output.display()))?;
    let missing = estimates.iter().filter(|e| e.is_none()).count();
    eprintln!(
        "wrote {} target rows to {}{}",
        estimates.len(),
        output.display(),
        if missing > 0 {
            format!(" ({missing} without data within the search radius)")
        } else {
            String::new()
        }
    );
    Ok(())
}

fn format_estimate(e: Option<&Estimate>) -> (String, String) {
    match e {
        Some(e) => (
            format!("{}", e.value),
            e.variance.map_or_else(String::new, |v| format!("{v}")),
        ),
        None => (String::new(), String::new()),
    }
}

fn write_grid(
    args: &InterpolateArgs,
    interp: &Interpolator,
    crs: Crs,
    cell_metres: f64,
    xy: &[[f64; 2]],
    output: &Path,
) -> anyhow::Result<()> {
    if !(cell_metres.is_finite() && cell_metres > 0.0) {
        return reject(format!(
            "--cell-size {cell_metres}: 应为正数 / expected a cell size in metres > 0"
        ));
    }
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let tif = match ext.as_deref() {
        Some("asc") => false,
        Some("tif" | "tiff") => true,
        _ => {
            return reject(format!(
                "--output {}: 不支持的格式 / unsupported grid format (expected a name ending in .asc or .tif)",
                output.display()
            ))
        }
    };
    let (cell, epsg) = match crs {
        Crs::Projected => (cell_metres, args.epsg),
        Crs::LonLat => {
            let (lo, hi) = xy.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
                (lo.min(p[1]), hi.max(p[1]))
            });
            (
                metres_to_degrees_latitude(cell_metres, (lo + hi) / 2.0),
                Some(args.epsg.unwrap_or(EPSG_CGCS2000)),
            )
        }
    };
    let spec = match GridSpec::covering(xy, cell) {
        Ok(s) => s,
        Err(e) => return reject(format!("--cell-size {cell_metres}: {e}")),
    };
    eprintln!(
        "grid {} × {} cells of {} {} …",
        spec.ncols,
        spec.nrows,
        cell,
        if crs == Crs::LonLat { "°" } else { "m" }
    );
    let grid = interp
        .grid(&spec)
        .map_err(|e| geostat_error(e, &args.input))?;
    let create = |p: &Path| -> anyhow::Result<BufWriter<File>> {
        Ok(BufWriter::new(File::create(p).with_context(|| {
            format!("无法写入 / cannot write {}", p.display())
        })?))
    };
    let geographic = crs == Crs::LonLat;
    if epsg.is_none() {
        eprintln!(
            "warning: 输出没有坐标系 / the grid has no CRS: give --epsg (e.g. {} for CGCS2000 3° \
             Gauss–Krüger CM 102°E) so GIS software places it",
            gk_cm_epsg(102.0).unwrap_or(4543)
        );
    }
    if tif {
        let bytes = grid.geotiff_bytes(epsg, geographic);
        std::fs::write(output, bytes)
            .with_context(|| format!("无法写入 / cannot write {}", output.display()))?;
    } else {
        let mut out = create(output)?;
        grid.write_esri_ascii(Band::Estimate, &mut out)
            .and_then(|_| out.flush())
            .with_context(|| format!("无法写入 / cannot write {}", output.display()))?;
        let wkt = epsg.and_then(prj_wkt);
        if let Some(wkt) = &wkt {
            let prj = output.with_extension("prj");
            std::fs::write(&prj, wkt)
                .with_context(|| format!("无法写入 / cannot write {}", prj.display()))?;
        } else if let Some(code) = epsg {
            eprintln!("warning: no .prj written: EPSG:{code} is not one soilwatch can describe");
        }
        if grid.variance.is_some() {
            let var_path = output.with_extension("variance.asc");
            let mut out = create(&var_path)?;
            grid.write_esri_ascii(Band::Variance, &mut out)
                .and_then(|_| out.flush())
                .with_context(|| format!("无法写入 / cannot write {}", var_path.display()))?;
            if let Some(wkt) = &wkt {
                let prj = output.with_extension("variance.prj");
                std::fs::write(&prj, wkt)
                    .with_context(|| format!("无法写入 / cannot write {}", prj.display()))?;
            }
        }
    }
    eprintln!("wrote {}", output.display());
    Ok(())
}
