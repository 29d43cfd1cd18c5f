//! The checks that need stored data go through [`KnownData`], which the store implements (with
//! what it preloads for a batch). [`NoStore`] is used by `soilwatch validate`: it knows nothing,
//! and the report lists the rules it skipped.

use soilwatch_core::{AnalysisResult, DivisionCode, MonitoringPoint, Sample};

/// What the store knows, asked synchronously while a file is validated.
pub trait KnownData {
    /// False when there is no store: the rules that need stored data are skipped and the report
    /// says so.
    fn available(&self) -> bool {
        true
    }
    /// The registered point with this code.
    fn point(&self, code: &str) -> Option<MonitoringPoint>;
    /// True when the division code is registered.
    fn division_exists(&self, code: DivisionCode) -> bool;
    /// The stored sample with this code (compared with the file's: different content is an error).
    fn stored_sample(&self, code: &str) -> Option<Sample>;
    /// The stored (current) result of this analyte code in this sample: equal means a duplicate of
    /// a stored row, different means a correction (a new version).
    fn stored_result(&self, sample_code: &str, analyte: &str) -> Option<AnalysisResult>;
}

/// No store: every rule that needs stored data is skipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

impl KnownData for NoStore {
    fn available(&self) -> bool {
        false
    }
    fn point(&self, _code: &str) -> Option<MonitoringPoint> {
        None
    }
    fn division_exists(&self, _code: DivisionCode) -> bool {
        true
    }
    fn stored_sample(&self, _code: &str) -> Option<Sample> {
        None
    }
    fn stored_result(&self, _sample_code: &str, _analyte: &str) -> Option<AnalysisResult> {
        None
    }
}

/// An in-memory [`KnownData`], for tests and for callers that preload everything.
#[derive(Debug, Clone, Default)]
pub struct MemoryKnown {
    pub points: std::collections::HashMap<String, MonitoringPoint>,
    pub divisions: std::collections::HashSet<DivisionCode>,
    pub samples: std::collections::HashMap<String, Sample>,
    /// Keyed by (sample code, analyte code).
    pub results: std::collections::HashMap<(String, String), AnalysisResult>,
}

impl KnownData for MemoryKnown {
    fn point(&self, code: &str) -> Option<MonitoringPoint> {
        self.points.get(code).cloned()
    }
    fn division_exists(&self, code: DivisionCode) -> bool {
        self.divisions.contains(&code)
    }
    fn stored_sample(&self, code: &str) -> Option<Sample> {
        self.samples.get(code).cloned()
    }
    fn stored_result(&self, sample_code: &str, analyte: &str) -> Option<AnalysisResult> {
        self.results
            .get(&(sample_code.to_owned(), analyte.to_owned()))
            .cloned()
    }
}
